package rootadmin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// Owner sends the root owner's operations to a root from the owner's
// wallet and waits for the root to run them.
type Owner struct {
	Chain  ton.Chain
	Root   *address.Address
	Wallet *Wallet
	// Amount is the TON attached to each operation; the root returns
	// what it does not spend.
	Amount billing.NanoTON
	// Poll is how often to look for the root's transaction; zero means
	// the chain applies a message before SendExternal returns (the
	// emulated chain), so one look decides.
	Poll time.Duration
	// Log receives the chain errors a wait rides over; nil discards.
	Log *slog.Logger
}

// Build builds the body of an operation for a query id from the root's
// configuration before it.
type Build func(queryID uint64, before contracts.RootConfig) (*cell.Cell, error)

// Result is an operation the root ran: its transaction and the root's
// configuration before and after it.
type Result struct {
	Tx            ton.Tx
	Before, After contracts.RootConfig
}

// Run has the owner's wallet send the operation name that build builds to
// the root and waits for the root's transaction. It refuses early when
// the wallet cannot pay for it, and fails with the root's exit code
// explained when the root refuses it.
func (o Owner) Run(ctx context.Context, name string, build Build) (Result, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	acc, err := o.Chain.Account(ctx, o.Root)
	if err != nil {
		return Result{}, fmt.Errorf("reading root %s: %w", o.Root, err)
	}
	if acc.Status != ton.StatusActive {
		return Result{}, fmt.Errorf("reading root %s: the account is %s, not a deployed root", o.Root, acc.Status)
	}
	before, err := contracts.ParseRootConfig(acc.Data)
	if err != nil {
		return Result{}, fmt.Errorf("reading root %s: %w", o.Root, err)
	}
	if err := o.checkFunds(ctx); err != nil {
		return Result{}, err
	}
	queryID := rand.Uint64()
	body, err := build(queryID, before)
	if err != nil {
		return Result{}, err
	}
	bs, err := body.BeginParse()
	if err != nil {
		return Result{}, fmt.Errorf("building %s: %w", name, err)
	}
	op, err := bs.LoadUInt(32)
	if err != nil {
		return Result{}, fmt.Errorf("building %s: %w", name, err)
	}
	w := o.Wallet
	t := ton.Transfer{To: o.Root, Amount: o.Amount, Bounce: true, Body: body, Mode: ton.ModePayFeesSeparately}
	if err := w.Send(ctx, o.Chain, t); err != nil {
		return Result{}, fmt.Errorf("sending %s from %s wallet %s: %w", name, w.kind, w.addr, err)
	}
	tx, err := awaitRootTx(ctx, o.Chain, o.Root, w.addr, acc.LastLT, contracts.Op(op), queryID, o.Poll, log)
	if err != nil {
		return Result{}, fmt.Errorf("waiting for the root to run %s: %w", name, err)
	}
	if err := outcome(tx, name, w.addr, before.Owner); err != nil {
		return Result{}, err
	}
	after, err := ton.ReadRootConfig(ctx, o.Chain, o.Root)
	if err != nil {
		return Result{}, fmt.Errorf("reading root %s after %s: %w", o.Root, name, err)
	}
	return Result{Tx: tx, Before: before, After: after}, nil
}

// checkFunds refuses early when the wallet cannot pay for the message: the
// wallet would only drop it, and on a real chain that shows as a timeout.
func (o Owner) checkFunds(ctx context.Context) error {
	w := o.Wallet
	acc, err := o.Chain.Account(ctx, w.addr)
	if errors.Is(err, ton.ErrNotFound) {
		return fmt.Errorf("owner %s wallet %s does not exist on the chain: fund it first", w.kind, w.addr)
	}
	if err != nil {
		return fmt.Errorf("reading owner wallet %s: %w", w.addr, err)
	}
	if need := o.Amount + w.minimum; acc.Balance <= need {
		return fmt.Errorf("owner %s wallet %s holds %s TON, not more than the %s TON it needs to send this: fund it first", w.kind, w.addr, acc.Balance, need)
	}
	return nil
}

// ErrNoRootTx reports that the root shows no transaction for the message.
var ErrNoRootTx = errors.New("the root has no transaction for the message")

// txPage is how many transactions one listing asks for.
const txPage = 100

// awaitRootTx finds the root's transaction after afterLT whose inbound
// message came from the wallet with op and queryID. With poll zero the
// chain has already applied everything, so one scan decides; otherwise
// it polls until ctx ends, logging the chain errors it rides over.
func awaitRootTx(ctx context.Context, chain ton.Chain, root, from *address.Address, afterLT uint64, op contracts.Op, queryID uint64, poll time.Duration, log *slog.Logger) (ton.Tx, error) {
	for {
		txs, err := chain.Transactions(ctx, root, afterLT, txPage)
		if err != nil {
			if ctx.Err() != nil || poll == 0 {
				return ton.Tx{}, fmt.Errorf("listing the root's transactions: %w", err)
			}
			log.Warn("listing the root's transactions", "root", root.String(), "error", err)
		}
		for _, tx := range txs {
			if answers(tx, from, op, queryID) {
				return tx, nil
			}
			afterLT = tx.LT
		}
		if len(txs) == txPage {
			continue
		}
		if poll == 0 {
			return ton.Tx{}, fmt.Errorf("%w: the wallet sent nothing (too little balance, or the wrong --wallet?)", ErrNoRootTx)
		}
		timer := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ton.Tx{}, fmt.Errorf("%w yet (%w): the wallet may have dropped the external (wrong key or --wallet, or a concurrent send)", ErrNoRootTx, ctx.Err())
		case <-timer.C:
		}
	}
}

// answers reports whether tx's inbound message is an internal one from
// the wallet whose body starts with op and queryID.
func answers(tx ton.Tx, from *address.Address, op contracts.Op, queryID uint64) bool {
	if tx.In == nil || tx.In.Kind != ton.Internal || tx.In.Src == nil || !tx.In.Src.Equals(from) || tx.In.Body == nil {
		return false
	}
	s, err := tx.In.Body.BeginParse()
	if err != nil {
		return false
	}
	gotOp, err := s.LoadUInt(32)
	if err != nil || contracts.Op(gotOp) != op {
		return false
	}
	gotQuery, err := s.LoadUInt(64)
	return err == nil && gotQuery == queryID
}

// outcome turns the root's transaction of the operation name, sent from
// the wallet from to the root owned by owner, into nil or a clear error.
func outcome(tx ton.Tx, name string, from, owner *address.Address) error {
	if tx.Success {
		return nil
	}
	if tx.Skipped {
		return fmt.Errorf("root did not run %s (transaction lt %d): its compute phase was skipped; attach more --amount", name, tx.LT)
	}
	if tx.ExitCode == 0 || tx.ExitCode == 1 {
		return fmt.Errorf("root ran %s but its action phase failed (transaction lt %d)", name, tx.LT)
	}
	code := contracts.ExitCode(tx.ExitCode)
	why := code.ExplainRoot()
	if code == contracts.ExitExpectedMessageFromOwner && owner != nil {
		why += fmt.Sprintf(" (wallet %s, owner %s)", from, owner)
	}
	return fmt.Errorf("root refused %s (transaction lt %d): exit code %d, %s", name, tx.LT, tx.ExitCode, why)
}
