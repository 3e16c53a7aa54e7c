package web

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// Chain is what the pages read from a TON chain; ton.Chain has it, on the
// emulated chain and on real TON through the liteclient alike.
type Chain interface {
	Account(ctx context.Context, addr *address.Address) (ton.Account, error)
	Transactions(ctx context.Context, addr *address.Address, afterLT uint64, limit int) ([]ton.Tx, error)
}

// Locator finds the proxy contract behind a proxy's client endpoint as
// the root registers it ("host:port"), the way a client learns it: from
// the proxy itself, connecting as a client of a test network or not
// (isTest, the root's is_test).
type Locator interface {
	Locate(ctx context.Context, endpoint string, isTest bool) (*address.Address, error)
}

// Bounds of what the pages keep of the chain.
const (
	// txPage is how many transactions one read asks for; maxTxPages how
	// many pages one refresh reads of one account at most (the rest waits
	// for the next refresh).
	txPage     = 100
	maxTxPages = 20
	// maxEvents is how many reports of one account are kept, the newest.
	maxEvents = 2000
	// maxChildren bounds the client and worker contracts kept per proxy.
	maxChildren = 10000
	// locateAgain is how long a located proxy contract is trusted before
	// the endpoint is asked again; locateRetry how long after a failure.
	locateAgain = 10 * time.Minute
	locateRetry = time.Minute
)

// event is a report a client or worker contract sent its proxy, as one
// transaction of the sender or the receiver shows it.
type event struct {
	At     time.Time
	LT     uint64
	From   *address.Address
	Client *contracts.ClientReport
	Worker *contracts.WorkerReport
}

// history is what the pages keep of one account's transactions.
type history struct {
	last     uint64            // LT of the last transaction read
	events   []event           // reports in and out, oldest first, at most maxEvents
	children map[string]string // raw address → kind ("client" or "worker"), from reports received
	err      error             // the last read's error
}

// ledger follows the accounts the pages show, reading each one's new
// transactions at every refresh.
type ledger struct {
	chain Chain

	// mu guards accounts; reads of one account are serialised by it.
	mu       sync.Mutex
	accounts map[string]*history
}

// refresh reads addr's transactions since the last read, at most
// maxTxPages pages, and returns a copy of its history.
func (l *ledger) refresh(ctx context.Context, addr *address.Address) history {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.accounts == nil {
		l.accounts = map[string]*history{}
	}
	h := l.accounts[addr.StringRaw()]
	if h == nil {
		h = &history{children: map[string]string{}}
		l.accounts[addr.StringRaw()] = h
	}
	h.err = nil
	for range maxTxPages {
		txs, err := l.chain.Transactions(ctx, addr, h.last, txPage)
		if err != nil {
			h.err = fmt.Errorf("listing the transactions of %s: %w", addr, err)
			break
		}
		for _, tx := range txs {
			h.add(tx)
			h.last = tx.LT
		}
		if len(txs) < txPage {
			break
		}
	}
	out := *h
	out.events = slices.Clone(h.events)
	out.children = maps.Clone(h.children)
	return out
}

// add keeps the reports of one transaction: a report received (the
// account is a proxy: its sender is a child) or sent (the account is a
// child).
func (h *history) add(tx ton.Tx) {
	if tx.In != nil && tx.In.Kind == ton.Internal && tx.In.Src != nil {
		if ev, ok := report(tx, tx.In); ok {
			kind := "worker"
			if ev.Client != nil {
				kind = "client"
			}
			if _, known := h.children[tx.In.Src.StringRaw()]; known || len(h.children) < maxChildren {
				h.children[tx.In.Src.StringRaw()] = kind
			}
			h.keep(ev)
		}
	}
	for i := range tx.Out {
		if !tx.Success {
			break
		}
		if ev, ok := report(tx, &tx.Out[i]); ok {
			h.keep(ev)
		}
	}
}

func (h *history) keep(ev event) {
	if len(h.events) == maxEvents {
		h.events = slices.Delete(h.events, 0, 1)
	}
	h.events = append(h.events, ev)
}

// report reads m as a client or worker report.
func report(tx ton.Tx, m *ton.Message) (event, bool) {
	ev := event{At: tx.Now, LT: tx.LT, From: m.Src}
	if r, err := contracts.ParseClientReport(m.Body); err == nil {
		ev.Client = &r
		return ev, true
	}
	if r, err := contracts.ParseWorkerReport(m.Body); err == nil {
		ev.Worker = &r
		return ev, true
	}
	return event{}, false
}

// Contract is one COCOON contract as the chain holds it.
type Contract struct {
	Kind    string          `json:"kind"` // root, proxy, client or worker
	Address string          `json:"address"`
	Status  ton.Status      `json:"status"`
	Balance billing.NanoTON `json:"balance_ton"`
	// State is the contract's state (0 normal, 1 closing, 2 closed); -1
	// for the root, which has none.
	State int `json:"state"`
}

// RootView is the root contract's configuration.
type RootView struct {
	Address       string                      `json:"address"`
	Owner         string                      `json:"owner"`
	Balance       billing.NanoTON             `json:"balance_ton"`
	Version       uint32                      `json:"version"`
	Params        ParamsView                  `json:"params"`
	ProxyHashes   []string                    `json:"proxy_hashes"`
	WorkerHashes  []string                    `json:"worker_hashes"`
	ModelHashes   []string                    `json:"model_hashes"`
	Registered    []contracts.RegisteredProxy `json:"registered_proxies"`
	LastProxySeqn uint32                      `json:"last_proxy_seqno"`
}

// ParamsView is a CocoonParams cell without its code.
type ParamsView struct {
	Version        uint32          `json:"params_version"`
	UniqueID       uint32          `json:"unique_id"`
	IsTest         bool            `json:"is_test"`
	PricePerToken  billing.NanoTON `json:"price_per_token_ton"`
	WorkerFee      billing.NanoTON `json:"worker_fee_per_token_ton"`
	Prompt         uint32          `json:"prompt_multiplier"`
	Cached         uint32          `json:"cached_multiplier"`
	Completion     uint32          `json:"completion_multiplier"`
	Reasoning      uint32          `json:"reasoning_multiplier"`
	ProxyDelay     uint32          `json:"proxy_delay_before_close"`
	ClientDelay    uint32          `json:"client_delay_before_close"`
	MinProxyStake  billing.NanoTON `json:"min_proxy_stake_ton"`
	MinClientStake billing.NanoTON `json:"min_client_stake_ton"`
}

func paramsView(p contracts.Params) ParamsView {
	return ParamsView{Version: p.ParamsVersion, UniqueID: p.UniqueID, IsTest: p.IsTest,
		PricePerToken: p.PricePerToken, WorkerFee: p.WorkerFeePerToken,
		Prompt: p.PromptMultiplier, Cached: p.CachedMultiplier, Completion: p.CompletionMultiplier, Reasoning: p.ReasoningMultiplier,
		ProxyDelay: p.ProxyDelayBeforeClose, ClientDelay: p.ClientDelayBeforeClose,
		MinProxyStake: p.MinProxyStake, MinClientStake: p.MinClientStake}
}

// ProxyView is one proxy contract with its workers and clients.
type ProxyView struct {
	Contract
	Owner string `json:"owner"`
	// Earned is the operator's commission the contract holds (its
	// balance field), Stake the operator's stake.
	Earned  billing.NanoTON `json:"earned_ton"`
	Stake   billing.NanoTON `json:"stake_ton"`
	Params  ParamsView      `json:"params"`
	Workers []WorkerView    `json:"workers"`
	Clients []ClientView    `json:"clients"`
	// Error is why the transactions could not be read, if they could not.
	Error string `json:"error,omitempty"`
}

// WorkerView is a worker contract, with what a node knows of the worker.
type WorkerView struct {
	Contract
	Owner  string `json:"owner"`
	Tokens uint64 `json:"tokens"`
	// Earnings are the tokens paid out at the proxy's worker fee.
	Earnings billing.NanoTON `json:"earnings_ton"`
	// Live is set when a node serving the page knows the worker.
	Live *LiveView `json:"live,omitempty"`
}

// LiveView is what the proxy (or the worker itself) knows of a worker.
type LiveView struct {
	Model string `json:"model"`
	// Hardware is "unknown": no node reports it.
	Hardware    string `json:"hardware"`
	Coefficient int32  `json:"coefficient"`
	Running     int    `json:"running"`
	Max         int    `json:"max"`
	// Reputation is the share of requests that succeeded, Latency the
	// mean request time in seconds; empty where the node does not know.
	Reputation string `json:"reputation"`
	Latency    string `json:"latency"`
	Served     int64  `json:"tokens_served"`
}

// ClientView is a client contract.
type ClientView struct {
	Contract
	Owner string `json:"owner"`
	// Credit is the contract's balance field: prepaid credit, held by
	// the proxy contract.
	Credit     billing.NanoTON `json:"credit_ton"`
	Stake      billing.NanoTON `json:"stake_ton"`
	TokensUsed uint64          `json:"tokens_used"`
}

// Network is the explorer's view of the chain at one moment.
type Network struct {
	At      time.Time   `json:"at"`
	Root    *RootView   `json:"root,omitempty"`
	Proxies []ProxyView `json:"proxies"`
	// Contracts lists every contract shown; TVL sums their balances:
	// the TON the COCOON contracts hold on chain.
	Contracts []Contract      `json:"contracts"`
	TVL       billing.NanoTON `json:"tvl_ton"`
	Workers   int             `json:"workers"`
	Clients   int             `json:"clients"`
	// Errors are what could not be read.
	Errors []string `json:"errors,omitempty"`
}

// explorer reads the network under a root.
type explorer struct {
	chain   Chain
	root    *address.Address
	locator Locator
	fixed   []*address.Address
	ledger  *ledger
	now     func() time.Time

	// mu guards located.
	mu      sync.Mutex
	located map[string]located
}

type located struct {
	addr  *address.Address
	err   error
	until time.Time
}

// read builds the network view: the root, the proxy contracts the node
// and the locator know, and each proxy's children, found in the reports
// its contract received and among those the node knows.
func (e *explorer) read(ctx context.Context, n node) Network {
	net := Network{At: e.now().UTC(), Proxies: []ProxyView{}, Contracts: []Contract{}}
	fail := func(err error) { net.Errors = append(net.Errors, err.Error()) }
	acc, err := e.chain.Account(ctx, e.root)
	if err != nil {
		fail(fmt.Errorf("reading the root contract %s: %w", e.root, err))
		return net
	}
	cfg, err := contracts.ParseRootConfig(acc.Data)
	if err != nil {
		fail(fmt.Errorf("reading the root contract %s: %w", e.root, err))
		return net
	}
	net.Root = &RootView{Address: e.root.String(), Owner: cfg.Owner.String(), Balance: acc.Balance, Version: cfg.Version,
		Params: paramsView(cfg.Params), ProxyHashes: hexes(cfg.ProxyHashes), WorkerHashes: hexes(cfg.WorkerHashes),
		ModelHashes: hexes(cfg.ModelHashes), Registered: cfg.Proxies, LastProxySeqn: cfg.LastProxySeqno}
	net.add(Contract{Kind: "root", Address: e.root.String(), Status: acc.Status, Balance: acc.Balance, State: -1})

	proxies := map[string]*address.Address{}
	var order []string
	addProxy := func(a *address.Address) {
		if _, ok := proxies[a.StringRaw()]; !ok {
			proxies[a.StringRaw()] = a
			order = append(order, a.StringRaw())
		}
	}
	for _, a := range e.fixed {
		addProxy(a)
	}
	var children []*address.Address
	if n != nil {
		for _, a := range n.proxies() {
			addProxy(a)
		}
		children = n.children()
	}
	if e.locator != nil {
		for _, p := range cfg.Proxies {
			a, err := e.locate(ctx, p.ClientAddr(), cfg.Params.IsTest)
			if err != nil {
				fail(fmt.Errorf("asking proxy %d (%s) for its contract: %w", p.Seqno, p.ClientAddr(), err))
				continue
			}
			addProxy(a)
		}
	}
	slices.Sort(order)
	for _, raw := range order {
		pv, err := e.proxy(ctx, proxies[raw], children, n)
		if err != nil {
			fail(err)
			continue
		}
		net.add(pv.Contract)
		for _, w := range pv.Workers {
			net.add(w.Contract)
		}
		for _, c := range pv.Clients {
			net.add(c.Contract)
		}
		net.Workers += len(pv.Workers)
		net.Clients += len(pv.Clients)
		net.Proxies = append(net.Proxies, pv)
	}
	return net
}

func (n *Network) add(c Contract) {
	n.Contracts = append(n.Contracts, c)
	n.TVL += c.Balance
}

// locate asks the locator for the contract behind endpoint, or answers
// from its last answer while it holds.
func (e *explorer) locate(ctx context.Context, endpoint string, isTest bool) (*address.Address, error) {
	now := e.now()
	e.mu.Lock()
	l, ok := e.located[endpoint]
	e.mu.Unlock()
	if ok && now.Before(l.until) {
		return l.addr, l.err
	}
	a, err := e.locator.Locate(ctx, endpoint, isTest)
	l = located{addr: a, err: err, until: now.Add(locateAgain)}
	if err != nil {
		l.until = now.Add(locateRetry)
	}
	e.mu.Lock()
	if e.located == nil {
		e.located = map[string]located{}
	}
	e.located[endpoint] = l
	e.mu.Unlock()
	return a, err
}

// proxy reads one proxy contract and its children. A contract that is
// not a proxy under this root, deployed from its code and stored params,
// is an error.
func (e *explorer) proxy(ctx context.Context, addr *address.Address, known []*address.Address, n node) (ProxyView, error) {
	acc, err := e.chain.Account(ctx, addr)
	if err != nil {
		return ProxyView{}, fmt.Errorf("reading proxy contract %s: %w", addr, err)
	}
	if acc.Status != ton.StatusActive {
		return ProxyView{}, fmt.Errorf("reading proxy contract %s: the account is %s", addr, acc.Status)
	}
	d, err := contracts.ParseProxyData(acc.Data)
	if err != nil {
		return ProxyView{}, fmt.Errorf("reading proxy contract %s: %w", addr, err)
	}
	if !d.Root.Equals(e.root) {
		return ProxyView{}, fmt.Errorf("proxy contract %s is under root %s, not %s", addr, d.Root, e.root)
	}
	params := d.Params
	params.ProxyCode = acc.Code
	if want, err := contracts.ProxyAddress(d.Owner, d.Root, d.PublicKey, params); err != nil || !want.Equals(addr) {
		return ProxyView{}, fmt.Errorf("contract %s stores a proxy's data but was not deployed from its code and params", addr)
	}
	pv := ProxyView{
		Contract: Contract{Kind: "proxy", Address: addr.String(), Status: acc.Status, Balance: acc.Balance, State: int(d.State)},
		Owner:    d.Owner.String(), Earned: d.Balance, Stake: d.Stake, Params: paramsView(d.Params),
		Workers: []WorkerView{}, Clients: []ClientView{},
	}
	h := e.ledger.refresh(ctx, addr)
	if h.err != nil {
		pv.Error = h.err.Error()
	}
	kids := map[string]*address.Address{}
	for raw := range h.children {
		if a, err := address.ParseRawAddr(raw); err == nil {
			kids[raw] = a
		}
	}
	for _, a := range known {
		kids[a.StringRaw()] = a
	}
	var live map[string]liveWorker
	if n != nil {
		live = n.live(addr.StringRaw())
	}
	for _, raw := range slices.Sorted(maps.Keys(kids)) {
		e.child(ctx, &pv, kids[raw], addr, live)
	}
	return pv, nil
}

// child adds the client or worker contract at a to pv when it is one of
// proxy's; anything else (not deployed, another proxy's) is left out.
func (e *explorer) child(ctx context.Context, pv *ProxyView, a, proxy *address.Address, live map[string]liveWorker) {
	acc, err := e.chain.Account(ctx, a)
	if err != nil || acc.Data == nil {
		return
	}
	base := Contract{Address: a.String(), Status: acc.Status, Balance: acc.Balance}
	if c, err := contracts.ParseClientData(acc.Data); err == nil {
		if !c.Proxy.Equals(proxy) {
			return
		}
		base.Kind, base.State = "client", int(c.State)
		pv.Clients = append(pv.Clients, ClientView{Contract: base, Owner: c.Owner.String(), Credit: c.Balance, Stake: c.Stake, TokensUsed: c.TokensUsed})
		return
	}
	w, err := contracts.ParseWorkerData(acc.Data)
	if err != nil || !w.Proxy.Equals(proxy) {
		return
	}
	base.Kind, base.State = "worker", int(w.State)
	earned, err := w.Params.WorkerFeePerToken.Mul(int64(w.Tokens))
	if err != nil {
		earned = 0
	}
	wv := WorkerView{Contract: base, Owner: w.Owner.String(), Tokens: w.Tokens, Earnings: earned}
	if l, ok := live[a.StringRaw()]; ok {
		lv := &LiveView{Model: l.Model, Hardware: "unknown", Coefficient: l.Coefficient, Running: l.Running, Max: l.Max, Served: l.Served}
		if l.SuccessRate >= 0 {
			lv.Reputation = fmt.Sprintf("%.0f%%", 100*l.SuccessRate)
		}
		if l.AvgSeconds >= 0 {
			lv.Latency = fmt.Sprintf("%.2f s", l.AvgSeconds)
		}
		wv.Live = lv
	}
	pv.Workers = append(pv.Workers, wv)
}

func hexes(list []contracts.Hash) []string {
	out := make([]string, 0, len(list))
	for _, h := range list {
		out = append(out, fmt.Sprintf("%x", h[:]))
	}
	return out
}

// errNoChain reports pages that need a chain on a node without one.
var errNoChain = errors.New("this node runs without a chain (fake TON): there is nothing on chain to show")
