package ton

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
)

// ErrNotFound reports an account that does not exist on the chain (it has
// never received a message, or it was deleted).
var ErrNotFound = errors.New("account not found")

// ErrRejected reports an external message the destination contract did not
// accept (it threw before accepting, or the account cannot run it).
var ErrRejected = errors.New("external message rejected")

// Chain is what COCOON needs from a TON chain: read an account and run its
// get-methods, send an external message, and list an account's
// transactions. Both the emulated chain and the liteclient implement it.
type Chain interface {
	// Account returns the latest state of addr, or ErrNotFound.
	Account(ctx context.Context, addr *address.Address) (Account, error)
	// RunGetMethod runs a get-method of an active account on its latest
	// state. Arguments may be *big.Int, int64, uint64, *cell.Cell or
	// *cell.Slice; results are returned first-to-last as the method
	// returns them (integers as *big.Int, cells as *cell.Cell, slices as
	// *cell.Slice, tuples as []any, null as nil). A non-zero exit code is a
	// *ExitError; an absent account is ErrNotFound.
	RunGetMethod(ctx context.Context, addr *address.Address, method string, args ...any) ([]any, error)
	// SendExternal submits an inbound external message. The emulated chain
	// applies it and every message it causes before returning; a real
	// chain only queues it, and its effect shows later in Transactions.
	SendExternal(ctx context.Context, msg *tlb.ExternalMessage) error
	// Transactions returns the transactions of addr with a logical time
	// greater than afterLT, oldest first, at most limit of them (the
	// oldest ones; call again with the last LT to continue).
	Transactions(ctx context.Context, addr *address.Address, afterLT uint64, limit int) ([]Tx, error)
	// Now returns the chain's current time (the emulated clock, or the
	// time of the last masterchain block).
	Now(ctx context.Context) (time.Time, error)
}

// Status is the state of an account.
type Status string

// The account states that Account reports (nonexistent accounts are
// ErrNotFound instead).
const (
	StatusUninit Status = "uninit"
	StatusActive Status = "active"
	StatusFrozen Status = "frozen"
)

// Account is the state of one account.
type Account struct {
	Address *address.Address
	Status  Status
	Balance billing.NanoTON
	// Code and Data are nil unless the account is active.
	Code, Data *cell.Cell
	// LastLT and LastHash identify the account's last transaction.
	LastLT   uint64
	LastHash []byte
}

// CodeHash returns the representation hash of the code, or nil.
func (a Account) CodeHash() []byte {
	if a.Code == nil {
		return nil
	}
	return a.Code.Hash()
}

// DataHash returns the representation hash of the data, or nil.
func (a Account) DataHash() []byte {
	if a.Data == nil {
		return nil
	}
	return a.Data.Hash()
}

// Tx is one transaction of an account, reduced to what COCOON reads.
type Tx struct {
	LT       uint64
	Hash     []byte
	PrevLT   uint64
	PrevHash []byte
	Now      time.Time
	// In is the inbound message; nil for transactions without one.
	In *Message
	// Out are the messages the transaction sent, in creation order.
	Out []Message
	// Success is true when the compute phase ran and succeeded and the
	// action phase (if any) succeeded; Skipped when there was no compute
	// phase (for example a 1-nanoTON notice with no gas).
	Success, Skipped bool
	// ExitCode is the compute phase exit code (0 when skipped).
	ExitCode int32
	// TotalFees are the fees the account paid.
	TotalFees billing.NanoTON
	// Raw is the full parsed transaction.
	Raw *tlb.Transaction
}

// MessageKind is the kind of a message.
type MessageKind string

// Message kinds.
const (
	Internal    MessageKind = "internal"
	ExternalIn  MessageKind = "external-in"
	ExternalOut MessageKind = "external-out"
)

// Message is an inbound or outbound message of a transaction.
type Message struct {
	Kind MessageKind
	// Src and Dst are nil where the message kind has none.
	Src, Dst *address.Address
	// Value is zero for external messages.
	Value           billing.NanoTON
	Bounce, Bounced bool
	// Body is the message body (an empty cell when there is none).
	Body *cell.Cell
	// Hash is the representation hash of the whole message cell.
	Hash []byte
}

// ExitError is a get-method that ended with a non-zero exit code.
type ExitError struct {
	Method string
	Code   int64
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("get-method %s exited with code %d", e.Method, e.Code)
}

// Nano converts a tlb amount to NanoTON, failing above the int64 range.
func Nano(c tlb.Coins) (billing.NanoTON, error) {
	return nanoFromBig(c.Nano())
}

func nanoFromBig(v *big.Int) (billing.NanoTON, error) {
	if v == nil || v.Sign() < 0 || !v.IsInt64() {
		return 0, fmt.Errorf("amount %v is outside the nanoTON range", v)
	}
	return billing.NanoTON(v.Int64()), nil
}

// Coins converts a non-negative NanoTON amount to a tlb amount.
func Coins(n billing.NanoTON) (tlb.Coins, error) {
	if n < 0 {
		return tlb.Coins{}, fmt.Errorf("negative amount %d nanoTON", int64(n))
	}
	return tlb.FromNanoTONU(uint64(n)), nil
}

// TxsFromTLB converts the transactions of addr that a chain lists, in
// their order.
func TxsFromTLB(addr *address.Address, list []*tlb.Transaction) ([]Tx, error) {
	out := make([]Tx, 0, len(list))
	for _, t := range list {
		tx, err := TxFromTLB(t)
		if err != nil {
			return nil, fmt.Errorf("listing transactions of %s: %w", addr, err)
		}
		out = append(out, tx)
	}
	return out, nil
}

// TxFromTLB converts a parsed transaction into a Tx.
func TxFromTLB(t *tlb.Transaction) (Tx, error) {
	fees, err := Nano(t.TotalFees.Coins)
	if err != nil {
		return Tx{}, fmt.Errorf("reading transaction fees: %w", err)
	}
	tx := Tx{
		LT:        t.LT,
		Hash:      t.Hash,
		PrevLT:    t.PrevTxLT,
		PrevHash:  t.PrevTxHash,
		Now:       time.Unix(int64(t.Now), 0).UTC(),
		TotalFees: fees,
		Raw:       t,
	}
	if t.IO.In != nil {
		m, err := MessageFromTLB(t.IO.In)
		if err != nil {
			return Tx{}, fmt.Errorf("reading inbound message: %w", err)
		}
		tx.In = &m
	}
	if t.IO.Out != nil {
		list, err := t.IO.Out.ToSlice()
		if err != nil {
			return Tx{}, fmt.Errorf("reading outbound messages: %w", err)
		}
		for i := range list {
			m, err := MessageFromTLB(&list[i])
			if err != nil {
				return Tx{}, fmt.Errorf("reading outbound message %d: %w", i, err)
			}
			tx.Out = append(tx.Out, m)
		}
	}
	tx.Success, tx.Skipped, tx.ExitCode = outcome(t)
	return tx, nil
}

// outcome reads whether an ordinary transaction succeeded.
func outcome(t *tlb.Transaction) (success, skipped bool, exit int32) {
	d, ok := t.Description.(tlb.TransactionDescriptionOrdinary)
	if !ok {
		return false, false, 0
	}
	switch c := d.ComputePhase.Phase.(type) {
	case tlb.ComputePhaseSkipped:
		return false, true, 0
	case tlb.ComputePhaseVM:
		ok := c.Success && !d.Aborted
		if d.ActionPhase != nil && !d.ActionPhase.Success {
			ok = false
		}
		return ok, false, c.Details.ExitCode
	}
	return false, false, 0
}

// MessageFromTLB converts a parsed message into a Message.
func MessageFromTLB(m *tlb.Message) (Message, error) {
	if m == nil || m.Msg == nil {
		return Message{}, errors.New("empty message")
	}
	full, err := tlb.ToCell(m)
	if err != nil {
		return Message{}, fmt.Errorf("serializing message: %w", err)
	}
	out := Message{Body: emptyIfNil(m.Msg.Payload()), Hash: full.Hash()}
	switch v := m.Msg.(type) {
	case *tlb.InternalMessage:
		value, err := Nano(v.Amount)
		if err != nil {
			return Message{}, err
		}
		out.Kind, out.Src, out.Dst, out.Value = Internal, v.SrcAddr, v.DstAddr, value
		out.Bounce, out.Bounced = v.Bounce, v.Bounced
	case *tlb.ExternalMessage:
		out.Kind, out.Src, out.Dst = ExternalIn, nilIfNone(v.SrcAddr), v.DstAddr
	case *tlb.ExternalMessageOut:
		out.Kind, out.Src, out.Dst = ExternalOut, v.SrcAddr, nilIfNone(v.DstAddr)
	default:
		return Message{}, fmt.Errorf("unknown message type %T", m.Msg)
	}
	return out, nil
}

func nilIfNone(a *address.Address) *address.Address {
	if a == nil || a.Type() == address.NoneAddress {
		return nil
	}
	return a
}

func emptyIfNil(c *cell.Cell) *cell.Cell {
	if c == nil {
		return cell.BeginCell().EndCell()
	}
	return c
}

// Active reads addr and returns its state when it is an active account;
// ErrNotFound when it does not exist or is not active.
func Active(ctx context.Context, chain Chain, addr *address.Address) (Account, error) {
	acc, err := chain.Account(ctx, addr)
	if err != nil {
		return Account{}, fmt.Errorf("reading %s: %w", addr, err)
	}
	if acc.Status != StatusActive {
		return Account{}, fmt.Errorf("reading %s: account is %s: %w", addr, acc.Status, ErrNotFound)
	}
	return acc, nil
}
