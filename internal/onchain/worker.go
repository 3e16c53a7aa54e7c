package onchain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"

	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// WorkerConfig configures a Worker.
type WorkerConfig struct {
	// Chain is the TON chain; Root the network's root contract.
	Chain ton.Chain
	Root  *address.Address
	// Wallet is the worker's cocoon wallet, which relays payouts.
	Wallet *Wallet
	// Owner is the worker contracts' owner, to whom payouts go.
	Owner *address.Address
	// Logger; nil discards.
	Logger *slog.Logger
}

// Worker is one worker's view of TON (worker.Chain): its contract at each
// proxy, to which its wallet relays the proxy's signed payouts.
type Worker struct {
	net    *network
	wallet *Wallet
	owner  *address.Address
	log    *slog.Logger
}

var _ worker.Chain = (*Worker)(nil)

// NewWorker returns the worker adapter for cfg.
func NewWorker(cfg WorkerConfig) (*Worker, error) {
	if cfg.Wallet == nil {
		return nil, errors.New("creating worker chain adapter: no wallet")
	}
	if cfg.Owner == nil {
		return nil, errors.New("creating worker chain adapter: no owner address")
	}
	n, err := newNetwork(cfg.Chain, cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("creating worker chain adapter: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Worker{net: n, wallet: cfg.Wallet, owner: cfg.Owner, log: cfg.Logger.With("component", "onchain-worker")}, nil
}

// Address returns this worker's contract at the proxy p (deployed or not).
func (w *Worker) Address(ctx context.Context, p worker.ProxyID) (*address.Address, error) {
	addr, _, _, err := w.contract(ctx, p)
	return addr, err
}

// contract derives the worker's contract at p: its address, its
// StateInit and the proxy it belongs to.
func (w *Worker) contract(ctx context.Context, p worker.ProxyID) (*address.Address, *tlb.StateInit, proxyInfo, error) {
	info, err := w.net.proxy(ctx, p.Owner, p.Key, p.Contract)
	if err != nil {
		return nil, nil, proxyInfo{}, fmt.Errorf("deriving worker contract: %w", err)
	}
	if info.data.Params.WorkerCode == nil {
		return nil, nil, proxyInfo{}, errors.New("deriving worker contract: the proxy's params carry no worker code")
	}
	addr, init, err := contracts.WorkerInit(w.owner, info.addr, info.data)
	if err != nil {
		return nil, nil, proxyInfo{}, fmt.Errorf("deriving worker contract: %w", err)
	}
	return addr, init, info, nil
}

// Contract reads this worker's contract at p.
func (w *Worker) Contract(ctx context.Context, p worker.ProxyID) (worker.WorkerContract, error) {
	addr, _, info, err := w.contract(ctx, p)
	if err != nil {
		return worker.WorkerContract{}, err
	}
	d, err := readWorker(ctx, w.net.chain, addr)
	if errors.Is(err, ton.ErrNotFound) {
		undeployed := worker.WorkerContract{Address: addr, FeePerToken: info.data.Params.WorkerFeePerToken}
		return undeployed, fmt.Errorf("reading worker contract %s: %w", addr, worker.ErrNoContract)
	}
	if err != nil {
		return worker.WorkerContract{}, err
	}
	if d.Tokens > math.MaxInt64 {
		return worker.WorkerContract{}, fmt.Errorf("reading worker contract %s: token count %d beyond int64", addr, d.Tokens)
	}
	return worker.WorkerContract{State: int(d.State), Tokens: int64(d.Tokens), Address: addr, FeePerToken: d.Params.WorkerFeePerToken}, nil
}

// Payout relays the proxy's signed payout (or last payout) to this
// worker's contract at p with PayoutGas, deploying the contract in the
// same message when it is not active yet.
func (w *Worker) Payout(ctx context.Context, p worker.ProxyID, signed []byte) error {
	addr, init, info, err := w.contract(ctx, p)
	if err != nil {
		return err
	}
	pay, err := payment.Parse(signed)
	if err != nil {
		return fmt.Errorf("relaying a payout to %s: %w", addr, err)
	}
	op := payment.OpWorkerPayout
	if pay.Op == payment.OpWorkerLastPayout {
		op = payment.OpWorkerLastPayout
	}
	if err := pay.Verify(info.data.PublicKey, op, addr); err != nil {
		return fmt.Errorf("relaying a payout to %s: %w", addr, err)
	}
	return relayPayout(ctx, w.net.chain, w.wallet, w.log, "relaying a payout", "payout relayed", pay, addr, init)
}
