package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/client/gateway"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/wire"
)

var _ Contracts = paymenttest.Contracts{}

// paymentFixture is a client with a proxy key and the parameters an
// honest proxy sends.
type paymentFixture struct {
	c        *Client
	key      ed25519.PrivateKey
	params   tl.ProxyParams
	clientSC string
}

// honestParams are the parameters that an honest proxy owned by
// proxyOwner with key pub sends the client owned by owner, and the client
// contract it names.
func honestParams(owner, proxyOwner *address.Address, pub ed25519.PublicKey) (tl.ProxyParams, string) {
	p := tl.ProxyParams{Flags: 3, ProxyOwnerAddress: proxyOwner.String(), IsTest: true, ProtoVersion: 2}
	copy(p.ProxyPublicKey[:], pub)
	psc, _ := paymenttest.Contracts{}.ProxyAddress(proxyOwner, pub)
	csc, _ := paymenttest.Contracts{}.ClientAddress(owner, proxyOwner, pub)
	p.ProxySCAddress = psc.String()
	return p, csc.String()
}

func newPaymentFixture(t *testing.T) *paymentFixture {
	t.Helper()
	pub, key, _ := ed25519.GenerateKey(nil)
	owner, proxyOwner := paymenttest.Addr([]byte("client owner")), paymenttest.Addr([]byte("proxy owner"))
	f := &paymentFixture{
		c:   &Client{log: discard(), contracts: paymenttest.Contracts{}, owner: owner, accounts: map[string]*account{}, endpoints: map[string]*endpoint{}, needed: make(chan struct{}), stopped: make(chan struct{})},
		key: key,
	}
	f.params, f.clientSC = honestParams(owner, proxyOwner, pub)
	return f
}

// conn returns a connection checked by checkProxy, over a session whose
// far side takes everything.
func (f *paymentFixture) conn(t *testing.T) *proxyConn {
	t.Helper()
	pc := pipeConn(t, f.c, "proxy:1", nopHandler{})
	var err error
	if pc.account, pc.tracker, err = f.c.checkProxy(context.Background(), pc.addr, f.params, f.clientSC, f.c.owner); err != nil {
		t.Fatalf("checkProxy: %v", err)
	}
	return pc
}

// pipeConn is a connection of c to the proxy at addr over a pipe whose
// far end far serves; both ends close when the test ends.
func pipeConn(t *testing.T, c *Client, addr string, far wire.Handler) *proxyConn {
	t.Helper()
	a, b := net.Pipe()
	farSess := wire.NewSession(b, wire.Config{Handler: far})
	pc := &proxyConn{c: c, addr: addr, streams: map[[32]byte]*gateway.Stream{}}
	pc.sess = wire.NewSession(a, wire.Config{Outbound: true, Handler: pc})
	t.Cleanup(func() {
		pc.sess.Close()
		farSess.Close()
	})
	go farSess.Start(t.Context())
	if err := pc.sess.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return pc
}

type nopHandler struct{}

func (nopHandler) ServeQuery(context.Context, []byte) ([]byte, error) { return nil, errors.New("none") }
func (nopHandler) ServePacket([]byte)                                 {}

// charge signs a charge of tokens for target with key.
func charge(t *testing.T, key ed25519.PrivateKey, op payment.Op, target string, tokens int64) tl.ProxySignedPaymentT {
	t.Helper()
	return &tl.ProxySignedPayment{Data: paymenttest.SignedBOC(t, key, op, 1, tokens, address.MustParseAddr(target))}
}

func TestPaymentReports(t *testing.T) {
	_, otherKey, _ := ed25519.GenerateKey(nil)
	tests := []struct {
		name    string
		second  func(f *paymentFixture) (tl.ProxySignedPaymentT, int64, int64)
		refused bool
	}{
		{"higher figures", func(f *paymentFixture) (tl.ProxySignedPaymentT, int64, int64) {
			return charge(t, f.key, payment.OpClientCharge, f.clientSC, 20), 20, 30
		}, false},
		{"no payment, same figures", func(f *paymentFixture) (tl.ProxySignedPaymentT, int64, int64) {
			return &tl.ProxySignedPaymentEmpty{}, 10, 15
		}, false},
		{"signed by another key", func(f *paymentFixture) (tl.ProxySignedPaymentT, int64, int64) {
			return charge(t, otherKey, payment.OpClientCharge, f.clientSC, 20), 20, 30
		}, true},
		{"for another contract", func(f *paymentFixture) (tl.ProxySignedPaymentT, int64, int64) {
			return charge(t, f.key, payment.OpClientCharge, f.params.ProxySCAddress, 20), 20, 30
		}, true},
		{"a worker payout", func(f *paymentFixture) (tl.ProxySignedPaymentT, int64, int64) {
			return charge(t, f.key, payment.OpWorkerPayout, f.clientSC, 20), 20, 30
		}, true},
		{"signed tokens go backwards", func(f *paymentFixture) (tl.ProxySignedPaymentT, int64, int64) {
			return charge(t, f.key, payment.OpClientCharge, f.clientSC, 5), 10, 15
		}, true},
		{"committed tokens go backwards", func(f *paymentFixture) (tl.ProxySignedPaymentT, int64, int64) {
			return &tl.ProxySignedPaymentEmpty{}, 9, 15
		}, true},
		{"total tokens go backwards", func(f *paymentFixture) (tl.ProxySignedPaymentT, int64, int64) {
			return &tl.ProxySignedPaymentEmpty{}, 10, 14
		}, true},
		{"not a payment", func(f *paymentFixture) (tl.ProxySignedPaymentT, int64, int64) {
			return &tl.ProxySignedPayment{Data: []byte{1, 2, 3}}, 10, 15
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newPaymentFixture(t)
			pc := f.conn(t)
			if err := pc.payment(charge(t, f.key, payment.OpClientCharge, f.clientSC, 10), 10, 15); err != nil {
				t.Fatalf("first report refused: %v", err)
			}
			sp, db, total := tt.second(f)
			err := pc.payment(sp, db, total)
			if got := err != nil; got != tt.refused {
				t.Fatalf("second report: got error %v, want refused=%v", err, tt.refused)
			}
			select {
			case <-pc.sess.Done():
				if !tt.refused {
					t.Errorf("connection dropped after an acceptable report: %v", pc.sess.Err())
				} else if !errors.Is(pc.sess.Err(), errProxyRolledBack) {
					t.Errorf("connection dropped with %v, want %v", pc.sess.Err(), errProxyRolledBack)
				}
			default:
				if tt.refused {
					t.Error("connection kept after a refused report")
				}
			}
			if got := pc.account.Signed; !tt.refused && got < 10 || tt.refused && got != 10 {
				t.Errorf("signed tokens kept = %d", got)
			}
		})
	}
}

func TestReconnectKeepsCommittedFigures(t *testing.T) {
	f := newPaymentFixture(t)
	pc := f.conn(t)
	if err := pc.payment(charge(t, f.key, payment.OpClientCharge, f.clientSC, 10), 10, 15); err != nil {
		t.Fatal(err)
	}
	// A restarted proxy may have lost its uncommitted 5 tokens, but not
	// its committed 10 or its signature for them.
	pc2 := f.conn(t)
	if err := pc2.payment(&tl.ProxySignedPaymentEmpty{}, 10, 10); err != nil {
		t.Errorf("a proxy that kept its committed figures was refused: %v", err)
	}
	pc3 := f.conn(t)
	if err := pc3.payment(&tl.ProxySignedPaymentEmpty{}, 9, 9); err == nil {
		t.Error("a proxy that lost committed tokens was accepted")
	}
}

func TestCheckProxy(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *paymentFixture)
	}{
		{"wrong proxy contract", func(f *paymentFixture) { f.params.ProxySCAddress = f.clientSC }},
		{"wrong client contract", func(f *paymentFixture) { f.clientSC = f.params.ProxySCAddress }},
		{"owner is not an address", func(f *paymentFixture) { f.params.ProxyOwnerAddress = "proxy" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newPaymentFixture(t)
			tt.change(f)
			if _, _, err := f.c.checkProxy(context.Background(), "proxy:1", f.params, f.clientSC, f.c.owner); err == nil {
				t.Error("checkProxy accepted the proxy")
			}
		})
	}
	t.Run("key changed since first seen", func(t *testing.T) {
		f := newPaymentFixture(t)
		f.conn(t)
		g := newPaymentFixture(t)
		f.params, f.clientSC = g.params, g.clientSC
		f.c.owner = g.c.owner
		if _, _, err := f.c.checkProxy(context.Background(), "proxy:1", f.params, f.clientSC, f.c.owner); !errors.Is(err, errProxyRolledBack) {
			t.Errorf("checkProxy = %v, want %v", err, errProxyRolledBack)
		}
	})
}

func TestCheckProxyMovedContract(t *testing.T) {
	f := newPaymentFixture(t)
	moved := paymenttest.Addr([]byte("moved proxy contract"))
	f.c.contracts = paymenttest.Moved{Proxy: moved}
	pc := f.conn(t)
	if err := pc.payment(charge(t, f.key, payment.OpClientCharge, f.clientSC, 10), 10, 15); err != nil {
		t.Fatal(err)
	}
	old := pc.account
	f.params.ProxySCAddress = moved.String()
	newClient := paymenttest.Addr([]byte("client"), f.c.owner.Data(), moved.Data())
	a, tr, err := f.c.checkProxy(context.Background(), "proxy:1", f.params, newClient.String(), f.c.owner)
	if err != nil {
		t.Fatalf("the proxy's new contract was refused: %v", err)
	}
	if a == old || !a.ProxySC.Equals(moved) || !a.Own.Equals(newClient) {
		t.Errorf("account under the new contract: %+v, want a new one at %s", a, newClient)
	}
	// The new account starts from nothing; the old keeps its figures.
	if got := tr.Figures(); got != (payment.Figures{}) {
		t.Errorf("new account's tracker starts at %+v, want zero", got)
	}
	if old.Signed != 10 || old.DB != 10 || old.Max != 15 {
		t.Errorf("old account: signed %d, committed %d, total %d; want 10, 10, 15", old.Signed, old.DB, old.Max)
	}
	if got, _ := f.c.accountsSnapshot(); len(got) != 2 || got[0].ProxySCAddress == got[1].ProxySCAddress {
		t.Errorf("accounts = %+v, want one under each contract", got)
	}
	// Another key at the same address is still refused.
	pub, _, _ := ed25519.GenerateKey(nil)
	copy(f.params.ProxyPublicKey[:], pub)
	if _, _, err := f.c.checkProxy(context.Background(), "proxy:1", f.params, newClient.String(), f.c.owner); !errors.Is(err, errProxyRolledBack) {
		t.Errorf("a proxy with another key: %v, want %v", err, errProxyRolledBack)
	}
}

func TestPollAnswerOvertaken(t *testing.T) {
	f := newPaymentFixture(t)
	pc := f.conn(t)
	if err := pc.payment(charge(t, f.key, payment.OpClientCharge, f.clientSC, 10), 10, 15); err != nil {
		t.Fatal(err)
	}
	asked := pc.tracker.Figures()
	// A request's report, sent after the proxy answered the poll, arrives
	// first.
	if err := pc.payment(charge(t, f.key, payment.OpClientCharge, f.clientSC, 20), 20, 25); err != nil {
		t.Fatal(err)
	}
	if err := pc.pollAnswer(charge(t, f.key, payment.OpClientCharge, f.clientSC, 10), 10, 17, asked); err != nil {
		t.Errorf("an overtaken poll answer was refused: %v", err)
	}
	if got := pc.tracker.Figures(); got.Signed != 20 || got.DB != 20 || got.Max != 25 {
		t.Errorf("figures after the overtaken answer = %+v, want the newer 20, 20, 25", got)
	}
	// A forged payment is refused even in an overtaken answer.
	_, other, _ := ed25519.GenerateKey(nil)
	if err := pc.pollAnswer(charge(t, other, payment.OpClientCharge, f.clientSC, 12), 12, 17, asked); err == nil {
		t.Error("a forged payment in an overtaken answer was accepted")
	}

	g := newPaymentFixture(t)
	pc = g.conn(t)
	if err := pc.payment(charge(t, g.key, payment.OpClientCharge, g.clientSC, 10), 10, 15); err != nil {
		t.Fatal(err)
	}
	asked = pc.tracker.Figures()
	if err := pc.pollAnswer(&tl.ProxySignedPaymentEmpty{}, 9, 15, asked); !errors.Is(err, errProxyRolledBack) {
		t.Errorf("an answer below the figures held when polling: %v, want %v", err, errProxyRolledBack)
	}
}
