package emulated

import (
	"cmp"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm"
	"github.com/xssnick/tonutils-go/tvm/cell"
	"github.com/xssnick/tonutils-go/tvm/tuple"
	"github.com/xssnick/tonutils-go/tvm/vm"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
)

//go:embed config.boc
var defaultConfig []byte

// Limits of the emulated chain.
const (
	// DefaultHistory is how many transactions each account keeps.
	DefaultHistory = 1000
	// maxCascade bounds the transactions one inbound message may cause.
	maxCascade = 10000
	// getMethodGas is the gas limit of a get-method.
	getMethodGas = 1_000_000
)

// faucet is the source of minted value (Fund, Deploy).
var faucet = address.NewAddress(0, 0, make([]byte, 32))

// Options configure a Chain.
type Options struct {
	// Path is the state file; empty keeps the chain in memory only. An
	// existing file is loaded; every change is written back atomically.
	// Processes sharing a state file share the chain: each operation
	// runs under a lock on Path+".lock" and first loads what another
	// process wrote since (Unix only; elsewhere one process per file).
	Path string
	// Clock gives the chain's time; nil uses the wall clock.
	Clock func() time.Time
	// Logger receives one debug line per transaction; nil discards.
	Logger *slog.Logger
	// Config is a blockchain configuration BoC; nil uses the embedded one.
	Config []byte
	// History is how many transactions each account keeps (default
	// DefaultHistory).
	History int
}

// Chain is an emulated TON chain. It is safe for concurrent use; messages
// are applied one inbound message (and its whole cascade) at a time, and
// get-methods run between them.
//
// Every cell the chain hands out is a detached copy. A TVM run attaches
// its cell-load accounting (a trace) to the cells it produces and reads;
// parsing such a cell while the next message runs would race inside
// tonutils-go, so no cell a caller sees is one a run touches: account
// code and data are copied after each transaction, transactions are kept
// as copies, and get-method results are copied before mu is released.
type Chain struct {
	machine *tvm.TVM
	cfg     *tvm.PreparedBlockchainConfig
	clock   func() time.Time
	log     *slog.Logger
	path    string
	history int

	// mu guards lt, accounts and the fields below, and is held for every
	// TVM run.
	mu       sync.Mutex
	lt       uint64
	accounts map[string]*account
	// gen is the generation of the state file this chain last loaded or
	// wrote, as its lock file records it; stale forces the next operation
	// to load the file.
	gen   [genSize]byte
	stale bool
	// held is the lock file during an operation on a state file.
	held *os.File
}

var _ ton.Chain = (*Chain)(nil)

// account is one existing account and its recent transactions.
type account struct {
	addr     *address.Address
	prepared *tvm.PreparedAccount
	stat     *cell.Cell
	txs      []storedTx
	// code and data are detached copies of the active state's, what
	// Account hands out (nil when the account is not active).
	code, data *cell.Cell
}

// snapshot refreshes the detached copies of the account's code and data.
func (a *account) snapshot() error {
	a.code, a.data = nil, nil
	st := a.prepared.State()
	if st.Status != tlb.AccountStatusActive || st.StateInit == nil {
		return nil
	}
	var err error
	if a.code, err = detach(st.StateInit.Code); err != nil {
		return fmt.Errorf("copying code of %s: %w", a.addr, err)
	}
	if a.data, err = detach(st.StateInit.Data); err != nil {
		return fmt.Errorf("copying data of %s: %w", a.addr, err)
	}
	return nil
}

// detach copies a cell through its BoC, leaving behind any trace a TVM run
// attached to it or to the cells below; nil stays nil.
func detach(c *cell.Cell) (*cell.Cell, error) {
	if c == nil {
		return nil, nil
	}
	d, err := cell.FromBOC(c.ToBOC())
	if err != nil {
		return nil, fmt.Errorf("copying a cell: %w", err)
	}
	return d, nil
}

// storedTx is a transaction as the chain keeps it: a detached copy of its
// cell and the transaction parsed from that copy.
type storedTx struct {
	cell *cell.Cell
	tx   *tlb.Transaction
}

// New opens an emulated chain, loading opts.Path when it exists.
func New(opts Options) (*Chain, error) {
	raw := opts.Config
	if raw == nil {
		raw = defaultConfig
	}
	root, err := cell.FromBOC(raw)
	if err != nil {
		return nil, fmt.Errorf("reading blockchain config: %w", err)
	}
	cfg, err := tvm.PrepareBlockchainConfig(root)
	if err != nil {
		return nil, fmt.Errorf("preparing blockchain config: %w", err)
	}
	c := &Chain{
		machine:  tvm.NewTVM(),
		cfg:      cfg,
		clock:    opts.Clock,
		log:      opts.Logger,
		path:     opts.Path,
		history:  opts.History,
		lt:       1_000_000,
		accounts: make(map[string]*account),
	}
	if c.clock == nil {
		c.clock = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.history <= 0 {
		c.history = DefaultHistory
	}
	if c.path != "" {
		c.stale = true
		end, err := c.begin()
		if err != nil {
			return nil, err
		}
		end()
	}
	return c, nil
}

// Now returns the chain's clock.
func (c *Chain) Now(context.Context) (time.Time, error) {
	return c.clock(), nil
}

func key(a *address.Address) string {
	return a.StringRaw()
}

// Account returns the state of addr, or ton.ErrNotFound.
func (c *Chain) Account(ctx context.Context, addr *address.Address) (ton.Account, error) {
	if err := ctx.Err(); err != nil {
		return ton.Account{}, err
	}
	end, err := c.begin()
	if err != nil {
		return ton.Account{}, err
	}
	defer end()
	acc, ok := c.accounts[key(addr)]
	if !ok {
		return ton.Account{}, fmt.Errorf("reading account %s: %w", addr, ton.ErrNotFound)
	}
	return view(acc)
}

func view(acc *account) (ton.Account, error) {
	st := acc.prepared.State()
	shard := acc.prepared.ShardAccount()
	bal, err := ton.Nano(st.Balance)
	if err != nil {
		return ton.Account{}, fmt.Errorf("reading balance of %s: %w", acc.addr, err)
	}
	out := ton.Account{
		Address:  acc.addr,
		Balance:  bal,
		LastLT:   shard.LastTransLT,
		LastHash: shard.LastTransHash,
	}
	switch st.Status {
	case tlb.AccountStatusActive:
		out.Status = ton.StatusActive
		out.Code, out.Data = acc.code, acc.data
	case tlb.AccountStatusFrozen:
		out.Status = ton.StatusFrozen
	default:
		out.Status = ton.StatusUninit
	}
	return out, nil
}

// RunGetMethod runs a get-method on the latest state of an active account.
// Cells among the results are detached copies.
func (c *Chain) RunGetMethod(ctx context.Context, addr *address.Address, method string, args ...any) ([]any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	end, err := c.begin()
	if err != nil {
		return nil, err
	}
	defer end()
	acc, ok := c.accounts[key(addr)]
	if !ok {
		return nil, fmt.Errorf("running %s on %s: %w", method, addr, ton.ErrNotFound)
	}
	st, err := view(acc)
	if err != nil {
		return nil, err
	}
	if st.Status != ton.StatusActive || st.Code == nil {
		return nil, fmt.Errorf("running %s on %s: account is %s: %w", method, addr, st.Status, ton.ErrNotFound)
	}
	stack := vm.NewStack()
	for i, a := range args {
		if err := pushArg(stack, a); err != nil {
			return nil, fmt.Errorf("running %s: argument %d: %w", method, i, err)
		}
	}
	if err := stack.PushInt(new(big.Int).SetUint64(tlb.MethodNameHash(method))); err != nil {
		return nil, fmt.Errorf("running %s: %w", method, err)
	}
	now := c.clock()
	block, err := c.cfg.NewBlockContext(tvm.BlockOptions{Now: uint32(now.Unix())})
	if err != nil {
		return nil, fmt.Errorf("running %s: %w", method, err)
	}
	c7 := getMethodC7(block, st, c.lt, c.cfg.GlobalVersion())
	// The run reads the account's copies, never the state the next
	// transaction runs on.
	res, err := c.machine.ExecuteGetMethod(st.Code, st.Data, c7, vm.GasWithLimit(getMethodGas), stack, tvm.ExecutionConfig{Config: c.cfg})
	if err != nil {
		return nil, fmt.Errorf("running %s on %s: %w", method, addr, err)
	}
	if res.ExitCode != 0 && res.ExitCode != 1 {
		return nil, &ton.ExitError{Method: method, Code: res.ExitCode}
	}
	vals, err := stackValues(res.Stack)
	if err != nil {
		return nil, err
	}
	return detachValues(vals)
}

// detachValues copies the cells and slices among get-method results,
// tuples included.
func detachValues(vs []any) ([]any, error) {
	out := make([]any, len(vs))
	for i, v := range vs {
		switch v := v.(type) {
		case *cell.Cell:
			c, err := detach(v)
			if err != nil {
				return nil, err
			}
			out[i] = c
		case *cell.Slice:
			c, err := v.ToCell()
			if err != nil {
				return nil, fmt.Errorf("copying a slice: %w", err)
			}
			if c, err = detach(c); err != nil {
				return nil, err
			}
			if out[i], err = c.BeginParse(); err != nil {
				return nil, fmt.Errorf("copying a slice: %w", err)
			}
		case []any:
			t, err := detachValues(v)
			if err != nil {
				return nil, err
			}
			out[i] = t
		default:
			out[i] = v
		}
	}
	return out, nil
}

func pushArg(s *vm.Stack, a any) error {
	switch v := a.(type) {
	case *big.Int:
		return s.PushInt(v)
	case int:
		return s.PushInt(big.NewInt(int64(v)))
	case int64:
		return s.PushInt(big.NewInt(v))
	case uint64:
		return s.PushInt(new(big.Int).SetUint64(v))
	case *cell.Cell:
		return s.PushCell(v)
	case *cell.Slice:
		return s.PushSlice(v)
	}
	return fmt.Errorf("unsupported get-method argument %T", a)
}

// getMethodC7 builds the c7 a liteserver gives get-methods.
func getMethodC7(block *tvm.BlockContext, st ton.Account, lt uint64, version uint32) tuple.Tuple {
	seed := sha256.Sum256(binary.BigEndian.AppendUint64([]byte(st.Address.StringRaw()), lt))
	values := []any{
		big.NewInt(0x076ef1ea),
		big.NewInt(0),
		big.NewInt(0),
		big.NewInt(int64(block.Now())),
		new(big.Int).SetUint64(lt),
		new(big.Int).SetUint64(lt),
		new(big.Int).SetBytes(seed[:]),
		tuple.NewTupleValue(big.NewInt(int64(st.Balance)), nil),
		cell.BeginCell().MustStoreAddr(st.Address).ToSlice(),
		block.Config().Root(),
	}
	if version >= 4 {
		values = append(values, st.Code, tuple.NewTupleValue(big.NewInt(0), nil), big.NewInt(0), nil)
	}
	if version >= 6 {
		var unpacked any
		if t, ok := block.UnpackedConfig(); ok {
			unpacked = t
		}
		values = append(values, unpacked, big.NewInt(0), nil)
	}
	if version >= 11 {
		values = append(values, nil)
	}
	return tuple.NewTupleValue(tuple.NewTupleValue(values...))
}

// stackValues lists a result stack from its first (deepest) value to its
// last, converting tuples to []any.
func stackValues(s *vm.Stack) ([]any, error) {
	n := s.Len()
	out := make([]any, 0, n)
	for i := n - 1; i >= 0; i-- {
		v, err := s.Get(i)
		if err != nil {
			return nil, fmt.Errorf("reading result stack: %w", err)
		}
		out = append(out, plain(v))
	}
	return out, nil
}

func plain(v any) any {
	t, ok := v.(tuple.Tuple)
	if !ok {
		return v
	}
	out := make([]any, 0, t.Len())
	for i := 0; i < t.Len(); i++ {
		e, err := t.Index(i)
		if err != nil {
			break
		}
		out = append(out, plain(e))
	}
	return out
}

// SendExternal applies an inbound external message and every message it
// causes. A message the contract does not accept is ton.ErrRejected and
// changes nothing.
func (c *Chain) SendExternal(ctx context.Context, msg *tlb.ExternalMessage) error {
	if msg == nil || msg.DstAddr == nil {
		return errors.New("sending external: no destination")
	}
	if msg.SrcAddr == nil {
		cp := *msg
		cp.SrcAddr = address.NewAddressNone()
		msg = &cp
	}
	mc, err := tlb.ToCell(msg)
	if err != nil {
		return fmt.Errorf("sending external: encoding message: %w", err)
	}
	return c.apply(ctx, mc, true)
}

// SendInternal delivers an internal message from any sender, with value
// minted for the occasion (the sender's balance is not touched), and
// applies everything it causes. Tests use it to act as an arbitrary
// account; Fund and Deploy use it from the faucet.
func (c *Chain) SendInternal(ctx context.Context, from *address.Address, t ton.Transfer) error {
	mc, err := c.internalCell(from, t)
	if err != nil {
		return fmt.Errorf("sending internal: %w", err)
	}
	return c.apply(ctx, mc, false)
}

func (c *Chain) internalCell(from *address.Address, t ton.Transfer) (*cell.Cell, error) {
	if t.To == nil {
		return nil, errors.New("no destination")
	}
	amount, err := ton.Coins(t.Amount)
	if err != nil {
		return nil, err
	}
	body := t.Body
	if body == nil {
		body = cell.BeginCell().EndCell()
	}
	c.mu.Lock()
	lt := c.lt
	c.mu.Unlock()
	return tlb.ToCell(&tlb.InternalMessage{
		IHRDisabled: true,
		Bounce:      t.Bounce,
		SrcAddr:     from,
		DstAddr:     t.To,
		Amount:      amount,
		CreatedLT:   lt,
		CreatedAt:   uint32(c.clock().Unix()),
		StateInit:   t.StateInit,
		Body:        body,
	})
}

// Fund sends amount of minted TON to addr (non-bounceable), creating an
// uninitialized account when there is none: the devnet faucet.
func (c *Chain) Fund(ctx context.Context, addr *address.Address, amount billing.NanoTON) error {
	if err := c.SendInternal(ctx, faucet, ton.Transfer{To: addr, Amount: amount}); err != nil {
		return fmt.Errorf("funding %s: %w", addr, err)
	}
	return nil
}

// Faucet is the chain's faucet as a sender of internal messages: what it
// sends is minted for the occasion. The devnet and `cocoon root deploy`
// deploy the root from it.
type Faucet struct{ c *Chain }

// Faucet returns the chain's faucet.
func (c *Chain) Faucet() *Faucet { return &Faucet{c: c} }

// Address returns the address minted value comes from.
func (f *Faucet) Address() *address.Address { return faucet }

// Send delivers msgs from the faucet, each with everything it causes, in
// order.
func (f *Faucet) Send(ctx context.Context, msgs ...ton.Transfer) error {
	for _, m := range msgs {
		if err := f.c.SendInternal(ctx, faucet, m); err != nil {
			return fmt.Errorf("sending from the faucet: %w", err)
		}
	}
	return nil
}

// Deploy deploys a contract from the faucet with amount of minted TON and
// an optional body, and returns its address.
func (c *Chain) Deploy(ctx context.Context, code, data *cell.Cell, amount billing.NanoTON, body *cell.Cell) (*address.Address, error) {
	addr, err := contracts.AddressOf(code, data)
	if err != nil {
		return nil, err
	}
	t := ton.Transfer{To: addr, Amount: amount, StateInit: contracts.StateInit(code, data), Body: body}
	if err := c.SendInternal(ctx, faucet, t); err != nil {
		return nil, fmt.Errorf("deploying %s: %w", addr, err)
	}
	acc, err := c.Account(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("deploying %s: %w", addr, err)
	}
	if acc.Status != ton.StatusActive {
		return nil, fmt.Errorf("deploying %s: account is %s after deployment", addr, acc.Status)
	}
	return addr, nil
}

// pending is an internal message waiting for delivery.
type pending struct {
	lt  uint64
	seq int
	msg *cell.Cell
}

// apply runs the transaction of first and then every internal message it
// causes, in logical-time order, and saves the state.
func (c *Chain) apply(ctx context.Context, first *cell.Cell, external bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	end, err := c.begin()
	if err != nil {
		return err
	}
	defer end()
	now := c.clock()
	seed := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("cocoon emulated block"), c.lt))
	block, err := c.cfg.NewBlockContext(tvm.BlockOptions{Now: uint32(now.Unix()), RandSeed: seed[:]})
	if err != nil {
		return fmt.Errorf("preparing block: %w", err)
	}
	queue := []pending{{msg: first}}
	seq := 0
	for steps := 0; len(queue) > 0; steps++ {
		// A cascade runs to its end once begun, whatever ctx says: the
		// messages in the queue carry value that must not vanish.
		if steps >= maxCascade {
			return fmt.Errorf("message cascade longer than %d transactions", maxCascade)
		}
		next := queue[0]
		queue = queue[1:]
		outs, err := c.deliver(block, next.msg, external && steps == 0)
		if err != nil {
			if steps == 0 {
				return err
			}
			c.log.Warn("dropping undeliverable message", "error", err)
			continue
		}
		for _, o := range outs {
			seq++
			queue = append(queue, pending{lt: o.lt, seq: seq, msg: o.msg})
		}
		slices.SortStableFunc(queue, func(a, b pending) int {
			return cmp.Or(cmp.Compare(a.lt, b.lt), cmp.Compare(a.seq, b.seq))
		})
	}
	if c.path != "" {
		if err := c.save(); err != nil {
			return err
		}
	}
	return nil
}

// deliver runs one transaction and returns the internal messages it sent.
// The caller holds mu.
func (c *Chain) deliver(block *tvm.BlockContext, msgCell *cell.Cell, external bool) ([]pending, error) {
	msg, err := tvm.PrepareMessage(msgCell)
	if err != nil {
		return nil, fmt.Errorf("reading message: %w", err)
	}
	dst := msg.Message().Msg.DestAddr()
	if dst == nil || dst.Type() != address.StdAddress {
		return nil, fmt.Errorf("message to unsupported destination %v", dst)
	}
	acc, ok := c.accounts[key(dst)]
	if !ok {
		if external {
			return nil, fmt.Errorf("sending external to %s: %w", dst, ton.ErrNotFound)
		}
		acc, err = emptyAccount(dst)
		if err != nil {
			return nil, err
		}
	}
	res, err := c.machine.EmulateTransaction(block, acc.prepared, msg, tvm.TransactionOptions{
		LogicalTime:        int64(c.lt),
		AccountStorageStat: acc.stat,
	})
	if err != nil {
		if external {
			return nil, fmt.Errorf("sending external to %s: %w: %w", dst, ton.ErrRejected, err)
		}
		return nil, fmt.Errorf("running transaction on %s: %w", dst, err)
	}
	if external && !res.Accepted {
		return nil, fmt.Errorf("sending external to %s: exit code %d: %w", dst, res.ExitCode, ton.ErrRejected)
	}
	stored, err := storeTx(res.TransactionCell)
	if err != nil {
		return nil, fmt.Errorf("reading transaction on %s: %w", dst, err)
	}
	tx := stored.tx
	acc.prepared = res.NextAccount
	acc.stat = res.AccountStorageStat
	if err := acc.snapshot(); err != nil {
		return nil, err
	}
	acc.txs = append(acc.txs, stored)
	if len(acc.txs) > c.history {
		acc.txs = slices.Delete(acc.txs, 0, len(acc.txs)-c.history)
	}
	c.accounts[key(dst)] = acc
	if acc.prepared.State().Status == tlb.AccountStatusNonExist {
		delete(c.accounts, key(dst))
	}
	c.lt = max(c.lt, res.EndLT) + 1
	c.log.Debug("transaction", "account", dst.StringRaw(), "lt", tx.LT, "exit_code", res.ExitCode, "out", len(res.OutMessages))

	var outs []pending
	for _, o := range res.OutMessages {
		im, ok := o.Msg.Msg.(*tlb.InternalMessage)
		if !ok {
			continue
		}
		outs = append(outs, pending{lt: im.CreatedLT, msg: o.Cell})
	}
	return outs, nil
}

// storeTx keeps a transaction: a detached copy of its cell and the
// transaction parsed from it.
func storeTx(tc *cell.Cell) (storedTx, error) {
	d, err := detach(tc)
	if err != nil {
		return storedTx{}, err
	}
	var tx tlb.Transaction
	if err := tlb.Parse(&tx, d); err != nil {
		return storedTx{}, err
	}
	tx.Hash = d.Hash()
	return storedTx{cell: d, tx: &tx}, nil
}

func emptyAccount(addr *address.Address) (*account, error) {
	shard := &tlb.ShardAccount{
		Account:       cell.BeginCell().MustStoreBoolBit(false).EndCell(),
		LastTransHash: make([]byte, 32),
	}
	p, err := tvm.PrepareAccount(shard, addr)
	if err != nil {
		return nil, fmt.Errorf("preparing account %s: %w", addr, err)
	}
	return &account{addr: addr, prepared: p}, nil
}

// Transactions returns up to limit transactions of addr after afterLT,
// oldest first, from the history the chain keeps.
func (c *Chain) Transactions(ctx context.Context, addr *address.Address, afterLT uint64, limit int) ([]ton.Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, fmt.Errorf("listing transactions: limit %d, want a positive number", limit)
	}
	end, err := c.begin()
	if err != nil {
		return nil, err
	}
	var list []*tlb.Transaction
	if acc, ok := c.accounts[key(addr)]; ok {
		for _, t := range acc.txs {
			if t.tx.LT > afterLT && len(list) < limit {
				list = append(list, t.tx)
			}
		}
	}
	end()
	return ton.TxsFromTLB(addr, list)
}
