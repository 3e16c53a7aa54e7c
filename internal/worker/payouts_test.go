package worker

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/config/configtest"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/tl"
)

// fakeChain acts as one worker contract, at the worker fee testFee: it is
// deployed by the first payout, takes a payout only above its tokens (a
// last payout at or above), and refuses everything once closed, as the
// contract does. With queued set, payouts are recorded but never land.
type fakeChain struct {
	// want is the proxy every call must name.
	want ProxyID

	mu       sync.Mutex
	deployed bool
	state    int
	tokens   int64
	queued   bool
	readErr  error
	payErr   error
	reads    int
	payouts  []int64 // the tokens of each payout submitted
	wrongIDs int
}

var errChainDown = errors.New("liteserver unreachable")

func (c *fakeChain) Contract(_ context.Context, p ProxyID) (WorkerContract, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	if !p.Owner.Equals(c.want.Owner) || !p.Key.Equal(c.want.Key) {
		c.wrongIDs++
	}
	if c.readErr != nil {
		return WorkerContract{}, c.readErr
	}
	if !c.deployed {
		return WorkerContract{FeePerToken: testFee}, ErrNoContract
	}
	return WorkerContract{State: c.state, Tokens: c.tokens, FeePerToken: testFee}, nil
}

func (c *fakeChain) Payout(_ context.Context, p ProxyID, signed []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !p.Owner.Equals(c.want.Owner) || !p.Key.Equal(c.want.Key) {
		c.wrongIDs++
	}
	if c.payErr != nil {
		return c.payErr
	}
	pay, err := payment.Parse(signed)
	if err != nil {
		return err
	}
	c.payouts = append(c.payouts, pay.Tokens)
	if c.queued || c.state == contractClosed {
		return nil
	}
	last := pay.Op == payment.OpWorkerLastPayout
	if pay.Tokens > c.tokens || (last && pay.Tokens == c.tokens) {
		c.deployed, c.tokens = true, pay.Tokens
		if last {
			c.state = contractClosed
		}
	}
	return nil
}

var _ Chain = (*fakeChain)(nil)

func (c *fakeChain) submitted() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int64(nil), c.payouts...)
}

// testFee is the worker fee per token of the chain tests: 3 nanoTON, so
// that values differ from token counts.
const testFee = 3

// newChainWorker builds a worker on chain that pays out at min nanoTON,
// and the proxy whose payouts it holds.
func newChainWorker(t *testing.T, chain *fakeChain, min int64) (*Worker, *fakeProxy) {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(nil)
	workerOwner := paymenttest.Addr([]byte("worker owner"))
	p := &fakeProxy{key: key, owner: paymenttest.Addr([]byte("proxy owner")), workerOwner: workerOwner}
	chain.want = ProxyID{Owner: p.owner, Key: key.Public().(ed25519.PublicKey)}
	cfg, err := ParseConfig([]byte(`{"is_test":true,"model_name":"m@c:v","forward_requests_to":"127.0.0.1:1","proxies":["127.0.0.1:2"],"proxy_policy":"fake_tdx","owner_address":"` + workerOwner.String() + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MinPayoutNano = min
	eng, _ := NewEngine(cfg.ForwardRequestsTo, nil)
	w, err := New(cfg, Deps{Mode: chainconf.OnChain, TLS: &tls.Config{}, Engine: eng, Contracts: paymenttest.Contracts{}, Chain: chain,
		Prices: billing.DefaultPrices(2*testFee, testFee)})
	if err != nil {
		t.Fatal(err)
	}
	return w, p
}

// holdPayout gives w's account at p a signed payout of tokens with op,
// as the proxy's reports would, without a connection.
func holdPayout(t *testing.T, w *Worker, p *fakeProxy, op payment.Op, tokens int64) {
	t.Helper()
	_, workerSC := p.sc()
	proxySC, _ := p.sc()
	a := &account{Holding: payment.Holding{Key: p.key.Public().(ed25519.PublicKey), ProxyOwner: p.owner, ProxySC: proxySC, Own: workerSC}}
	if tokens > 0 {
		a.Best = paymenttest.SignedBOC(t, p.key, op, 7, tokens, workerSC)
		a.Signed = tokens
	}
	w.mu.Lock()
	w.accounts[p.accountKey()] = a
	w.mu.Unlock()
}

func TestPayoutThreshold(t *testing.T) {
	tests := []struct {
		name     string
		deployed bool
		state    int
		onChain  int64
		op       payment.Op
		signed   int64
		min      int64
		// superseded: the proxy moved to a new contract since.
		superseded bool
		want       []int64 // payouts submitted
	}{
		{name: "at the threshold, not deployed", signed: 10, min: 10 * testFee, want: []int64{10}},
		{name: "above the threshold", deployed: true, onChain: 5, signed: 100, min: 10 * testFee, want: []int64{100}},
		{name: "one token below the threshold", deployed: true, onChain: 1, signed: 10, min: 10 * testFee},
		// The threshold is in nanoTON: 10 tokens are worth 30.
		{name: "tokens at a threshold that is nanoTON", signed: 10, min: 31},
		{name: "nothing new", deployed: true, onChain: 10, signed: 10, min: 1},
		{name: "chain ahead of the signed payout", deployed: true, onChain: 12, signed: 10, min: 1},
		{name: "no signed payout", signed: 0, min: 1},
		{name: "closed contract", deployed: true, state: contractClosed, onChain: 5, signed: 100, min: 1},
		{name: "last payout below the threshold", deployed: true, onChain: 9, op: payment.OpWorkerLastPayout, signed: 10, min: 10 * testFee, want: []int64{10}},
		{name: "what is left at a contract the proxy moved from", deployed: true, onChain: 9, signed: 10, min: 10 * testFee, superseded: true, want: []int64{10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain := &fakeChain{deployed: tt.deployed, state: tt.state, tokens: tt.onChain}
			w, p := newChainWorker(t, chain, tt.min)
			// The root's fee has changed since the contract was
			// deployed: the contract's fee counts.
			w.prices = billing.DefaultPrices(100*testFee, 100*testFee)
			op := tt.op
			if op == 0 {
				op = payment.OpWorkerPayout
			}
			holdPayout(t, w, p, op, tt.signed)
			w.accounts[p.accountKey()].superseded = tt.superseded
			w.payoutAll(context.Background())
			got := chain.submitted()
			if len(got) != len(tt.want) || (len(got) == 1 && got[0] != tt.want[0]) {
				t.Errorf("payouts submitted: got %v, want %v", got, tt.want)
			}
			if chain.wrongIDs != 0 {
				t.Errorf("%d chain calls named another proxy, want none", chain.wrongIDs)
			}
			if tt.signed == 0 && chain.reads != 0 {
				t.Errorf("the contract was read %d times without a signed payout, want never", chain.reads)
			}
		})
	}
}

func TestPayoutErrorsTolerated(t *testing.T) {
	chain := &fakeChain{readErr: errChainDown}
	w, p := newChainWorker(t, chain, 1)
	holdPayout(t, w, p, payment.OpWorkerPayout, 10)
	w.payoutAll(context.Background())
	chain.payErr, chain.readErr = errChainDown, nil
	w.payoutAll(context.Background())
	if got := w.Snapshot().Payouts; got == nil || got.Errors != 2 || got.Payouts != 0 {
		t.Fatalf("payout stats after a failed read and a failed payout: got %+v, want 2 errors, no payouts", got)
	}
	chain.payErr = nil
	w.payoutAll(context.Background())
	if got := chain.submitted(); len(got) != 1 || got[0] != 10 {
		t.Fatalf("payouts once the chain is back: got %v, want [10]", got)
	}
	s := w.Snapshot()
	if s.Payouts.Payouts != 1 || s.Payouts.Errors != 2 {
		t.Errorf("payout stats: got %+v, want 1 payout, 2 errors", s.Payouts)
	}
	// The next round reads the contract the payout deployed.
	w.payoutAll(context.Background())
	c := w.Snapshot().Accounts[0].Chain
	if c == nil || !c.Read || c.Tokens != 10 || c.PaidOutNano != 10*testFee {
		t.Errorf("account's chain view: got %+v, want 10 tokens read, %d nanoTON paid out", c, 10*testFee)
	}
	if got := w.Snapshot().Payouts.PaidOutNano; got != 10*testFee {
		t.Errorf("paid out in all: got %d nanoTON, want %d", got, 10*testFee)
	}
	// With nothing newly signed, the chain is not asked again.
	reads := chain.reads
	w.payoutAll(context.Background())
	if chain.reads != reads {
		t.Errorf("contract reads with nothing new signed: got %d more, want none", chain.reads-reads)
	}
}

// TestValuedAtContractFee checks that an account's earnings and payouts
// are valued at its contract's worker fee once the payout loop has read
// it, and at the worker's own until then: the contract's fee is testFee,
// the worker started at another.
func TestValuedAtContractFee(t *testing.T) {
	chain := &fakeChain{}
	w, p := newChainWorker(t, chain, 1)
	w.prices = billing.DefaultPrices(100*testFee, 10*testFee)
	holdPayout(t, w, p, payment.OpWorkerPayout, 10)
	a := w.accounts[p.accountKey()]
	a.Max = 10
	if got, want := w.Snapshot().Earned.EarnedNano, int64(10*10*testFee); got != want {
		t.Errorf("earned before the contract was read: got %d nanoTON, want %d at the worker's fee", got, want)
	}
	// The first round deploys the contract with the payout, the second
	// reads the tokens paid out.
	w.payoutAll(context.Background())
	w.payoutAll(context.Background())
	s := w.Snapshot()
	if got, want := s.Earned.EarnedNano, int64(10*testFee); got != want {
		t.Errorf("earned: got %d nanoTON, want %d at the contract's fee", got, want)
	}
	if got := s.Accounts[0]; got.EarnedNano != 10*testFee || got.Chain == nil || got.Chain.PaidOutNano != 10*testFee {
		t.Errorf("account: got %+v (chain %+v), want %d nanoTON earned and paid out", got, got.Chain, 10*testFee)
	}
	if got := s.Payouts.PaidOutNano; got != 10*testFee {
		t.Errorf("paid out in all: got %d nanoTON, want %d", got, 10*testFee)
	}
}

func TestPayoutClosedContractReadOnce(t *testing.T) {
	chain := &fakeChain{deployed: true, state: contractClosed, tokens: 5}
	w, p := newChainWorker(t, chain, 1)
	holdPayout(t, w, p, payment.OpWorkerPayout, 10)
	for range 3 {
		w.payoutAll(context.Background())
	}
	if chain.reads != 1 || len(chain.payouts) != 0 {
		t.Errorf("closed contract: got %d reads and payouts %v, want one read and none", chain.reads, chain.payouts)
	}
	if c := w.Snapshot().Accounts[0].Chain; c == nil || c.State != contractClosed {
		t.Errorf("account's chain view: got %+v, want the closed state", c)
	}
}

func TestPayoutNotResubmittedWhilePending(t *testing.T) {
	chain := &fakeChain{queued: true}
	w, p := newChainWorker(t, chain, 1)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w.now = func() time.Time { return now }
	holdPayout(t, w, p, payment.OpWorkerPayout, 10)
	w.payoutAll(context.Background())
	now = now.Add(minResubmit - time.Second)
	w.payoutAll(context.Background())
	if got := chain.submitted(); len(got) != 1 {
		t.Fatalf("payouts within %v of the first: got %v, want one", minResubmit, got)
	}
	now = now.Add(time.Second)
	w.payoutAll(context.Background())
	if got := chain.submitted(); len(got) != 2 {
		t.Errorf("payouts after %v without it showing: got %v, want it submitted again", minResubmit, got)
	}
}

func TestPayoutFromReportedPayout(t *testing.T) {
	chain := &fakeChain{}
	w, p := newChainWorker(t, chain, 1)
	p.db, p.total = 10, 15
	pc, err := handshakeWith(t, w, p)
	if err != nil {
		t.Fatal(err)
	}
	_, workerSC := p.sc()
	b := paymenttest.SignedBOC(t, p.key, payment.OpWorkerPayout, 9, 20, workerSC)
	if err := pc.payment(&tl.ProxySignedPayment{Data: b}, 20, 20); err != nil {
		t.Fatal(err)
	}
	w.payoutAll(context.Background())
	if got := chain.submitted(); len(got) != 1 || got[0] != 20 {
		t.Errorf("payouts: got %v, want the best reported [20]", got)
	}
	if chain.wrongIDs != 0 {
		t.Errorf("%d chain calls named another proxy, want none", chain.wrongIDs)
	}
}

func TestPayoutLoopStopsWithRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		chain := &fakeChain{}
		w, p := newChainWorker(t, chain, 1)
		w.dial = func(context.Context, string, string) (net.Conn, error) { return nil, errors.New("connection refused") }
		w.health = func(context.Context) error { return nil }
		holdPayout(t, w, p, payment.OpWorkerPayout, 10)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		time.Sleep(time.Duration(DefaultPayoutEvery) - time.Millisecond)
		synctest.Wait()
		if got := chain.submitted(); len(got) != 0 {
			t.Fatalf("payouts before the first period: got %v, want none", got)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if got := chain.submitted(); len(got) != 1 {
			t.Fatalf("payouts after one period: got %v, want one", got)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		chain.mu.Lock()
		reads := chain.reads
		chain.mu.Unlock()
		time.Sleep(10 * time.Duration(DefaultPayoutEvery))
		chain.mu.Lock()
		defer chain.mu.Unlock()
		if chain.reads != reads {
			t.Errorf("contract reads after Run returned: got %d more, want none", chain.reads-reads)
		}
	})
}

func TestNewChainNeedsContracts(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"is_test":true,"model_name":"m@c:v","forward_requests_to":"127.0.0.1:1","proxies":["127.0.0.1:2"],"proxy_policy":"fake_tdx"}`))
	if err != nil {
		t.Fatal(err)
	}
	eng, _ := NewEngine(cfg.ForwardRequestsTo, nil)
	if _, err := New(cfg, Deps{Mode: chainconf.OnChain, TLS: &tls.Config{}, Engine: eng, Chain: &fakeChain{}}); err == nil || !strings.Contains(err.Error(), "Contracts") {
		t.Errorf("New with a chain and no contract derivation: got %v, want an error naming Contracts", err)
	}
}

func TestParseChainConfig(t *testing.T) {
	const base = `"is_test":true,"model_name":"m","forward_requests_to":"h:1","proxies":["h:1"],"proxy_policy":"fake_tdx"`
	owner := paymenttest.Addr([]byte("owner")).String()
	tests := []struct {
		name        string
		json        string
		wantErr     string
		wantEvery   time.Duration
		wantMin     int64
		wantOnChain bool
	}{
		{name: "defaults", json: `{` + base + `}`, wantEvery: 15 * time.Second, wantMin: 10_000_000_000},
		{name: "duration string", json: `{` + base + `,"payout_every":"500ms","min_payout_nano":7}`, wantEvery: 500 * time.Millisecond, wantMin: 7},
		{name: "seconds", json: `{` + base + `,"payout_every":2.5}`, wantEvery: 2500 * time.Millisecond, wantMin: 10_000_000_000},
		{name: "emulated chain", json: `{` + base + `,"owner_address":"` + owner + `","chain_state":"s.json","root_contract_address":"` + owner + `","node_wallet_key":"k"}`,
			wantEvery: 15 * time.Second, wantMin: 10_000_000_000, wantOnChain: true},
		{name: "bad duration", json: `{` + base + `,"payout_every":"soon"}`, wantErr: "parsing duration"},
		{name: "duration too large", json: `{` + base + `,"payout_every":1e300}`, wantErr: "out of range"},
		{name: "period too short", json: `{` + base + `,"payout_every":"1ms"}`, wantErr: "payout_every"},
		{name: "negative minimum", json: `{` + base + `,"min_payout_nano":-1}`, wantErr: "min_payout_nano"},
		{name: "two chains", json: `{` + base + `,"owner_address":"` + owner + `","chain_state":"s","ton_config_filename":"g.json","root_contract_address":"` + owner + `","node_wallet_key":"k"}`, wantErr: "name one chain"},
		{name: "chain without root", json: `{` + base + `,"owner_address":"` + owner + `","chain_state":"s","node_wallet_key":"k"}`, wantErr: "root_contract_address"},
		{name: "chain without wallet", json: `{` + base + `,"owner_address":"` + owner + `","ton_config_filename":"g","root_contract_address":"` + owner + `"}`, wantErr: "node_wallet_key"},
		{name: "chain without owner", json: `{` + base + `,"chain_state":"s","root_contract_address":"` + owner + `","node_wallet_key":"k"}`, wantErr: "owner_address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := configtest.Parse(t, ParseConfig, tt.json, tt.wantErr)
			if !ok {
				return
			}
			if time.Duration(c.PayoutEvery) != tt.wantEvery || c.MinPayoutNano != tt.wantMin || c.OnChain() != tt.wantOnChain {
				t.Errorf("got every %v, min %d, on chain %v; want %v, %d, %v", time.Duration(c.PayoutEvery), c.MinPayoutNano, c.OnChain(), tt.wantEvery, tt.wantMin, tt.wantOnChain)
			}
		})
	}
}

// TestLeftContractFollowedToItsClose: the proxy moved from a contract
// whose tokens the worker holds no payout of (its connection dropped
// first); the proxy pays them itself with its last payout. The worker
// reads the contract until it is closed and shows its final tokens.
func TestLeftContractFollowedToItsClose(t *testing.T) {
	chain := &fakeChain{}
	w, p := newChainWorker(t, chain, 1)
	holdPayout(t, w, p, payment.OpWorkerPayout, 0)
	a := w.accounts[p.accountKey()]
	a.mu.Lock()
	a.superseded, a.Max = true, 4
	a.mu.Unlock()
	w.payoutAll(context.Background())
	if got := chain.submitted(); len(got) != 0 {
		t.Fatalf("payouts %v without a signed payout, want none", got)
	}
	// The proxy's last payout of 9 tokens lands.
	chain.mu.Lock()
	chain.deployed, chain.state, chain.tokens = true, contractClosed, 9
	chain.mu.Unlock()
	w.payoutAll(context.Background())
	if s := w.Snapshot().Accounts[0]; s.Tokens != 9 || s.EarnedNano != 9*testFee || s.Chain == nil || s.Chain.State != contractClosed {
		t.Errorf("account %+v (chain %+v), want the final 9 tokens of the closed contract", s, s.Chain)
	}
	reads := chain.reads
	w.payoutAll(context.Background())
	if chain.reads != reads {
		t.Error("the closed contract was read again")
	}
}
