package client

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/client/gateway"
	"github.com/cocoon-go/cocoon/internal/config"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/wire"
)

const (
	testStake = billing.TON
	testPrice = billing.NanoTON(2)
	// testDelay is the contracts' client_delay_before_close, in seconds.
	testDelay = 600
)

// fakeChain acts as the client contracts do (top-ups, charges, withdrawals, refunds), one per
// proxy key, at the price testPrice unless one set holds another, and
// records the operations sent.
type fakeChain struct {
	clock *sharedtest.Clock

	mu        sync.Mutex
	contracts map[string]*ClientContract // by proxy key, hex
	nonces    []uint64                   // registered
	calls     []string
	fail      error // returned by every call when set
}

func newFakeChain(clock *sharedtest.Clock) *fakeChain {
	return &fakeChain{clock: clock, contracts: map[string]*ClientContract{}}
}

var _ Chain = (*fakeChain)(nil)

func (f *fakeChain) record(format string, args ...any) error {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
	return f.fail
}

// called returns the calls recorded, and forgets them.
func (f *fakeChain) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.calls
	f.calls = nil
	return out
}

func (f *fakeChain) get(p ProxyID) *ClientContract {
	return f.contracts[slot(p)]
}

// slot names the contract at p: one per proxy key, one more per contract
// the proxy moved to from its derived one, and one more per generation.
func slot(p ProxyID) string {
	k := hex.EncodeToString(p.Key)
	if derived, _ := (paymenttest.Contracts{}).ProxyAddress(p.Owner, p.Key); p.Contract != nil && !p.Contract.Equals(derived) {
		k += "/" + p.Contract.String()
	}
	if p.Generation > 0 {
		k += fmt.Sprintf("/gen %d", p.Generation)
	}
	return k
}

// genOwner is the owner of the fake client's contracts of generation gen:
// the configured owner for the first.
func genOwner(gen uint32) *address.Address {
	if gen == 0 {
		return paymenttest.Addr([]byte("client owner"))
	}
	return paymenttest.Addr([]byte("client owner"), []byte{byte(gen)})
}

func (f *fakeChain) Owner(gen uint32) (*address.Address, error) { return genOwner(gen), nil }

func (f *fakeChain) Reclaim(ctx context.Context, gen uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record("reclaim %d", gen)
}

// set deploys or replaces the contract at p.
func (f *fakeChain) set(p ProxyID, ct ClientContract) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.contracts[slot(p)] = &ct
}

func (f *fakeChain) state(p ProxyID) ClientContract {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ct := f.get(p); ct != nil {
		return *ct
	}
	return ClientContract{}
}

func (f *fakeChain) Contract(ctx context.Context, p ProxyID) (ClientContract, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return ClientContract{}, f.fail
	}
	ct := f.get(p)
	if ct == nil {
		return ClientContract{ClientChain: billing.ClientChain{Stake: testStake}, PricePerToken: testPrice}, ErrNoContract
	}
	read := *ct
	if read.PricePerToken == 0 {
		read.PricePerToken = testPrice
	}
	return read, nil
}

func (f *fakeChain) Deploy(ctx context.Context, p ProxyID, amount billing.NanoTON, secretHash [32]byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("deploy %d %x", amount, secretHash[:4]); err != nil {
		return err
	}
	f.contracts[slot(p)] = &ClientContract{ClientChain: billing.ClientChain{Balance: amount, Stake: testStake}, SecretHash: secretHash}
	return nil
}

func (f *fakeChain) Register(ctx context.Context, p ProxyID, nonce uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("register %d", nonce); err != nil {
		return err
	}
	f.nonces = append(f.nonces, nonce)
	return nil
}

func (f *fakeChain) registered(nonce uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.nonces, nonce)
}

func (f *fakeChain) TopUp(ctx context.Context, p ProxyID, amount billing.NanoTON) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("topup %d", amount); err != nil {
		return err
	}
	f.get(p).Balance += amount
	return nil
}

func (f *fakeChain) ChangeSecret(ctx context.Context, p ProxyID, secretHash [32]byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("secret %x", secretHash[:4]); err != nil {
		return err
	}
	f.get(p).SecretHash = secretHash
	return nil
}

func (f *fakeChain) Withdraw(ctx context.Context, p ProxyID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("withdraw"); err != nil {
		return err
	}
	ct := f.get(p)
	if ct.Balance <= ct.Stake {
		return errors.New("exit code 1001")
	}
	ct.Balance = ct.Stake
	return nil
}

func (f *fakeChain) RequestRefund(ctx context.Context, p ProxyID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("refund"); err != nil {
		return err
	}
	ct := f.get(p)
	switch ct.State {
	case billing.ClientRunning:
		ct.State, ct.UnlockTS = billing.ClientClosing, f.clock.Now().Unix()+testDelay
		ct.Balance = min(ct.Balance, ct.Stake)
	case billing.ClientClosing:
		if ct.UnlockTS >= f.clock.Now().Unix() {
			return errors.New("exit code 1011")
		}
		ct.State, ct.Balance = billing.ClientClosed, 0
	default:
		return errors.New("exit code 1006")
	}
	return nil
}

func (f *fakeChain) Charge(ctx context.Context, p ProxyID, signed []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	pay, err := payment.Parse(signed)
	if err != nil {
		return err
	}
	if err := f.record("charge %d", pay.Tokens); err != nil {
		return err
	}
	ct := f.get(p)
	if pay.Tokens > ct.TokensUsed {
		ct.Balance = max(0, ct.Balance-billing.NanoTON(pay.Tokens-ct.TokensUsed)*testPrice)
		ct.TokensUsed = pay.Tokens
	}
	return nil
}

// grant closes the contract at p as a proxy's grant refund does.
func (f *fakeChain) grant(p ProxyID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ct := f.get(p)
	ct.State, ct.Balance, ct.UnlockTS = billing.ClientClosed, 0, 0
}

// chainFixture is a client on a fake chain and a fake proxy it connects
// to over a pipe.
type chainFixture struct {
	c      *Client
	chain  *fakeChain
	clock  *sharedtest.Clock
	key    ed25519.PrivateKey
	id     ProxyID
	params tl.ProxyParams
	// clientSC is the client's contract at the proxy.
	clientSC string
}

const testSecret = "our secret"

func newChainFixture(t *testing.T, mod func(cfg *Config)) *chainFixture {
	t.Helper()
	clock := sharedtest.NewClock(time.Unix(1_800_000_000, 0))
	f := &chainFixture{chain: newFakeChain(clock), clock: clock}
	pub, key, _ := ed25519.GenerateKey(nil)
	f.key = key
	owner, proxyOwner := paymenttest.Addr([]byte("client owner")), paymenttest.Addr([]byte("proxy owner"))
	f.id = ProxyID{Owner: proxyOwner, Key: pub}
	f.params, f.clientSC = honestParams(owner, proxyOwner, pub)
	cfg := Config{IsTest: true, OwnerAddress: owner.String(), Proxies: []string{"proxy:1"}, ProxyConnections: 1,
		ProxyPolicy: "fake_tdx", MaxBodyBytes: 1 << 10, SecretString: testSecret}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg, Deps{Mode: chainconf.OnChain, TLS: &tls.Config{}, Logger: discard(), Clock: clock.Now, Contracts: paymenttest.Contracts{},
		Prices: billing.DefaultPrices(testPrice, 1), Chain: f.chain})
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	return f
}

// deployed puts the client's contract on the fake chain.
func (f *chainFixture) deployed(balance billing.NanoTON, secret string) {
	f.chain.set(f.id, ClientContract{ClientChain: billing.ClientChain{Balance: balance, Stake: testStake}, SecretHash: sha256.Sum256([]byte(secret))})
}

// fakeProxy answers the client's handshake: it offers auth and, on the
// long path, checks that the chain shows the nonce registered by the time
// the client asks.
type fakeProxy struct {
	f    *chainFixture
	auth tl.ClientProxyConnectionAuth

	mu sync.Mutex
	// got is the authorisation the client sent; registeredFirst whether
	// the nonce was registered when it came.
	got             tl.Object
	registeredFirst bool
}

func (p *fakeProxy) ServeQuery(ctx context.Context, b []byte) ([]byte, error) {
	obj, err := tl.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	switch q := obj.(type) {
	case *tl.ClientConnectToProxy:
		// The client contract derives from the owner the client names:
		// its generation's.
		owner, err := address.ParseAddr(q.Params.ClientOwnerAddress)
		if err != nil {
			return nil, err
		}
		csc, _ := paymenttest.Contracts{}.ClientAddress(owner, p.f.id.Owner, p.f.id.Key)
		return tl.Marshal(&tl.ClientConnectedToProxy{Params: p.f.params, ClientSCAddress: csc.String(), Auth: p.auth,
			SignedPayment: &tl.ProxySignedPaymentEmpty{}}), nil
	case *tl.ClientAuthorizeWithProxyLong, *tl.ClientAuthorizeWithProxyShort:
		p.mu.Lock()
		p.got = obj
		if a, ok := p.auth.(*tl.ClientProxyConnectionAuthLong); ok {
			p.registeredFirst = p.f.chain.registered(uint64(a.Nonce))
		}
		if a, ok := p.auth.(*tl.ClientProxyConnectionAuthShort); ok {
			p.registeredFirst = p.f.chain.registered(uint64(a.Nonce))
		}
		p.mu.Unlock()
		return tl.Marshal(&tl.ClientAuthorizationWithProxySuccess{SignedPayment: &tl.ProxySignedPaymentEmpty{}}), nil
	}
	return nil, fmt.Errorf("unexpected %s", tl.Name(obj.TLID()))
}

func (p *fakeProxy) ServePacket([]byte) {}

// connect runs the client's handshake with a fake proxy offering auth.
func (f *chainFixture) connect(t *testing.T, auth tl.ClientProxyConnectionAuth) (*proxyConn, *fakeProxy, error) {
	t.Helper()
	fp := &fakeProxy{f: f, auth: auth}
	a, b := net.Pipe()
	far := wire.NewSession(b, wire.Config{Handler: fp})
	near := wire.NewSession(a, wire.Config{Outbound: true, Handler: nopHandler{}})
	var wg sync.WaitGroup
	t.Cleanup(func() {
		near.Close()
		far.Close()
		wg.Wait()
	})
	wg.Go(func() { far.Start(context.Background()) })
	if err := near.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	pc := &proxyConn{c: f.c, addr: "proxy:1", sess: near, streams: map[[32]byte]*gateway.Stream{}}
	err := pc.handshake(context.Background())
	return pc, fp, err
}

// account returns the client's only contract.
func (f *chainFixture) account(t *testing.T) *chainAccount {
	t.Helper()
	list := f.c.chainAccounts()
	if len(list) != 1 {
		t.Fatalf("%d contracts, want 1", len(list))
	}
	return list[0]
}

func (f *chainFixture) check(t *testing.T) {
	t.Helper()
	f.c.checkContract(context.Background(), f.account(t))
}

func (f *chainFixture) phase(t *testing.T) Phase {
	t.Helper()
	ca := f.account(t)
	ca.mu.Lock()
	defer ca.mu.Unlock()
	return ca.phase
}

func hashPrefix(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:4])
}

func TestHandshakeOnChain(t *testing.T) {
	long := &tl.ClientProxyConnectionAuthLong{Nonce: 42}
	short := func(secret string) tl.ClientProxyConnectionAuth {
		return &tl.ClientProxyConnectionAuthShort{SecretHash: sha256.Sum256([]byte(secret)), Nonce: 43}
	}
	tests := []struct {
		name      string
		deposit   int64
		onChain   func(f *chainFixture)
		auth      tl.ClientProxyConnectionAuth
		wantCalls []string
		wantLong  bool
	}{
		{name: "first connect deploys with one stake", auth: long,
			wantCalls: []string{fmt.Sprintf("deploy %d %s", testStake, hashPrefix(testSecret)), "register 42"}, wantLong: true},
		{name: "first connect deploys the configured deposit", deposit: 5 * int64(billing.TON), auth: long,
			wantCalls: []string{fmt.Sprintf("deploy %d %s", 5*billing.TON, hashPrefix(testSecret)), "register 42"}, wantLong: true},
		{name: "deployed, short offered", onChain: func(f *chainFixture) { f.deployed(testStake, testSecret) },
			auth: short(testSecret), wantCalls: nil},
		{name: "deployed, long offered: no redeploy", onChain: func(f *chainFixture) { f.deployed(testStake, testSecret) },
			auth: long, wantCalls: []string{"register 42"}, wantLong: true},
		{name: "another secret on chain", onChain: func(f *chainFixture) { f.deployed(testStake, "old secret") },
			auth: short("old secret"), wantCalls: []string{"secret " + hashPrefix(testSecret), "register 43"}, wantLong: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newChainFixture(t, func(cfg *Config) { cfg.DepositNano = tt.deposit })
			if tt.onChain != nil {
				tt.onChain(f)
			}
			_, fp, err := f.connect(t, tt.auth)
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if got := f.chain.called(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("chain calls = %q, want %q", got, tt.wantCalls)
			}
			fp.mu.Lock()
			defer fp.mu.Unlock()
			_, gotLong := fp.got.(*tl.ClientAuthorizeWithProxyLong)
			if gotLong != tt.wantLong {
				t.Errorf("authorisation = %T, want long=%v", fp.got, tt.wantLong)
			}
			if tt.wantLong && !fp.registeredFirst {
				t.Error("the client asked for the long authorisation before registering the nonce")
			}
			if got := f.chain.state(f.id).SecretHash; got != sha256.Sum256([]byte(testSecret)) {
				t.Errorf("secret hash on chain = %x, want sha256(secret_string)", got[:4])
			}
		})
	}
}

func TestHandshakeChainFailure(t *testing.T) {
	f := newChainFixture(t, nil)
	f.chain.fail = errors.New("liteserver unreachable")
	_, fp, err := f.connect(t, &tl.ClientProxyConnectionAuthLong{Nonce: 1})
	if err == nil || !strings.Contains(err.Error(), "liteserver unreachable") {
		t.Fatalf("handshake error = %v, want the chain's failure", err)
	}
	if fp.got != nil {
		t.Errorf("the client authorised (%T) although its contract could not be read", fp.got)
	}
	if got := f.c.Snapshot().Contracts; len(got) != 1 || got[0].Errors != 1 {
		t.Errorf("contracts snapshot = %+v, want one with 1 error", got)
	}
}

func TestHandshakeRefusedWhenClosing(t *testing.T) {
	f := newChainFixture(t, nil)
	f.deployed(testStake, testSecret)
	f.chain.set(f.id, ClientContract{ClientChain: billing.ClientChain{State: billing.ClientClosing, Balance: testStake, Stake: testStake}, UnlockTS: 99})
	if _, _, err := f.connect(t, &tl.ClientProxyConnectionAuthLong{Nonce: 1}); !errors.Is(err, errContractClosing) {
		t.Fatalf("handshake error = %v, want %v", err, errContractClosing)
	}
	if got := f.phase(t); got != PhaseRefundRequested {
		t.Errorf("phase = %s, want %s adopted from the chain", got, PhaseRefundRequested)
	}
}

// signedCharge gives the client's account at the proxy a verified signed
// charge of tokens, and reported total usage.
func (f *chainFixture) signedCharge(t *testing.T, pc *proxyConn, tokens, total int64) {
	t.Helper()
	if err := pc.payment(charge(t, f.key, payment.OpClientCharge, f.clientSC, tokens), tokens, total); err != nil {
		t.Fatal(err)
	}
}

func TestTopUp(t *testing.T) {
	stakeTokens := int64(testStake / testPrice)
	tests := []struct {
		name    string
		balance billing.NanoTON
		used    int64 // the proxy's reported tokens
		want    []string
	}{
		{"full", testStake, 0, nil},
		{"exactly half left", testStake, stakeTokens / 2, nil},
		{"below half left", testStake, stakeTokens/2 + 1, []string{fmt.Sprintf("topup %d", testStake)}},
		{"balance below half", testStake/2 - testPrice, 0, []string{fmt.Sprintf("topup %d", testStake)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newChainFixture(t, nil)
			// The root's price has changed since the contract was
			// deployed: the contract's price counts.
			f.c.prices = billing.DefaultPrices(100*testPrice, 1)
			f.deployed(tt.balance, testSecret)
			pc, _, err := f.connect(t, &tl.ClientProxyConnectionAuthLong{Nonce: 1})
			if err != nil {
				t.Fatal(err)
			}
			if tt.used > 0 {
				f.signedCharge(t, pc, 1, tt.used)
			}
			f.chain.called()
			f.check(t)
			if got := f.chain.called(); !slices.Equal(got, tt.want) {
				t.Errorf("chain calls = %q, want %q", got, tt.want)
			}
			// The top-up shows on chain: the next check does not repeat it.
			f.check(t)
			if got := f.chain.called(); len(got) != 0 {
				t.Errorf("second check: chain calls = %q, want none", got)
			}
		})
	}
}

func TestTopUpNotRepeatedWhilePending(t *testing.T) {
	f := newChainFixture(t, nil)
	f.deployed(0, testSecret)
	if _, _, err := f.connect(t, &tl.ClientProxyConnectionAuthLong{Nonce: 1}); err != nil {
		t.Fatal(err)
	}
	f.chain.called()
	f.check(t)
	// The chain has not applied it yet.
	f.chain.set(f.id, ClientContract{ClientChain: billing.ClientChain{Stake: testStake}, SecretHash: sha256.Sum256([]byte(testSecret))})
	f.check(t)
	if got := f.chain.called(); len(got) != 1 {
		t.Errorf("chain calls = %q, want one top-up", got)
	}
	f.clock.Advance(resendAfter)
	f.check(t)
	if got := f.chain.called(); len(got) != 1 {
		t.Errorf("after %v: chain calls = %q, want the top-up again", resendAfter, got)
	}
}

func TestSelfCharge(t *testing.T) {
	halfStakeTokens := int64(testStake/testPrice) / 2
	tests := []struct {
		name   string
		op     payment.Op
		signed int64
		want   []string
	}{
		{"nothing signed beyond the chain", payment.OpClientCharge, 0, nil},
		{"exactly half the stake", payment.OpClientCharge, halfStakeTokens, nil},
		{"more than half the stake", payment.OpClientCharge, halfStakeTokens + 1, []string{fmt.Sprintf("charge %d", halfStakeTokens+1)}},
		// Submitting it would close the contract.
		{"a signed grant refund", payment.OpClientGrantRefund, halfStakeTokens + 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newChainFixture(t, nil)
			f.deployed(10*testStake, testSecret)
			pc, _, err := f.connect(t, &tl.ClientProxyConnectionAuthLong{Nonce: 1})
			if err != nil {
				t.Fatal(err)
			}
			if tt.signed > 0 {
				if err := pc.payment(charge(t, f.key, tt.op, f.clientSC, tt.signed), tt.signed, tt.signed); err != nil {
					t.Fatal(err)
				}
			}
			f.chain.called()
			f.check(t)
			if got := f.chain.called(); !slices.Equal(got, tt.want) {
				t.Errorf("chain calls = %q, want %q", got, tt.want)
			}
			if tt.want != nil {
				ct := f.chain.state(f.id)
				if ct.TokensUsed != tt.signed || ct.Balance != 10*testStake-billing.NanoTON(tt.signed)*testPrice {
					t.Errorf("contract after the charge: tokens_used %d, balance %d", ct.TokensUsed, ct.Balance)
				}
			}
		})
	}
}

func TestWithdraw(t *testing.T) {
	tests := []struct {
		name    string
		balance billing.NanoTON
		want    []string
	}{
		{"above the stake", 3 * testStake, []string{"withdraw"}},
		{"at the stake", testStake, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newChainFixture(t, nil)
			f.deployed(tt.balance, testSecret)
			if _, _, err := f.connect(t, &tl.ClientProxyConnectionAuthLong{Nonce: 1}); err != nil {
				t.Fatal(err)
			}
			f.chain.called()
			if err := f.c.Withdraw(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := f.chain.called(); !slices.Equal(got, tt.want) {
				t.Errorf("chain calls = %q, want %q", got, tt.want)
			}
			if got := f.chain.state(f.id).Balance; got != testStake {
				t.Errorf("balance after withdrawing = %d, want the stake %d", got, testStake)
			}
		})
	}
}

func TestCloseClaimsAfterUnlock(t *testing.T) {
	f := newChainFixture(t, nil)
	f.deployed(2*testStake, testSecret)
	if _, _, err := f.connect(t, &tl.ClientProxyConnectionAuthLong{Nonce: 1}); err != nil {
		t.Fatal(err)
	}
	f.chain.called()
	if err := f.c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := f.chain.called(), []string{"refund"}; !slices.Equal(got, want) {
		t.Errorf("Close: chain calls = %q, want %q", got, want)
	}
	if got := f.phase(t); got != PhaseRefundRequested {
		t.Fatalf("phase after Close = %s, want %s", got, PhaseRefundRequested)
	}
	// The proxy grants nothing; until unlock_ts the client waits.
	unlock := f.clock.Now().Unix() + testDelay
	f.check(t)
	f.clock.Advance(testDelay * time.Second)
	f.check(t)
	if got := f.chain.called(); len(got) != 0 {
		t.Errorf("before unlock_ts: chain calls = %q, want none", got)
	}
	if got := f.c.Snapshot().Contracts[0].UnlockTS; got != unlock {
		t.Errorf("unlock_ts = %d, want %d", got, unlock)
	}
	f.clock.Advance(time.Second)
	f.check(t)
	if got, want := f.chain.called(), []string{"refund"}; !slices.Equal(got, want) {
		t.Errorf("after unlock_ts: chain calls = %q, want the forced claim %q", got, want)
	}
	f.check(t)
	if got := f.phase(t); got != PhaseClosed {
		t.Errorf("phase after the claim = %s, want %s", got, PhaseClosed)
	}
	if ct := f.chain.state(f.id); ct.State != billing.ClientClosed || ct.Balance != 0 {
		t.Errorf("contract after the claim: %+v, want closed with balance 0", ct.ClientChain)
	}
	// A closed contract is not used again.
	if _, _, err := f.connect(t, &tl.ClientProxyConnectionAuthLong{Nonce: 2}); !errors.Is(err, errContractClosing) {
		t.Errorf("reconnecting: %v, want %v", err, errContractClosing)
	}
}

func TestCloseGranted(t *testing.T) {
	f := newChainFixture(t, nil)
	f.deployed(testStake, testSecret)
	pc, _, err := f.connect(t, &tl.ClientProxyConnectionAuthLong{Nonce: 1})
	if err != nil {
		t.Fatal(err)
	}
	f.c.setReady(pc, true)
	if err := f.c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-pc.sess.Done():
		if !errors.Is(pc.sess.Err(), errContractClosing) {
			t.Errorf("connection ended with %v, want %v", pc.sess.Err(), errContractClosing)
		}
	case <-time.After(10 * time.Second):
		t.Error("the connection to the proxy was kept after Close")
	}
	f.chain.called()
	f.chain.grant(f.id)
	f.check(t)
	if got := f.phase(t); got != PhaseClosed {
		t.Errorf("phase after the grant = %s, want %s", got, PhaseClosed)
	}
	if got := f.chain.called(); len(got) != 0 {
		t.Errorf("chain calls = %q, want none: the proxy granted the refund", got)
	}
}

func TestCloseRetriedByCheckLoop(t *testing.T) {
	f := newChainFixture(t, nil)
	f.deployed(testStake, testSecret)
	if _, _, err := f.connect(t, &tl.ClientProxyConnectionAuthLong{Nonce: 1}); err != nil {
		t.Fatal(err)
	}
	f.chain.called()
	// The read works, the request fails.
	failing := &failingRefund{fakeChain: f.chain}
	f.c.chain = failing
	if err := f.c.Close(context.Background()); err == nil {
		t.Fatal("Close succeeded although the refund request failed")
	}
	if got := f.phase(t); got != PhaseRefundRequested {
		t.Fatalf("phase = %s, want %s kept for the check loop", got, PhaseRefundRequested)
	}
	f.c.chain = f.chain
	f.check(t)
	if got := f.chain.state(f.id).State; got != billing.ClientClosing {
		t.Errorf("contract state after the check = %d, want closing", got)
	}
}

// failingRefund fails RequestRefund.
type failingRefund struct{ *fakeChain }

func (failingRefund) RequestRefund(context.Context, ProxyID) error {
	return errors.New("wallet balance too low")
}

func TestStateFileResumes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "client-state.json")
	withFile := func(cfg *Config) { cfg.StateFile = path }
	f := newChainFixture(t, withFile)
	f.deployed(testStake, testSecret)
	if _, _, err := f.connect(t, &tl.ClientProxyConnectionAuthLong{Nonce: 1}); err != nil {
		t.Fatal(err)
	}
	if err := f.c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.check(t)
	if entries, err := os.ReadDir(filepath.Dir(path)); err != nil || len(entries) != 1 {
		t.Errorf("state directory holds %d entries (%v), want only the state file", len(entries), err)
	}
	// The file names the proxy contract the client contract is at, from
	// which it derives across changes of the root's params.
	saved, err := loadState(path, f.c.owner)
	if err != nil || len(saved) != 1 || saved[0].ProxySC != f.params.ProxySCAddress {
		t.Fatalf("state file contracts %+v (%v), want one at proxy contract %s", saved, err, f.params.ProxySCAddress)
	}

	// A new client on the same file, chain and clock resumes the machine
	// without connecting anywhere.
	g, err := New(f.c.cfg, Deps{Mode: chainconf.OnChain, TLS: &tls.Config{}, Logger: discard(), Clock: f.clock.Now, Contracts: paymenttest.Contracts{},
		Prices: billing.DefaultPrices(testPrice, 1), Chain: f.chain})
	if err != nil {
		t.Fatal(err)
	}
	snap := g.Snapshot().Contracts
	if len(snap) != 1 || snap[0].Phase != PhaseRefundRequested || snap[0].Address != f.clientSC || snap[0].UnlockTS == 0 {
		t.Fatalf("restored contracts = %+v, want %s refund-requested with its unlock_ts", snap, f.clientSC)
	}
	f.chain.called()
	f.clock.Advance((testDelay + 1) * time.Second)
	ca := g.chainAccounts()[0]
	if ca.id.Contract == nil || ca.id.Contract.String() != f.params.ProxySCAddress {
		t.Errorf("restored contract at proxy contract %v, want %s", ca.id.Contract, f.params.ProxySCAddress)
	}
	g.checkContract(context.Background(), ca)
	g.checkContract(context.Background(), ca)
	if got, want := f.chain.called(), []string{"refund"}; !slices.Equal(got, want) {
		t.Errorf("restarted client: chain calls = %q, want the forced claim %q", got, want)
	}
	h, err := New(f.c.cfg, Deps{Mode: chainconf.OnChain, TLS: &tls.Config{}, Clock: f.clock.Now, Contracts: paymenttest.Contracts{}, Chain: f.chain})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Snapshot().Contracts[0].Phase; got != PhaseClosed {
		t.Errorf("after a second restart: phase %s, want %s", got, PhaseClosed)
	}
}

func TestCorruptStateFile(t *testing.T) {
	owner := paymenttest.Addr([]byte("client owner")).String()
	pub, _, _ := ed25519.GenerateKey(nil)
	good := fmt.Sprintf(`{"client_sc_address":%q,"proxy_owner_address":%q,"proxy_public_key":%q,"proxy":"p:1","phase":"running","unlock_ts":0}`,
		paymenttest.Addr([]byte("c")).String(), paymenttest.Addr([]byte("p")).String(), hex.EncodeToString(pub))
	tests := []struct {
		name, content, want string
	}{
		{"not JSON", "{", "unexpected EOF"},
		{"unknown field", `{"version":1,"owner_address":"` + owner + `","contracts":[],"x":1}`, "unknown field"},
		{"wrong version", `{"version":9,"owner_address":"` + owner + `","contracts":[]}`, "version 9"},
		{"another owner", `{"version":1,"owner_address":"` + paymenttest.Addr([]byte("x")).String() + `","contracts":[]}`, "not of this client"},
		{"bad phase", `{"version":1,"owner_address":"` + owner + `","contracts":[` + strings.Replace(good, `"running"`, `"open"`, 1) + `]}`, "unknown phase"},
		{"bad key", `{"version":1,"owner_address":"` + owner + `","contracts":[` + strings.Replace(good, hex.EncodeToString(pub), "abcd", 1) + `]}`, "proxy_public_key"},
		{"bad proxy contract", `{"version":1,"owner_address":"` + owner + `","contracts":[` + strings.Replace(good, `"proxy":`, `"proxy_sc_address":"zz","proxy":`, 1) + `]}`, "proxy_sc_address"},
		{"negative superseded_at", `{"version":1,"owner_address":"` + owner + `","contracts":[` + strings.Replace(good, `"unlock_ts":0`, `"unlock_ts":0,"superseded_at":-1`, 1) + `]}`, "superseded_at"},
		{"listed twice", `{"version":1,"owner_address":"` + owner + `","contracts":[` + good + "," + good + `]}`, "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := Config{IsTest: true, OwnerAddress: owner, Proxies: []string{"proxy:1"}, ProxyConnections: 1,
				ProxyPolicy: "fake_tdx", MaxBodyBytes: 1, StateFile: path}
			_, err := New(cfg, Deps{Mode: chainconf.OnChain, TLS: &tls.Config{}, Contracts: paymenttest.Contracts{}, Chain: newFakeChain(&sharedtest.Clock{})})
			if err == nil || !strings.Contains(err.Error(), "state file") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New error = %v, want one about the state file mentioning %q", err, tt.want)
			}
		})
	}
	t.Run("good file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "state.json")
		os.WriteFile(path, []byte(`{"version":1,"owner_address":"`+owner+`","contracts":[`+good+`]}`), 0o600)
		cfg := Config{IsTest: true, OwnerAddress: owner, Proxies: []string{"proxy:1"}, ProxyConnections: 1,
			ProxyPolicy: "fake_tdx", MaxBodyBytes: 1, StateFile: path}
		c, err := New(cfg, Deps{Mode: chainconf.OnChain, TLS: &tls.Config{}, Contracts: paymenttest.Contracts{}, Chain: newFakeChain(&sharedtest.Clock{})})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Snapshot().Contracts; len(got) != 1 || got[0].Phase != PhaseRunning {
			t.Errorf("contracts = %+v, want one running", got)
		}
	})
}

func TestChainNeedsContracts(t *testing.T) {
	cfg := Config{IsTest: true, OwnerAddress: "x", Proxies: []string{"proxy:1"}, ProxyConnections: 1, ProxyPolicy: "fake_tdx", MaxBodyBytes: 1}
	if _, err := New(cfg, Deps{Mode: chainconf.OnChain, TLS: &tls.Config{}, Chain: newFakeChain(&sharedtest.Clock{})}); err == nil || !strings.Contains(err.Error(), "Contracts") {
		t.Errorf("New error = %v, want one asking for Contracts", err)
	}
}

func TestControlEndpoints(t *testing.T) {
	post := func(t *testing.T, h http.Handler, path string) (int, ControlAnswer) {
		t.Helper()
		srv := httptest.NewServer(h)
		defer srv.Close()
		resp, err := http.Post(srv.URL+path, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ans ControlAnswer
		if resp.StatusCode != http.StatusBadRequest {
			if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
				t.Fatalf("decoding the answer: %v", err)
			}
		}
		return resp.StatusCode, ans
	}
	t.Run("withdraw and close", func(t *testing.T) {
		f := newChainFixture(t, func(cfg *Config) { cfg.HTTPAccessHash = "h4sh" })
		f.deployed(3*testStake, testSecret)
		if _, _, err := f.connect(t, &tl.ClientProxyConnectionAuthLong{Nonce: 1}); err != nil {
			t.Fatal(err)
		}
		if code, _ := post(t, f.c.Handler(), "/control/withdraw"); code != http.StatusBadRequest {
			t.Errorf("without the access hash: status %d, want 400", code)
		}
		code, ans := post(t, f.c.Handler(), "/control/withdraw?access_hash=h4sh")
		if code != http.StatusOK || !ans.OK || len(ans.Contracts) != 1 || ans.Contracts[0].Withdrawals != 1 {
			t.Errorf("withdraw: status %d, answer %+v, want ok with one withdrawal", code, ans)
		}
		if got := f.chain.state(f.id).Balance; got != testStake {
			t.Errorf("balance after withdrawing = %d, want the stake %d", got, testStake)
		}
		code, ans = post(t, f.c.Handler(), "/control/close?access_hash=h4sh")
		if code != http.StatusOK || !ans.OK || ans.Contracts[0].Phase != PhaseRefundRequested {
			t.Errorf("close: status %d, answer %+v, want ok with the contract refund-requested", code, ans)
		}
		srv := httptest.NewServer(f.c.Handler())
		defer srv.Close()
		resp, err := http.Get(srv.URL + "/jsonstats?access_hash=h4sh")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var snap Snapshot
		if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
			t.Fatal(err)
		}
		if len(snap.Contracts) != 1 || snap.Contracts[0].Phase != PhaseRefundRequested || snap.Contracts[0].State != billing.ClientClosing || snap.Contracts[0].StakeNano != int64(testStake) {
			t.Errorf("/jsonstats contracts = %+v, want one refund-requested, closing on chain, with its stake", snap.Contracts)
		}
	})
	t.Run("chain failure", func(t *testing.T) {
		f := newChainFixture(t, nil)
		f.deployed(3*testStake, testSecret)
		if _, _, err := f.connect(t, &tl.ClientProxyConnectionAuthLong{Nonce: 1}); err != nil {
			t.Fatal(err)
		}
		f.chain.fail = errors.New("liteserver unreachable")
		code, ans := post(t, f.c.Handler(), "/control/withdraw")
		if code != http.StatusBadGateway || ans.OK || !strings.Contains(ans.Error, "liteserver unreachable") {
			t.Errorf("status %d, answer %+v, want 502 with the chain's error", code, ans)
		}
	})
	t.Run("no chain", func(t *testing.T) {
		c, err := New(Config{IsTest: true, Proxies: []string{"proxy:1"}, ProxyConnections: 1, ProxyPolicy: "fake_tdx", MaxBodyBytes: 1},
			Deps{Mode: chainconf.FakeTON, TLS: &tls.Config{}})
		if err != nil {
			t.Fatal(err)
		}
		code, ans := post(t, c.Handler(), "/control/close")
		if code != http.StatusConflict || ans.OK || ans.Error == "" {
			t.Errorf("status %d, answer %+v, want 409 with an error", code, ans)
		}
	})
}

// TestCheckLoopUnderRun: Run owns the check loop, which acts every
// chain_check_every and stops with Run.
func TestCheckLoopUnderRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newChainFixture(t, nil)
		f.deployed(0, testSecret)
		owner := paymenttest.Addr([]byte("client owner"))
		path := filepath.Join(t.TempDir(), "state.json")
		saved := []contractState{{Address: f.clientSC, ProxyOwner: f.id.Owner.String(), ProxyKey: hex.EncodeToString(f.id.Key), Proxy: "proxy:1", Phase: PhaseRunning}}
		if err := saveState(path, encodeState(owner, saved)); err != nil {
			t.Fatal(err)
		}
		cfg := f.c.cfg
		cfg.StateFile, cfg.ChainCheckEvery = path, config.Duration(time.Second)
		c, err := New(cfg, Deps{Mode: chainconf.OnChain, TLS: &tls.Config{}, Logger: discard(), Contracts: paymenttest.Contracts{}, Prices: billing.DefaultPrices(testPrice, 1), Chain: f.chain,
			Dial: func(context.Context, string, string) (net.Conn, error) { return nil, errors.New("no network") }})
		if err != nil {
			t.Fatal(err)
		}
		_, stop := sharedtest.Go(func(ctx context.Context) { c.Run(ctx) })
		time.Sleep(time.Second / 2)
		synctest.Wait()
		if got := f.chain.called(); len(got) != 0 {
			t.Errorf("before the first check: chain calls %q, want none", got)
		}
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if got, want := f.chain.called(), []string{fmt.Sprintf("topup %d", testStake)}; !slices.Equal(got, want) {
			t.Errorf("after three checks: chain calls %q, want %q", got, want)
		}
		stop()
	})
}

// FuzzStateFile feeds arbitrary bytes to the state file reader: it must
// never panic, and a state it accepts must survive a write and a read.
func FuzzStateFile(f *testing.F) {
	owner := paymenttest.Addr([]byte("client owner"))
	pub := make([]byte, ed25519.PublicKeySize)
	good := fmt.Sprintf(`{"version":1,"owner_address":%q,"contracts":[{"client_sc_address":%q,"proxy_owner_address":%q,"proxy_public_key":%q,"proxy":"p:1","phase":"refund-requested","unlock_ts":7}]}`,
		owner.String(), paymenttest.Addr([]byte("c")).String(), paymenttest.Addr([]byte("p")).String(), hex.EncodeToString(pub))
	f.Add([]byte(good))
	f.Add([]byte(strings.Replace(good, `"unlock_ts":7`, `"unlock_ts":0,"superseded_at":1800000000,"proxy_sc_address":"`+paymenttest.Addr([]byte("psc")).String()+`"`, 1)))
	f.Add([]byte(strings.Replace(good, `"unlock_ts":7`, `"unlock_ts":7,"proxy_sc_address":"`+paymenttest.Addr([]byte("psc")).String()+`","tokens_committed_to_db":3,"max_tokens":5,"requests":2,"price_per_token_nano":"4","price_known":true`, 1)))
	f.Add([]byte(`{"version":1,"owner_address":"` + owner.String() + `","contracts":[]}`))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "state.json")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := loadState(path, owner)
		if err != nil {
			return
		}
		if err := saveState(path, encodeState(owner, got)); err != nil {
			t.Fatal(err)
		}
		again, err := loadState(path, owner)
		if err != nil {
			t.Fatalf("reading back an accepted state: %v", err)
		}
		if !slices.Equal(got, again) {
			t.Fatalf("state changed through a write: %+v, then %+v", got, again)
		}
	})
}

func TestLeaveContractProxyMovedFrom(t *testing.T) {
	for _, granted := range []bool{false, true} {
		t.Run(fmt.Sprintf("granted=%v", granted), func(t *testing.T) {
			f := newChainFixture(t, nil)
			old := f.id
			old.Contract, _ = address.ParseAddr(f.params.ProxySCAddress)
			// An empty contract, which a running one would top up.
			f.chain.set(old, ClientContract{ClientChain: billing.ClientChain{Stake: testStake},
				SecretHash: sha256.Sum256([]byte(testSecret)), CloseWait: 100 * time.Second})
			oldCA, err := f.c.chainAccountFor(old, f.clientSC, "proxy:1", nil)
			if err != nil {
				t.Fatal(err)
			}
			moved := old
			moved.Contract = paymenttest.Addr([]byte("moved proxy contract"))
			newCA, err := f.c.chainAccountFor(moved, paymenttest.Addr([]byte("client under the moved contract")).String(), "proxy:1", nil)
			if err != nil {
				t.Fatal(err)
			}
			f.c.checkContract(context.Background(), oldCA)
			if got := f.chain.called(); len(got) != 0 {
				t.Errorf("calls before the close wait: %v, want none (no top-up of a contract the proxy left)", got)
			}
			if granted {
				f.chain.grant(old)
			}
			f.clock.Advance(100 * time.Second)
			f.c.checkContract(context.Background(), oldCA)
			want, phase := []string{"refund"}, PhaseRefundRequested
			if granted {
				want, phase = nil, PhaseClosed
			}
			if got := f.chain.called(); !slices.Equal(got, want) {
				t.Errorf("calls after the close wait: %v, want %v", got, want)
			}
			if oldCA.phase != phase || newCA.phase != PhaseRunning || !newCA.supersededAt.IsZero() {
				t.Errorf("phases: old %s, new %s (superseded at %v); want %s and running", oldCA.phase, newCA.phase, newCA.supersededAt, phase)
			}
		})
	}
}

// TestPaidAtContractPrice checks that what the client paid at a proxy is
// valued at the price of its contract's params, read from the chain, not
// at the price the client started with; and at the latter where there is
// no contract to read, as on fake TON.
func TestPaidAtContractPrice(t *testing.T) {
	const tokens = 10
	contractPrice := 5 * testPrice
	t.Run("contract", func(t *testing.T) {
		f := newChainFixture(t, nil)
		f.chain.set(f.id, ClientContract{ClientChain: billing.ClientChain{Balance: testStake, Stake: testStake},
			SecretHash: sha256.Sum256([]byte(testSecret)), PricePerToken: contractPrice})
		pc, _, err := f.connect(t, &tl.ClientProxyConnectionAuthLong{Nonce: 1})
		if err != nil {
			t.Fatal(err)
		}
		pc.requestPayment(&tl.ProxyClientRequestPayment{SignedPayment: charge(t, f.key, payment.OpClientCharge, f.clientSC, tokens),
			DBTokens: tokens, MaxTokens: tokens, RequestTokens: tokens})
		s := f.c.Snapshot()
		want := int64(contractPrice) * tokens
		if len(s.Accounts) != 1 || s.Accounts[0].PaidNano != want || s.Paid.PaidNano != want {
			t.Errorf("accounts %+v, paid %+v: want %d nanoTON at the contract's price", s.Accounts, s.Paid, want)
		}
	})
	t.Run("fake TON", func(t *testing.T) {
		f := newPaymentFixture(t)
		f.c.prices = billing.DefaultPrices(testPrice, 1)
		pc := f.conn(t)
		pc.requestPayment(&tl.ProxyClientRequestPayment{SignedPayment: charge(t, f.key, payment.OpClientCharge, f.clientSC, tokens),
			DBTokens: tokens, MaxTokens: tokens, RequestTokens: tokens})
		if _, paid := f.c.accountsSnapshot(); paid.PaidNano != int64(testPrice)*tokens {
			t.Errorf("paid %+v: want %d nanoTON at the client's price", paid, int64(testPrice)*tokens)
		}
	})
}

// TestLeaveResumesAfterRestart checks that a client restarted while it
// waits to close a contract its proxy left closes it when the first run
// would have: the wait's start is in the state file.
func TestLeaveResumesAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "client-state.json")
	f := newChainFixture(t, func(cfg *Config) { cfg.StateFile = path })
	old := f.id
	old.Contract, _ = address.ParseAddr(f.params.ProxySCAddress)
	f.chain.set(old, ClientContract{ClientChain: billing.ClientChain{Balance: testStake, Stake: testStake},
		SecretHash: sha256.Sum256([]byte(testSecret)), CloseWait: 100 * time.Second})
	if _, err := f.c.chainAccountFor(old, f.clientSC, "proxy:1", nil); err != nil {
		t.Fatal(err)
	}
	start := f.clock.Now()
	moved := old
	moved.Contract = paymenttest.Addr([]byte("moved proxy contract"))
	if _, err := f.c.chainAccountFor(moved, paymenttest.Addr([]byte("client under the moved contract")).String(), "proxy:1", nil); err != nil {
		t.Fatal(err)
	}
	saved, err := loadState(path, f.c.owner)
	if err != nil {
		t.Fatal(err)
	}
	var marked []int64
	for _, st := range saved {
		marked = append(marked, st.SupersededAt)
	}
	if want := []int64{0, start.Unix()}; !slices.Equal(slices.Sorted(slices.Values(marked)), want) {
		t.Fatalf("superseded_at in the state file: %v, want %v in some order", marked, want)
	}

	// Restarted 60 s into the wait, without connecting to the proxy.
	f.clock.Advance(60 * time.Second)
	g, err := New(f.c.cfg, Deps{Mode: chainconf.OnChain, TLS: &tls.Config{}, Logger: discard(), Clock: f.clock.Now, Contracts: paymenttest.Contracts{},
		Prices: billing.DefaultPrices(testPrice, 1), Chain: f.chain})
	if err != nil {
		t.Fatal(err)
	}
	var ca *chainAccount
	for _, a := range g.chainAccounts() {
		if a.address.String() == f.clientSC {
			ca = a
		}
	}
	if ca == nil {
		t.Fatalf("restored contracts %+v lack %s", g.Snapshot().Contracts, f.clientSC)
	}
	f.chain.called()
	g.checkContract(context.Background(), ca)
	f.clock.Advance(39 * time.Second)
	g.checkContract(context.Background(), ca)
	if got := f.chain.called(); len(got) != 0 {
		t.Errorf("calls before the original deadline: %v, want none (no top-up, no refund)", got)
	}
	f.clock.Advance(time.Second)
	g.checkContract(context.Background(), ca)
	if got, want := f.chain.called(), []string{"refund"}; !slices.Equal(got, want) {
		t.Errorf("calls at the original deadline: %v, want %v", got, want)
	}
	if got := g.Snapshot().Contracts; !slices.ContainsFunc(got, func(s ContractSnapshot) bool {
		return s.Address == f.clientSC && s.Phase == PhaseRefundRequested
	}) {
		t.Errorf("contracts after the deadline: %+v, want %s refund-requested", got, f.clientSC)
	}
}

// TestStateFileKeepsAccount restarts a client with a state file: its
// account at the proxy for its contract comes back with the proxy's
// figures, its best signed charge, the requests billed and its
// contract's price, so that /jsonstats shows what it paid, as the proxy's
// ledger does, before and after the restart.
func TestStateFileKeepsAccount(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	f := newChainFixture(t, func(cfg *Config) { cfg.StateFile = path })
	f.deployed(testStake, testSecret)
	pc, _, err := f.connect(t, &tl.ClientProxyConnectionAuthShort{SecretHash: sha256.Sum256([]byte(testSecret))})
	if err != nil {
		t.Fatal(err)
	}
	f.signedCharge(t, pc, 30, 40)
	pc.requestPayment(&tl.ProxyClientRequestPayment{SignedPayment: &tl.ProxySignedPaymentEmpty{}, DBTokens: 30, MaxTokens: 40, RequestTokens: 40})
	// The root's price changed since the contract was deployed: the
	// contract's counts, once read.
	f.c.prices = billing.DefaultPrices(7*testPrice, 1)
	f.check(t)
	before := f.c.Snapshot()
	if before.Paid.Tokens != 40 || before.Paid.Requests != 1 || before.Paid.PaidNano != int64(40*testPrice) {
		t.Fatalf("paid %+v, want the proxy's 40 tokens at the contract's price %d", before.Paid, testPrice)
	}
	if err := f.c.persist(); err != nil {
		t.Fatal(err)
	}
	c, err := New(f.c.cfg, Deps{Mode: chainconf.OnChain, TLS: &tls.Config{}, Logger: discard(), Contracts: paymenttest.Contracts{}, Prices: billing.DefaultPrices(7*testPrice, 1), Chain: f.chain})
	if err != nil {
		t.Fatal(err)
	}
	after := c.Snapshot()
	if after.Paid != before.Paid || !slices.Equal(after.Accounts, before.Accounts) {
		t.Errorf("after a restart: paid %+v, accounts %+v; want %+v, %+v", after.Paid, after.Accounts, before.Paid, before.Accounts)
	}
	// The best charge came back: the restarted client can still submit
	// it itself.
	if a := c.accounts[f.clientSC]; a == nil || a.Best == nil || a.Signed != 30 {
		t.Errorf("restored account %+v, want the signed charge of 30 tokens", a)
	}
}
