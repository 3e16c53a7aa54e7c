package rootadmin

import (
	"context"
	"crypto/ed25519"
	"errors"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// The kinds of wallet that can sign for a root's owner.
const (
	// KindV5R1 is a standard wallet v5r1.
	KindV5R1 = "v5r1"
	// KindCocoon is a cocoon wallet, the nodes' hot wallet.
	KindCocoon = "cocoon"
)

// CocoonWalletMinimum is the balance below which a cocoon wallet refuses
// every external (exit code 1035, before it accepts the message).
const CocoonWalletMinimum = 2 * billing.TON

// Wallet is the root owner's wallet: its address, the balance below which
// it refuses to send, and how it sends one transfer.
type Wallet struct {
	kind    string
	addr    *address.Address
	minimum billing.NanoTON
	send    func(ctx context.Context, chain ton.Chain, t ton.Transfer) error
}

// NewV5R1Wallet returns the v5r1 wallet of key on workchain 0 with the
// network id networkID (-239 mainnet, -3 testnet).
func NewV5R1Wallet(key ed25519.PrivateKey, networkID int32) (*Wallet, error) {
	w, err := ton.NewV5R1(key, networkID)
	if err != nil {
		return nil, err
	}
	return &Wallet{kind: KindV5R1, addr: w.Address(), send: func(ctx context.Context, c ton.Chain, t ton.Transfer) error {
		return w.Send(ctx, c, t)
	}}, nil
}

// NewCocoonWallet returns the cocoon wallet of key owned by owner, with
// the wallet code built into the binary. Its externals are valid for an
// hour of chain time.
func NewCocoonWallet(key ed25519.PrivateKey, owner *address.Address) (*Wallet, error) {
	if owner == nil {
		return nil, errors.New("opening a cocoon wallet: it needs its owner's address")
	}
	w, err := ton.NewBuiltinCocoonWallet(key, owner)
	if err != nil {
		return nil, err
	}
	return &Wallet{kind: KindCocoon, addr: w.Address(), minimum: CocoonWalletMinimum, send: func(ctx context.Context, c ton.Chain, t ton.Transfer) error {
		return w.Send(ctx, c, time.Hour, t)
	}}, nil
}

// Kind is KindV5R1 or KindCocoon.
func (w *Wallet) Kind() string { return w.kind }

// Address returns the wallet's address.
func (w *Wallet) Address() *address.Address { return w.addr }

// Send has the wallet send t on chain; it returns once the external is
// submitted (applied, on the emulated chain).
func (w *Wallet) Send(ctx context.Context, chain ton.Chain, t ton.Transfer) error {
	return w.send(ctx, chain, t)
}
