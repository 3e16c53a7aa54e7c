package worker

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"net"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/wire"
)

var _ Contracts = paymenttest.Contracts{}

// fakeProxy answers the worker handshake with the figures it is given and
// payouts signed with its key.
type fakeProxy struct {
	key             ed25519.PrivateKey
	owner           *address.Address
	workerOwner     *address.Address
	db, total       int64
	extendedRefusal bool
	sawExtended     bool
}

func (p *fakeProxy) sc() (proxySC, workerSC *address.Address) {
	pub := p.key.Public().(ed25519.PublicKey)
	proxySC, _ = paymenttest.Contracts{}.ProxyAddress(p.owner, pub)
	workerSC, _ = paymenttest.Contracts{}.WorkerAddress(p.workerOwner, p.owner, pub)
	return proxySC, workerSC
}

// accountKey names the worker's account at p: its worker contract.
func (p *fakeProxy) accountKey() string {
	_, workerSC := p.sc()
	return accountKey("proxy:1", workerSC)
}

func (p *fakeProxy) ServeQuery(_ context.Context, payload []byte) ([]byte, error) {
	obj, err := tl.Unmarshal(payload)
	if err != nil {
		return nil, err
	}
	proxySC, workerSC := p.sc()
	switch obj.(type) {
	case *tl.WorkerConnectToProxy:
		params := tl.ProxyParams{Flags: 3, ProxyOwnerAddress: p.owner.String(), ProxySCAddress: proxySC.String(), IsTest: true, ProtoVersion: 2}
		copy(params.ProxyPublicKey[:], p.key.Public().(ed25519.PublicKey))
		return tl.Marshal(&tl.WorkerConnectedToProxy{Params: params, WorkerSCAddress: workerSC.String()}), nil
	case *tl.WorkerCompareBalanceWithProxy:
		var sp tl.ProxySignedPaymentT = &tl.ProxySignedPaymentEmpty{}
		if p.db > 0 {
			pay, err := payment.Sign(p.key, payment.OpWorkerPayout, 1, p.db, workerSC, nil)
			if err != nil {
				return nil, err
			}
			b, _ := pay.BOC()
			sp = &tl.ProxySignedPayment{Data: b}
		}
		return tl.Marshal(&tl.WorkerCompareBalanceWithProxyResult{SignedPayment: sp, TokensCommittedToDB: p.db, MaxTokens: p.total}), nil
	case *tl.WorkerExtendedCompareBalanceWithProxy:
		p.sawExtended = true
		code := int32(0)
		if p.extendedRefusal {
			code = 1
		}
		return tl.Marshal(&tl.WorkerExtendedCompareBalanceWithProxyResult{ErrorCode: code}), nil
	case *tl.WorkerProxyHandshakeComplete:
		return tl.Marshal(&tl.WorkerProxyHandshakeCompleted{}), nil
	}
	return nil, &wire.QueryError{Code: wire.CodeProtoViolation, Message: "unexpected query"}
}

func (p *fakeProxy) ServePacket([]byte) {}

func newPaymentWorker(t *testing.T, owner *address.Address) *Worker {
	t.Helper()
	cfg, err := ParseConfig([]byte(`{"is_test":true,"model_name":"m@c:v","forward_requests_to":"127.0.0.1:1","proxies":["127.0.0.1:2"],"proxy_policy":"fake_tdx","owner_address":"` + owner.String() + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	eng, _ := NewEngine(cfg.ForwardRequestsTo, nil)
	w, err := New(cfg, Deps{Mode: chainconf.FakeTON, TLS: &tls.Config{}, Engine: eng, Contracts: paymenttest.Contracts{}})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// handshakeWith runs the worker's handshake against p on a fresh
// connection.
func handshakeWith(t *testing.T, w *Worker, p wire.Handler) (*proxyConn, error) {
	t.Helper()
	a, b := net.Pipe()
	far := wire.NewSession(b, wire.Config{Handler: p})
	pc := &proxyConn{w: w, addr: "proxy:1", reqs: map[[32]byte]context.CancelFunc{}}
	pc.sess = wire.NewSession(a, wire.Config{Outbound: true, Handler: pc})
	t.Cleanup(func() {
		pc.sess.Close()
		far.Close()
	})
	go far.Start(context.Background())
	if err := pc.sess.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return pc, pc.handshake(context.Background())
}

func TestHandshakeBalanceComparison(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	workerOwner := paymenttest.Addr([]byte("worker owner"))
	w := newPaymentWorker(t, workerOwner)
	p := &fakeProxy{key: key, owner: paymenttest.Addr([]byte("proxy owner")), workerOwner: workerOwner, db: 10, total: 15}
	if _, err := handshakeWith(t, w, p); err != nil {
		t.Fatalf("first handshake: %v", err)
	}
	if a := w.accounts[p.accountKey()]; a.Signed != 10 || a.DB != 10 || a.Max != 15 {
		t.Fatalf("account after the first handshake: signed %d, %d committed of %d; want 10 signed, 10 committed of 15", a.Signed, a.DB, a.Max)
	}
	tests := []struct {
		name         string
		db, total    int64
		extRefusal   bool
		wantErr      error
		wantExtended bool
	}{
		// A restart lost the 5 uncommitted tokens: the extended
		// comparison runs, and the proxy is accepted.
		{name: "lost uncommitted tokens", db: 10, total: 10, wantExtended: true},
		{name: "ahead", db: 12, total: 20},
		{name: "lost committed tokens", db: 9, total: 20, wantErr: billing.ErrRollback},
		{name: "extended comparison refused", db: 10, total: 12, extRefusal: true, wantErr: errAny, wantExtended: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newPaymentWorker(t, workerOwner)
			if _, err := handshakeWith(t, w, &fakeProxy{key: key, owner: p.owner, workerOwner: workerOwner, db: 10, total: 15}); err != nil {
				t.Fatal(err)
			}
			q := &fakeProxy{key: key, owner: p.owner, workerOwner: workerOwner, db: tt.db, total: tt.total, extendedRefusal: tt.extRefusal}
			_, err := handshakeWith(t, w, q)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("handshake: %v, want success", err)
			case tt.wantErr == errAny && err == nil:
				t.Error("handshake succeeded, want an error")
			case tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Errorf("handshake: %v, want %v", err, tt.wantErr)
			}
			if q.sawExtended != tt.wantExtended {
				t.Errorf("extended comparison ran: %v, want %v", q.sawExtended, tt.wantExtended)
			}
		})
	}
}

// errAny stands for any error in the table above.
var errAny = errors.New("any error")

// connectedWorker is a payment worker after its handshake with a fake
// proxy that introduces itself with key and reports 10 tokens committed
// of 15: the worker, the proxy and the worker's side of the connection.
func connectedWorker(t *testing.T, key ed25519.PrivateKey) (*Worker, *fakeProxy, *proxyConn) {
	t.Helper()
	workerOwner := paymenttest.Addr([]byte("worker owner"))
	w := newPaymentWorker(t, workerOwner)
	p := &fakeProxy{key: key, owner: paymenttest.Addr([]byte("proxy owner")), workerOwner: workerOwner, db: 10, total: 15}
	pc, err := handshakeWith(t, w, p)
	if err != nil {
		t.Fatal(err)
	}
	return w, p, pc
}

func TestHandshakeRefusesForgedPayout(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	_, other, _ := ed25519.GenerateKey(nil)
	// The proxy introduces itself with key but signs with other.
	w, p, pc := connectedWorker(t, key)
	_, workerSC := p.sc()
	b := paymenttest.SignedBOC(t, other, payment.OpWorkerPayout, 2, 20, workerSC)
	pc.ServePacket(tl.Marshal(&tl.ProxyWorkerRequestPayment{SignedPayment: &tl.ProxySignedPayment{Data: b}, DBTokens: 20, MaxTokens: 20, RequestTokens: 5}))
	<-pc.sess.Done()
	if !errors.Is(pc.sess.Err(), errUntrustedProxy) {
		t.Errorf("connection ended with %v, want %v", pc.sess.Err(), errUntrustedProxy)
	}
	if a := w.accounts[p.accountKey()]; a.Signed != 10 || a.Requests != 0 {
		t.Errorf("account after the forged payout: signed %d, %d requests; want 10 and none", a.Signed, a.Requests)
	}
}

func TestPollAnswerOvertaken(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	_, p, pc := connectedWorker(t, key)
	_, workerSC := p.sc()
	payout := func(k ed25519.PrivateKey, tokens int64) tl.ProxySignedPaymentT {
		return &tl.ProxySignedPayment{Data: paymenttest.SignedBOC(t, k, payment.OpWorkerPayout, 3, tokens, workerSC)}
	}
	asked := pc.figures()
	if err := pc.payment(payout(key, 20), 20, 25); err != nil {
		t.Fatal(err)
	}
	if err := pc.pollAnswer(payout(key, 10), 10, 18, asked); err != nil {
		t.Errorf("an overtaken poll answer was refused: %v", err)
	}
	if got := pc.figures(); got.Signed != 20 || got.DB != 20 || got.Max != 25 {
		t.Errorf("figures after the overtaken answer = %+v, want the newer 20, 20, 25", got)
	}
	_, other, _ := ed25519.GenerateKey(nil)
	if err := pc.pollAnswer(payout(other, 12), 12, 18, asked); !errors.Is(err, errUntrustedProxy) {
		t.Errorf("a forged payout in an overtaken answer: %v, want %v", err, errUntrustedProxy)
	}
	if err := pc.pollAnswer(&tl.ProxySignedPaymentEmpty{}, 9, 18, asked); !errors.Is(err, billing.ErrRollback) {
		t.Errorf("an answer below the figures held when polling: %v, want %v", err, billing.ErrRollback)
	}
}

func TestAccountAtProxyMovedContract(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	workerOwner := paymenttest.Addr([]byte("worker owner"))
	w := newPaymentWorker(t, workerOwner)
	p := &fakeProxy{key: key, owner: paymenttest.Addr([]byte("proxy owner")), workerOwner: workerOwner}
	moved := paymenttest.Addr([]byte("moved proxy contract"))
	w.contracts = paymenttest.Moved{Proxy: moved}
	oldSC, oldWorker := p.sc()
	params := func(sc *address.Address, key ed25519.PublicKey) tl.ProxyParams {
		pp := tl.ProxyParams{Flags: 3, ProxyOwnerAddress: p.owner.String(), ProxySCAddress: sc.String(), IsTest: true, ProtoVersion: 2}
		copy(pp.ProxyPublicKey[:], key)
		return pp
	}
	pub := key.Public().(ed25519.PublicKey)
	old, _, err := w.accountAt(context.Background(), "proxy:1", params(oldSC, pub), oldWorker.String())
	if err != nil {
		t.Fatal(err)
	}
	newWorker := paymenttest.Addr([]byte("worker"), workerOwner.Data(), moved.Data())
	a, _, err := w.accountAt(context.Background(), "proxy:1", params(moved, pub), newWorker.String())
	if err != nil {
		t.Fatalf("the proxy's new contract was refused: %v", err)
	}
	if a == old || !a.ProxySC.Equals(moved) || !a.Own.Equals(newWorker) || a.superseded {
		t.Errorf("account under the new contract: %+v, want a new current account at %s", a, newWorker)
	}
	if !old.superseded {
		t.Error("the account under the old contract is not superseded")
	}
	if got := len(w.accounts); got != 2 {
		t.Errorf("accounts: %d, want 2", got)
	}
	// Back at the old contract, say after a restart from an older
	// database, the old account is current again.
	if again, _, err := w.accountAt(context.Background(), "proxy:1", params(oldSC, pub), oldWorker.String()); err != nil || again != old || old.superseded || !a.superseded {
		t.Errorf("back at the old contract: %v; old superseded %v, new superseded %v", err, old.superseded, a.superseded)
	}
	// Another key at the same address is still refused.
	other, _, _ := ed25519.GenerateKey(nil)
	if _, _, err := w.accountAt(context.Background(), "proxy:1", params(moved, other), newWorker.String()); !errors.Is(err, errUntrustedProxy) {
		t.Errorf("a proxy with another key: %v, want %v", err, errUntrustedProxy)
	}
}
