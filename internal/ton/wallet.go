package ton

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
)

// Send modes used with Transfer.Mode.
const (
	// ModePayFeesSeparately pays forwarding fees on top of the value.
	ModePayFeesSeparately uint8 = 1
	// ModeIgnoreErrors skips a message that cannot be sent instead of
	// failing the action phase.
	ModeIgnoreErrors uint8 = 2
)

// Transfer is one internal message a wallet sends.
type Transfer struct {
	To     *address.Address
	Amount billing.NanoTON
	// Bounce asks for the value back if the destination fails.
	Bounce bool
	// Body may be nil for an empty body.
	Body *cell.Cell
	// StateInit deploys the destination; nil for none.
	StateInit *tlb.StateInit
	// Mode is the send mode (see ModePayFeesSeparately).
	Mode uint8
}

func (t Transfer) internal() (*tlb.InternalMessage, error) {
	if t.To == nil {
		return nil, errors.New("transfer without destination")
	}
	amount, err := Coins(t.Amount)
	if err != nil {
		return nil, err
	}
	body := t.Body
	if body == nil {
		body = cell.BeginCell().EndCell()
	}
	return &tlb.InternalMessage{
		IHRDisabled: true,
		Bounce:      t.Bounce,
		SrcAddr:     address.NewAddressNone(),
		DstAddr:     t.To,
		Amount:      amount,
		StateInit:   t.StateInit,
		Body:        body,
	}, nil
}

// Cell encodes the transfer as an internal message cell (source
// addr_none: the sending contract fills it in).
func (t Transfer) Cell() (*cell.Cell, error) {
	m, err := t.internal()
	if err != nil {
		return nil, fmt.Errorf("encoding transfer: %w", err)
	}
	c, err := tlb.ToCell(m)
	if err != nil {
		return nil, fmt.Errorf("encoding transfer: %w", err)
	}
	return c, nil
}

// CocoonWallet signs externals for a cocoon wallet contract (the node's hot
// wallet: a seqno wallet whose owner can block and sweep it).
type CocoonWallet struct {
	key       ed25519.PrivateKey
	owner     *address.Address
	subwallet uint32
	code      *cell.Cell
	data      *cell.Cell
	addr      *address.Address
}

// NewBuiltinCocoonWallet returns the cocoon wallet with the code built
// into the binary (contracts.Wallet) for key, owned by owner (subwallet
// 0).
func NewBuiltinCocoonWallet(key ed25519.PrivateKey, owner *address.Address) (*CocoonWallet, error) {
	code, err := contracts.Code(contracts.Wallet)
	if err != nil {
		return nil, err
	}
	return NewCocoonWallet(code, key, owner)
}

// NewCocoonWallet returns the cocoon wallet with the given code for key,
// owned by owner (subwallet 0).
func NewCocoonWallet(code *cell.Cell, key ed25519.PrivateKey, owner *address.Address) (*CocoonWallet, error) {
	return NewCocoonSubwallet(code, key, owner, 0)
}

// NewCocoonSubwallet returns the cocoon wallet with the given code for
// key, owned by owner, with subwallet id subwallet: the same key and owner
// give another wallet, at another address, for every id.
func NewCocoonSubwallet(code *cell.Cell, key ed25519.PrivateKey, owner *address.Address, subwallet uint32) (*CocoonWallet, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("wallet key of %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	data, err := contracts.WalletData{Subwallet: subwallet, PublicKey: key.Public().(ed25519.PublicKey), Owner: owner}.Cell()
	if err != nil {
		return nil, err
	}
	addr, err := contracts.AddressOf(code, data)
	if err != nil {
		return nil, err
	}
	return &CocoonWallet{key: key, owner: owner, subwallet: subwallet, code: code, data: data, addr: addr}, nil
}

// Subwallet returns the wallet of the same code, key and owner with
// subwallet id id.
func (w *CocoonWallet) Subwallet(id uint32) (*CocoonWallet, error) {
	return NewCocoonSubwallet(w.code, w.key, w.owner, id)
}

// Address returns the wallet's address.
func (w *CocoonWallet) Address() *address.Address { return w.addr }

// StateInit returns the wallet's initial state.
func (w *CocoonWallet) StateInit() *tlb.StateInit { return contracts.StateInit(w.code, w.data) }

// External builds a signed external carrying up to
// contracts.MaxWalletMessages transfers. With seqno 0 it also carries the
// wallet's StateInit, deploying it.
func (w *CocoonWallet) External(seqno uint32, validUntil time.Time, msgs ...Transfer) (*tlb.ExternalMessage, error) {
	list := make([]contracts.WalletMessage, len(msgs))
	for i, m := range msgs {
		c, err := m.Cell()
		if err != nil {
			return nil, fmt.Errorf("building wallet external: message %d: %w", i, err)
		}
		list[i] = contracts.WalletMessage{Mode: m.Mode, Message: c}
	}
	body, err := contracts.WalletExternalBody(w.key, w.subwallet, seqno, validUntil, list...)
	if err != nil {
		return nil, err
	}
	ext := &tlb.ExternalMessage{SrcAddr: address.NewAddressNone(), DstAddr: w.addr, Body: body}
	if seqno == 0 {
		ext.StateInit = w.StateInit()
	}
	return ext, nil
}

// Send reads the wallet's seqno from chain and sends one external with
// msgs, valid for validFor from the chain's time.
func (w *CocoonWallet) Send(ctx context.Context, chain Chain, validFor time.Duration, msgs ...Transfer) error {
	seqno := uint32(0)
	acc, err := chain.Account(ctx, w.addr)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return fmt.Errorf("reading wallet %s: %w", w.addr, err)
	case acc.Status == StatusActive:
		d, err := contracts.ParseWalletData(acc.Data)
		if err != nil {
			return fmt.Errorf("reading wallet %s: %w", w.addr, err)
		}
		seqno = d.Seqno
	}
	now, err := chain.Now(ctx)
	if err != nil {
		return fmt.Errorf("reading chain time: %w", err)
	}
	ext, err := w.External(seqno, now.Add(validFor), msgs...)
	if err != nil {
		return err
	}
	if err := chain.SendExternal(ctx, ext); err != nil {
		return fmt.Errorf("sending wallet external: %w", err)
	}
	return nil
}

// V5Wallet signs externals for a standard wallet v5r1 through tonutils-go's
// wallet package.
type V5Wallet struct {
	w *wallet.Wallet
	// mu serializes External: the wallet spec holds the seqno source.
	mu sync.Mutex
}

// NewV5R1 returns the v5r1 wallet of key on workchain 0 with the given
// network id (-239 mainnet, -3 testnet; the emulated chain accepts any).
func NewV5R1(key ed25519.PrivateKey, networkID int32) (*V5Wallet, error) {
	w, err := wallet.FromPrivateKeyWithOptions(key, wallet.ConfigV5R1Final{NetworkGlobalID: networkID, Workchain: 0})
	if err != nil {
		return nil, fmt.Errorf("creating v5r1 wallet: %w", err)
	}
	spec, ok := w.GetSpec().(*wallet.SpecV5R1Final)
	if !ok {
		return nil, fmt.Errorf("creating v5r1 wallet: unexpected spec %T", w.GetSpec())
	}
	spec.SetMessagesTTL(3600)
	return &V5Wallet{w: w}, nil
}

// Address returns the wallet's address.
func (v *V5Wallet) Address() *address.Address { return v.w.WalletAddress() }

// External builds a signed external with seqno. With seqno 0 it carries
// the wallet's StateInit. It is valid for an hour of wall-clock time.
// Every mode gets ModeIgnoreErrors added: v5r1 refuses (exit code 137)
// external sends without it.
func (v *V5Wallet) External(ctx context.Context, seqno uint32, msgs ...Transfer) (*tlb.ExternalMessage, error) {
	list := make([]*wallet.Message, 0, len(msgs))
	for i, m := range msgs {
		im, err := m.internal()
		if err != nil {
			return nil, fmt.Errorf("building v5r1 external: message %d: %w", i, err)
		}
		list = append(list, &wallet.Message{Mode: m.Mode | ModeIgnoreErrors, InternalMessage: im})
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.w.GetSpec().(*wallet.SpecV5R1Final).SetSeqnoFetcher(func(context.Context, uint32) (uint32, error) { return seqno, nil })
	ext, err := v.w.PrepareExternalMessageForMany(ctx, seqno == 0, list)
	if err != nil {
		return nil, fmt.Errorf("building v5r1 external: %w", err)
	}
	return ext, nil
}

// Send reads the wallet's seqno from chain and sends one external.
func (v *V5Wallet) Send(ctx context.Context, chain Chain, msgs ...Transfer) error {
	seqno := uint32(0)
	acc, err := chain.Account(ctx, v.Address())
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return fmt.Errorf("reading wallet %s: %w", v.Address(), err)
	case acc.Status == StatusActive:
		res, err := chain.RunGetMethod(ctx, v.Address(), "seqno")
		if err != nil {
			return fmt.Errorf("reading wallet seqno: %w", err)
		}
		n, err := IntResult(res, 0)
		if err != nil {
			return fmt.Errorf("reading wallet seqno: %w", err)
		}
		seqno = uint32(n.Uint64())
	}
	ext, err := v.External(ctx, seqno, msgs...)
	if err != nil {
		return err
	}
	if err := chain.SendExternal(ctx, ext); err != nil {
		return fmt.Errorf("sending v5r1 external: %w", err)
	}
	return nil
}
