package proxy

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// refObject decodes one TL object the reference sent, from
// ../shared/testdata/reference.
func refObject(t *testing.T, name string) tl.Object {
	t.Helper()
	b, err := os.ReadFile(sharedtest.Path(t, "testdata/reference/"+name))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := tl.Unmarshal(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return obj
}

// addrTag returns the tag byte of a user-friendly address: 0x11
// bounceable, 0x51 non-bounceable, plus 0x80 on testnet.
func addrTag(t *testing.T, s string) byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 36 {
		t.Fatalf("address %q is not user-friendly base64url: %v", s, err)
	}
	return b[0]
}

// interopProxy is a proxy with contracts whose config is extra JSON
// fields added to a test proxy's, and whose cocoon wallet is wallet (nil
// for none).
func interopProxy(t *testing.T, extra string, wallet ...*address.Address) *Proxy {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(nil)
	cfg, err := ParseConfig([]byte(`{"is_test":true,"worker_policy":"fake_tdx","owner_address":"` + hashAddr([]byte("owner")).String() + `"` + extra + `}`))
	if err != nil {
		t.Fatal(err)
	}
	deps := Deps{WorkerTLS: &tls.Config{}, ClientTLS: &tls.Config{}, SigningKey: key, Contracts: fakeContracts{}}
	if len(wallet) > 0 {
		deps.Wallet = wallet[0]
	}
	p, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestInteropNonBounceableAddresses pins mismatch 3: every address the
// proxy sends in its handshakes has the reference's form, user-friendly
// and non-bounceable (b-0001, d-0001: tag 0x51), with the testnet flag of
// is_testnet; the reference compares them flags included.
func TestInteropNonBounceableAddresses(t *testing.T) {
	ref := refObject(t, "b-client-proxy-0001-client.connectedToProxy.bin").(*tl.ClientConnectedToProxy)
	refWorker := refObject(t, "d-worker-proxy-0001-worker.connectedToProxy.bin").(*tl.WorkerConnectedToProxy)
	want := addrTag(t, ref.Params.ProxySCAddress)
	for _, s := range []string{ref.Params.ProxyOwnerAddress, ref.ClientSCAddress, refWorker.Params.ProxySCAddress, refWorker.WorkerSCAddress} {
		if addrTag(t, s) != want || want != 0x51 {
			t.Fatalf("the reference's addresses carry tags %#x and %#x: the fixtures changed", addrTag(t, s), want)
		}
	}
	for _, tc := range []struct {
		name  string
		extra string
		tag   byte
	}{{"mainnet", ``, want}, {"testnet", `,"is_testnet":true`, want | 0x80}} {
		t.Run(tc.name, func(t *testing.T) {
			p := interopProxy(t, tc.extra)
			owner := hashAddr([]byte("client owner"))
			cc := newClientConn(p)
			b, err := cc.ServeQuery(context.Background(), tl.Marshal(&tl.ClientConnectToProxy{Params: tl.ClientParams{
				Flags: 3, ClientOwnerAddress: owner.Bounce(false).String(), IsTest: true, MinProtoVersion: 1, MaxProtoVersion: 2}}))
			if err != nil {
				t.Fatal(err)
			}
			var cl tl.ClientConnectedToProxy
			if err := tl.UnmarshalAs(b, &cl); err != nil {
				t.Fatal(err)
			}
			wc := newWorkerConn(p)
			w := workerParams()
			w.WorkerOwnerAddress = owner.String()
			var wk tl.WorkerConnectedToProxy
			if err := ask(t, wc, &tl.WorkerConnectToProxy{Params: w}, &wk); err != nil {
				t.Fatal(err)
			}
			clientSC, _ := fakeContracts{}.ClientAddress(owner, p.contracts.owner, p.pub[:])
			workerSC, _ := fakeContracts{}.WorkerAddress(owner, p.contracts.owner, p.pub[:])
			for _, c := range []struct {
				what string
				got  string
				want *address.Address
			}{
				{"proxy_owner_address", cl.Params.ProxyOwnerAddress, p.contracts.owner},
				{"proxy_sc_address", cl.Params.ProxySCAddress, p.inst.Load().sc},
				{"client_sc_address", cl.ClientSCAddress, clientSC},
				{"worker_sc_address", wk.WorkerSCAddress, workerSC},
				{"proxy_sc_address to workers", wk.Params.ProxySCAddress, p.inst.Load().sc},
			} {
				a, err := address.ParseAddr(c.got)
				if err != nil || !a.Equals(c.want) {
					t.Errorf("%s %q is not %s: %v", c.what, c.got, c.want, err)
				}
				if tag := addrTag(t, c.got); tag != tc.tag {
					t.Errorf("%s %q has tag %#x, want %#x", c.what, c.got, tag, tc.tag)
				}
			}
		})
	}
}

// pipeSession returns the near end of a session over a pipe served by
// handler, and the packets its far end receives.
func pipeSession(t *testing.T, handler wire.Handler) (*wire.Session, packets) {
	t.Helper()
	a, b := net.Pipe()
	got := make(packets, 16)
	far := wire.NewSession(b, wire.Config{Outbound: true, Handler: got})
	near := wire.NewSession(a, wire.Config{Handler: handler})
	t.Cleanup(func() {
		near.Close()
		far.Close()
	})
	go near.Start(t.Context())
	if err := far.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return near, got
}

// signedTokens returns the token count of a proxy.signedPayment, failing
// on proxy.signedPaymentEmpty.
func signedTokens(t *testing.T, what string, sp tl.ProxySignedPaymentT) payment.Payment {
	t.Helper()
	s, ok := sp.(*tl.ProxySignedPayment)
	if !ok {
		t.Fatalf("%s carries %T, want proxy.signedPayment", what, sp)
	}
	pay, err := payment.Parse(s.Data)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return pay
}

// readyPair connects a client and a worker to p through its handshakes,
// each on a pipe session, and returns them with everything the proxy
// answered.
type readyPair struct {
	cc        *clientConn
	wc        *workerConn
	worker    packets
	connected tl.ClientConnectedToProxy
	auth      tl.ClientAuthorizationWithProxySuccess
	status    tl.ClientPaymentStatus
	compare   tl.WorkerCompareBalanceWithProxyResult
	wstatus   tl.WorkerPaymentStatus
}

func connectPair(t *testing.T, p *Proxy) *readyPair {
	t.Helper()
	rp := &readyPair{cc: newClientConn(p), wc: newWorkerConn(p)}
	rp.cc.sess, _ = pipeSession(t, rp.cc)
	rp.wc.sess, rp.worker = pipeSession(t, rp.wc)
	clientAsk := func(q tl.Object, ans tl.Object) {
		t.Helper()
		b, err := rp.cc.ServeQuery(context.Background(), tl.Marshal(q))
		if err != nil {
			t.Fatal(err)
		}
		if err := tl.UnmarshalAs(b, ans); err != nil {
			t.Fatal(err)
		}
	}
	owner := hashAddr([]byte("client owner")).Bounce(false).String()
	clientAsk(&tl.ClientConnectToProxy{Params: tl.ClientParams{Flags: 3, ClientOwnerAddress: owner, IsTest: true, MinProtoVersion: 1, MaxProtoVersion: 2}}, &rp.connected)
	clientAsk(&tl.ClientAuthorizeWithProxyLong{}, &rp.auth)
	clientAsk(&tl.ClientUpdatePaymentStatus{}, &rp.status)
	w := workerParams()
	w.Flags, w.WorkerOwnerAddress = 3, hashAddr([]byte("worker owner")).Bounce(false).String()
	var wconn tl.WorkerConnectedToProxy
	if err := ask(t, rp.wc, &tl.WorkerConnectToProxy{Params: w}, &wconn); err != nil {
		t.Fatal(err)
	}
	if err := ask(t, rp.wc, &tl.WorkerCompareBalanceWithProxy{}, &rp.compare); err != nil {
		t.Fatal(err)
	}
	var done tl.WorkerProxyHandshakeCompleted
	if err := ask(t, rp.wc, &tl.WorkerProxyHandshakeComplete{}, &done); err != nil {
		t.Fatal(err)
	}
	if err := ask(t, rp.wc, &tl.WorkerUpdatePaymentStatus{}, &rp.wstatus); err != nil {
		t.Fatal(err)
	}
	return rp
}

// runQuery forwards one request of the client and returns the
// proxy.runQueryEx the worker receives.
func (rp *readyPair) runQuery(t *testing.T, p *Proxy) tl.ProxyRunQueryEx {
	t.Helper()
	p.forward(rp.cc, &tl.ClientRunQueryEx{ModelName: "Org/M", Query: tl.Marshal(&tl.HTTPRequest{Method: "POST", URL: "/v1/chat/completions", HTTPVersion: "HTTP/1.1"}),
		MaxCoefficient: 4000, MaxTokens: 10, Timeout: 10, RequestID: [32]byte{1}})
	select {
	case b := <-rp.worker:
		var q tl.ProxyRunQueryEx
		if err := tl.UnmarshalAs(b, &q); err != nil {
			t.Fatal(err)
		}
		return q
	case <-time.After(10 * time.Second):
		t.Fatal("no proxy.runQueryEx reached the worker")
	}
	return tl.ProxyRunQueryEx{}
}

// TestInteropZeroTokenPaymentSigned pins mismatch 4: the reference's
// proxy signs a payment of 0 tokens wherever a payment goes, and sends
// proxy.signedPaymentEmpty only in client.connectedToProxy to a client it
// has no account of yet; its workers refuse an empty one ("tokens
// committed to blockchain is too low"). Ours does the same.
func TestInteropZeroTokenPaymentSigned(t *testing.T) {
	if _, ok := refObject(t, "b-client-proxy-0001-client.connectedToProxy.bin").(*tl.ClientConnectedToProxy).SignedPayment.(*tl.ProxySignedPaymentEmpty); !ok {
		t.Error("the reference's client.connectedToProxy carries a signed payment: the fixture changed")
	}
	zero := map[string]func(tl.Object) tl.ProxySignedPaymentT{
		"b-client-proxy-0002-client.authorizationWithProxySuccess.bin": func(o tl.Object) tl.ProxySignedPaymentT {
			return o.(*tl.ClientAuthorizationWithProxySuccess).SignedPayment
		},
		"b-client-proxy-0004-client.paymentStatus.bin": func(o tl.Object) tl.ProxySignedPaymentT { return o.(*tl.ClientPaymentStatus).SignedPayment },
		"d-worker-proxy-0002-worker.compareBalanceWithProxyResult.bin": func(o tl.Object) tl.ProxySignedPaymentT {
			return o.(*tl.WorkerCompareBalanceWithProxyResult).SignedPayment
		},
		"d-worker-proxy-0005-worker.paymentStatus.bin": func(o tl.Object) tl.ProxySignedPaymentT { return o.(*tl.WorkerPaymentStatus).SignedPayment },
		"d-worker-proxy-0006-proxy.runQueryEx.bin":     func(o tl.Object) tl.ProxySignedPaymentT { return o.(*tl.ProxyRunQueryEx).SignedPayment },
	}
	for name, get := range zero {
		if pay := signedTokens(t, "reference "+name, get(refObject(t, name))); pay.Tokens != 0 {
			t.Errorf("reference %s signs %d tokens, want 0", name, pay.Tokens)
		}
	}

	p := interopProxy(t, "")
	rp := connectPair(t, p)
	if _, ok := rp.connected.SignedPayment.(*tl.ProxySignedPaymentEmpty); !ok {
		t.Errorf("client.connectedToProxy to a new client carries %T, want proxy.signedPaymentEmpty as the reference's", rp.connected.SignedPayment)
	}
	for _, c := range []struct {
		what string
		sp   tl.ProxySignedPaymentT
		op   payment.Op
	}{
		{"client.authorizationWithProxySuccess", rp.auth.SignedPayment, payment.OpClientCharge},
		{"client.paymentStatus", rp.status.SignedPayment, payment.OpClientCharge},
		{"worker.compareBalanceWithProxyResult", rp.compare.SignedPayment, payment.OpWorkerPayout},
		{"worker.paymentStatus", rp.wstatus.SignedPayment, payment.OpWorkerPayout},
		{"proxy.runQueryEx", rp.runQuery(t, p).SignedPayment, payment.OpWorkerPayout},
	} {
		pay := signedTokens(t, c.what, c.sp)
		target := rp.cc.contract
		if c.op == payment.OpWorkerPayout {
			target = rp.wc.contract
		}
		if pay.Tokens != 0 || pay.Verify(p.pub[:], c.op, target) != nil {
			t.Errorf("%s: %d tokens of %v (%v), want a verified payment of 0", c.what, pay.Tokens, pay.Op, pay.Verify(p.pub[:], c.op, target))
		}
	}
	// A client the proxy has an account of gets its signed payment in
	// client.connectedToProxy already, as from the reference.
	again := newClientConn(p)
	b, err := again.ServeQuery(context.Background(), tl.Marshal(&tl.ClientConnectToProxy{Params: tl.ClientParams{
		Flags: 3, ClientOwnerAddress: hashAddr([]byte("client owner")).String(), IsTest: true, MinProtoVersion: 1, MaxProtoVersion: 2}}))
	if err != nil {
		t.Fatal(err)
	}
	var connected tl.ClientConnectedToProxy
	if err := tl.UnmarshalAs(b, &connected); err != nil {
		t.Fatal(err)
	}
	signedTokens(t, "client.connectedToProxy to a known client", connected.SignedPayment)
}

// TestInteropExcessAddress pins mismatch 5: the reference's holders parse
// the excess address of a signed payment as addr_std and refuse
// addr_none. The reference's proxy puts its own cocoon wallet there (in
// every one of its 22 signed payments, client and worker alike); ours puts
// its wallet, or without one its owner address.
func TestInteropExcessAddress(t *testing.T) {
	bocs, err := filepath.Glob(filepath.Join(sharedtest.Path(t, "testdata/reference"), "*.boc"))
	if err != nil || len(bocs) != 22 {
		t.Fatalf("found %d reference payments (%v), want 22", len(bocs), err)
	}
	var refExcess *address.Address
	for _, f := range bocs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pay, err := payment.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		if pay.ExcessTo.IsAddrNone() || pay.ExcessTo.Type() != address.StdAddress || pay.ExcessTo.Equals(pay.Target) {
			t.Errorf("%s: excess address %v, want a std address other than the target", filepath.Base(f), pay.ExcessTo)
		}
		if refExcess == nil {
			refExcess = pay.ExcessTo
		} else if !pay.ExcessTo.Equals(refExcess) {
			t.Errorf("%s: excess address %v, want the proxy's one wallet %v", filepath.Base(f), pay.ExcessTo, refExcess)
		}
	}

	wallet := hashAddr([]byte("proxy wallet"))
	for _, tc := range []struct {
		name   string
		wallet []*address.Address
		want   func(p *Proxy) *address.Address
	}{
		{"wallet", []*address.Address{wallet}, func(*Proxy) *address.Address { return wallet }},
		{"no wallet", nil, func(p *Proxy) *address.Address { return p.contracts.owner }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := interopProxy(t, "", tc.wallet...)
			rp := connectPair(t, p)
			for what, sp := range map[string]tl.ProxySignedPaymentT{
				"client payment": rp.auth.SignedPayment, "worker payment": rp.compare.SignedPayment,
			} {
				pay := signedTokens(t, what, sp)
				if pay.ExcessTo.Type() != address.StdAddress || !pay.ExcessTo.Equals(tc.want(p)) {
					t.Errorf("%s: excess address %v, want %v", what, pay.ExcessTo, tc.want(p))
				}
			}
		})
	}
}
