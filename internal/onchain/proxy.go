package onchain

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/trust"
)

// Limits of the proxy adapter.
const (
	// maxRegistrations bounds the remembered (client, nonce) pairs; the
	// oldest are forgotten first. A long authorisation waits seconds, so
	// only recent ones matter.
	maxRegistrations = 1 << 16
	// txPage is how many transactions one listing asks for.
	txPage = 100
)

// ProxyWithdrawGas goes with ext_proxy_payout_request: the reference's
// 0.2 TON, above the contract's COMMISSION (0.1 TON) that it demands. The
// contract returns what it does not spend to the wallet as excesses.
const ProxyWithdrawGas = billing.TON / 5

// ProxyCloseGas goes with the signed proxy close ops, which demand the
// contract's COMMISSION (0.1 TON). The close request returns what it does
// not spend to the relaying wallet as excesses; the close completion pays
// it to the owner with the contract's balance.
const ProxyCloseGas = billing.TON / 5

// ProxyConfig configures a Proxy.
type ProxyConfig struct {
	// Chain is the TON chain; Root the network's root contract.
	Chain ton.Chain
	Root  *address.Address
	// Wallet is the proxy's cocoon wallet: it deploys the proxy contract,
	// sends the save-state records and relays signed payments.
	Wallet *Wallet
	// Owner is the proxy contract's owner, to whom its earnings go (in
	// devnet the wallet's address).
	Owner *address.Address
	// Key is the proxy's signing key, which its contract stores.
	Key ed25519.PublicKey
	// Poll is how often awaited chain states are read (DefaultPoll).
	Poll time.Duration
	// Derive derives the client and worker contracts under a proxy
	// contract of params; Rollover and Winding need it.
	Derive func(params contracts.Params) (proxy.Contracts, error)
	// Logger; nil discards.
	Logger *slog.Logger
}

// Proxy is the proxy's view of TON (proxy.Chain): its root, its own
// contract, its clients' and workers' contracts.
type Proxy struct {
	chain  ton.Chain
	root   *address.Address
	wallet *Wallet
	owner  *address.Address
	key    ed25519.PublicKey
	poll   time.Duration
	derive func(contracts.Params) (proxy.Contracts, error)
	log    *slog.Logger

	// mu guards addr, set by Open and Rollover; params, the params the
	// proxy contract derives from, set by Locate, Open and Rollover; and
	// rec, the record Locate was given.
	mu     sync.Mutex
	addr   *address.Address
	params *contracts.Params
	rec    ProxyRecord

	// scan guards the registration tail: cursor is the last proxy
	// transaction read; regs holds the pairs seen, order them in arrival
	// order (a ring of at most maxRegistrations), next the ring's oldest.
	scan   sync.Mutex
	cursor uint64
	regs   map[registration]struct{}
	order  []registration
	next   int
}

var _ proxy.Chain = (*Proxy)(nil)

// registration is an owner_client_register notice: the client contract
// (raw address) and its nonce.
type registration struct {
	client string
	nonce  uint64
}

// NewProxy returns the proxy adapter for cfg.
func NewProxy(cfg ProxyConfig) (*Proxy, error) {
	switch {
	case cfg.Chain == nil:
		return nil, errors.New("creating proxy chain adapter: no chain")
	case cfg.Root == nil:
		return nil, errors.New("creating proxy chain adapter: no root address")
	case cfg.Wallet == nil:
		return nil, errors.New("creating proxy chain adapter: no wallet")
	case cfg.Owner == nil:
		return nil, errors.New("creating proxy chain adapter: no owner address")
	case len(cfg.Key) != ed25519.PublicKeySize:
		return nil, fmt.Errorf("creating proxy chain adapter: key of %d bytes, want %d", len(cfg.Key), ed25519.PublicKeySize)
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Proxy{
		chain: cfg.Chain, root: cfg.Root, wallet: cfg.Wallet, owner: cfg.Owner, key: cfg.Key,
		poll: cfg.Poll, derive: cfg.Derive, log: cfg.Logger.With("component", "onchain-proxy"),
		regs: map[registration]struct{}{},
	}, nil
}

// Root reads the root contract's current config. Its prices and contract
// params version are those of the proxy contract's params once Locate,
// Open or Rollover found them: the proxy bills at the prices its contract
// was deployed with, and rolls over when the root's params version is
// another.
func (p *Proxy) Root(ctx context.Context) (proxy.RootConfig, error) {
	at, err := p.chain.Now(ctx)
	if err != nil {
		return proxy.RootConfig{}, fmt.Errorf("reading root %s: %w", p.root, err)
	}
	r, err := ton.ReadRootConfig(ctx, p.chain, p.root)
	if err != nil {
		return proxy.RootConfig{}, err
	}
	pr := r.Params
	p.mu.Lock()
	if p.params != nil {
		pr = *p.params
	}
	p.mu.Unlock()
	return proxy.RootConfig{
		Version:               r.Version,
		ParamsVersion:         r.Params.ParamsVersion,
		ContractParamsVersion: pr.ParamsVersion,
		Prices:                pr.Prices(),
		Lists:                 Lists(p.root, r, at),
	}, nil
}

// RootLists reads the root contract's admission state: its allow-lists
// and registered proxies as the chain holds them now, with the chain's
// time.
func RootLists(ctx context.Context, chain ton.Chain, root *address.Address) (trust.Lists, error) {
	at, err := chain.Now(ctx)
	if err != nil {
		return trust.Lists{}, fmt.Errorf("reading root %s: %w", root, err)
	}
	r, err := ton.ReadRootConfig(ctx, chain, root)
	if err != nil {
		return trust.Lists{}, err
	}
	return Lists(root, r, at), nil
}

// Lists is the admission state of the root at address root whose storage
// is r, read at the chain's time at.
func Lists(root *address.Address, r contracts.RootConfig, at time.Time) trust.Lists {
	l := trust.Lists{
		Root: root.String(), Version: r.Version, AsOf: at,
		ProxyHashes: hashes(r.ProxyHashes), WorkerHashes: hashes(r.WorkerHashes), ModelHashes: hashes(r.ModelHashes),
	}
	for _, p := range r.Proxies {
		l.Proxies = append(l.Proxies, trust.Endpoint{Workers: p.WorkerAddr(), Clients: p.ClientAddr()})
	}
	return l
}

func hashes(list []contracts.Hash) [][32]byte {
	out := make([][32]byte, len(list))
	for i, h := range list {
		out[i] = h
	}
	return out
}

// ProxyRecord keeps the proxy contract a proxy's ledger is at, and the
// older ones it winds down, across restarts; store.Bolt and store.Memory
// are two.
type ProxyRecord interface {
	ProxyContract(ctx context.Context) (string, error)
	SetProxyContract(ctx context.Context, addr string) error
	WindingContracts(ctx context.Context) ([]string, error)
	SetWindingContracts(ctx context.Context, addrs []string) error
}

// Locate finds the proxy contract this proxy keeps using and returns the
// params it derives from, which Open then opens and the proxy's
// derivation of its clients' and workers' contracts takes: the contract
// rec names, while it is deployed for this proxy's owner and key under
// this root and not closed, so that a change of the root's params
// (a deployed proxy contract keeps its own) does not move the proxy to a new contract on a
// restart and abandon its clients' deposits (it rolls over, winding the
// old one down, once running); else the one derived from the root's
// current params, which it records in rec. A nil rec keeps no record:
// the root's current params. Rollover and Winding keep using rec.
func (p *Proxy) Locate(ctx context.Context, rec ProxyRecord) (contracts.Params, error) {
	p.mu.Lock()
	p.rec = rec
	p.mu.Unlock()
	var recorded *address.Address
	if rec != nil {
		s, err := rec.ProxyContract(ctx)
		if err != nil {
			return contracts.Params{}, fmt.Errorf("locating the proxy contract: %w", err)
		}
		if s != "" {
			if recorded, err = address.ParseRawAddr(s); err != nil {
				return contracts.Params{}, fmt.Errorf("locating the proxy contract: the recorded address %q: %w", s, err)
			}
		}
	}
	if recorded != nil {
		data, params, err := readProxy(ctx, p.chain, recorded)
		switch {
		case err == nil && data.Owner.Equals(p.owner) && data.PublicKey.Equal(p.key) && data.Root.Equals(p.root) && data.State != contracts.StateClosed:
			p.located(params)
			p.log.Info("proxy contract located", "contract", recorded.String(), "params_version", params.ParamsVersion)
			return params, nil
		case err == nil:
			p.log.Warn("the recorded proxy contract is closed or not this proxy's; deriving one from the root's current params",
				"contract", recorded.String(), "state", data.State)
		case errors.Is(err, ton.ErrNotFound):
			p.log.Info("the recorded proxy contract is not deployed; deriving one from the root's current params", "contract", recorded.String())
		default:
			return contracts.Params{}, fmt.Errorf("locating the proxy contract: %w", err)
		}
	}
	r, err := ton.ReadRootConfig(ctx, p.chain, p.root)
	if err != nil {
		return contracts.Params{}, fmt.Errorf("locating the proxy contract: %w", err)
	}
	addr, err := contracts.ProxyAddress(p.owner, p.root, p.key, r.Params)
	if err != nil {
		return contracts.Params{}, fmt.Errorf("locating the proxy contract: %w", err)
	}
	if rec != nil && (recorded == nil || !recorded.Equals(addr)) {
		if err := rec.SetProxyContract(ctx, addr.StringRaw()); err != nil {
			return contracts.Params{}, fmt.Errorf("locating the proxy contract: %w", err)
		}
	}
	p.located(r.Params)
	return r.Params, nil
}

// located sets the params the proxy contract derives from.
func (p *Proxy) located(params contracts.Params) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.params = &params
}

// Open makes sure the proxy contract is deployed, deploying it from the
// wallet with the minimum proxy stake when it is not, and returns its
// address. It waits until the contract is active. The contract derives
// from the params Locate found, else from the root's current params.
func (p *Proxy) Open(ctx context.Context) (*address.Address, error) {
	p.mu.Lock()
	located := p.params
	p.mu.Unlock()
	var params contracts.Params
	if located != nil {
		params = *located
	} else {
		r, err := ton.ReadRootConfig(ctx, p.chain, p.root)
		if err != nil {
			return nil, fmt.Errorf("opening proxy contract: %w", err)
		}
		params = r.Params
	}
	addr, acc, err := p.openAt(ctx, params)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.addr, p.params = addr, &params
	p.mu.Unlock()
	p.scan.Lock()
	if p.cursor == 0 {
		p.cursor = acc.LastLT
	}
	p.scan.Unlock()
	return addr, nil
}

// openAt makes sure the proxy contract of params is deployed, deploying it
// when it is not, and returns it once active and not closed.
func (p *Proxy) openAt(ctx context.Context, params contracts.Params) (*address.Address, ton.Account, error) {
	data := contracts.NewProxyData(p.owner, p.root, p.key, params)
	dataCell, err := data.Cell()
	if err != nil {
		return nil, ton.Account{}, fmt.Errorf("opening proxy contract: %w", err)
	}
	addr, err := contracts.ProxyAddress(p.owner, p.root, p.key, params)
	if err != nil {
		return nil, ton.Account{}, fmt.Errorf("opening proxy contract: %w", err)
	}
	acc, err := ton.Active(ctx, p.chain, addr)
	switch {
	case errors.Is(err, ton.ErrNotFound):
		acc, err = p.deploy(ctx, addr, params, dataCell)
		if err != nil {
			return nil, ton.Account{}, err
		}
	case err != nil:
		return nil, ton.Account{}, fmt.Errorf("opening proxy contract: %w", err)
	}
	d, err := contracts.ParseProxyData(acc.Data)
	if err != nil {
		return nil, ton.Account{}, fmt.Errorf("opening proxy contract %s: %w", addr, err)
	}
	if d.State == contracts.StateClosed {
		return nil, ton.Account{}, fmt.Errorf("opening proxy contract %s: it is closed", addr)
	}
	p.log.Info("proxy contract open", "contract", addr.String(), "state", d.State, "stake", d.Stake.String(), "balance", d.Balance.String())
	return addr, acc, nil
}

// Rollover moves the proxy to the contract of the root's current params
// (as the reference's proxy moves when params_version changes, winding
// the old contract down): it records the contract open so far as one
// to wind down, deploys the new one when it is not, records it as the
// proxy's and makes it the one CommitSeqno, Registered, Earnings and
// Withdraw act on. The old one is recorded first, so that a restart in
// between finds it still the proxy's and rolls over again.
func (p *Proxy) Rollover(ctx context.Context) (proxy.Instance, error) {
	old, err := p.contract()
	if err != nil {
		return proxy.Instance{}, fmt.Errorf("rolling over: %w", err)
	}
	r, err := ton.ReadRootConfig(ctx, p.chain, p.root)
	if err != nil {
		return proxy.Instance{}, fmt.Errorf("rolling over: %w", err)
	}
	p.mu.Lock()
	rec := p.rec
	p.mu.Unlock()
	if rec != nil {
		winding, err := rec.WindingContracts(ctx)
		if err != nil {
			return proxy.Instance{}, fmt.Errorf("rolling over: %w", err)
		}
		if !slices.Contains(winding, old.StringRaw()) {
			if err := rec.SetWindingContracts(ctx, append(winding, old.StringRaw())); err != nil {
				return proxy.Instance{}, fmt.Errorf("rolling over: %w", err)
			}
		}
	}
	addr, acc, err := p.openAt(ctx, r.Params)
	if err != nil {
		return proxy.Instance{}, fmt.Errorf("rolling over: %w", err)
	}
	in, err := p.instance(addr, r.Params)
	if err != nil {
		return proxy.Instance{}, fmt.Errorf("rolling over: %w", err)
	}
	if rec != nil {
		if err := rec.SetProxyContract(ctx, addr.StringRaw()); err != nil {
			return proxy.Instance{}, fmt.Errorf("rolling over: %w", err)
		}
	}
	p.mu.Lock()
	p.addr, p.params = addr, &r.Params
	p.mu.Unlock()
	p.scan.Lock()
	p.cursor = acc.LastLT
	p.scan.Unlock()
	p.log.Info("rolled over to a new proxy contract", "contract", addr.String(), "old_contract", old.String(), "params_version", r.Params.ParamsVersion)
	return in, nil
}

// Winding lists the older proxy contracts recorded to wind down that are
// still there and not closed, and forgets the others.
func (p *Proxy) Winding(ctx context.Context) ([]proxy.Instance, error) {
	p.mu.Lock()
	rec := p.rec
	p.mu.Unlock()
	if rec == nil {
		return nil, nil
	}
	recorded, err := rec.WindingContracts(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the proxy contracts to wind down: %w", err)
	}
	var out []proxy.Instance
	var keep []string
	for _, s := range recorded {
		addr, err := address.ParseRawAddr(s)
		if err != nil {
			return nil, fmt.Errorf("listing the proxy contracts to wind down: the recorded address %q: %w", s, err)
		}
		data, params, err := readProxy(ctx, p.chain, addr)
		switch {
		case errors.Is(err, ton.ErrNotFound) || (err == nil && data.State == contracts.StateClosed):
			p.log.Info("an older proxy contract is wound down", "contract", addr.String())
			continue
		case err != nil:
			return nil, fmt.Errorf("listing the proxy contracts to wind down: %w", err)
		}
		in, err := p.instance(addr, params)
		if err != nil {
			return nil, fmt.Errorf("listing the proxy contracts to wind down: %w", err)
		}
		out, keep = append(out, in), append(keep, s)
	}
	if len(keep) != len(recorded) {
		if err := rec.SetWindingContracts(ctx, keep); err != nil {
			return nil, fmt.Errorf("listing the proxy contracts to wind down: %w", err)
		}
	}
	return out, nil
}

// instance is the proxy contract at addr of params as the proxy bills and
// derives under it.
func (p *Proxy) instance(addr *address.Address, params contracts.Params) (proxy.Instance, error) {
	if p.derive == nil {
		return proxy.Instance{}, errors.New("no derivation of the contracts under a proxy contract (ProxyConfig.Derive)")
	}
	d, err := p.derive(params)
	if err != nil {
		return proxy.Instance{}, err
	}
	return proxy.Instance{Contract: addr, Prices: params.Prices(), Derive: d}, nil
}

// deploy deploys the proxy contract with ext_proxy_increase_stake of the
// minimum stake and waits until it is active.
func (p *Proxy) deploy(ctx context.Context, addr *address.Address, params contracts.Params, data *cell.Cell) (ton.Account, error) {
	body, err := contracts.ProxyIncreaseStakeBody(queryID(), params.MinProxyStake, p.wallet.Address())
	if err != nil {
		return ton.Account{}, fmt.Errorf("deploying proxy contract %s: %w", addr, err)
	}
	t := ton.Transfer{To: addr, Amount: params.MinProxyStake + ProxyDeployGas, StateInit: contracts.StateInit(params.ProxyCode, data), Body: body}
	if err := p.wallet.Send(ctx, t); err != nil {
		return ton.Account{}, fmt.Errorf("deploying proxy contract %s: %w", addr, err)
	}
	var acc ton.Account
	err = await(ctx, p.poll, "the proxy contract's deployment", func() (bool, error) {
		a, err := ton.Active(ctx, p.chain, addr)
		if errors.Is(err, ton.ErrNotFound) {
			return false, nil
		}
		acc = a
		return err == nil, err
	})
	if err != nil {
		return ton.Account{}, err
	}
	p.log.Info("proxy contract deployed", "contract", addr.String(), "stake", params.MinProxyStake.String())
	return acc, nil
}

// contract returns the proxy contract's address, set by Open.
func (p *Proxy) contract() (*address.Address, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.addr == nil {
		return nil, errors.New("the proxy contract is not open: call Open first")
	}
	return p.addr, nil
}

// CommitSeqno sends the save-state record of seqno and session from the
// wallet to the proxy contract (1 nanoTON) and waits until the proxy
// contract's transactions show it.
func (p *Proxy) CommitSeqno(ctx context.Context, seqno uint32, session [32]byte) error {
	addr, err := p.contract()
	if err != nil {
		return fmt.Errorf("committing seqno %d: %w", seqno, err)
	}
	acc, err := p.chain.Account(ctx, addr)
	if err != nil {
		return fmt.Errorf("committing seqno %d: reading proxy contract: %w", seqno, err)
	}
	want := contracts.SaveState{QueryID: queryID(), Seqno: seqno, Session: session}
	body, err := want.Cell()
	if err != nil {
		return fmt.Errorf("committing seqno %d: %w", seqno, err)
	}
	t := ton.Transfer{To: addr, Amount: SaveStateValue, Bounce: true, Body: body, Mode: ton.ModePayFeesSeparately}
	if err := p.wallet.Send(ctx, t); err != nil {
		return fmt.Errorf("committing seqno %d: %w", seqno, err)
	}
	after := acc.LastLT
	return await(ctx, p.poll, fmt.Sprintf("save state of seqno %d", seqno), func() (bool, error) {
		for {
			txs, err := p.chain.Transactions(ctx, addr, after, txPage)
			if err != nil {
				return false, err
			}
			for _, tx := range txs {
				after = tx.LT
				if p.isSaveState(tx, want) {
					return true, nil
				}
			}
			if len(txs) < txPage {
				return false, nil
			}
		}
	})
}

// isSaveState reports whether tx received want from the proxy's wallet.
func (p *Proxy) isSaveState(tx ton.Tx, want contracts.SaveState) bool {
	in := tx.In
	if in == nil || in.Kind != ton.Internal || in.Src == nil || !in.Src.Equals(p.wallet.Address()) {
		return false
	}
	got, err := contracts.ParseSaveState(in.Body)
	return err == nil && got == want
}

// Client reads a client contract of this proxy.
func (p *Proxy) Client(ctx context.Context, contract *address.Address) (proxy.ClientContract, error) {
	d, err := readClient(ctx, p.chain, contract)
	if errors.Is(err, ton.ErrNotFound) {
		return proxy.ClientContract{}, fmt.Errorf("reading client contract %s: %w", contract, proxy.ErrNoContract)
	}
	if err != nil {
		return proxy.ClientContract{}, err
	}
	if !bytes.Equal(d.ProxyPublicKey, p.key) {
		return proxy.ClientContract{}, fmt.Errorf("reading client contract %s: it belongs to another proxy key", contract)
	}
	chain, err := clientChain(d)
	if err != nil {
		return proxy.ClientContract{}, fmt.Errorf("reading client contract %s: %w", contract, err)
	}
	return proxy.ClientContract{ClientChain: chain, SecretHash: d.SecretHash, UnlockTS: int64(d.UnlockTS)}, nil
}

// Worker reads a worker contract of this proxy.
func (p *Proxy) Worker(ctx context.Context, contract *address.Address) (proxy.WorkerContract, error) {
	d, err := readWorker(ctx, p.chain, contract)
	if errors.Is(err, ton.ErrNotFound) {
		return proxy.WorkerContract{}, fmt.Errorf("reading worker contract %s: %w", contract, proxy.ErrNoContract)
	}
	if err != nil {
		return proxy.WorkerContract{}, err
	}
	if !bytes.Equal(d.ProxyPublicKey, p.key) {
		return proxy.WorkerContract{}, fmt.Errorf("reading worker contract %s: it belongs to another proxy key", contract)
	}
	if d.Tokens > math.MaxInt64 {
		return proxy.WorkerContract{}, fmt.Errorf("reading worker contract %s: token count %d beyond int64", contract, d.Tokens)
	}
	return proxy.WorkerContract{State: int(d.State), Tokens: int64(d.Tokens)}, nil
}

// Registered reports whether the client contract has sent the proxy
// contract owner_client_register's notice with nonce since Open. It reads
// the proxy contract's new transactions first.
func (p *Proxy) Registered(ctx context.Context, client *address.Address, nonce uint64) (bool, error) {
	addr, err := p.contract()
	if err != nil {
		return false, fmt.Errorf("checking registration: %w", err)
	}
	if client == nil {
		return false, errors.New("checking registration: no client address")
	}
	p.scan.Lock()
	defer p.scan.Unlock()
	for {
		txs, err := p.chain.Transactions(ctx, addr, p.cursor, txPage)
		if err != nil {
			return false, fmt.Errorf("checking registration: listing proxy transactions: %w", err)
		}
		for _, tx := range txs {
			p.cursor = tx.LT
			p.notice(tx)
		}
		if len(txs) < txPage {
			break
		}
	}
	_, ok := p.regs[registration{client: client.StringRaw(), nonce: nonce}]
	return ok, nil
}

// notice remembers tx's register notice, if it is one. The sender is the
// chain's word: only the client contract's code can send from its
// address. The caller holds p.scan.
func (p *Proxy) notice(tx ton.Tx) {
	in := tx.In
	if in == nil || in.Kind != ton.Internal || in.Src == nil {
		return
	}
	r, err := contracts.ParseClientReport(in.Body)
	if err != nil || r.Kind != contracts.OpClientProxyRegister {
		return
	}
	reg := registration{client: in.Src.StringRaw(), nonce: r.Nonce}
	if _, ok := p.regs[reg]; ok {
		return
	}
	if len(p.order) < maxRegistrations {
		p.order = append(p.order, reg)
	} else {
		delete(p.regs, p.order[p.next])
		p.order[p.next] = reg
		p.next = (p.next + 1) % maxRegistrations
	}
	p.regs[reg] = struct{}{}
}

// Submit relays a payment signed with the proxy's key to its target
// contract from the wallet, with the wallet as the excess address: a
// charge, refund or payout to a client or worker contract, or a close
// request or close completion to a proxy contract of this key.
func (p *Proxy) Submit(ctx context.Context, signed []byte) error {
	pay, err := payment.Parse(signed)
	if err != nil {
		return fmt.Errorf("submitting signed payment: %w", err)
	}
	if err := pay.Verify(p.key, pay.Op, pay.Target); err != nil {
		return fmt.Errorf("submitting signed payment: %w", err)
	}
	return relay(ctx, p.wallet, pay, nil)
}

// PayWorker relays a signed payout or last payout to the worker contract
// of owner under the proxy contract proxySC, deploying it with the payout
// when it is not deployed: a worker deploys its contract with its first
// payout, but one that holds no signed payout of its final tokens at a
// proxy contract being wound down (its connection dropped before the
// proxy signed them) cannot, and its last payout must still land.
func (p *Proxy) PayWorker(ctx context.Context, signed []byte, proxySC, owner *address.Address) error {
	pay, err := payment.Parse(signed)
	if err != nil {
		return fmt.Errorf("paying a worker: %w", err)
	}
	if pay.Op != payment.OpWorkerPayout && pay.Op != payment.OpWorkerLastPayout {
		return fmt.Errorf("paying a worker: %v is not a payout", pay.Op)
	}
	if err := pay.Verify(p.key, pay.Op, pay.Target); err != nil {
		return fmt.Errorf("paying a worker: %w", err)
	}
	pd, err := ton.ReadProxyData(ctx, p.chain, proxySC)
	if err != nil {
		return fmt.Errorf("paying a worker: %w", err)
	}
	if pd.Params.WorkerCode == nil {
		return fmt.Errorf("paying a worker: the params of proxy contract %s carry no worker code", proxySC)
	}
	addr, init, err := contracts.WorkerInit(owner, proxySC, pd)
	if err != nil {
		return fmt.Errorf("paying a worker: %w", err)
	}
	if !addr.Equals(pay.Target) {
		return fmt.Errorf("paying a worker: the payout is for %s, not the worker contract %s of %s under %s", pay.Target, addr, owner, proxySC)
	}
	return relayPayout(ctx, p.chain, p.wallet, p.log, "paying a worker", "worker payout relayed", pay, addr, init)
}

// Earnings reads the proxy contract's balance field: the commission
// credited by worker payouts and not yet paid to the owner.
func (p *Proxy) Earnings(ctx context.Context) (billing.NanoTON, error) {
	addr, err := p.contract()
	if err != nil {
		return 0, fmt.Errorf("reading the proxy contract's earnings: %w", err)
	}
	d, err := ton.ReadProxyData(ctx, p.chain, addr)
	if err != nil {
		return 0, fmt.Errorf("reading the proxy contract's earnings: %w", err)
	}
	return d.Balance, nil
}

// State reads the state of the proxy contract at addr and, when closing,
// its unlock time.
func (p *Proxy) State(ctx context.Context, addr *address.Address) (proxy.ProxyContract, error) {
	d, err := ton.ReadProxyData(ctx, p.chain, addr)
	if err != nil {
		return proxy.ProxyContract{}, fmt.Errorf("reading the proxy contract's state: %w", err)
	}
	return proxy.ProxyContract{State: int(d.State), UnlockTS: int64(d.UnlockTS)}, nil
}

// Withdraw sends ext_proxy_payout_request from the wallet to the proxy
// contract with ProxyWithdrawGas, the wallet as the excess address: the
// contract pays its balance field to the owner. It returns once the
// wallet sent it.
func (p *Proxy) Withdraw(ctx context.Context) error {
	addr, err := p.contract()
	if err != nil {
		return fmt.Errorf("requesting the proxy's earnings: %w", err)
	}
	body, err := contracts.ProxyPayoutRequestBody(queryID(), p.wallet.Address())
	if err != nil {
		return fmt.Errorf("requesting the proxy's earnings: %w", err)
	}
	t := ton.Transfer{To: addr, Amount: ProxyWithdrawGas, Bounce: true, Body: body}
	if err := p.wallet.Send(ctx, t); err != nil {
		return fmt.Errorf("requesting the proxy's earnings from %s: %w", addr, err)
	}
	p.log.Debug("proxy earnings requested", "contract", addr.String(), "owner", p.owner.String())
	return nil
}

// relay sends pay, rewrapped with the wallet as its excess address, to its
// target with the gas its op needs, attaching init when not nil.
func relay(ctx context.Context, w *Wallet, pay payment.Payment, init *tlb.StateInit) error {
	var gas billing.NanoTON
	switch pay.Op {
	case payment.OpWorkerPayout, payment.OpWorkerLastPayout:
		gas = PayoutGas
	case payment.OpProxyCloseRequest, payment.OpProxyCloseComplete:
		gas = ProxyCloseGas
	default:
		gas = ClientOpGas
	}
	body, err := pay.Rewrap(w.Address()).Cell()
	if err != nil {
		return fmt.Errorf("relaying %v payment: %w", pay.Op, err)
	}
	t := ton.Transfer{To: pay.Target, Amount: gas, Bounce: init == nil, Body: body, StateInit: init}
	if err := w.Send(ctx, t); err != nil {
		return fmt.Errorf("relaying %v of %d tokens to %s: %w", pay.Op, pay.Tokens, pay.Target, err)
	}
	return nil
}

// relayPayout relays the signed worker payout pay to the worker contract
// at addr, deploying it with init when it is not active yet, and logs it
// as done; what names the step in errors.
func relayPayout(ctx context.Context, chain ton.Chain, w *Wallet, log *slog.Logger, what, done string, pay payment.Payment, addr *address.Address, init *tlb.StateInit) error {
	switch _, err := ton.Active(ctx, chain, addr); {
	case err == nil:
		init = nil
	case !errors.Is(err, ton.ErrNotFound):
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := relay(ctx, w, pay, init); err != nil {
		return err
	}
	log.Info(done, "contract", addr.String(), "tokens", pay.Tokens, "deployed", init != nil)
	return nil
}

// readClient reads and parses a client contract; ton.ErrNotFound when it
// is not active.
func readClient(ctx context.Context, chain ton.Chain, addr *address.Address) (contracts.ClientData, error) {
	return readActive(ctx, chain, "client", addr, contracts.ParseClientData)
}

// readWorker reads and parses a worker contract; ton.ErrNotFound when it
// is not active.
func readWorker(ctx context.Context, chain ton.Chain, addr *address.Address) (contracts.WorkerData, error) {
	return readActive(ctx, chain, "worker", addr, contracts.ParseWorkerData)
}

// readActive reads the contract (what, for errors) at addr and parses
// its data with parse; ton.ErrNotFound when it is not active.
func readActive[D any](ctx context.Context, chain ton.Chain, what string, addr *address.Address, parse func(*cell.Cell) (D, error)) (D, error) {
	var zero D
	if addr == nil {
		return zero, fmt.Errorf("reading %s contract: no address", what)
	}
	acc, err := ton.Active(ctx, chain, addr)
	if err != nil {
		return zero, err
	}
	d, err := parse(acc.Data)
	if err != nil {
		return zero, fmt.Errorf("reading %s contract %s: %w", what, addr, err)
	}
	return d, nil
}

// clientChain returns a client contract's figures as the ledger takes them.
func clientChain(d contracts.ClientData) (billing.ClientChain, error) {
	if d.TokensUsed > math.MaxInt64 {
		return billing.ClientChain{}, fmt.Errorf("token count %d beyond int64", d.TokensUsed)
	}
	return billing.ClientChain{State: int(d.State), Balance: d.Balance, Stake: d.Stake, TokensUsed: int64(d.TokensUsed)}, nil
}
