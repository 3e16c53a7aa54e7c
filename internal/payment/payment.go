// Package payment owns the proxy-signed payment messages of COCOON: the
// payload and wrapper cells that a client or worker contract accepts as a
// charge, refund or payout, and that a proxy contract accepts as a close
// request or close completion (the signed envelope: op, query id, excess address, a signature
// over the payload cell's hash, and the payload, which repeats op and query id and names the
// contract it is for), their signing with the proxy's Ed25519 key,
// their BoC form as carried in proxy.signedPayment, strict parsing and
// verification, and the Tracker with which a client or worker keeps the
// highest payment a proxy has signed and refuses a proxy that goes back.
package payment

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/contracts"
)

// Op is the opcode of a signed payment; the contracts dispatch on it.
type Op uint32

// The signed payment ops, as the contracts know them.
const (
	OpClientCharge      = Op(contracts.OpClientChargeSigned)      // ext_client_charge_signed
	OpClientGrantRefund = Op(contracts.OpClientGrantRefundSigned) // ext_client_grant_refund_signed
	OpWorkerPayout      = Op(contracts.OpWorkerPayoutSigned)      // ext_worker_payout_request_signed
	OpWorkerLastPayout  = Op(contracts.OpWorkerLastPayoutSigned)  // ext_worker_last_payout_request_signed
	// The proxy close ops carry no token count; their target is the proxy
	// contract.
	OpProxyCloseRequest  = Op(contracts.OpProxyCloseRequestSigned)  // ext_proxy_close_request_signed
	OpProxyCloseComplete = Op(contracts.OpProxyCloseCompleteSigned) // ext_proxy_close_complete_request_signed
)

func (o Op) String() string {
	switch o {
	case OpClientCharge:
		return "client charge"
	case OpClientGrantRefund:
		return "client grant refund"
	case OpWorkerPayout:
		return "worker payout"
	case OpWorkerLastPayout:
		return "worker last payout"
	case OpProxyCloseRequest:
		return "proxy close request"
	case OpProxyCloseComplete:
		return "proxy close complete"
	}
	return fmt.Sprintf("Op(%#08x)", uint32(o))
}

func (o Op) known() bool {
	switch o {
	case OpClientCharge, OpClientGrantRefund, OpWorkerPayout, OpWorkerLastPayout, OpProxyCloseRequest, OpProxyCloseComplete:
		return true
	}
	return false
}

// counts reports whether the op's payload carries a token count: every op
// but the proxy close ops.
func (o Op) counts() bool {
	return o != OpProxyCloseRequest && o != OpProxyCloseComplete
}

// MaxBOCSize bounds the BoC of a signed payment. A real one is under 200
// bytes; anything larger is refused before parsing.
const MaxBOCSize = 512

var (
	// ErrMalformed reports bytes that are not a signed payment.
	ErrMalformed = errors.New("malformed signed payment")
	// ErrBadSignature reports a payment not signed by the expected key.
	ErrBadSignature = errors.New("signed payment has a bad signature")
	// ErrWrongOp reports a payment with an op the receiver does not accept.
	ErrWrongOp = errors.New("signed payment has an unexpected op")
	// ErrWrongTarget reports a payment for another contract.
	ErrWrongTarget = errors.New("signed payment names another contract")
)

// Payment is one signed payment message. Tokens is the new monotonic token
// count of the target contract; it is 0 for the proxy close ops, which
// carry none. ExcessTo is outside the signature: whoever
// relays the message chooses it (Rewrap). Addresses are not modified after
// construction.
type Payment struct {
	Op        Op
	QueryID   uint64
	Tokens    int64
	Target    *address.Address // the client or worker contract, std internal
	ExcessTo  *address.Address // std internal or addr_none
	Signature [ed25519.SignatureSize]byte
}

// RandomQueryID returns a random query id for a new payment, as the
// reference draws one for every message it signs.
func RandomQueryID() uint64 {
	var b [8]byte
	rand.Read(b[:]) // crypto/rand.Read never fails; it panics if the system source does
	return binary.BigEndian.Uint64(b[:])
}

// Sign builds and signs a payment with the proxy's key over the hash of
// its payload cell. queryID should be random; a nil excessTo is addr_none.
func Sign(key ed25519.PrivateKey, op Op, queryID uint64, tokens int64, target, excessTo *address.Address) (Payment, error) {
	if len(key) != ed25519.PrivateKeySize {
		return Payment{}, fmt.Errorf("signing payment: private key has %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	if excessTo == nil {
		excessTo = address.NewAddressNone()
	}
	p := Payment{Op: op, QueryID: queryID, Tokens: tokens, Target: target, ExcessTo: excessTo}
	if err := p.check(); err != nil {
		return Payment{}, fmt.Errorf("signing payment: %w", err)
	}
	payload, err := p.PayloadCell()
	if err != nil {
		return Payment{}, fmt.Errorf("signing payment: %w", err)
	}
	copy(p.Signature[:], ed25519.Sign(key, payload.Hash()))
	return p, nil
}

func (p Payment) check() error {
	switch {
	case !p.Op.known():
		return fmt.Errorf("%w: %v", ErrWrongOp, p.Op)
	case p.Tokens < 0:
		return fmt.Errorf("negative token count %d", p.Tokens)
	case !p.Op.counts() && p.Tokens != 0:
		return fmt.Errorf("%v carries no token count, got %d", p.Op, p.Tokens)
	case !isStd(p.Target):
		return errors.New("target is not a std internal address")
	case p.ExcessTo == nil || !(p.ExcessTo.IsAddrNone() || isStd(p.ExcessTo)):
		return errors.New("excess address is neither addr_none nor a std internal address")
	}
	return nil
}

// isStd reports a std internal address without anycast, the only form a
// contract address takes.
func isStd(a *address.Address) bool {
	return a != nil && a.Type() == address.StdAddress && a.Anycast() == nil && len(a.Data()) == 32
}

// PayloadCell builds the signed cell:
// op:uint32 query_id:uint64 tokens:uint64 target:MsgAddressInt, without
// tokens for the proxy close ops.
func (p Payment) PayloadCell() (*cell.Cell, error) {
	if !isStd(p.Target) {
		return nil, errors.New("building payment payload: target is not a std internal address")
	}
	b := cell.BeginCell()
	err := errors.Join(b.StoreUInt(uint64(p.Op), 32), b.StoreUInt(p.QueryID, 64))
	if p.Op.counts() {
		err = errors.Join(err, b.StoreUInt(uint64(p.Tokens), 64))
	}
	if err := errors.Join(err, b.StoreAddr(p.Target)); err != nil {
		return nil, fmt.Errorf("building payment payload: %w", err)
	}
	return b.EndCell(), nil
}

// Cell builds the message body a contract receives:
// op:uint32 query_id:uint64 excess_to:MsgAddress signature:bits512 ^payload.
func (p Payment) Cell() (*cell.Cell, error) {
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("building payment: %w", err)
	}
	payload, err := p.PayloadCell()
	if err != nil {
		return nil, err
	}
	b := cell.BeginCell()
	if err := errors.Join(
		b.StoreUInt(uint64(p.Op), 32),
		b.StoreUInt(p.QueryID, 64),
		b.StoreAddr(p.ExcessTo),
		b.StoreSlice(p.Signature[:], 8*ed25519.SignatureSize),
		b.StoreRef(payload),
	); err != nil {
		return nil, fmt.Errorf("building payment: %w", err)
	}
	return b.EndCell(), nil
}

// BOC serializes the message body as the BoC that proxy.signedPayment
// carries.
func (p Payment) BOC() ([]byte, error) {
	c, err := p.Cell()
	if err != nil {
		return nil, err
	}
	return c.ToBOC(), nil
}

// Rewrap returns the payment with the holder's own excess address; the
// signature stays valid because the excess address is not signed.
func (p Payment) Rewrap(excessTo *address.Address) Payment {
	if excessTo == nil {
		excessTo = address.NewAddressNone()
	}
	p.ExcessTo = excessTo
	return p
}

// Parse decodes a signed payment BoC strictly: exactly the two cells of the
// layout, ordinary, with nothing left over, the payload repeating the outer
// op and query id, a known op and std internal addresses. It does not
// check the signature; see Verify.
func Parse(boc []byte) (Payment, error) {
	if len(boc) > MaxBOCSize {
		return Payment{}, fmt.Errorf("parsing signed payment: %w: %d bytes, limit %d", ErrMalformed, len(boc), MaxBOCSize)
	}
	root, err := cell.FromBOCWithOptions(boc, cell.BOCParseOptions{MaxCells: 2})
	if err != nil {
		return Payment{}, fmt.Errorf("parsing signed payment: %w: %w", ErrMalformed, err)
	}
	p, err := parseWrapper(root)
	if err != nil {
		return Payment{}, fmt.Errorf("parsing signed payment: %w: %w", ErrMalformed, err)
	}
	return p, nil
}

func parseWrapper(root *cell.Cell) (Payment, error) {
	if root.GetType() != cell.OrdinaryCellType || root.RefsNum() != 1 {
		return Payment{}, errors.New("wrapper is not an ordinary cell with one reference")
	}
	s, err := root.BeginParse()
	if err != nil {
		return Payment{}, err
	}
	var p Payment
	op, err := s.LoadUInt(32)
	if err != nil {
		return Payment{}, fmt.Errorf("reading op: %w", err)
	}
	p.Op = Op(op)
	if !p.Op.known() {
		return Payment{}, fmt.Errorf("unknown op %#08x", op)
	}
	if p.QueryID, err = s.LoadUInt(64); err != nil {
		return Payment{}, fmt.Errorf("reading query id: %w", err)
	}
	if p.ExcessTo, err = s.LoadAddr(); err != nil {
		return Payment{}, fmt.Errorf("reading excess address: %w", err)
	}
	if !p.ExcessTo.IsAddrNone() && !isStd(p.ExcessTo) {
		return Payment{}, errors.New("excess address is neither addr_none nor a std internal address")
	}
	if err := s.LoadSliceInto(p.Signature[:], 8*ed25519.SignatureSize); err != nil {
		return Payment{}, fmt.Errorf("reading signature: %w", err)
	}
	if s.BitsLeft() != 0 {
		return Payment{}, fmt.Errorf("%d bits after the signature", s.BitsLeft())
	}
	payload, err := s.LoadRefCell()
	if err != nil {
		return Payment{}, fmt.Errorf("reading payload: %w", err)
	}
	if payload.GetType() != cell.OrdinaryCellType || payload.RefsNum() != 0 {
		return Payment{}, errors.New("payload is not an ordinary cell without references")
	}
	ps, err := payload.BeginParse()
	if err != nil {
		return Payment{}, err
	}
	innerOp, err := ps.LoadUInt(32)
	if err != nil {
		return Payment{}, fmt.Errorf("reading payload op: %w", err)
	}
	innerQID, err := ps.LoadUInt(64)
	if err != nil {
		return Payment{}, fmt.Errorf("reading payload query id: %w", err)
	}
	if innerOp != op || innerQID != p.QueryID {
		return Payment{}, fmt.Errorf("payload op %#08x and query id %d do not repeat the outer %#08x and %d", innerOp, innerQID, op, p.QueryID)
	}
	if p.Op.counts() {
		tokens, err := ps.LoadUInt(64)
		if err != nil {
			return Payment{}, fmt.Errorf("reading tokens: %w", err)
		}
		if tokens > math.MaxInt64 {
			return Payment{}, fmt.Errorf("token count %d beyond int64", tokens)
		}
		p.Tokens = int64(tokens)
	}
	if p.Target, err = ps.LoadAddr(); err != nil {
		return Payment{}, fmt.Errorf("reading target address: %w", err)
	}
	if !isStd(p.Target) {
		return Payment{}, errors.New("target is not a std internal address")
	}
	if ps.BitsLeft() != 0 {
		return Payment{}, fmt.Errorf("%d bits after the target address", ps.BitsLeft())
	}
	return p, nil
}

// Verify checks what a contract would: that the payment carries op, names
// target, and is signed by the proxy key proxyKey.
func (p Payment) Verify(proxyKey ed25519.PublicKey, op Op, target *address.Address) error {
	if len(proxyKey) != ed25519.PublicKeySize {
		return fmt.Errorf("verifying payment: public key has %d bytes, want %d", len(proxyKey), ed25519.PublicKeySize)
	}
	if p.Op != op {
		return fmt.Errorf("verifying payment: got op %v, want %v: %w", p.Op, op, ErrWrongOp)
	}
	if !isStd(p.Target) || !isStd(target) || !p.Target.Equals(target) {
		return fmt.Errorf("verifying payment: got target %v, want %v: %w", p.Target, target, ErrWrongTarget)
	}
	payload, err := p.PayloadCell()
	if err != nil {
		return fmt.Errorf("verifying payment: %w", err)
	}
	if !ed25519.Verify(proxyKey, payload.Hash(), p.Signature[:]) {
		return fmt.Errorf("verifying %v payment of %d tokens: %w", p.Op, p.Tokens, ErrBadSignature)
	}
	return nil
}
