package worker

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/engine/enginetest"
	"github.com/cocoon-go/cocoon/internal/engine/fakespeech"
	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/tl/tltest"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// hostEngine answers a chat request with a whole JSON body and records
// the Host and headers it was asked with.
type hostEngine struct {
	mu     sync.Mutex
	host   string
	header http.Header
	body   []byte
}

func (e *hostEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	e.host, e.header, e.body = r.Host, r.Header.Clone(), b
	e.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}`)
}

// TestInteropHostHeader pins mismatch 6 on the worker's side: the
// reference's client forwards its caller's Host, and a worker passes the
// request's headers to the engine as they came. Our worker serves the
// reference proxy's proxy.runQueryEx (d-0006) with the Host it carries.
func TestInteropHostHeader(t *testing.T) {
	run := tltest.Reference(t, "d-worker-proxy-0006-proxy.runQueryEx.bin").(*tl.ProxyRunQueryEx)
	var req tl.HTTPRequest
	if err := tl.UnmarshalAs(run.Query, &req); err != nil {
		t.Fatal(err)
	}
	if len(req.Headers) == 0 || req.Headers[0].Name != "Host" {
		t.Fatalf("the reference's request has headers %+v, want Host first: the fixture changed", req.Headers)
	}
	q := &query{method: req.Method, url: req.URL, body: req.Payload, coefficient: run.Coefficient, timeout: 10 * time.Second}
	for _, h := range req.Headers {
		q.header = append(q.header, header{h.Name, h.Value})
	}
	e := &hostEngine{}
	sink := &recordSink{}
	if err := serveQuery(context.Background(), newEngine(t, e), "Qwen/Qwen3-8B", billing.DefaultPrices(2, 1), q, sink, time.Now); err != nil {
		t.Fatal(err)
	}
	if !sink.finished || sink.failMsg != "" {
		t.Fatalf("the reference's request failed: %d %q", sink.failCode, sink.failMsg)
	}
	if e.host != req.Headers[0].Value {
		t.Errorf("the engine saw Host %q, want the caller's %q", e.host, req.Headers[0].Value)
	}
	for _, h := range req.Headers[1:] {
		if h.Name == "Content-Length" {
			continue // each hop frames its own body
		}
		if got := e.header.Get(h.Name); got != h.Value {
			t.Errorf("the engine saw %s %q, want %q as forwarded", h.Name, got, h.Value)
		}
	}
}

// framedTransport answers every request with a 200 whose body is what the
// test writes, carrying the engine's own Content-Length, as the backend
// of the reference's c-0011 did.
type framedTransport struct{ r *io.PipeReader }

func (p framedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"application/json"}, "Content-Length": {"347"}},
		Body: p.r, Request: req}, nil
}

// TestInteropAnswerFraming pins mismatch 7 on the worker's side: the head
// of the answer ends with the reference's framing header, Content-Length
// when it carries the whole body and Transfer-Encoding: chunked when parts
// follow (c-0005, c-0011: after X-Cocoon-Worker-Start and -End). The
// engine's own framing headers are not passed on.
func TestInteropAnswerFraming(t *testing.T) {
	for _, name := range []string{"c-proxy-worker-0005-proxy.queryAnswerEx.bin", "c-proxy-worker-0011-proxy.queryAnswerEx.bin"} {
		var resp tl.HTTPResponse
		if err := tl.UnmarshalAs(tltest.Reference(t, name).(*tl.ProxyQueryAnswerEx).Answer, &resp); err != nil {
			t.Fatal(err)
		}
		n := len(resp.Headers)
		if n < 3 || resp.Headers[n-3].Name != "X-Cocoon-Worker-Start" || resp.Headers[n-2].Name != "X-Cocoon-Worker-End" ||
			resp.Headers[n-1] != (tl.HTTPHeader{Name: "Transfer-Encoding", Value: "chunked"}) {
			t.Fatalf("%s ends with %+v: the fixture changed", name, resp.Headers[max(0, n-3):])
		}
	}
	names := func(h []header) []string {
		var out []string
		for _, kv := range h {
			out = append(out, kv.name)
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		writes  []string // with a pause between them
		framing header
	}{
		{"whole", []string{"abc"}, header{"Content-Length", "3"}},
		{"streamed", []string{"a", "bc"}, header{"Transfer-Encoding", "chunked"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				pr, pw := io.Pipe()
				eng, err := NewEngine("http://engine.invalid", &http.Client{Transport: framedTransport{pr}})
				if err != nil {
					t.Fatal(err)
				}
				go func() {
					for i, w := range tc.writes {
						if i > 0 {
							time.Sleep(10 * time.Millisecond)
						}
						pw.Write([]byte(w))
					}
					pw.Close()
				}()
				sink := &recordSink{}
				if err := serveQuery(context.Background(), eng, "m", billing.DefaultPrices(2, 1), chatQuery(`{"model":"m","messages":[]}`), sink, time.Now); err != nil {
					t.Fatal(err)
				}
				h := sink.headers
				n := len(h)
				if n < 3 || h[n-3].name != "X-Cocoon-Worker-Start" || h[n-2].name != "X-Cocoon-Worker-End" || h[n-1] != tc.framing {
					t.Errorf("head ends with %+v, want X-Cocoon-Worker-Start, -End, %+v", h[max(0, n-3):], tc.framing)
				}
				if c, te := slices.Index(names(h), "Content-Length"), slices.Index(names(h), "Transfer-Encoding"); c >= 0 && te >= 0 || max(c, te) != n-1 {
					t.Errorf("head %v, want one framing header, last; the engine's Content-Length 347 dropped", names(h))
				}
				if sink.body.String() != "abc" || !sink.finished {
					t.Errorf("body %q finished %v, want abc", sink.body.String(), sink.finished)
				}
			})
		})
	}
	// An answer the worker rewrites (a transcription asked as text) is
	// framed the same.
	t.Run("rewritten as text", func(t *testing.T) {
		sink := &recordSink{}
		q := audioQuery(t, openai.PathTranscriptions, enginetest.WAV(1), "model", "whisper", "response_format", "text")
		if err := serveQuery(context.Background(), newEngine(t, fakespeech.NewHandler("whisper")), "whisper", billing.DefaultPrices(2, 1), q, sink, time.Now); err != nil {
			t.Fatal(err)
		}
		h := sink.headers
		if n := len(h); n == 0 || h[n-1] != (header{"Content-Length", strconv.Itoa(sink.body.Len())}) || !sink.finished {
			t.Errorf("head %+v, want it to end with Content-Length: %d", h, sink.body.Len())
		}
	})
}

// referenceProxy answers our worker's handshake with the reference's
// proxy's own answers (d-0001, d-0002, d-0003) and keeps the queries.
type referenceProxy struct {
	t       *testing.T
	mu      sync.Mutex
	queries []tl.Object
}

func (r *referenceProxy) ServeQuery(_ context.Context, b []byte) ([]byte, error) {
	obj, err := tl.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = append(r.queries, obj)
	name := map[uint32]string{
		(&tl.WorkerConnectToProxy{}).TLID():          "d-worker-proxy-0001-worker.connectedToProxy.bin",
		(&tl.WorkerCompareBalanceWithProxy{}).TLID(): "d-worker-proxy-0002-worker.compareBalanceWithProxyResult.bin",
		(&tl.WorkerProxyHandshakeComplete{}).TLID():  "d-worker-proxy-0003-worker.proxyHandshakeCompleted.bin",
		(&tl.WorkerUpdatePaymentStatus{}).TLID():     "d-worker-proxy-0005-worker.paymentStatus.bin",
	}[obj.TLID()]
	if name == "" {
		return nil, wire.ErrProtocol
	}
	b, err = os.ReadFile(sharedtest.Path(r.t, "testdata/reference/"+name))
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (r *referenceProxy) ServePacket([]byte) {}

// TestInteropReferenceProxyHandshake runs our worker's handshake against
// the reference's proxy's answers (scenario d), under the reference's
// fake-TON derivation, with the launch script's owner: it accepts the
// proxy's contracts (named non-bounceable) and its signed payment of 0,
// completes the handshake without the extended comparison, names its
// owner exactly as the reference's worker does (c-0001), and takes the
// proxy for a reference node, to which it sends no extension.
func TestInteropReferenceProxyHandshake(t *testing.T) {
	refWorker := tltest.Reference(t, "c-proxy-worker-0001-worker.connectToProxy.bin").(*tl.WorkerConnectToProxy)
	owner := refWorker.Params.WorkerOwnerAddress
	cfg, err := ParseConfig([]byte(`{"is_test":true,"model_name":"Qwen/Qwen3-8B@abc:v","forward_requests_to":"127.0.0.1:1","proxies":["127.0.0.1:11001"],"proxy_policy":"fake_tdx","owner_address":"` + owner + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	eng, _ := NewEngine(cfg.ForwardRequestsTo, nil)
	w, err := New(cfg, Deps{Mode: chainconf.FakeTON, TLS: &tls.Config{}, Engine: eng, Contracts: paymenttest.ReferenceDerivation(t)})
	if err != nil {
		t.Fatal(err)
	}
	rp := &referenceProxy{t: t}
	pc, err := handshakeWith(t, w, rp)
	if err != nil {
		t.Fatalf("handshake with the reference's proxy: %v", err)
	}
	if pc.ext {
		t.Error("the reference's proxy is taken for a cocoon-go node")
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	var names []string
	for _, q := range rp.queries {
		names = append(names, tl.Name(q.TLID()))
	}
	if want := []string{"worker.connectToProxy", "worker.compareBalanceWithProxy", "worker.proxyHandshakeComplete"}; !slices.Equal(names, want) {
		t.Errorf("queries %v, want %v", names, want)
	}
	if got := rp.queries[0].(*tl.WorkerConnectToProxy).Params.WorkerOwnerAddress; got != owner {
		t.Errorf("we named our owner %q, the reference's worker %q", got, owner)
	}
	if pc.account == nil || pc.account.Signed != 0 || pc.tracker.Figures() != (payment.Figures{}) {
		t.Errorf("account after the handshake: %+v, want the signed payment of 0 taken", pc.account)
	}
}
