package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/client/gateway"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/tl/tltest"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// collect is the far side of a session: it keeps the packets it
// receives.
type collect chan []byte

func (collect) ServeQuery(context.Context, []byte) ([]byte, error) { return nil, wire.ErrProtocol }
func (c collect) ServePacket(b []byte)                             { c <- bytes.Clone(b) }

// TestInteropHostHeader pins mismatch 6 on the client's side: the
// reference's client forwards its caller's Host first and its own
// Content-Length last (a-0005); its worker passes the headers to the
// engine as they are, and an engine refuses a request without Host. Ours
// sends the request of a curl-like caller in the same form.
func TestInteropHostHeader(t *testing.T) {
	run := tltest.Reference(t, "a-proxy-client-0005-client.runQueryEx.bin").(*tl.ClientRunQueryEx)
	var ref tl.HTTPRequest
	if err := tl.UnmarshalAs(run.Query, &ref); err != nil {
		t.Fatal(err)
	}
	n := len(ref.Headers)
	if n < 2 || ref.Headers[0].Name != "Host" || ref.Headers[n-1] != (tl.HTTPHeader{Name: "Content-Length", Value: strconv.Itoa(len(ref.Payload))}) {
		t.Fatalf("the reference's request has headers %+v: the fixture changed", ref.Headers)
	}

	f := &captureNetwork{}
	srv := httptest.NewServer(gateway.New(f, gateway.Options{MaxBody: 1 << 10}).Handler(func() any { return nil }, ""))
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+ref.URL, bytes.NewReader(ref.Payload))
	for _, h := range ref.Headers[1 : n-1] {
		req.Header.Set(h.Name, h.Value)
	}
	res, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()

	// What the client sends the proxy for that query.
	got := make(collect, 1)
	pc := pipeConn(t, &Client{log: discard()}, "test", got)
	if _, err := pc.start(f.queries[0]); err != nil {
		t.Fatal(err)
	}
	var sent tl.ClientRunQueryEx
	if err := tl.UnmarshalAs(<-got, &sent); err != nil {
		t.Fatal(err)
	}
	var ours tl.HTTPRequest
	if err := tl.UnmarshalAs(sent.Query, &ours); err != nil {
		t.Fatal(err)
	}
	m := len(ours.Headers)
	if m < 2 || ours.Headers[0] != (tl.HTTPHeader{Name: "Host", Value: strings.TrimPrefix(srv.URL, "http://")}) {
		t.Errorf("our request's first header is %+v, want the caller's Host %s", ours.Headers, strings.TrimPrefix(srv.URL, "http://"))
	}
	if ours.Headers[m-1] != (tl.HTTPHeader{Name: "Content-Length", Value: strconv.Itoa(len(ours.Payload))}) {
		t.Errorf("our request's last header is %+v, want its Content-Length %d", ours.Headers[m-1], len(ours.Payload))
	}
	if ours.Method != ref.Method || ours.URL != ref.URL || ours.HTTPVersion != ref.HTTPVersion {
		t.Errorf("our request line %s %s %s, want the reference's %s %s %s", ours.Method, ours.URL, ours.HTTPVersion, ref.Method, ref.URL, ref.HTTPVersion)
	}
	names := func(h []tl.HTTPHeader) []string {
		var out []string
		for _, kv := range h {
			out = append(out, kv.Name)
		}
		slices.Sort(out)
		return out
	}
	if g, w := names(ours.Headers), names(ref.Headers); !slices.Equal(g, w) {
		t.Errorf("our request carries headers %v, the reference's for the same caller %v", g, w)
	}
}

// replayNetwork answers every query with the reference proxy's packets of
// one answer to the request id, decoded by a proxy connection as they
// came off the wire.
type replayNetwork struct {
	id      [32]byte
	packets [][]byte
	wg      sync.WaitGroup
}

func (r *replayNetwork) Send(context.Context, *gateway.Query) (*gateway.Stream, error) {
	pc := &proxyConn{c: &Client{log: discard()}, addr: "test", streams: map[[32]byte]*gateway.Stream{}}
	s := gateway.NewStream(nil)
	pc.streams[r.id] = s
	r.wg.Go(func() {
		for _, p := range r.packets {
			pc.ServePacket(bytes.Clone(p))
		}
	})
	return s, nil
}

func (r *replayNetwork) Models(context.Context) ([]gateway.ModelInfo, error) { return nil, nil }

// captureNetwork records the queries the API forwards and answers each
// with an event stream.
type captureNetwork struct {
	mu      sync.Mutex
	queries []*gateway.Query
}

func (c *captureNetwork) Send(_ context.Context, q *gateway.Query) (*gateway.Stream, error) {
	c.mu.Lock()
	c.queries = append(c.queries, q)
	c.mu.Unlock()
	s := gateway.NewStream(nil)
	s.PushHead(gateway.Head{Status: 200, Reason: "OK", Header: []gateway.Header{{Name: "Content-Type", Value: "text/event-stream"}}}, nil)
	s.PushData([]byte("data: [DONE]\n\n"))
	s.Finish(&gateway.FinalInfo{Tokens: 3})
	return s, nil
}

func (c *captureNetwork) Models(context.Context) ([]gateway.ModelInfo, error) { return nil, nil }

func refObjectOf(t *testing.T, b []byte) tl.Object {
	t.Helper()
	obj, err := tl.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// TestInteropAnswerFraming pins mismatch 7 on the client's side: the
// reference's worker puts its framing in the answer's head, and backend
// framing passes through (b-0005: Transfer-Encoding twice and Connection:
// Close; b-0013: Content-Length 347 and Transfer-Encoding for a 416-byte
// body). Our client frames its own HTTP answer and copies none of them:
// the caller gets every body byte in a well-formed answer.
func TestInteropAnswerFraming(t *testing.T) {
	for _, tc := range []struct {
		name    string
		packets []string
	}{
		{"streamed", []string{"b-client-proxy-0005-client.queryAnswerEx.bin", "b-client-proxy-0006-client.queryAnswerPartEx.bin",
			"b-client-proxy-0007-client.queryAnswerPartEx.bin", "b-client-proxy-0011-client.queryAnswerPartEx.bin"}},
		{"whole", []string{"b-client-proxy-0013-client.queryAnswerEx.bin", "b-client-proxy-0014-client.queryAnswerPartEx.bin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rn := &replayNetwork{}
			var want []byte
			for _, name := range tc.packets {
				b := sharedtest.Reference(t, name)
				rn.packets = append(rn.packets, b)
				switch m := refObjectOf(t, b).(type) {
				case *tl.ClientQueryAnswerEx:
					rn.id = m.RequestID
					var resp tl.HTTPResponse
					if err := tl.UnmarshalAs(m.Answer, &resp); err != nil {
						t.Fatal(err)
					}
					want = append(want, resp.Payload...)
				case *tl.ClientQueryAnswerPartEx:
					want = append(want, m.Answer...)
				}
			}
			srv := httptest.NewServer(gateway.New(rn, gateway.Options{MaxBody: 1 << 10}).Handler(func() any { return nil }, ""))
			defer srv.Close()
			defer rn.wg.Wait()
			res, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"Qwen/Qwen3-8B","messages":[{"role":"user","content":"hi"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatalf("reading the answer: %v (a framing header copied from the head breaks it)", err)
			}
			if res.StatusCode != 200 || !bytes.Equal(body, want) {
				t.Errorf("got %d %q, want 200 %q", res.StatusCode, body, want)
			}
			if res.ContentLength != -1 && res.ContentLength != int64(len(want)) {
				t.Errorf("answer Content-Length %d, want none or %d", res.ContentLength, len(want))
			}
			if res.Close || res.Header.Get("Connection") != "" {
				t.Errorf("the backend's Connection: Close was copied (close %v, %q)", res.Close, res.Header.Get("Connection"))
			}
		})
	}
}

// TestInteropAddressFormsShareAccounts: a proxy that names its contracts
// bounceable (ours before mismatch 3 was fixed) and one that names them
// non-bounceable on testnet (the reference's form on its testnet) are the
// same account: the client keys and stores parsed addresses in one form.
func TestInteropAddressFormsShareAccounts(t *testing.T) {
	f := newPaymentFixture(t)
	pc := f.conn(t)
	for _, form := range []func(*address.Address) *address.Address{
		func(a *address.Address) *address.Address { return a.Bounce(false) },
		func(a *address.Address) *address.Address { return a.Bounce(false).Testnet(true) },
	} {
		params := f.params
		params.ProxySCAddress = form(address.MustParseAddr(f.params.ProxySCAddress)).String()
		params.ProxyOwnerAddress = form(address.MustParseAddr(f.params.ProxyOwnerAddress)).String()
		a, _, err := f.c.checkProxy(context.Background(), "proxy:1", params, form(address.MustParseAddr(f.clientSC)).String(), f.c.owner)
		if err != nil {
			t.Fatal(err)
		}
		if a != pc.account || a.ProxySC.String() != f.params.ProxySCAddress {
			t.Errorf("proxy contract %s named as %s is another account (%s), want the one of %s", a.ProxySC, params.ProxySCAddress, a.ProxySC, f.params.ProxySCAddress)
		}
	}
	if got, _ := f.c.accountsSnapshot(); len(got) != 1 {
		t.Errorf("accounts %+v, want one", got)
	}
}

// referenceProxy answers our client's handshake with the reference's
// proxy's own answers (b-0001, b-0002) and keeps what it receives.
type referenceProxy struct {
	t        *testing.T
	mu       sync.Mutex
	hello    *tl.ClientConnectToProxy
	auth     tl.Object
	received collect
}

func (r *referenceProxy) ServeQuery(_ context.Context, b []byte) ([]byte, error) {
	obj, err := tl.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch q := obj.(type) {
	case *tl.ClientConnectToProxy:
		r.hello = q
		return sharedtest.Reference(r.t, "b-client-proxy-0001-client.connectedToProxy.bin"), nil
	case *tl.ClientAuthorizeWithProxyShort, *tl.ClientAuthorizeWithProxyLong:
		r.auth = q
		return sharedtest.Reference(r.t, "b-client-proxy-0002-client.authorizationWithProxySuccess.bin"), nil
	}
	return nil, wire.ErrProtocol
}

func (r *referenceProxy) ServePacket(b []byte) { r.received <- bytes.Clone(b) }

// TestInteropReferenceProxyHandshake runs our client's handshake against
// the reference's proxy's answers (scenario b), under the reference's
// fake-TON derivation, with the launch script's owner: it accepts the
// proxy's contracts (named non-bounceable), authenticates the short way
// (secret "" as the reference's config has it) and takes its signed
// payment of 0. It names its owner exactly as the reference's nodes write
// it, sends the fake-TON root config's version as min_config_version
// when it connects and with each request, as the reference's client does
// (a-0001, a-0005), and, the reference proxy not announcing our extensions, sends it
// none: an abandoned request is not cancelled, and the next packet the
// proxy sees is the next request.
func TestInteropReferenceProxyHandshake(t *testing.T) {
	const owner = "UQAuz15H1ZHrZ_psVrAra7HealMIVeFq0wguqlmFno1f3B-m"
	rootConfig, err := contracts.ParsePseudoRootConfig(sharedtest.Reference(t, "fake-ton-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	refHello := tltest.Reference(t, "a-proxy-client-0001-client.connectToProxy.bin").(*tl.ClientConnectToProxy)
	refRun := tltest.Reference(t, "a-proxy-client-0005-client.runQueryEx.bin").(*tl.ClientRunQueryEx)
	if refHello.MinConfigVersion != int32(rootConfig.Version) || refRun.MinConfigVersion != int32(rootConfig.Version) {
		t.Fatalf("the reference's client sent min_config_version %d and %d under a root config of version %d: the fixtures changed", refHello.MinConfigVersion, refRun.MinConfigVersion, rootConfig.Version)
	}
	c := &Client{cfg: Config{IsTest: true, OwnerAddress: owner}, log: discard(), contracts: paymenttest.ReferenceDerivation(t), rootVersion: rootConfig.Version,
		owner: address.MustParseAddr(owner), accounts: map[string]*account{}, endpoints: map[string]*endpoint{}, needed: make(chan struct{}), stopped: make(chan struct{}), secretHash: sha256.Sum256(nil)}
	rp := &referenceProxy{t: t, received: make(collect, 4)}
	pc := pipeConn(t, c, "127.0.0.1:11002", rp)
	if err := pc.handshake(t.Context()); err != nil {
		t.Fatalf("handshake with the reference's proxy: %v", err)
	}
	if rp.hello.Params.ClientOwnerAddress != owner {
		t.Errorf("we named our owner %q, the reference's nodes write %q", rp.hello.Params.ClientOwnerAddress, owner)
	}
	if rp.hello.MinConfigVersion != refHello.MinConfigVersion {
		t.Errorf("we connected with min_config_version %d, the reference's client with %d", rp.hello.MinConfigVersion, refHello.MinConfigVersion)
	}
	if _, ok := rp.auth.(*tl.ClientAuthorizeWithProxyShort); !ok {
		t.Errorf("we authorised with %T, want the short way the proxy offered", rp.auth)
	}
	if pc.ext {
		t.Fatal("the reference's proxy is taken for a cocoon-go node")
	}
	if pc.tracker == nil || pc.account == nil {
		t.Fatal("no account at the reference's proxy")
	}
	if pc.account.Best == nil || pc.tracker.Figures().Signed != 0 {
		t.Errorf("payment %x, figures %+v after the handshake, want the signed payment of 0 taken", pc.account.Best, pc.tracker.Figures())
	}
	s, err := pc.start(&gateway.Query{Model: "Qwen/Qwen3-8B", Method: "POST", URL: "/v1/chat/completions", Body: []byte(`{}`), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // abandoned before its answer ended
	if _, err := pc.start(&gateway.Query{Model: "Qwen/Qwen3-8B", Method: "POST", URL: "/v1/chat/completions", Body: []byte(`{}`), Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		obj, err := tl.Unmarshal(<-rp.received)
		run, ok := obj.(*tl.ClientRunQueryEx)
		if err != nil || !ok {
			t.Fatalf("packet %d the reference's proxy received: %T (%v), want client.runQueryEx only", i, obj, err)
		}
		if run.MinConfigVersion != refRun.MinConfigVersion {
			t.Errorf("request %d: min_config_version %d, the reference's client sends %d", i, run.MinConfigVersion, refRun.MinConfigVersion)
		}
	}
}
