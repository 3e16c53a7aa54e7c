package proxy

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/tl/tltest"
	"github.com/cocoon-go/cocoon/internal/wire"
)

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
	cfg, err := ParseConfig([]byte(`{"is_test":true,"worker_policy":"fake_tdx","owner_address":"` + paymenttest.Addr([]byte("owner")).String() + `"` + extra + `}`))
	if err != nil {
		t.Fatal(err)
	}
	deps := Deps{Mode: chainconf.FakeTON, WorkerTLS: &tls.Config{}, ClientTLS: &tls.Config{}, RootVersion: testRootVersion, SigningKey: key, Contracts: paymenttest.Contracts{}}
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
	ref := tltest.Reference(t, "b-client-proxy-0001-client.connectedToProxy.bin").(*tl.ClientConnectedToProxy)
	refWorker := tltest.Reference(t, "d-worker-proxy-0001-worker.connectedToProxy.bin").(*tl.WorkerConnectedToProxy)
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
			owner := paymenttest.Addr([]byte("client owner"))
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
			clientSC, _ := paymenttest.Contracts{}.ClientAddress(owner, p.contracts.owner, p.pub[:])
			workerSC, _ := paymenttest.Contracts{}.WorkerAddress(owner, p.contracts.owner, p.pub[:])
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
	owner := paymenttest.Addr([]byte("client owner")).Bounce(false).String()
	clientAsk(&tl.ClientConnectToProxy{Params: tl.ClientParams{Flags: 3, ClientOwnerAddress: owner, IsTest: true, MinProtoVersion: 1, MaxProtoVersion: 2}}, &rp.connected)
	clientAsk(&tl.ClientAuthorizeWithProxyLong{}, &rp.auth)
	clientAsk(&tl.ClientUpdatePaymentStatus{}, &rp.status)
	w := workerParams()
	w.Flags, w.WorkerOwnerAddress = 3, paymenttest.Addr([]byte("worker owner")).Bounce(false).String()
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
	if _, ok := tltest.Reference(t, "b-client-proxy-0001-client.connectedToProxy.bin").(*tl.ClientConnectedToProxy).SignedPayment.(*tl.ProxySignedPaymentEmpty); !ok {
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
		if pay := signedTokens(t, "reference "+name, get(tltest.Reference(t, name))); pay.Tokens != 0 {
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
		Flags: 3, ClientOwnerAddress: paymenttest.Addr([]byte("client owner")).String(), IsTest: true, MinProtoVersion: 1, MaxProtoVersion: 2}}))
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

	wallet := paymenttest.Addr([]byte("proxy wallet"))
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

// TestInteropReferencePeersThroughOurProxy replays the reference's client
// (scenario a) and worker (scenario c) through our proxy, byte for byte:
// their handshakes, the client's streamed request and the worker's answer.
// The worker receives the client's http.request unchanged (Host
// included), the client the worker's head with the proxy's two headers
// added, as the reference's proxy forwards it (b-0005), and a request
// payment of the request's 134 tokens (b-0012).
func TestInteropReferencePeersThroughOurProxy(t *testing.T) {
	p := interopProxy(t, "")
	cc, wc := newClientConn(p), newWorkerConn(p)
	var client, worker packets
	cc.sess, client = pipeSession(t, cc)
	wc.sess, worker = pipeSession(t, wc)
	serve := func(conn wire.Handler, name string, want tl.Object) {
		t.Helper()
		b, err := conn.ServeQuery(context.Background(), sharedtest.Reference(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := tl.UnmarshalAs(b, want); err != nil {
			t.Fatalf("answer to %s: %v", name, err)
		}
	}
	serve(cc, "a-proxy-client-0001-client.connectToProxy.bin", &tl.ClientConnectedToProxy{})
	serve(cc, "a-proxy-client-0002-client.authorizeWithProxyLong.bin", &tl.ClientAuthorizationWithProxySuccess{})
	serve(cc, "a-proxy-client-0003-client.updatePaymentStatus.bin", &tl.ClientPaymentStatus{})
	serve(wc, "c-proxy-worker-0001-worker.connectToProxy.bin", &tl.WorkerConnectedToProxy{})
	var cmp tl.WorkerCompareBalanceWithProxyResult
	serve(wc, "c-proxy-worker-0002-worker.compareBalanceWithProxy.bin", &cmp)
	if cmp.ErrorCode != 0 {
		t.Fatalf("compareBalanceWithProxy error_code %d, want 0", cmp.ErrorCode)
	}
	serve(wc, "c-proxy-worker-0003-worker.proxyHandshakeComplete.bin", &tl.WorkerProxyHandshakeCompleted{})

	query := tltest.Reference(t, "a-proxy-client-0005-client.runQueryEx.bin").(*tl.ClientRunQueryEx)
	cc.ServePacket(sharedtest.Reference(t, "a-proxy-client-0005-client.runQueryEx.bin"))
	next := func(ch packets, what string) tl.Object {
		t.Helper()
		select {
		case b := <-ch:
			obj, err := tl.Unmarshal(b)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			return obj
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s", what)
		}
		return nil
	}
	run, ok := next(worker, "proxy.runQueryEx").(*tl.ProxyRunQueryEx)
	if !ok || !bytes.Equal(run.Query, query.Query) || run.Coefficient != 1000 || run.Flags&1 == 0 {
		t.Fatalf("the worker got %+v, want the client's http.request unchanged at coefficient 1000", run)
	}
	signedTokens(t, "proxy.runQueryEx", run.SignedPayment)

	var sent [][]byte
	for _, name := range []string{"c-proxy-worker-0005-proxy.queryAnswerEx.bin", "c-proxy-worker-0006-proxy.queryAnswerPartEx.bin",
		"c-proxy-worker-0007-proxy.queryAnswerPartEx.bin", "c-proxy-worker-0010-proxy.queryAnswerPartEx.bin"} {
		switch m := tltest.Reference(t, name).(type) {
		case *tl.ProxyQueryAnswerEx:
			m.RequestID = run.RequestID
			sent = append(sent, nil)
			wc.ServePacket(tl.Marshal(m))
		case *tl.ProxyQueryAnswerPartEx:
			m.RequestID = run.RequestID
			sent = append(sent, m.Answer)
			wc.ServePacket(tl.Marshal(m))
		}
	}
	head, ok := next(client, "client.queryAnswerEx").(*tl.ClientQueryAnswerEx)
	if !ok || head.RequestID != query.RequestID || head.Flags&1 != 0 {
		t.Fatalf("the client got %+v, want the head of its request", head)
	}
	var resp tl.HTTPResponse
	if err := tl.UnmarshalAs(head.Answer, &resp); err != nil {
		t.Fatal(err)
	}
	var refHead tl.HTTPResponse
	if err := tl.UnmarshalAs(tltest.Reference(t, "b-client-proxy-0005-client.queryAnswerEx.bin").(*tl.ClientQueryAnswerEx).Answer, &refHead); err != nil {
		t.Fatal(err)
	}
	headerNames := func(h []tl.HTTPHeader) (out []string) {
		for _, kv := range h {
			out = append(out, kv.Name)
		}
		return out
	}
	if got, want := headerNames(resp.Headers), headerNames(refHead.Headers); !slices.Equal(got, want) {
		t.Errorf("forwarded head has headers %v, want the reference proxy's %v", got, want)
	}
	var body []byte
	for i := 1; i < len(sent); i++ {
		part, ok := next(client, "client.queryAnswerPartEx").(*tl.ClientQueryAnswerPartEx)
		if !ok {
			t.Fatalf("part %d is not client.queryAnswerPartEx", i)
		}
		body = append(body, part.Answer...)
		if last := i == len(sent)-1; last != (part.Flags&1 != 0) || last != (part.FinalInfo != nil) {
			t.Errorf("part %d flags %#x final info %v, want the final info on the last only", i, part.Flags, part.FinalInfo)
		}
	}
	if want := bytes.Join(sent, nil); !bytes.Equal(body, want) {
		t.Errorf("the client got body %q, want %q", body, want)
	}
	pay, ok := next(client, "proxy.clientRequestPayment").(*tl.ProxyClientRequestPayment)
	ref := tltest.Reference(t, "b-client-proxy-0012-proxy.clientRequestPayment.bin").(*tl.ProxyClientRequestPayment)
	if !ok || pay.RequestID != query.RequestID || pay.RequestTokens != ref.RequestTokens || pay.MaxTokens != ref.MaxTokens {
		t.Errorf("request payment %+v, want request and max tokens %d and %d as the reference's", pay, ref.RequestTokens, ref.MaxTokens)
	}
}

// TestInteropRootConfigVersion pins the root config version half of
// mismatch 8: the reference's client sends the version of its root config
// (a-0001: 3) and is refused by a proxy under an older one ("active config
// version is too low"); a proxy is given its version, never a default 0.
func TestInteropRootConfigVersion(t *testing.T) {
	hello := sharedtest.Reference(t, "a-proxy-client-0001-client.connectToProxy.bin")
	if v := tltest.Reference(t, "a-proxy-client-0001-client.connectToProxy.bin").(*tl.ClientConnectToProxy).MinConfigVersion; v != testRootVersion {
		t.Fatalf("the reference's client is at root config version %d: the fixture changed", v)
	}
	cfg, err := ParseConfig([]byte(`{"is_test":true,"worker_policy":"fake_tdx","owner_address":"` + paymenttest.Addr([]byte("owner")).String() + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		version uint32
		ok      bool
	}{{testRootVersion, true}, {testRootVersion + 1, true}, {testRootVersion - 1, false}} {
		p, err := New(cfg, Deps{Mode: chainconf.FakeTON, WorkerTLS: &tls.Config{}, ClientTLS: &tls.Config{}, RootVersion: tc.version, Contracts: paymenttest.Contracts{}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = newClientConn(p).ServeQuery(context.Background(), hello)
		if (err == nil) != tc.ok {
			t.Errorf("a reference client at version 3, proxy at %d: got %v, want accepted %v", tc.version, err, tc.ok)
		}
	}
	if _, err := New(cfg, Deps{Mode: chainconf.FakeTON, WorkerTLS: &tls.Config{}, ClientTLS: &tls.Config{}, Contracts: paymenttest.Contracts{}}); err == nil {
		t.Error("a proxy without a root config version was built")
	}
}

// TestInteropNoExtensionsToReferencePeers: our own protocol extensions
// are negotiated by tl.ExtFlag in the params, which the reference's nodes
// never set (a-0001, c-0001 and the proxy's b-0001, d-0001 carry flags
// 0x3). A request of the reference's client (a-0005) cancelled while the
// reference's worker (c-0001) runs it is not cancelled at the worker
// (cocoon.cancelQuery is ours): the next thing the worker receives is the
// next request. A cocoon-go worker is told.
func TestInteropNoExtensionsToReferencePeers(t *testing.T) {
	for name, flags := range map[string]uint32{
		"a-proxy-client-0001-client.connectToProxy.bin":   tltest.Reference(t, "a-proxy-client-0001-client.connectToProxy.bin").(*tl.ClientConnectToProxy).Params.Flags,
		"c-proxy-worker-0001-worker.connectToProxy.bin":   tltest.Reference(t, "c-proxy-worker-0001-worker.connectToProxy.bin").(*tl.WorkerConnectToProxy).Params.Flags,
		"b-client-proxy-0001-client.connectedToProxy.bin": tltest.Reference(t, "b-client-proxy-0001-client.connectedToProxy.bin").(*tl.ClientConnectedToProxy).Params.Flags,
		"d-worker-proxy-0001-worker.connectedToProxy.bin": tltest.Reference(t, "d-worker-proxy-0001-worker.connectedToProxy.bin").(*tl.WorkerConnectedToProxy).Params.Flags,
	} {
		if flags&tl.ExtFlag != 0 || flags != 3 {
			t.Errorf("%s: flags %#x, want the reference's 0x3 without our extension bit", name, flags)
		}
	}
	for _, tc := range []struct {
		name   string
		worker []byte // worker.connectToProxy
		cancel bool   // the worker is told
	}{
		{"reference worker", sharedtest.Reference(t, "c-proxy-worker-0001-worker.connectToProxy.bin"), false},
		{"cocoon-go worker", func() []byte {
			w := tltest.Reference(t, "c-proxy-worker-0001-worker.connectToProxy.bin").(*tl.WorkerConnectToProxy)
			w.Params.Flags |= tl.ExtFlag
			return tl.Marshal(w)
		}(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := interopProxy(t, "")
			cc, wc := newClientConn(p), newWorkerConn(p)
			cc.sess, _ = pipeSession(t, cc)
			var worker packets
			wc.sess, worker = pipeSession(t, wc)
			for _, q := range []struct {
				conn wire.Handler
				b    []byte
			}{
				{cc, sharedtest.Reference(t, "a-proxy-client-0001-client.connectToProxy.bin")},
				{cc, sharedtest.Reference(t, "a-proxy-client-0002-client.authorizeWithProxyLong.bin")},
				{wc, tc.worker},
				{wc, sharedtest.Reference(t, "c-proxy-worker-0002-worker.compareBalanceWithProxy.bin")},
				{wc, sharedtest.Reference(t, "c-proxy-worker-0003-worker.proxyHandshakeComplete.bin")},
			} {
				if _, err := q.conn.ServeQuery(context.Background(), q.b); err != nil {
					t.Fatal(err)
				}
			}
			first := tltest.Reference(t, "a-proxy-client-0005-client.runQueryEx.bin").(*tl.ClientRunQueryEx)
			cc.ServePacket(sharedtest.Reference(t, "a-proxy-client-0005-client.runQueryEx.bin"))
			next := func() tl.Object {
				t.Helper()
				select {
				case b := <-worker:
					obj, err := tl.Unmarshal(b)
					if err != nil {
						t.Fatal(err)
					}
					return obj
				case <-time.After(10 * time.Second):
					t.Fatal("the worker received nothing")
				}
				return nil
			}
			run := next().(*tl.ProxyRunQueryEx)
			cc.mu.Lock()
			r := cc.reqs[first.RequestID]
			cc.mu.Unlock()
			if r == nil {
				t.Fatal("the proxy holds no request of the client")
			}
			r.clientCancelled()
			cc.ServePacket(sharedtest.Reference(t, "a-proxy-client-0006-client.runQueryEx.bin"))
			// Until the next request: the first one's settlement and, to
			// a cocoon-go worker only, its cancellation.
			cancelled := false
			for {
				got := next()
				if c, ok := got.(*tl.CocoonCancelQuery); ok {
					cancelled = c.RequestID == run.RequestID
					continue
				}
				if _, ok := got.(*tl.ProxyRunQueryEx); ok {
					break
				}
				if _, ok := got.(*tl.ProxyWorkerRequestPayment); !ok {
					t.Fatalf("the worker received %s", tl.Name(got.TLID()))
				}
			}
			if cancelled != tc.cancel {
				t.Errorf("the worker was told of the cancellation: %v, want %v", cancelled, tc.cancel)
			}
		})
	}
}
