package devnet

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.uber.org/goleak"

	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/node"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/trust"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		// A server that answered a body over its limit (a 413) lingers
		// half a second before closing the connection, by design.
		goleak.IgnoreAnyFunction("net/http.(*conn).closeWriteAndWait"),
	)
}

// fakeEngine is an OpenAI-compatible engine that streams chunks deltas and
// a usage event, or answers one JSON body when not streaming.
type fakeEngine struct {
	chunks int
	// abort makes every request fail before its head, as an engine that
	// crashes does.
	abort bool
	// hold, if set, stalls each stream after its first chunk until the
	// channel closes or the request ends; gone then receives.
	hold chan struct{}
	gone chan struct{}
	// stall, if set, holds every request before its head until it ends;
	// gone then receives.
	stall bool
	// requests counts inference requests.
	requests atomic.Int64
}

func (f *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v1/models" {
		fmt.Fprint(w, `{"object":"list","data":[{"id":"m","object":"model"}]}`)
		return
	}
	f.requests.Add(1)
	if f.abort {
		panic(http.ErrAbortHandler)
	}
	var body struct {
		Stream bool `json:"stream"`
	}
	// Read the whole body first: only then does the server notice a client
	// that goes away.
	b, _ := io.ReadAll(r.Body)
	json.Unmarshal(b, &body)
	if f.stall {
		<-r.Context().Done()
		f.gone <- struct{}{}
		return
	}
	if !body.Stream {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}`)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	for i := range f.chunks {
		fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t%d \"}}]}\n\n", i)
		w.(http.Flusher).Flush()
		if i == 0 && f.hold != nil {
			select {
			case <-f.hold:
			case <-r.Context().Done():
				f.gone <- struct{}{}
				return
			}
		}
	}
	fmt.Fprint(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}\n\ndata: [DONE]\n\n")
}

func start(t *testing.T, opts Options) *Network {
	t.Helper()
	if opts.Model == "" && opts.Engine != nil {
		opts.Model = "m"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func engines(fs ...*fakeEngine) func(int) http.Handler {
	return func(i int) http.Handler { return fs[i] }
}

const chatStream = `{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}`

func post(t *testing.T, ctx context.Context, url, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "POST", url+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	return res, string(b)
}

func TestChatRawHTTP(t *testing.T) {
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 3})})
	res, body := post(t, context.Background(), n.ClientURL, chatStream)
	if res.StatusCode != 200 || !strings.Contains(body, "t2 ") || !strings.HasSuffix(body, "data: [DONE]\n\n") {
		t.Fatalf("streamed chat: %d %q, want 200 with every chunk", res.StatusCode, body)
	}
	for _, h := range []string{"X-Cocoon-Client-Start", "X-Cocoon-Proxy-Start", "X-Cocoon-Worker-Start", "X-Cocoon-Worker-End"} {
		if res.Header.Get(h) == "" {
			t.Errorf("streamed answer lacks %s", h)
		}
	}
	res, body = post(t, context.Background(), n.ClientURL, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	if res.StatusCode != 200 || !strings.Contains(body, `"hello"`) {
		t.Fatalf("plain chat: %d %q, want 200 with the completion", res.StatusCode, body)
	}
	mres, err := http.Get(n.ClientURL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID      string            `json:"id"`
			Workers []json.RawMessage `json:"workers"`
		} `json:"data"`
	}
	json.NewDecoder(mres.Body).Decode(&list)
	mres.Body.Close()
	if list.Object != "list" || len(list.Data) != 1 || list.Data[0].ID != "m" || len(list.Data[0].Workers) != 1 {
		t.Errorf("/v1/models = %+v, want model m with one worker", list)
	}
}

func TestChatOpenAISDK(t *testing.T) {
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 4})})
	c := openai.NewClient(option.WithBaseURL(n.ClientURL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	params := openai.ChatCompletionNewParams{Model: "m", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}
	got, err := c.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Choices) != 1 || got.Choices[0].Message.Content != "hello" {
		t.Errorf("completion = %+v, want hello", got.Choices)
	}
	// Usage comes in a stream only when asked, in a last chunk without
	// choices, as OpenAI sends it; unasked, every chunk has a choice.
	for _, asked := range []bool{false, true} {
		p := params
		if asked {
			p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		}
		stream := c.Chat.Completions.NewStreaming(context.Background(), p)
		var text strings.Builder
		var usage int64
		for stream.Next() {
			ch := stream.Current()
			if len(ch.Choices) == 0 && !asked {
				t.Errorf("a chunk without choices in a stream that did not ask for usage: %+v", ch)
			}
			for _, choice := range ch.Choices {
				text.WriteString(choice.Delta.Content)
			}
			usage = max(usage, ch.Usage.TotalTokens)
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		stream.Close()
		want := int64(0)
		if asked {
			want = 7
		}
		if text.String() != "t0 t1 t2 t3 " || usage != want {
			t.Errorf("include_usage %v: streamed text %q usage %d, want \"t0 t1 t2 t3 \" and %d", asked, text.String(), usage, want)
		}
	}
}

func TestWorkerKilledMidStream(t *testing.T) {
	f := &fakeEngine{chunks: 3, hold: make(chan struct{}), gone: make(chan struct{}, 1)}
	n := start(t, Options{Engine: engines(f)})
	req, _ := http.NewRequest("POST", n.ClientURL+"/v1/chat/completions", strings.NewReader(chatStream))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	r := bufio.NewReader(res.Body)
	if line, err := r.ReadString('\n'); err != nil || !strings.Contains(line, "t0") {
		t.Fatalf("first line %q, %v; want the first chunk", line, err)
	}
	n.StopWorker(0)
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading after the worker died: %v", err)
	}
	if !strings.Contains(string(rest), `"error"`) || strings.Contains(string(rest), "[DONE]") {
		t.Errorf("stream after the worker died = %q, want an error event and no [DONE]", rest)
	}
}

func TestRetryBeforeHead(t *testing.T) {
	// The healthy engine holds its streams, so that it is busy and the
	// proxy sends later requests to the idle, failing worker first.
	bad := &fakeEngine{abort: true}
	good := &fakeEngine{chunks: 2, hold: make(chan struct{}), gone: make(chan struct{}, 8)}
	n := start(t, Options{Workers: 2, Engine: engines(bad, good)})
	const requests = 4
	var wg sync.WaitGroup
	statuses := make([]string, requests)
	for i := range requests {
		wg.Go(func() {
			res, err := http.Post(n.ClientURL+"/v1/chat/completions", "application/json", strings.NewReader(chatStream))
			if err != nil {
				statuses[i] = err.Error()
				return
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			statuses[i] = fmt.Sprintf("%d %v %v", res.StatusCode, strings.Contains(string(body), "[DONE]"), err)
		})
	}
	deadline := time.Now().Add(10 * time.Second)
	for good.requests.Load() < requests && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	close(good.hold)
	wg.Wait()
	for i, s := range statuses {
		if s != "200 true <nil>" {
			t.Errorf("request %d: %s, want 200 served in full by the healthy worker", i, s)
		}
	}
	if bad.requests.Load() == 0 {
		t.Error("the failing worker was never tried; the test proves nothing")
	}
	if good.requests.Load() != requests {
		t.Errorf("healthy worker served %d of %d requests", good.requests.Load(), requests)
	}
}

func TestCallerDisconnectCancelsEngine(t *testing.T) {
	f := &fakeEngine{chunks: 3, hold: make(chan struct{}), gone: make(chan struct{}, 1)}
	n := start(t, Options{Engine: engines(f)})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", n.ClientURL+"/v1/chat/completions", strings.NewReader(chatStream))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	bufio.NewReader(res.Body).ReadString('\n')
	cancel()
	res.Body.Close()
	select {
	case <-f.gone:
	case <-time.After(10 * time.Second):
		t.Fatal("engine request still running 10 s after the caller left")
	}
	// A caller that leaves is not the worker's fault.
	eventually(t, "the proxy releases the worker", func() bool { return n.Proxy.Snapshot().WorkerConnections[0].RunningQueries == 0 })
	if w := n.Proxy.Snapshot().WorkerConnections[0]; w.SuccessRate != 1 {
		t.Errorf("worker success rate %v after a caller left, want 1", w.SuccessRate)
	}
}

func TestErrors(t *testing.T) {
	f := &fakeEngine{stall: true, gone: make(chan struct{}, 8)}
	n := start(t, Options{Engine: engines(f)})
	tests := []struct {
		name       string
		body       string
		wantStatus int
	}{
		{"unknown model", `{"model":"nope","messages":[{"role":"user","content":"hi"}]}`, 404},
		{"malformed json", `{"model":`, 400},
		{"oversized body", `{"model":"m","messages":[{"role":"user","content":"` + strings.Repeat("x", 17<<20) + `"}]}`, 413},
		{"expired deadline", `{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"timeout":0.3}`, 504},
		{"coefficient too low", `{"model":"m","messages":[{"role":"user","content":"hi"}],"max_coefficient":10}`, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := post(t, context.Background(), n.ClientURL, tt.body)
			var e struct {
				Error struct {
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Message == "" {
				t.Errorf("body %q is not an OpenAI error: %v", body, err)
			}
			if res.StatusCode != tt.wantStatus {
				t.Errorf("status %d (%s), want %d", res.StatusCode, e.Error.Message, tt.wantStatus)
			}
		})
	}
	select {
	case <-f.gone:
	case <-time.After(10 * time.Second):
		t.Error("the engine request of the expired request still runs 10 s later")
	}
}

func TestConcurrentStreams(t *testing.T) {
	n := start(t, Options{Workers: 2, Engine: engines(&fakeEngine{chunks: 3}, &fakeEngine{chunks: 3})})
	const streams = 200
	tr := &http.Transport{MaxIdleConnsPerHost: streams}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range streams {
		wg.Go(func() {
			res, err := hc.Post(n.ClientURL+"/v1/chat/completions", "application/json", strings.NewReader(chatStream))
			if err != nil {
				failed.Add(1)
				return
			}
			b, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 || !strings.HasSuffix(string(b), "data: [DONE]\n\n") {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f != 0 {
		t.Errorf("%d of %d concurrent streams failed", f, streams)
	}
}

// TestBuiltInEngine runs the real network on the stories260K model: the
// README's first command in miniature.
func TestBuiltInEngine(t *testing.T) {
	model := sharedtest.Path(t, "models/stories260K.gguf")
	n := start(t, Options{ModelPath: model})
	if n.Model != "stories260K" {
		t.Errorf("model name %q, want stories260K", n.Model)
	}
	body := `{"model":"stories260K","messages":[{"role":"user","content":"Once upon a time"}],"stream":true,"max_tokens":16}`
	res, got := post(t, context.Background(), n.ClientURL, body)
	if res.StatusCode != 200 || strings.Count(got, "data: ") < 3 || !strings.Contains(got, "[DONE]") {
		t.Fatalf("got %d %q, want a stream of tokens", res.StatusCode, got)
	}
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWorkerControl(t *testing.T) {
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 1})})
	n.Workers[0].SetEnabled(false)
	eventually(t, "proxy sees the worker disabled", func() bool { return !n.Proxy.Snapshot().WorkerConnections[0].Enabled })
	res, body := post(t, context.Background(), n.ClientURL, chatStream)
	if res.StatusCode != 503 || !strings.Contains(body, "no ready workers") {
		t.Errorf("request to a disabled worker: %d %q, want 503 no ready workers", res.StatusCode, body)
	}
	n.Workers[0].SetEnabled(true)
	if err := n.Workers[0].SetCoefficient(2500); err != nil {
		t.Fatal(err)
	}
	eventually(t, "proxy sees the new coefficient", func() bool {
		w := n.Proxy.Snapshot().WorkerConnections[0]
		return w.Enabled && w.Coefficient == 2500
	})
	res, body = post(t, context.Background(), n.ClientURL, `{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"max_coefficient":2000}`)
	if res.StatusCode != 503 || !strings.Contains(body, "coefficient=2500") {
		t.Errorf("request below the coefficient: %d %q, want 503 naming coefficient=2500", res.StatusCode, body)
	}
	if res, _ := post(t, context.Background(), n.ClientURL, chatStream); res.StatusCode != 200 {
		t.Errorf("request to the re-enabled worker: %d, want 200", res.StatusCode)
	}
}

func TestBilling(t *testing.T) {
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 2})})
	if res, _ := post(t, context.Background(), n.ClientURL, chatStream); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	// The fake engine reports 3 prompt and 4 completion tokens; at
	// coefficient 1.0 that is 7 tokens, 14 nanoTON charged, 7 earned.
	eventually(t, "the proxy settles the request", func() bool { return n.Proxy.Snapshot().Totals.Tokens == 7 })
	tot := n.Proxy.Snapshot().Totals
	if tot.Charged != 14 || tot.Earned != 7 || tot.Commission != 7 {
		t.Errorf("totals = %+v, want 14 charged, 7 earned, 7 commission", tot)
	}
	eventually(t, "the worker hears its account", func() bool {
		ps := n.Workers[0].Snapshot().Proxies
		return len(ps) == 1 && ps[0].Tokens == 7
	})
	res, body := post(t, context.Background(), n.ClientURL, `{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":2000000000}`)
	if res.StatusCode != 402 || !strings.Contains(body, "client balance is too low") {
		t.Errorf("request beyond the stake: %d %q, want 402 client balance is too low", res.StatusCode, body)
	}
	if c := n.Proxy.Snapshot().Clients; len(c) != 1 || c[0].Reserved != 0 || c[0].Tokens != 7 {
		t.Errorf("client accounts = %+v, want one with 7 tokens and nothing reserved", c)
	}
}

// TestClientFromRoot runs a second client that learns the proxy from the
// root contract's lists instead of its config, and checks the proxy
// against them.
func TestClientFromRoot(t *testing.T) {
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 1})})
	tlsConf, v := fakeTDXClient(t)
	cfg, err := client.ParseConfig([]byte(`{"is_test":true,"root_contract_address":"EQroot","ton_config_filename":"unused","proxy_policy":"fake_tdx","owner_address":"` + contracts.NewOwnerAddress().String() + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	var reads atomic.Int64
	url, stop := serveClient(t, cfg, client.Deps{Mode: chainconf.FakeTON, TLS: tlsConf, ProxyPeers: v, Root: func(context.Context) (trust.Lists, error) {
		reads.Add(1)
		return trust.Lists{Root: "EQroot", Version: 1, AsOf: time.Now(), ProxyHashes: [][32]byte{FakeImageHash},
			Proxies: []trust.Endpoint{{Workers: n.ProxyWorkersAddr, Clients: n.ProxyClientsAddr}}}, nil
	}})
	defer stop()
	res, body := post(t, context.Background(), url, chatStream)
	if res.StatusCode != 200 || reads.Load() == 0 {
		t.Errorf("request through a root-fed client: %d %q after %d root reads", res.StatusCode, body, reads.Load())
	}
}

func TestEnableDebug(t *testing.T) {
	n := start(t, Options{Engine: engines(&fakeEngine{})})
	res, body := post(t, context.Background(), n.ClientURL, `{"model":"m","messages":[{"role":"user","content":"hi"}],"enable_debug":true}`)
	var got struct {
		Choices []json.RawMessage `json:"choices"`
		Debug   map[string]struct {
			Type      string  `json:"type"`
			StartTime float64 `json:"start_time"`
			EndAt     float64 `json:"answer_receive_end_at"`
		} `json:"debug"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || res.StatusCode != 200 {
		t.Fatalf("answer %d %q: %v", res.StatusCode, body, err)
	}
	for _, hop := range []string{"client", "proxy", "worker"} {
		d := got.Debug[hop]
		if d.Type != hop || d.StartTime == 0 || d.EndAt < d.StartTime {
			t.Errorf("debug.%s = %+v, want its type and ordered times", hop, d)
		}
	}
	if len(got.Choices) != 1 {
		t.Errorf("the answer lost its choices: %s", body)
	}
}

// TestWorkerLostBeforeHead stops a worker while it holds a request whose
// answer has not started: the proxy must move the request to the other
// worker, and the caller must see only the good answer.
func TestWorkerLostBeforeHead(t *testing.T) {
	stalled := &fakeEngine{stall: true, gone: make(chan struct{}, 4)}
	good := &fakeEngine{chunks: 2}
	n := start(t, Options{Workers: 2, Engine: engines(stalled, good)})
	type answer struct {
		status int
		body   string
		err    error
	}
	for range 20 {
		done := make(chan answer, 1)
		go func() {
			res, err := http.Post(n.ClientURL+"/v1/chat/completions", "application/json", strings.NewReader(chatStream))
			if err != nil {
				done <- answer{err: err}
				return
			}
			b, err := io.ReadAll(res.Body)
			res.Body.Close()
			done <- answer{res.StatusCode, string(b), err}
		}()
		// Either the healthy worker answers, and we try again, or the
		// request stalls on the other one.
		var a answer
		answered := false
		for !answered && stalled.requests.Load() == 0 {
			select {
			case a = <-done:
				answered = true
			case <-time.After(5 * time.Millisecond):
			}
		}
		if answered {
			if a.err != nil || a.status != 200 {
				t.Fatalf("request served by the healthy worker: %d %v", a.status, a.err)
			}
			continue
		}
		n.StopWorker(0)
		a = <-done
		if a.err != nil || a.status != 200 || !strings.Contains(a.body, "[DONE]") {
			t.Fatalf("request moved off the lost worker: %d %q %v, want 200 with the whole stream", a.status, a.body, a.err)
		}
		return
	}
	t.Fatal("no request reached the stalling worker in 20 tries")
}

func TestOnlyWorkerFails(t *testing.T) {
	n := start(t, Options{Engine: engines(&fakeEngine{abort: true})})
	res, body := post(t, context.Background(), n.ClientURL, chatStream)
	if res.StatusCode != 503 || !strings.Contains(body, "engine failed") {
		t.Errorf("got %d %q, want 503 naming the worker's failure", res.StatusCode, body)
	}
}

func TestProxyDisable(t *testing.T) {
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 1})})
	control := func(path string) int {
		res, err := http.Post(n.ProxyURL+path, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := control("/request/disable"); got != 200 {
		t.Fatalf("disable: %d", got)
	}
	res, body := post(t, context.Background(), n.ClientURL, chatStream)
	if res.StatusCode != 503 || !strings.Contains(body, "proxy is disabled") || n.Proxy.Snapshot().Status.Enabled {
		t.Errorf("request to a disabled proxy: %d %q", res.StatusCode, body)
	}
	control("/request/enable")
	if res, _ := post(t, context.Background(), n.ClientURL, chatStream); res.StatusCode != 200 {
		t.Errorf("request after enabling: %d, want 200", res.StatusCode)
	}
}

func TestOneRequestID(t *testing.T) {
	eng := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "engine-id")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`)
	})
	n := start(t, Options{Engine: func(int) http.Handler { return eng }})
	res, _ := post(t, context.Background(), n.ClientURL, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	if ids := res.Header.Values("X-Request-Id"); res.StatusCode != 200 || len(ids) != 1 || ids[0] == "engine-id" {
		t.Errorf("got status %d and X-Request-Id %q, want 200 and one id of the client's own", res.StatusCode, ids)
	}
}

// chat posts body through the client at url and fails the test, naming
// the request what, unless it is answered.
func chat(t *testing.T, ctx context.Context, url, body, what string) {
	t.Helper()
	if res, got := post(t, ctx, url, body); res.StatusCode != 200 {
		t.Fatalf("%s: %d %s", what, res.StatusCode, got)
	}
}

// alternating is the body of a test's request i: streamed when i is
// even, plain when odd.
func alternating(i int) string {
	if i%2 == 1 {
		return chatPlain
	}
	return chatStream
}

// serveClient runs a client built from cfg and deps beside a devnet and
// serves its API at url once it has a proxy connection; stop stops the
// server and the client.
func serveClient(t *testing.T, cfg client.Config, deps client.Deps) (url string, stop func()) {
	t.Helper()
	c, err := client.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	_, stopRun := sharedtest.Go(func(ctx context.Context) { c.Run(ctx) })
	srv := httptest.NewServer(c.Handler())
	stop = func() {
		srv.Close()
		stopRun()
	}
	// Run reads the root (when it learns its proxies there) and dials a
	// proxy in its own goroutine: wait for that connection before the
	// test asks anything.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		stop()
		t.Fatalf("the client reaching a proxy: %v", err)
	}
	return srv.URL, stop
}

// fakeTDXClient is the RA-TLS configuration of a client a test runs
// beside a devnet: it attests with fake TDX quotes and accepts proxies
// with fake TDX quotes or fake SEV-SNP evidence, as the devnet's nodes do.
// The verifier is returned too, for the client's proxy checks.
func fakeTDXClient(t *testing.T) (*tls.Config, *ratls.Verifier) {
	t.Helper()
	cert, err := node.Certifier(context.Background(), nil, faketdx.NewIssuer(), nil)
	if err != nil {
		t.Fatal(err)
	}
	a := node.Attestation{InsecureFakeTDX: true, InsecureFakeSEVSNP: true}
	v, err := a.Verifier("fake_tdx", time.Second, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return ratls.ClientConfig(cert, v), v
}
