package contracts

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
)

// Contract states shared by proxy, client and worker contracts.
const (
	StateNormal  uint8 = 0
	StateClosing uint8 = 1
	StateClosed  uint8 = 2
)

// ProxyData is a proxy contract's storage: owner, public key, root
// address, state, balance, stake, unlock_ts and a ref to its params.
type ProxyData struct {
	Owner     *address.Address
	PublicKey ed25519.PublicKey
	Root      *address.Address
	State     uint8
	Balance   billing.NanoTON
	Stake     billing.NanoTON
	UnlockTS  uint32
	Params    Params
}

// NewProxyData returns the initial data of a proxy contract deployed under
// a root with the given params (stake 0, as the C++ runner deploys it).
func NewProxyData(owner, root *address.Address, key ed25519.PublicKey, rootParams Params) ProxyData {
	return ProxyData{Owner: owner, PublicKey: key, Root: root, Params: rootParams.ForProxy()}
}

// Cell encodes the proxy data.
func (d ProxyData) Cell() (*cell.Cell, error) {
	params, err := d.Params.Cell()
	if err != nil {
		return nil, fmt.Errorf("encoding proxy data: %w", err)
	}
	b := cell.BeginCell()
	w := writer{b: b}
	w.addr(d.Owner)
	w.key(d.PublicKey)
	w.addr(d.Root)
	w.uint(uint64(d.State), 2)
	w.coins(d.Balance)
	w.coins(d.Stake)
	w.uint(uint64(d.UnlockTS), 32)
	w.ref(params)
	if w.err != nil {
		return nil, fmt.Errorf("encoding proxy data: %w", w.err)
	}
	return b.EndCell(), nil
}

// ParseProxyData reads a proxy contract's data cell.
func ParseProxyData(c *cell.Cell) (ProxyData, error) {
	var d ProxyData
	err := parseCell(c, func(r *reader) {
		d.Owner = r.addr()
		d.PublicKey = r.key()
		d.Root = r.addr()
		d.State = uint8(r.uint(2))
		d.Balance = r.coins()
		d.Stake = r.coins()
		d.UnlockTS = uint32(r.uint(32))
		d.Params = r.params()
	})
	if err != nil {
		return ProxyData{}, fmt.Errorf("reading proxy data: %w", err)
	}
	return d, nil
}

// ClientData is a client contract's storage: state, balance, stake,
// tokens used, unlock_ts, secret hash, a ref to (owner, proxy, proxy key)
// and a ref to its params.
type ClientData struct {
	State          uint8
	Balance        billing.NanoTON
	Stake          billing.NanoTON
	TokensUsed     uint64
	UnlockTS       uint32
	SecretHash     Hash
	Owner          *address.Address
	Proxy          *address.Address
	ProxyPublicKey ed25519.PublicKey
	Params         Params
}

// NewClientData returns the initial data of the client contract of owner
// at the proxy contract proxyAddr whose storage is proxy.
func NewClientData(owner, proxyAddr *address.Address, proxy ProxyData) ClientData {
	return ClientData{
		Stake:          proxy.Params.MinClientStake,
		Owner:          owner,
		Proxy:          proxyAddr,
		ProxyPublicKey: proxy.PublicKey,
		Params:         proxy.Params.WithoutCode(),
	}
}

// Cell encodes the client data.
func (d ClientData) Cell() (*cell.Cell, error) {
	params, err := d.Params.Cell()
	if err != nil {
		return nil, fmt.Errorf("encoding client data: %w", err)
	}
	cb := cell.BeginCell()
	cw := writer{b: cb}
	cw.addr(d.Owner)
	cw.addr(d.Proxy)
	cw.key(d.ProxyPublicKey)
	if cw.err != nil {
		return nil, fmt.Errorf("encoding client data: %w", cw.err)
	}
	b := cell.BeginCell()
	w := writer{b: b}
	w.uint(uint64(d.State), 2)
	w.coins(d.Balance)
	w.coins(d.Stake)
	w.uint(d.TokensUsed, 64)
	w.uint(uint64(d.UnlockTS), 32)
	w.slice(d.SecretHash[:], 256)
	w.ref(cb.EndCell())
	w.ref(params)
	if w.err != nil {
		return nil, fmt.Errorf("encoding client data: %w", w.err)
	}
	return b.EndCell(), nil
}

// ParseClientData reads a client contract's data cell.
func ParseClientData(c *cell.Cell) (ClientData, error) {
	var d ClientData
	err := parseCell(c, func(r *reader) {
		d.State = uint8(r.uint(2))
		d.Balance = r.coins()
		d.Stake = r.coins()
		d.TokensUsed = r.uint(64)
		d.UnlockTS = uint32(r.uint(32))
		copy(d.SecretHash[:], r.bytes(32))
		constCell := r.ref()
		d.Params = r.params()
		if r.err != nil {
			return
		}
		r.err = parseCell(constCell, func(cr *reader) {
			d.Owner = cr.addr()
			d.Proxy = cr.addr()
			d.ProxyPublicKey = cr.key()
		})
	})
	if err != nil {
		return ClientData{}, fmt.Errorf("reading client data: %w", err)
	}
	return d, nil
}

// WorkerData is a worker contract's storage: owner, proxy, proxy key,
// state, tokens and a ref to its params.
type WorkerData struct {
	Owner          *address.Address
	Proxy          *address.Address
	ProxyPublicKey ed25519.PublicKey
	State          uint8
	Tokens         uint64
	Params         Params
}

// NewWorkerData returns the initial data of the worker contract of owner
// at the proxy contract proxyAddr whose storage is proxy.
func NewWorkerData(owner, proxyAddr *address.Address, proxy ProxyData) WorkerData {
	return WorkerData{
		Owner:          owner,
		Proxy:          proxyAddr,
		ProxyPublicKey: proxy.PublicKey,
		Params:         proxy.Params.WithoutCode(),
	}
}

// Cell encodes the worker data.
func (d WorkerData) Cell() (*cell.Cell, error) {
	params, err := d.Params.Cell()
	if err != nil {
		return nil, fmt.Errorf("encoding worker data: %w", err)
	}
	b := cell.BeginCell()
	w := writer{b: b}
	w.addr(d.Owner)
	w.addr(d.Proxy)
	w.key(d.ProxyPublicKey)
	w.uint(uint64(d.State), 2)
	w.uint(d.Tokens, 64)
	w.ref(params)
	if w.err != nil {
		return nil, fmt.Errorf("encoding worker data: %w", w.err)
	}
	return b.EndCell(), nil
}

// ParseWorkerData reads a worker contract's data cell.
func ParseWorkerData(c *cell.Cell) (WorkerData, error) {
	var d WorkerData
	err := parseCell(c, func(r *reader) {
		d.Owner = r.addr()
		d.Proxy = r.addr()
		d.ProxyPublicKey = r.key()
		d.State = uint8(r.uint(2))
		d.Tokens = r.uint(64)
		d.Params = r.params()
	})
	if err != nil {
		return WorkerData{}, fmt.Errorf("reading worker data: %w", err)
	}
	return d, nil
}

// WalletData is the cocoon wallet's storage: seqno, subwallet id, public
// key, status (bit 0: blocked) and owner, in one cell without refs.
type WalletData struct {
	Seqno     uint32
	Subwallet uint32
	PublicKey ed25519.PublicKey
	Status    uint32
	Owner     *address.Address
}

// Cell encodes the wallet data.
func (d WalletData) Cell() (*cell.Cell, error) {
	b := cell.BeginCell()
	w := writer{b: b}
	w.uint(uint64(d.Seqno), 32)
	w.uint(uint64(d.Subwallet), 32)
	w.key(d.PublicKey)
	w.uint(uint64(d.Status), 32)
	w.addr(d.Owner)
	if w.err != nil {
		return nil, fmt.Errorf("encoding wallet data: %w", w.err)
	}
	return b.EndCell(), nil
}

// ParseWalletData reads a cocoon wallet's data cell.
func ParseWalletData(c *cell.Cell) (WalletData, error) {
	var d WalletData
	err := parseCell(c, func(r *reader) {
		d.Seqno = uint32(r.uint(32))
		d.Subwallet = uint32(r.uint(32))
		d.PublicKey = r.key()
		d.Status = uint32(r.uint(32))
		d.Owner = r.addr()
	})
	if err != nil {
		return WalletData{}, fmt.Errorf("reading wallet data: %w", err)
	}
	return d, nil
}

// MaxWalletMessages is how many messages one cocoon-wallet external
// carries at most.
const MaxWalletMessages = 4

// WalletMessage is one message of a cocoon-wallet external: the internal
// message cell (its source addr_none: the wallet fills it in) and the
// mode the wallet sends it with.
type WalletMessage struct {
	Mode    uint8
	Message *cell.Cell
}

// WalletExternalBody builds the body of an external to a cocoon wallet:
// the signature by key over the hash of the signed part (the wallet's
// subwallet id, valid_until, seqno and each message's mode and
// reference), then that part.
func WalletExternalBody(key ed25519.PrivateKey, subwallet, seqno uint32, validUntil time.Time, msgs ...WalletMessage) (*cell.Cell, error) {
	if len(msgs) > MaxWalletMessages {
		return nil, fmt.Errorf("building wallet external: %d messages, at most %d", len(msgs), MaxWalletMessages)
	}
	signed := cell.BeginCell()
	sw := writer{b: signed}
	sw.uint(uint64(subwallet), 32)
	sw.uint(uint64(validUntil.Unix()), 32)
	sw.uint(uint64(seqno), 32)
	for _, m := range msgs {
		sw.uint(uint64(m.Mode), 8)
		sw.ref(m.Message)
	}
	if sw.err != nil {
		return nil, fmt.Errorf("building wallet external: %w", sw.err)
	}
	part := signed.EndCell()
	body := cell.BeginCell().MustStoreSlice(part.Sign(key), 512)
	if err := body.StoreBuilder(part.ToBuilder()); err != nil {
		return nil, fmt.Errorf("building wallet external: %w", err)
	}
	return body.EndCell(), nil
}

// parseCell parses a whole cell with fn and requires it to end.
func parseCell(c *cell.Cell, fn func(r *reader)) error {
	if c == nil {
		return errors.New("no cell")
	}
	s, err := c.BeginParse()
	if err != nil {
		return err
	}
	r := reader{s: s}
	fn(&r)
	if r.err != nil {
		return r.err
	}
	return ended(s)
}

func (r *reader) addr() *address.Address {
	if r.err != nil {
		return nil
	}
	a, err := r.s.LoadAddr()
	if err != nil {
		r.err = fmt.Errorf("reading address: %w", err)
	}
	return a
}

func (r *reader) key() ed25519.PublicKey {
	b := r.bytes(32)
	if r.err != nil {
		return nil
	}
	return ed25519.PublicKey(b)
}

func (r *reader) params() Params {
	c := r.ref()
	if r.err != nil {
		return Params{}
	}
	p, err := ParseParams(c)
	if err != nil {
		r.err = err
	}
	return p
}

func (w *writer) addr(a *address.Address) {
	if w.err == nil {
		w.err = w.b.StoreAddr(a)
	}
}

func (w *writer) key(k ed25519.PublicKey) {
	if w.err != nil {
		return
	}
	if len(k) != ed25519.PublicKeySize {
		w.err = fmt.Errorf("public key of %d bytes, want %d", len(k), ed25519.PublicKeySize)
		return
	}
	w.slice(k, 256)
}
