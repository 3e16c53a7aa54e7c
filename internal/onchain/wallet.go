package onchain

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// WalletMinimum is the balance below which the cocoon wallet refuses every
// external (exit 1035, checked before it accepts the message); a send
// needs it on top of the value it carries.
const WalletMinimum = 2 * billing.TON

// Defaults of a wallet's timing, near the reference's (an external valid
// for an hour, a batch resent every 30 s until it lands).
const (
	// DefaultPoll is how often a send checks whether the wallet's seqno
	// advanced, and how often awaited contract states are read.
	DefaultPoll = 2 * time.Second
	// DefaultResend is after how long an external that is still not
	// included is sent again.
	DefaultResend = 30 * time.Second
	// externalTTL is how long a signed external stays valid.
	externalTTL = time.Hour
)

// ErrInsufficientFunds reports a wallet that cannot pay for a send.
var ErrInsufficientFunds = errors.New("wallet has insufficient funds")

// Wallet is one node's cocoon wallet on a chain. Sends are serialised: one
// external is in flight at a time.
type Wallet struct {
	chain  ton.Chain
	w      *ton.CocoonWallet
	base   *slog.Logger // the logger given, for subwallets
	log    *slog.Logger
	poll   time.Duration
	resend time.Duration

	// mu is held for a whole Send, so that one external is in flight.
	mu sync.Mutex
}

// WalletOptions tune a Wallet; the zero value uses the defaults.
type WalletOptions struct {
	// Poll is how often a send checks for its inclusion (DefaultPoll).
	Poll time.Duration
	// Resend is after how long a send not yet included is repeated
	// (DefaultResend).
	Resend time.Duration
	// Logger receives resends and waits; nil discards.
	Logger *slog.Logger
}

// NewWallet returns the cocoon wallet of key owned by owner (the owner can
// block it, unblock it and sweep all but 0.01 TON to itself) on chain.
func NewWallet(chain ton.Chain, key ed25519.PrivateKey, owner *address.Address, opts WalletOptions) (*Wallet, error) {
	if chain == nil {
		return nil, errors.New("creating cocoon wallet: no chain")
	}
	w, err := ton.NewBuiltinCocoonWallet(key, owner)
	if err != nil {
		return nil, fmt.Errorf("creating cocoon wallet: %w", err)
	}
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Resend <= 0 {
		opts.Resend = DefaultResend
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return newWallet(chain, w, opts), nil
}

func newWallet(chain ton.Chain, w *ton.CocoonWallet, opts WalletOptions) *Wallet {
	return &Wallet{chain: chain, w: w, base: opts.Logger, log: opts.Logger.With("component", "wallet", "wallet", w.Address().String()),
		poll: opts.Poll, resend: opts.Resend}
}

// Subwallet returns the cocoon wallet of the same key and owner with
// subwallet id id, at its own address, on the same chain with the same
// timing.
func (w *Wallet) Subwallet(id uint32) (*Wallet, error) {
	sw, err := w.w.Subwallet(id)
	if err != nil {
		return nil, fmt.Errorf("deriving cocoon subwallet %d: %w", id, err)
	}
	return newWallet(w.chain, sw, WalletOptions{Poll: w.poll, Resend: w.resend, Logger: w.base}), nil
}

// Address returns the wallet's address.
func (w *Wallet) Address() *address.Address { return w.w.Address() }

// Balance returns the wallet's balance (zero when the account does not
// exist yet).
func (w *Wallet) Balance(ctx context.Context) (billing.NanoTON, error) {
	acc, err := w.chain.Account(ctx, w.Address())
	if errors.Is(err, ton.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading wallet %s: %w", w.Address(), err)
	}
	return acc.Balance, nil
}

// Send sends msgs (at most contracts.MaxWalletMessages) in one external
// and returns once the wallet's seqno advanced, i.e. the wallet has sent
// them; their effects at the destinations may come later on a real chain.
// It refuses when the wallet holds less than WalletMinimum plus the
// value of msgs. An external not included within the resend interval is
// sent again, until it expires (an hour of chain time); ctx bounds the
// wait.
func (w *Wallet) Send(ctx context.Context, msgs ...ton.Transfer) error {
	if len(msgs) == 0 {
		return errors.New("sending from cocoon wallet: no messages")
	}
	var value billing.NanoTON
	for _, m := range msgs {
		if m.Amount < 0 {
			return fmt.Errorf("sending from cocoon wallet: negative amount %d", int64(m.Amount))
		}
		value += m.Amount
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	seqno, bal, err := w.state(ctx)
	if err != nil {
		return err
	}
	if need := WalletMinimum + value; bal < need {
		return fmt.Errorf("sending %s TON from cocoon wallet %s: it holds %s TON, needs at least %s: %w",
			value, w.Address(), bal, need, ErrInsufficientFunds)
	}
	now, err := w.chain.Now(ctx)
	if err != nil {
		return fmt.Errorf("reading chain time: %w", err)
	}
	validUntil := now.Add(externalTTL)
	ext, err := w.w.External(seqno, validUntil, msgs...)
	if err != nil {
		return err
	}
	if err := w.chain.SendExternal(ctx, ext); err != nil {
		return fmt.Errorf("sending wallet %s external with seqno %d: %w", w.Address(), seqno, err)
	}
	sent := time.Now()
	t := time.NewTicker(w.poll)
	defer t.Stop()
	for {
		cur, _, err := w.state(ctx)
		switch {
		case err != nil:
			w.log.Warn("reading wallet seqno", "error", err)
		case cur > seqno:
			return nil
		case time.Since(sent) >= w.resend:
			if now, err := w.chain.Now(ctx); err == nil && !now.Before(validUntil) {
				return fmt.Errorf("sending from wallet %s: the external with seqno %d expired at %v without being included", w.Address(), seqno, validUntil)
			}
			w.log.Info("external not included yet: sending again", "seqno", seqno)
			if err := w.chain.SendExternal(ctx, ext); err != nil {
				w.log.Warn("sending external again", "seqno", seqno, "error", err)
			}
			sent = time.Now()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for wallet %s to send seqno %d: %w", w.Address(), seqno, ctx.Err())
		case <-t.C:
		}
	}
}

// state reads the wallet's seqno (0 before deployment) and balance.
func (w *Wallet) state(ctx context.Context) (uint32, billing.NanoTON, error) {
	acc, err := w.chain.Account(ctx, w.Address())
	switch {
	case errors.Is(err, ton.ErrNotFound):
		return 0, 0, nil
	case err != nil:
		return 0, 0, fmt.Errorf("reading wallet %s: %w", w.Address(), err)
	case acc.Status != ton.StatusActive:
		return 0, acc.Balance, nil
	}
	d, err := contracts.ParseWalletData(acc.Data)
	if err != nil {
		return 0, 0, fmt.Errorf("reading wallet %s: %w", w.Address(), err)
	}
	return d.Seqno, acc.Balance, nil
}
