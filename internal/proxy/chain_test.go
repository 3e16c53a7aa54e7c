package proxy

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/store"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/trust"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// fakeChain is the chain side of the proxy in tests: programmable root,
// contract states, register notices and failures; it records every commit
// and every submitted payment.
type fakeChain struct {
	sc *address.Address // what Open returns

	mu         sync.Mutex
	root       RootConfig
	rootFails  int       // Root fails this many more times
	asOf       time.Time // the chain time of Root's readings; zero: now
	commitErr  error     // CommitSeqno fails with it
	readErr    error     // Client and Worker fail with it
	submitErr  error     // Submit fails with it
	clients    map[string]ClientContract
	workers    map[string]WorkerContract
	registered map[string]uint64 // client contract → nonce registered
	commits    []uint32
	submitted  []payment.Payment
	// deployedWorkers are the owners of the worker contracts PayWorker
	// was asked to pay, deploying them where needed.
	deployedWorkers []string
	// onCommit, if set, runs inside CommitSeqno before it returns.
	onCommit func(seqno uint32)
	// earned is the proxy contract's balance field; earnedErr and
	// withdrawErr fail Earnings and Withdraw; withdrawals counts the
	// withdrawals requested, which leave earned as it is (in flight)
	// unless payOnWithdraw is set.
	earned        billing.NanoTON
	earnedErr     error
	withdrawErr   error
	withdrawals   int
	payOnWithdraw bool
	// contract is the proxy contract's state; olds the older contracts'
	// by address.
	contract ProxyContract
	olds     map[string]ProxyContract
	// next is what Rollover moves to; winding what Winding lists.
	next    *Instance
	winding []Instance
}

var _ Chain = (*fakeChain)(nil)

func newFakeChain(sc *address.Address) *fakeChain {
	return &fakeChain{
		sc: sc, root: RootConfig{Version: 3, ParamsVersion: 1, ContractParamsVersion: 1, Prices: billing.DefaultPrices(2, 1),
			Lists: trust.Lists{Root: "EQfakeroot", WorkerHashes: [][32]byte{fakeImage}, ModelHashes: [][32]byte{trust.ModelHash(testModel)}}},
		clients: map[string]ClientContract{}, workers: map[string]WorkerContract{}, registered: map[string]uint64{},
		olds: map[string]ProxyContract{},
	}
}

func (f *fakeChain) Root(context.Context) (RootConfig, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rootFails > 0 {
		f.rootFails--
		return RootConfig{}, errors.New("liteserver unreachable")
	}
	r := f.root
	r.Lists.Version, r.Lists.AsOf = r.Version, f.asOf
	if f.asOf.IsZero() {
		r.Lists.AsOf = time.Now()
	}
	return r, nil
}

func (f *fakeChain) Open(context.Context) (*address.Address, error) { return f.sc, nil }

func (f *fakeChain) CommitSeqno(_ context.Context, seqno uint32, _ [32]byte) error {
	f.mu.Lock()
	err, hook := f.commitErr, f.onCommit
	f.mu.Unlock()
	if err != nil {
		return err
	}
	if hook != nil {
		hook(seqno)
	}
	f.mu.Lock()
	f.commits = append(f.commits, seqno)
	f.mu.Unlock()
	return nil
}

func (f *fakeChain) Client(_ context.Context, c *address.Address) (ClientContract, error) {
	return readContract(f, f.clients, c)
}

func (f *fakeChain) Worker(_ context.Context, c *address.Address) (WorkerContract, error) {
	return readContract(f, f.workers, c)
}

// readContract is the state of contract c in m (f's clients or workers,
// which are set once), read under f's lock: f's read error, or
// ErrNoContract where m holds none.
func readContract[S any](f *fakeChain, m map[string]S, c *address.Address) (S, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var none S
	if f.readErr != nil {
		return none, f.readErr
	}
	s, ok := m[c.String()]
	if !ok {
		return none, ErrNoContract
	}
	return s, nil
}

func (f *fakeChain) Registered(_ context.Context, c *address.Address, nonce uint64) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.registered[c.String()]
	return ok && n == nonce, nil
}

func (f *fakeChain) Submit(_ context.Context, signed []byte) error {
	pay, err := payment.Parse(signed)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.submitErr != nil {
		return f.submitErr
	}
	f.submitted = append(f.submitted, pay)
	return nil
}

func (f *fakeChain) PayWorker(ctx context.Context, signed []byte, proxySC, owner *address.Address) error {
	f.mu.Lock()
	f.deployedWorkers = append(f.deployedWorkers, owner.String())
	f.mu.Unlock()
	return f.Submit(ctx, signed)
}

func (f *fakeChain) Earnings(context.Context) (billing.NanoTON, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.earnedErr != nil {
		return 0, f.earnedErr
	}
	return f.earned, nil
}

func (f *fakeChain) Withdraw(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.withdrawErr != nil {
		return f.withdrawErr
	}
	f.withdrawals++
	if f.payOnWithdraw {
		f.earned = 0
	}
	return nil
}

func (f *fakeChain) State(_ context.Context, c *address.Address) (ProxyContract, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.Equals(f.sc) {
		return f.contract, nil
	}
	if s, ok := f.olds[c.String()]; ok {
		return s, nil
	}
	return ProxyContract{}, fmt.Errorf("no proxy contract %s", c)
}

// Rollover moves to next: the contract served so far becomes an older
// one, in the state it had.
func (f *fakeChain) Rollover(context.Context) (Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.next == nil {
		return Instance{}, errors.New("no contract to roll over to")
	}
	f.olds[f.sc.String()] = f.contract
	f.sc, f.contract = f.next.Contract, ProxyContract{}
	f.root.ContractParamsVersion = f.root.ParamsVersion
	f.root.Prices = f.next.Prices
	return *f.next, nil
}

func (f *fakeChain) Winding(context.Context) ([]Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.winding, nil
}

func (f *fakeChain) setClient(c *address.Address, s ClientContract) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clients[c.String()] = s
}

func (f *fakeChain) payments() []payment.Payment {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]payment.Payment(nil), f.submitted...)
}

// paymentsByOp is what was submitted, by op.
func (f *fakeChain) paymentsByOp() map[payment.Op][]payment.Payment {
	out := map[payment.Op][]payment.Payment{}
	for _, pay := range f.payments() {
		out[pay.Op] = append(out[pay.Op], pay)
	}
	return out
}

// closeAccounts has the client and worker contracts closed after their
// final tokens.
func (f *fakeChain) closeAccounts(client, worker *address.Address, tokens int64) {
	closedClient := rich
	closedClient.State, closedClient.TokensUsed = billing.ClientClosed, tokens
	f.setClient(client, ClientContract{ClientChain: closedClient})
	f.mu.Lock()
	f.workers[worker.String()] = WorkerContract{State: 2, Tokens: tokens}
	f.mu.Unlock()
}

// wantFinalPayments wants got to hold one grant refund of the final
// tokens to client and one last payout of them to worker, signed with
// pub; whose names the contracts in failures ("the", "the old").
func wantFinalPayments(t *testing.T, got map[payment.Op][]payment.Payment, pub ed25519.PublicKey, tokens int64, client, worker *address.Address, whose string) {
	t.Helper()
	if r := got[payment.OpClientGrantRefund]; len(r) != 1 || r[0].Tokens != tokens || r[0].Verify(pub, payment.OpClientGrantRefund, client) != nil {
		t.Errorf("grant refunds %+v, want one of the final %d tokens to %s client contract", r, tokens, whose)
	}
	if l := got[payment.OpWorkerLastPayout]; len(l) != 1 || l[0].Tokens != tokens || l[0].Verify(pub, payment.OpWorkerLastPayout, worker) != nil {
		t.Errorf("last payouts %+v, want one of the final %d tokens to %s worker contract", l, tokens, whose)
	}
}

func (f *fakeChain) commitList() []uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]uint32(nil), f.commits...)
}

// fakeListener accepts nothing: Accept records that it was called and
// blocks until Close.
type fakeListener struct {
	once     sync.Once
	closed   chan struct{}
	accepted chan struct{} // closed at the first Accept
	first    sync.Once
}

// richClient is the contract of the client owned by
// paymenttest.Addr("c"), in the ledger under owner with a rich client
// contract.
func (cp *chainProxy) richClient(t *testing.T, owner string) *address.Address {
	t.Helper()
	client := cp.contractOf(t, billing.KindClient, paymenttest.Addr([]byte("c")).String())
	if err := cp.ledger.UpdateClient(client.String(), owner, rich); err != nil {
		t.Fatal(err)
	}
	return client
}

func newFakeListener() *fakeListener {
	return &fakeListener{closed: make(chan struct{}), accepted: make(chan struct{})}
}

// startRun runs p on workers and clients in a goroutine; the stop it
// returns cancels the run and wants Run to return no error.
func startRun(t *testing.T, p *Proxy, workers, clients net.Listener) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, workers, clients) }()
	return func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	}
}

func (l *fakeListener) Accept() (net.Conn, error) {
	l.first.Do(func() { close(l.accepted) })
	<-l.closed
	return nil, net.ErrClosed
}

func (l *fakeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *fakeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// chainProxy is a proxy on a fake chain with contracts, prices 2 and 1
// from the root, and the given config additions.
type chainProxy struct {
	*Proxy
	chain *fakeChain
	pub   ed25519.PublicKey
}

func newChainProxy(t *testing.T, extra string) chainProxy {
	t.Helper()
	return newChainProxyWith(t, extra, newFakePeers(t))
}

// newChainProxyWith is newChainProxy with peers as the worker port's
// verifier.
func newChainProxyWith(t *testing.T, extra string, peers PeerVerifier) chainProxy {
	t.Helper()
	pub, key, _ := ed25519.GenerateKey(nil)
	owner := paymenttest.Addr([]byte("owner"))
	cfg, err := ParseConfig([]byte(`{"is_test":true,"worker_policy":"fake_tdx","owner_address":"` + owner.String() + `"` + extra + `}`))
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := paymenttest.Contracts{}.ProxyAddress(owner, pub)
	fc := newFakeChain(sc)
	p, err := New(cfg, Deps{Mode: chainconf.OnChain, WorkerTLS: &tls.Config{}, ClientTLS: &tls.Config{}, RootVersion: testRootVersion, SigningKey: key, Contracts: paymenttest.Contracts{},
		Prices: billing.DefaultPrices(2, 1), Chain: fc, WorkerPeers: peers})
	if err != nil {
		t.Fatal(err)
	}
	// As Run's start does, the proxy reads the root's lists.
	root, err := fc.Root(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p.applyRoot(t.Context(), root.Lists)
	return chainProxy{Proxy: p, chain: fc, pub: pub}
}

// contractOf derives the contract of a client or worker owner.
func (cp chainProxy) contractOf(t *testing.T, kind billing.Kind, owner string) *address.Address {
	t.Helper()
	a, _, err := cp.peerContract(kind, owner)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// use bills tokens from a client to a worker, flushes, and commits the
// flush to the chain when commit is set.
func (cp chainProxy) use(t *testing.T, client, worker string, tokens int64, commit bool) {
	t.Helper()
	l := cp.ledger
	if err := l.AddWorker(worker, worker); err != nil {
		t.Fatal(err)
	}
	res, err := billing.Reserve(tokens, 0, billing.CoefficientOne, l.Prices())
	if err != nil {
		t.Fatal(err)
	}
	h, err := l.Hold(client, res)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Settle(h, worker, tokens, billing.Succeeded); err != nil {
		t.Fatal(err)
	}
	if err := cp.flushLedger(context.Background()); err != nil {
		t.Fatal(err)
	}
	if commit {
		flushed, _ := l.Seqno()
		if err := l.CommittedToChain(flushed); err != nil {
			t.Fatal(err)
		}
	}
}

var rich = billing.ClientChain{State: billing.ClientRunning, Balance: 100 * billing.TON, Stake: 10 * billing.TON}

func TestRunCommitsBeforeAccepting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp := newChainProxy(t, `,"chain_commit_every":"10s","chain_poll_every":"1s"`)
		cp.chain.rootFails = 2 // the first reads fail and are retried
		cp.chain.root.Prices = billing.DefaultPrices(5, 3)
		workers, clients := newFakeListener(), newFakeListener()
		var acceptedAtCommit bool
		cp.chain.onCommit = func(uint32) {
			select {
			case <-clients.accepted:
				acceptedAtCommit = true
			case <-workers.accepted:
				acceptedAtCommit = true
			default:
			}
		}
		stop := startRun(t, cp.Proxy, workers, clients)
		<-clients.accepted
		<-workers.accepted
		if acceptedAtCommit {
			t.Error("a listener accepted before the first seqno was committed")
		}
		if got := cp.chain.commitList(); len(got) != 1 || got[0] != 0 {
			t.Errorf("commits at start = %v, want [0]", got)
		}
		if got := cp.ledger.Prices(); got != billing.DefaultPrices(5, 3) {
			t.Errorf("ledger prices = %+v, want the root's 5 and 3", got)
		}
		s := cp.Snapshot().Chain
		if s == nil || s.ProxyContract != cp.inst.Load().sc.String() || s.RootVersion != 3 || s.Errors != 2 || s.AllowedModelHashes != 1 {
			t.Errorf("chain stats = %+v, want the contract, root version 3, 2 errors, 1 model hash", s)
		}
		// Usage flushed during the run is committed at the next commit
		// period, and the ledger promotes it.
		client := cp.richClient(t, "c").String()
		cp.use(t, client, "w", 10, false)
		time.Sleep(11 * time.Second)
		synctest.Wait()
		if got := cp.chain.commitList(); len(got) != 2 || got[1] != 1 {
			t.Errorf("commits after a period = %v, want [0 1]", got)
		}
		if a, _ := cp.ledger.Client(client); a.CommittedToChain != 10 {
			t.Errorf("client committed to chain = %d, want 10", a.CommittedToChain)
		}
		if got := cp.Snapshot().Chain.CommittedSeqno; got != 1 {
			t.Errorf("stats committed seqno = %d, want 1", got)
		}
		stop()
	})
}

// TestRunStoppedWhileStarting stops a proxy whose chain never answers
// during its start: a clean stop, not an error.
func TestRunStoppedWhileStarting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp := newChainProxy(t, "")
		cp.chain.rootFails = 1 << 30
		stop := startRun(t, cp.Proxy, newFakeListener(), newFakeListener())
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()
	})
}

func TestRunRefusesAnotherProxyContract(t *testing.T) {
	cp := newChainProxy(t, "")
	cp.chain.sc = paymenttest.Addr([]byte("elsewhere"))
	err := cp.Run(t.Context(), newFakeListener(), newFakeListener())
	if err == nil || !strings.Contains(err.Error(), "derives to") {
		t.Errorf("Run with another proxy contract = %v, want an error naming the derived address", err)
	}
}

func TestCommittedToChainOnlyAfterCommit(t *testing.T) {
	cp := newChainProxy(t, "")
	client := cp.richClient(t, "c").String()
	cp.use(t, client, "w", 7, false)
	var during int64 = -1
	cp.chain.onCommit = func(uint32) {
		a, _ := cp.ledger.Client(client)
		during = a.CommittedToChain
	}
	// A failed commit promotes nothing.
	cp.chain.commitErr = errors.New("wallet out of gas")
	cp.commitChain(t.Context())
	if a, _ := cp.ledger.Client(client); a.CommittedToChain != 0 {
		t.Errorf("committed to chain after a failed commit = %d, want 0", a.CommittedToChain)
	}
	cp.chain.commitErr = nil
	cp.commitChain(t.Context())
	if during != 0 {
		t.Errorf("committed to chain while the commit ran = %d, want 0", during)
	}
	if a, _ := cp.ledger.Client(client); a.CommittedToChain != 7 {
		t.Errorf("committed to chain after the commit = %d, want 7", a.CommittedToChain)
	}
	if s := cp.Snapshot().Chain; s.Errors != 1 || !strings.Contains(s.LastError, "wallet out of gas") {
		t.Errorf("chain stats = %+v, want 1 error naming the cause", s)
	}
}

func TestLongAuthWaitsForRegistration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp := newChainProxy(t, "")
		owner := paymenttest.Addr([]byte("new client")).String()
		contract := cp.contractOf(t, billing.KindClient, owner)
		cc, auth := connectClient(t, cp.Proxy, owner)
		long, ok := auth.(*tl.ClientProxyConnectionAuthLong)
		if !ok {
			t.Fatalf("auth offered to an undeployed client = %T, want long", auth)
		}
		answer := make(chan tl.Object, 1)
		go func() {
			obj, err := clientAsk(cc, &tl.ClientAuthorizeWithProxyLong{})
			if err != nil {
				t.Error(err)
			}
			answer <- obj
		}()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		select {
		case obj := <-answer:
			t.Fatalf("long authorisation answered %T before the registration", obj)
		default:
		}
		state := billing.ClientChain{State: billing.ClientRunning, Balance: 3 * billing.TON, Stake: billing.TON, TokensUsed: 5}
		cp.chain.setClient(contract, ClientContract{ClientChain: state})
		cp.chain.mu.Lock()
		cp.chain.registered[contract.String()] = uint64(long.Nonce)
		cp.chain.mu.Unlock()
		if obj := <-answer; obj == nil || obj.TLID() != (&tl.ClientAuthorizationWithProxySuccess{}).TLID() {
			t.Fatalf("long authorisation after the registration = %T, want success", obj)
		}
		a, err := cp.ledger.Client(contract.String())
		if err != nil || a.Chain != state {
			t.Errorf("client account = %+v, %v; want the contract's state %+v", a.Chain, err, state)
		}
		if got := cp.Snapshot().ClientAuth; got != (ClientAuthSnapshot{Long: 1}) {
			t.Errorf("auth counts = %+v, want one long", got)
		}
	})
}

func TestLongAuthTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp := newChainProxy(t, "")
		owner := paymenttest.Addr([]byte("silent client")).String()
		cc, _ := connectClient(t, cp.Proxy, owner)
		// Another nonce from the same contract does not count.
		cp.chain.mu.Lock()
		cp.chain.registered[cp.contractOf(t, billing.KindClient, owner).String()] = 12345
		cp.chain.mu.Unlock()
		start := time.Now()
		obj, err := clientAsk(cc, &tl.ClientAuthorizeWithProxyLong{})
		if err != nil {
			t.Fatal(err)
		}
		failed, ok := obj.(*tl.ClientAuthorizationWithProxyFailed)
		if !ok || !strings.Contains(failed.Error, "owner_client_register") {
			t.Fatalf("long authorisation never registered = %+v, want a failure naming owner_client_register", obj)
		}
		if waited := time.Since(start); waited != longAuthWait {
			t.Errorf("waited %v, want %v", waited, longAuthWait)
		}
		if got := cp.Snapshot().ClientAuth; got != (ClientAuthSnapshot{LongFailed: 1}) {
			t.Errorf("auth counts = %+v, want one failed long", got)
		}
		if _, err := clientAsk(cc, &tl.ClientGetWorkerTypesV2{}); err == nil {
			t.Error("a connection whose long authorisation failed was served")
		}
	})
}

func TestShortAuthWithContractSecret(t *testing.T) {
	secret := []byte("s3cret")
	hash := sha256.Sum256(secret)
	tests := []struct {
		name      string
		state     int
		data      []byte
		wantShort bool
		wantOK    bool
	}{
		{"running, right secret", billing.ClientRunning, secret, true, true},
		{"closing, right secret", billing.ClientClosing, secret, true, true},
		{"running, the fake-TON empty secret", billing.ClientRunning, []byte{}, true, false},
		{"closed", billing.ClientClosed, secret, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cp := newChainProxy(t, "")
			owner := paymenttest.Addr([]byte("client")).String()
			contract := cp.contractOf(t, billing.KindClient, owner)
			state := billing.ClientChain{State: tt.state, Balance: 2 * billing.TON, Stake: billing.TON, TokensUsed: 9}
			cp.chain.setClient(contract, ClientContract{ClientChain: state, SecretHash: hash})
			cc, auth := connectClient(t, cp.Proxy, owner)
			short, isShort := auth.(*tl.ClientProxyConnectionAuthShort)
			if isShort != tt.wantShort {
				t.Fatalf("auth offered = %T, want short %v", auth, tt.wantShort)
			}
			if !isShort {
				return
			}
			if short.SecretHash != hash {
				t.Errorf("offered secret hash %x, want the contract's %x", short.SecretHash, hash)
			}
			obj, err := clientAsk(cc, &tl.ClientAuthorizeWithProxyShort{Data: tt.data})
			if err != nil {
				t.Fatal(err)
			}
			_, ok := obj.(*tl.ClientAuthorizationWithProxySuccess)
			if ok != tt.wantOK {
				t.Fatalf("short authorisation = %T, want success %v", obj, tt.wantOK)
			}
			if !ok {
				return
			}
			if a, err := cp.ledger.Client(contract.String()); err != nil || a.Chain != state {
				t.Errorf("client account = %+v, %v; want the contract's state %+v", a.Chain, err, state)
			}
		})
	}
}

func TestChargeAndPayoutThresholds(t *testing.T) {
	// Price 2 and fee 1 per token; thresholds 1000 and 500 nanoTON.
	tests := []struct {
		name        string
		tokens      int64
		onChainUsed int64 // the client contract's tokens_used
		workerPaid  int64 // the worker contract's tokens
		wantCharge  bool
		wantPayout  bool
	}{
		{"below both", 499, 0, 0, false, false},
		{"payout threshold only", 500, 1, 0, false, true},
		{"both thresholds", 500, 0, 0, true, true},
		{"charged and paid already", 600, 600, 600, false, false},
		{"charged, worker below", 600, 600, 101, false, false},
		{"charged, worker at threshold", 600, 600, 100, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cp := newChainProxy(t, `,"charge_threshold_nano":1000,"payout_threshold_nano":500`)
			client := cp.richClient(t, "c")
			worker := cp.contractOf(t, billing.KindWorker, paymenttest.Addr([]byte("w")).String())
			cp.use(t, client.String(), worker.String(), tt.tokens, true)
			cp.use(t, client.String(), worker.String(), 1000, false) // in the database, not on chain
			onChain := rich
			onChain.TokensUsed = tt.onChainUsed
			cp.chain.setClient(client, ClientContract{ClientChain: onChain})
			cp.chain.workers[worker.String()] = WorkerContract{Tokens: tt.workerPaid}
			cp.pollChain(t.Context())
			var charged, paid bool
			for _, pay := range cp.chain.payments() {
				want, op := client, payment.OpClientCharge
				if pay.Op == payment.OpWorkerPayout {
					want, op = worker, payment.OpWorkerPayout
					paid = true
				} else {
					charged = true
				}
				if err := pay.Verify(cp.pub, op, want); err != nil {
					t.Errorf("submitted %v: %v", pay.Op, err)
				}
				if pay.Tokens != tt.tokens {
					t.Errorf("submitted %v for %d tokens, want the %d committed to chain", pay.Op, pay.Tokens, tt.tokens)
				}
			}
			if charged != tt.wantCharge || paid != tt.wantPayout {
				t.Errorf("charged %v, paid %v; want %v, %v", charged, paid, tt.wantCharge, tt.wantPayout)
			}
			s := cp.Snapshot().Chain
			if (s.ChargesSubmitted == 1) != tt.wantCharge || (s.PayoutsSubmitted == 1) != tt.wantPayout {
				t.Errorf("chain stats = %+v", s)
			}
			// The same payment is not submitted again while it is pending.
			n := len(cp.chain.payments())
			cp.pollChain(t.Context())
			if got := len(cp.chain.payments()); got != n {
				t.Errorf("a second poll submitted %d more payments, want none", got-n)
			}
		})
	}
}

func TestGrantRefund(t *testing.T) {
	tests := []struct {
		name       string
		state      int
		running    bool // a request holds a reservation
		uncommited bool // usage flushed but not committed to chain
		want       bool
	}{
		{"closing, idle, committed", billing.ClientClosing, false, false, true},
		{"running", billing.ClientRunning, false, false, false},
		{"closing with a running request", billing.ClientClosing, true, false, false},
		{"closing with usage not on chain", billing.ClientClosing, false, true, false},
		{"closed", billing.ClientClosed, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cp := newChainProxy(t, "")
			client := cp.richClient(t, "c")
			cp.use(t, client.String(), "w", 40, true)
			if tt.uncommited {
				cp.use(t, client.String(), "w", 2, false)
			}
			if tt.running {
				res, _ := billing.Reserve(10, 0, billing.CoefficientOne, cp.ledger.Prices())
				if _, err := cp.ledger.Hold(client.String(), res); err != nil {
					t.Fatal(err)
				}
			}
			onChain := rich
			onChain.State = tt.state
			cp.chain.setClient(client, ClientContract{ClientChain: onChain, UnlockTS: 1})
			cp.pollChain(t.Context())
			var refunds []payment.Payment
			for _, pay := range cp.chain.payments() {
				if pay.Op == payment.OpClientGrantRefund {
					refunds = append(refunds, pay)
				}
			}
			if got := len(refunds) == 1; got != tt.want {
				t.Fatalf("grant refunds = %+v, want one: %v", refunds, tt.want)
			}
			if tt.want {
				if err := refunds[0].Verify(cp.pub, payment.OpClientGrantRefund, client); err != nil || refunds[0].Tokens != 40 {
					t.Errorf("grant refund for %d tokens (%v), want 40", refunds[0].Tokens, err)
				}
				if got := cp.Snapshot().Chain.RefundsSubmitted; got != 1 {
					t.Errorf("refunds submitted = %d, want 1", got)
				}
			}
			if a, _ := cp.ledger.Client(client.String()); a.Chain.State != tt.state {
				t.Errorf("ledger client state = %d, want the chain's %d", a.Chain.State, tt.state)
			}
		})
	}
}

func TestChainErrorsTolerated(t *testing.T) {
	cp := newChainProxy(t, `,"charge_threshold_nano":1`)
	client := cp.richClient(t, "c")
	cp.use(t, client.String(), "w", 10, true)
	cp.chain.setClient(client, ClientContract{ClientChain: rich})
	cp.chain.readErr = errors.New("liteserver timeout")
	cp.pollChain(t.Context())
	cp.chain.readErr = nil
	cp.chain.submitErr = errors.New("wallet seqno mismatch")
	cp.pollChain(t.Context())
	if s := cp.Snapshot().Chain; s.Errors != 2 || !strings.Contains(s.LastError, "wallet seqno mismatch") || s.ChargesSubmitted != 0 {
		t.Errorf("chain stats after failures = %+v, want 2 errors, the last named, no charge", s)
	}
	// The next poll after the chain recovers charges.
	cp.chain.submitErr = nil
	cp.pollChain(t.Context())
	if got := cp.chain.payments(); len(got) != 1 || got[0].Tokens != 10 {
		t.Errorf("payments after recovery = %+v, want one charge for 10 tokens", got)
	}
	// A failing chain at connect falls back to the long path.
	cp.chain.readErr = errors.New("liteserver timeout")
	if _, auth := connectClient(t, cp.Proxy, paymenttest.Addr([]byte("c")).String()); auth == nil {
		t.Error("no auth offered")
	} else if _, ok := auth.(*tl.ClientProxyConnectionAuthLong); !ok {
		t.Errorf("auth offered while the chain fails = %T, want long", auth)
	}
}

func TestNewChainNeedsContracts(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"is_test":true,"worker_policy":"fake_tdx"}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(cfg, Deps{Mode: chainconf.OnChain, WorkerTLS: &tls.Config{}, ClientTLS: &tls.Config{}, RootVersion: testRootVersion, Chain: newFakeChain(nil)})
	if err == nil || !strings.Contains(err.Error(), "Contracts") {
		t.Errorf("New with a chain and no contracts = %v, want an error naming Contracts", err)
	}
}

func TestRunValuesOlderRecordsAtTheContractsPricesAndCommitsRestoredSeqno(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, key, _ := ed25519.GenerateKey(nil)
		file := store.NewMemoryFile()
		st, err := store.OpenMemory(file, key)
		if err != nil {
			t.Fatal(err)
		}
		// A previous run, older than the records' values, flushed 30
		// tokens at seqno 1 and never saw it on chain.
		recs := []billing.Record{
			{Kind: billing.KindClient, Address: "c", Owner: "c", Tokens: 30, Seqno: 1, Chain: rich},
			{Kind: billing.KindWorker, Address: "w", Owner: "w", Tokens: 30, Seqno: 1},
		}
		if err := st.Save(t.Context(), billing.Flush{Seqno: 1, Records: recs}); err != nil {
			t.Fatal(err)
		}
		for i := range recs {
			recs[i].ValueUnknown = true
		}
		owner := paymenttest.Addr([]byte("owner"))
		cfg, err := ParseConfig([]byte(`{"is_test":true,"worker_policy":"fake_tdx","owner_address":"` + owner.String() + `"}`))
		if err != nil {
			t.Fatal(err)
		}
		sc, _ := paymenttest.Contracts{}.ProxyAddress(owner, key.Public().(ed25519.PublicKey))
		fc := newFakeChain(sc)
		fc.root.Prices = billing.DefaultPrices(5, 3)
		p, err := New(cfg, Deps{Mode: chainconf.OnChain, WorkerTLS: &tls.Config{}, ClientTLS: &tls.Config{}, RootVersion: testRootVersion, SigningKey: key, Contracts: paymenttest.Contracts{},
			Prices: billing.DefaultPrices(2, 1), Store: legacyStore{st, recs}, Chain: fc, WorkerPeers: newFakePeers(t)})
		if err != nil {
			t.Fatal(err)
		}
		workers, clients := newFakeListener(), newFakeListener()
		stop := startRun(t, p, workers, clients)
		<-clients.accepted
		if got := fc.commitList(); len(got) != 1 || got[0] != 1 {
			t.Errorf("first commit = %v, want the restored seqno [1]", got)
		}
		if a, _ := p.ledger.Client("c"); a.CommittedToChain != 30 {
			t.Errorf("restored client committed to chain = %d, want 30 after the first commit", a.CommittedToChain)
		}
		if tot := p.Snapshot().Totals; tot.Charged != 150 || tot.Earned != 90 || tot.Commission != 60 {
			t.Errorf("restored totals = %+v, want 150 charged, 90 earned, 60 commission at the prices of the proxy contract read from the root", tot)
		}
		stop()
	})
}

func TestRootVersionFollowsTheChain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp := newChainProxy(t, `,"root_poll_every":"10s"`)
		workers, clients := newFakeListener(), newFakeListener()
		stop := startRun(t, cp.Proxy, workers, clients)
		<-clients.accepted
		connectAt := func(version int32) error {
			cc := newClientConn(cp.Proxy)
			_, err := clientAsk(cc, &tl.ClientConnectToProxy{Params: tl.ClientParams{Flags: 1 | 2, ClientOwnerAddress: paymenttest.Addr([]byte("c")).String(), IsTest: true, MinProtoVersion: 1, MaxProtoVersion: 2}, MinConfigVersion: version})
			return err
		}
		if err := connectAt(4); err == nil {
			t.Error("a client that saw root version 4 was accepted at version 3")
		}
		cp.chain.mu.Lock()
		cp.chain.root.Version, cp.chain.root.ParamsVersion = 4, 2
		cp.chain.mu.Unlock()
		time.Sleep(11 * time.Second)
		synctest.Wait()
		if err := connectAt(4); err != nil {
			t.Errorf("a client that saw root version 4 after the root moved to it: %v", err)
		}
		if got := cp.ledger.Prices(); got != billing.DefaultPrices(2, 1) {
			t.Errorf("prices after a params change = %+v, want those of the start", got)
		}
		stop()
	})
}

func TestPendingPaymentResubmitted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp := newChainProxy(t, `,"charge_threshold_nano":1,"chain_poll_every":"1s"`)
		client := cp.richClient(t, "c")
		cp.use(t, client.String(), "w", 10, true)
		cp.chain.setClient(client, ClientContract{ClientChain: rich}) // the charge never lands
		for i := range resubmitPolls + 1 {
			cp.pollChain(t.Context())
			if got, want := len(cp.chain.payments()), 1+i/resubmitPolls; got != want {
				t.Fatalf("after %d polls: %d charges submitted, want %d", i+1, got, want)
			}
			time.Sleep(time.Second)
		}
	})
}

func TestNoPayoutToClosedWorker(t *testing.T) {
	cp := newChainProxy(t, `,"payout_threshold_nano":1`)
	client := cp.richClient(t, "c")
	worker := cp.contractOf(t, billing.KindWorker, paymenttest.Addr([]byte("w")).String())
	cp.use(t, client.String(), worker.String(), 10, true)
	cp.chain.workers[worker.String()] = WorkerContract{State: 2}
	cp.pollChain(t.Context())
	for _, pay := range cp.chain.payments() {
		if pay.Op == payment.OpWorkerPayout {
			t.Errorf("payout of %d tokens submitted to a closed worker contract", pay.Tokens)
		}
	}
}

// TestWindDownClosingContract winds a closing proxy contract down: no
// client is refunded and no worker last-paid while a request runs or
// usage is not committed; then the client gets its grant refund and the
// worker its last payout of their final tokens; the close completes only
// once both contracts are closed and the contract unlocked.
func TestWindDownClosingContract(t *testing.T) {
	cp := newChainProxy(t, "")
	client := cp.richClient(t, "c")
	worker := cp.contractOf(t, billing.KindWorker, paymenttest.Addr([]byte("w")).String())
	cp.use(t, client.String(), worker.String(), 40, true)
	cp.chain.setClient(client, ClientContract{ClientChain: rich})
	cp.chain.workers[worker.String()] = WorkerContract{}
	windDownOps := func(got map[payment.Op][]payment.Payment) int {
		return len(got[payment.OpClientGrantRefund]) + len(got[payment.OpWorkerLastPayout]) + len(got[payment.OpProxyCloseComplete])
	}

	cp.pollChain(t.Context())
	if got := cp.chain.paymentsByOp(); windDownOps(got) != 0 || cp.Snapshot().Chain.Closing {
		t.Fatalf("a normal proxy contract: submitted %v, closing %v; want no wind-down", got, cp.Snapshot().Chain.Closing)
	}

	unlock := cp.now().Unix() + 3600
	cp.chain.mu.Lock()
	cp.chain.contract = ProxyContract{State: ContractClosing, UnlockTS: unlock}
	cp.chain.mu.Unlock()
	res, err := billing.Reserve(10, 0, billing.CoefficientOne, cp.ledger.Prices())
	if err != nil {
		t.Fatal(err)
	}
	hold, err := cp.ledger.Hold(client.String(), res)
	if err != nil {
		t.Fatal(err)
	}
	cp.pollChain(t.Context())
	if got := cp.chain.paymentsByOp(); windDownOps(got) != 0 {
		t.Errorf("wind-down with a request running: submitted %v, want nothing yet", got)
	}
	if !cp.Snapshot().Chain.Closing {
		t.Error("stats do not show the proxy contract closing")
	}
	cp.ledger.Release(hold)
	cp.use(t, client.String(), worker.String(), 2, false)
	cp.pollChain(t.Context())
	if got := cp.chain.paymentsByOp(); windDownOps(got) != 0 {
		t.Errorf("wind-down with usage not committed on chain: submitted %v, want nothing yet", got)
	}

	flushed, _ := cp.ledger.Seqno()
	if err := cp.ledger.CommittedToChain(flushed); err != nil {
		t.Fatal(err)
	}
	cp.pollChain(t.Context())
	got := cp.chain.paymentsByOp()
	wantFinalPayments(t, got, cp.pub, 42, client, worker, "the")
	if c := got[payment.OpProxyCloseComplete]; len(c) != 0 {
		t.Errorf("close completed %+v before the client and worker contracts closed", c)
	}

	cp.chain.closeAccounts(client, worker, 42)
	cp.pollChain(t.Context())
	if c := cp.chain.paymentsByOp()[payment.OpProxyCloseComplete]; len(c) != 0 {
		t.Errorf("close completed %+v before the contract unlocked", c)
	}

	cp.chain.mu.Lock()
	cp.chain.contract.UnlockTS = cp.now().Unix()
	cp.chain.mu.Unlock()
	// The completion waits resubmitPolls polls of settled contracts, so
	// that their refund and payout reports land first.
	for range resubmitPolls - 2 {
		cp.pollChain(t.Context())
	}
	if c := cp.chain.paymentsByOp()[payment.OpProxyCloseComplete]; len(c) != 0 {
		t.Fatalf("close completed %+v after %d polls of settled contracts, want %d", c, resubmitPolls-1, resubmitPolls)
	}
	cp.pollChain(t.Context())
	c := cp.chain.paymentsByOp()[payment.OpProxyCloseComplete]
	if len(c) != 1 || c[0].Tokens != 0 || c[0].Verify(cp.pub, payment.OpProxyCloseComplete, cp.inst.Load().sc) != nil {
		t.Fatalf("close completions %+v, want one signed for the proxy contract %s", c, cp.inst.Load().sc)
	}
	if got := cp.Snapshot().Chain.CloseCompletions; got != 1 {
		t.Errorf("close completions submitted = %d, want 1", got)
	}
	if got := cp.chain.paymentsByOp(); len(got[payment.OpClientGrantRefund]) != 1 || len(got[payment.OpWorkerLastPayout]) != 1 {
		t.Errorf("settled contracts were paid again: %v", got)
	}
}

// TestWindDownWaitsForUndeployedWorker keeps a closing proxy contract
// open while a worker with earnings has not deployed its contract, which
// its payouts from the proxy contract need.
// TestWindDownDeploysUndeployedWorker winds down a contract whose worker
// earned tokens but never deployed its contract (it deploys it with its
// first payout, and may hold no signed payout of its final tokens): the
// proxy deploys it with the last payout itself, and the close waits until
// the worker contract shows it.
func TestWindDownDeploysUndeployedWorker(t *testing.T) {
	cp := newChainProxy(t, "")
	client := cp.contractOf(t, billing.KindClient, paymenttest.Addr([]byte("c")).String())
	worker := cp.contractOf(t, billing.KindWorker, paymenttest.Addr([]byte("w")).String())
	closed := rich
	closed.State = billing.ClientClosed
	if err := cp.ledger.UpdateClient(client.String(), "c", rich); err != nil {
		t.Fatal(err)
	}
	cp.use(t, client.String(), worker.String(), 5, true)
	cp.chain.setClient(client, ClientContract{ClientChain: closed})
	cp.chain.contract = ProxyContract{State: ContractClosing, UnlockTS: cp.now().Unix()}
	for range 2 * resubmitPolls {
		cp.pollChain(t.Context())
	}
	var last []payment.Payment
	for _, pay := range cp.chain.payments() {
		switch pay.Op {
		case payment.OpProxyCloseComplete:
			t.Fatal("close completed while a worker with earnings has no contract")
		case payment.OpWorkerLastPayout:
			last = append(last, pay)
		}
	}
	cp.chain.mu.Lock()
	deployed := cp.chain.deployedWorkers
	cp.chain.mu.Unlock()
	if len(last) == 0 || last[0].Tokens != 5 || last[0].Verify(cp.pub, payment.OpWorkerLastPayout, worker) != nil || len(deployed) == 0 || deployed[0] != worker.String() {
		t.Fatalf("last payouts %+v deploying the contracts of %v, want the final 5 tokens to the worker contract, deploying it for its owner", last, deployed)
	}
	cp.chain.mu.Lock()
	cp.chain.workers[worker.String()] = WorkerContract{State: 2, Tokens: 5}
	cp.chain.mu.Unlock()
	for range resubmitPolls {
		cp.pollChain(t.Context())
	}
	completed := false
	for _, pay := range cp.chain.payments() {
		completed = completed || pay.Op == payment.OpProxyCloseComplete
	}
	if !completed {
		t.Error("no close completion once the worker contract is paid and closed")
	}
}

// packets is the far side of a session: it keeps the packets it receives.
type packets chan []byte

func (packets) ServeQuery(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("no queries")
}

func (p packets) ServePacket(payload []byte) {
	p <- bytes.Clone(payload)
}

// TestWindDownRefusesRequests refuses a client's request once the proxy
// contract is seen closing, and leaves nothing reserved.
func TestWindDownRefusesRequests(t *testing.T) {
	cp := newChainProxy(t, "")
	client := cp.richClient(t, "c")
	cp.chain.setClient(client, ClientContract{ClientChain: rich})
	cp.chain.contract = ProxyContract{State: ContractClosing, UnlockTS: cp.now().Unix() + 3600}
	cp.pollChain(t.Context())

	cc := newClientConn(cp.Proxy)
	cc.account = client.String()
	answer := refusedQuery(t, cp, cc)
	if answer.ErrorCode != wire.CodeNotReady || answer.Error != "the proxy contract is closing" {
		t.Errorf("answer %d %q, want %d and the proxy contract closing", answer.ErrorCode, answer.Error, wire.CodeNotReady)
	}
	if acc, err := cp.ledger.Client(client.String()); err != nil || acc.Reserved != 0 {
		t.Errorf("client reserves %d tokens (%v) after a refused request, want 0", acc.Reserved, err)
	}
}

// movedContracts derives the contracts under the proxy contract a proxy
// rolled over to: other addresses than paymenttest.Contracts'.
type movedContracts struct{}

func (movedContracts) ProxyAddress(owner *address.Address, key ed25519.PublicKey) (*address.Address, error) {
	return paymenttest.Addr([]byte("moved proxy"), owner.Data(), key), nil
}

func (movedContracts) ClientAddress(owner, proxyOwner *address.Address, key ed25519.PublicKey) (*address.Address, error) {
	return paymenttest.Addr([]byte("moved client"), owner.Data(), proxyOwner.Data(), key), nil
}

func (movedContracts) WorkerAddress(owner, proxyOwner *address.Address, key ed25519.PublicKey) (*address.Address, error) {
	return paymenttest.Addr([]byte("moved worker"), owner.Data(), proxyOwner.Data(), key), nil
}

// TestRolloverWindsOldContractDown changes the root's params under a
// proxy with a client and a worker: the proxy moves to the new contract
// and its prices, refuses a request of a connection under the old one,
// and winds the old one down — its close request, the client's grant
// refund and the worker's last payout of their final tokens, then, once
// both contracts are closed and the old contract unlocked, its close
// completion — while the new contract's accounts are charged as usual.
func TestRolloverWindsOldContractDown(t *testing.T) {
	cp := newChainProxy(t, "")
	oldSC := cp.inst.Load().sc
	oldIn := cp.inst.Load()
	clientOwner, workerOwner := paymenttest.Addr([]byte("c")).String(), paymenttest.Addr([]byte("w")).String()
	client := cp.richClient(t, clientOwner)
	worker := cp.contractOf(t, billing.KindWorker, workerOwner)
	cp.use(t, client.String(), worker.String(), 40, true)
	if err := cp.ledger.AddWorker(worker.String(), workerOwner); err != nil {
		t.Fatal(err)
	}
	cp.chain.setClient(client, ClientContract{ClientChain: rich})
	cp.chain.workers[worker.String()] = WorkerContract{Tokens: 40}

	newSC, _ := movedContracts{}.ProxyAddress(cp.contracts.owner, cp.pub)
	newPrices := billing.DefaultPrices(6, 3)
	cp.chain.mu.Lock()
	cp.chain.root.ParamsVersion = 2
	cp.chain.next = &Instance{Contract: newSC, Prices: newPrices, Derive: movedContracts{}}
	cp.chain.mu.Unlock()
	cp.refreshRoot(t.Context())
	if got := cp.inst.Load(); !got.sc.Equals(newSC) || got.prices != newPrices || cp.ledger.Prices() != newPrices {
		t.Fatalf("after the rollover the proxy serves under %s at %+v (ledger %+v), want %s at %+v", got.sc, got.prices, cp.ledger.Prices(), newSC, newPrices)
	}
	if s := cp.Snapshot().Chain; s.Rollovers != 1 || s.ProxyContract != newSC.String() {
		t.Errorf("chain stats %+v, want one rollover to %s", s, newSC)
	}
	if moved := cp.contractOf(t, billing.KindClient, clientOwner); moved.Equals(client) {
		t.Error("a client connecting after the rollover derives its old contract")
	}

	// A connection under the old contract is refused a request.
	cc := newClientConn(cp.Proxy)
	cc.account, cc.contract, cc.inst = client.String(), client, oldIn
	answer := refusedQuery(t, cp, cc)
	if answer.ErrorCode != wire.CodeNotReady || !strings.Contains(answer.Error, "new contract") {
		t.Errorf("answer %d %q, want %d and the proxy's new contract", answer.ErrorCode, answer.Error, wire.CodeNotReady)
	}
	if acc, err := cp.ledger.Client(client.String()); err != nil || acc.Reserved != 0 {
		t.Errorf("client reserves %d tokens (%v) after a refused request, want 0", acc.Reserved, err)
	}

	cp.pollChain(t.Context())
	ops1 := cp.chain.paymentsByOp()
	if r := ops1[payment.OpProxyCloseRequest]; len(r) != 1 || r[0].Verify(cp.pub, payment.OpProxyCloseRequest, oldSC) != nil {
		t.Errorf("close requests %+v, want one signed for the old contract %s", r, oldSC)
	}
	wantFinalPayments(t, ops1, cp.pub, 40, client, worker, "the old")

	// The old contract closing, its accounts closed and unlocked: the
	// completion after resubmitPolls settled polls.
	cp.chain.closeAccounts(client, worker, 40)
	cp.chain.mu.Lock()
	cp.chain.olds[oldSC.String()] = ProxyContract{State: ContractClosing, UnlockTS: cp.now().Unix()}
	cp.chain.mu.Unlock()
	for range resubmitPolls {
		cp.pollChain(t.Context())
	}
	c := cp.chain.paymentsByOp()[payment.OpProxyCloseComplete]
	if len(c) != 1 || c[0].Verify(cp.pub, payment.OpProxyCloseComplete, oldSC) != nil {
		t.Fatalf("close completions %+v, want one signed for the old contract %s", c, oldSC)
	}
	if cp.Snapshot().Chain.Closing {
		t.Error("stats show the contract served under closing")
	}

	// Closed, the old contract and its accounts are left alone.
	cp.chain.mu.Lock()
	cp.chain.olds[oldSC.String()] = ProxyContract{State: ContractClosed}
	cp.chain.mu.Unlock()
	cp.pollChain(t.Context())
	before := len(cp.chain.payments())
	for range 2 * resubmitPolls {
		cp.pollChain(t.Context())
	}
	if after := cp.chain.payments(); len(after) != before {
		t.Errorf("payments after the old contract closed: %+v, want none", after[before:])
	}
}

// TestRequestAcrossRolloverBilledAtItsContract settles a request that a
// client under the old proxy contract started before a rollover: it is
// billed at the old contract's prices, not the new ones the ledger moved
// to.
func TestRequestAcrossRolloverBilledAtItsContract(t *testing.T) {
	cp := newChainProxy(t, "")
	oldIn := cp.inst.Load()
	clientOwner, workerOwner := paymenttest.Addr([]byte("c")).String(), paymenttest.Addr([]byte("w")).String()
	client := cp.richClient(t, clientOwner)
	worker := cp.contractOf(t, billing.KindWorker, workerOwner)
	if err := cp.ledger.AddWorker(worker.String(), workerOwner); err != nil {
		t.Fatal(err)
	}
	cc := newClientConn(cp.Proxy)
	cc.account, cc.contract, cc.inst = client.String(), client, oldIn
	cc.sess, _ = pipeSession(t, make(packets, 4))
	wc := newWorkerConn(cp.Proxy)
	wc.account, wc.contract, wc.inst = worker.String(), worker, oldIn
	wc.sess, _ = pipeSession(t, make(packets, 4))

	r := &request{p: cp.Proxy, cc: cc, prices: cp.pricesOf(cc)}
	hold, err := cp.reserve(cc.account, &tl.ClientRunQueryEx{MaxTokens: 100, MaxCoefficient: billing.CoefficientOne}, r.prices)
	if err != nil {
		t.Fatal(err)
	}
	r.hold = hold

	newSC, _ := movedContracts{}.ProxyAddress(cp.contracts.owner, cp.pub)
	cp.chain.mu.Lock()
	cp.chain.root.ParamsVersion = 2
	cp.chain.next = &Instance{Contract: newSC, Prices: billing.DefaultPrices(6, 3), Derive: movedContracts{}}
	cp.chain.mu.Unlock()
	cp.refreshRoot(t.Context())
	if cp.inst.Load() == oldIn {
		t.Fatal("no rollover")
	}

	r.last, r.tokens = wc, 40
	cp.settle(r, billing.Succeeded)
	// The old contract's prices: 2 and 1 per token.
	if got := cp.ledger.Totals(); got.Tokens != 40 || got.Charged != 80 || got.Earned != 40 || got.Commission != 40 {
		t.Errorf("totals %+v, want 40 tokens charged 80, earned 40, commission 40 at the old contract's prices", got)
	}
}

// refusedQuery connects cc to a far end over a pipe, forwards a query
// from it and returns the error answer the far end receives.
func refusedQuery(t *testing.T, cp chainProxy, cc *clientConn) tl.ClientQueryAnswerErrorEx {
	t.Helper()
	a, b := net.Pipe()
	got := make(packets, 1)
	far := wire.NewSession(b, wire.Config{Outbound: true, Handler: got})
	cc.sess = wire.NewSession(a, wire.Config{Handler: cc})
	t.Cleanup(func() {
		cc.sess.Close()
		far.Close()
	})
	go cc.sess.Start(t.Context())
	if err := far.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	cp.forward(cc, &tl.ClientRunQueryEx{ModelName: "m", Query: []byte("q"), MaxCoefficient: 4000, MaxTokens: 10, Timeout: 10, RequestID: [32]byte{1}})
	var answer tl.ClientQueryAnswerErrorEx
	if err := tl.UnmarshalAs(<-got, &answer); err != nil {
		t.Fatal(err)
	}
	return answer
}
