package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/wire"
)

// fakeNetwork answers every query with script, run in its own goroutine
// against the stream.
type fakeNetwork struct {
	mu      sync.Mutex
	queries []*Query
	closed  int
	err     error // returned by send when set
	script  func(q *Query, s *Stream)
	list    []ModelInfo
	onClose func() // called when a stream closes, if set
	wg      sync.WaitGroup
}

func (f *fakeNetwork) Send(ctx context.Context, q *Query) (*Stream, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.mu.Lock()
	f.queries = append(f.queries, q)
	f.mu.Unlock()
	s := NewStream(func() {
		f.mu.Lock()
		f.closed++
		f.mu.Unlock()
		if f.onClose != nil {
			f.onClose()
		}
	})
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		f.script(q, s)
	}()
	return s, nil
}

func (f *fakeNetwork) Models(ctx context.Context) ([]ModelInfo, error) {
	return f.list, f.err
}

func newTestAPI(t *testing.T, f *fakeNetwork, keys ...string) *httptest.Server {
	t.Helper()
	a := New(f, Options{MaxBody: 1 << 10, Keys: keys})
	srv := httptest.NewServer(a.Handler(func() any { return map[string]any{"ok": true} }, ""))
	t.Cleanup(func() {
		srv.Close()
		f.wg.Wait()
	})
	return srv
}

func sseScript(q *Query, s *Stream) {
	s.PushHead(Head{Status: 200, Reason: "OK", Header: []Header{{"Content-Type", "text/event-stream"}, {"Content-Length", "999"}, {"X-Cocoon-Worker-Start", "1.0"}}}, nil)
	s.PushData([]byte("data: {\"a\":1}\n\n"))
	s.PushData([]byte("data: [DONE]\n\n"))
	s.Finish(&FinalInfo{Tokens: 3})
}

func post(t *testing.T, srv *httptest.Server, path, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestInferenceStreams(t *testing.T) {
	f := &fakeNetwork{script: sseScript}
	srv := newTestAPI(t, f)
	res, body := post(t, srv, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,"max_coefficient":2000,"timeout":30,"max_completion_tokens":50,"max_tokens":9}`,
		"Authorization", "Bearer secret", "X-Custom", "v")
	if res.StatusCode != 200 || body != "data: {\"a\":1}\n\ndata: [DONE]\n\n" {
		t.Fatalf("got %d %q, want 200 and the stream", res.StatusCode, body)
	}
	for _, h := range []string{"X-Cocoon-Client-Start", "X-Cocoon-Client-End", "X-Cocoon-Worker-Start", "Access-Control-Allow-Origin"} {
		if res.Header.Get(h) == "" {
			t.Errorf("response lacks header %s", h)
		}
	}
	if res.Header.Get("Content-Length") == "999" {
		t.Error("the engine's Content-Length was passed through")
	}
	q := f.queries[0]
	if q.Model != "m" || q.MaxCoefficient != 2000 || q.MaxTokens != 50 || q.Timeout != 28500*time.Millisecond {
		t.Errorf("query = model %q coef %d tokens %d timeout %v, want m 2000 50 28.5s", q.Model, q.MaxCoefficient, q.MaxTokens, q.Timeout)
	}
	var sent map[string]any
	json.Unmarshal(q.Body, &sent)
	for _, k := range []string{"max_coefficient", "timeout", "max_tokens"} {
		if _, ok := sent[k]; ok {
			t.Errorf("forwarded body still has %q: %s", k, q.Body)
		}
	}
	for _, h := range q.Header {
		if h.Name == "Authorization" {
			t.Error("the caller's API key was forwarded into the network")
		}
	}
	if f.closed != 1 {
		t.Errorf("stream closed %d times, want 1", f.closed)
	}
}

func TestInferenceErrors(t *testing.T) {
	failWith := func(err error) func(*Query, *Stream) {
		return func(q *Query, s *Stream) { s.Fail(err) }
	}
	tests := []struct {
		name       string
		body       string
		net        *fakeNetwork
		keys       []string
		hdr        []string
		wantStatus int
		wantCode   string
	}{
		{"malformed json", `{"model":`, &fakeNetwork{script: sseScript}, nil, nil, 400, "invalid_json"},
		{"no model", `{"messages":[]}`, &fakeNetwork{script: sseScript}, nil, nil, 400, "missing_required_parameter"},
		{"bad timeout", `{"model":"m","messages":[{"role":"user","content":"x"}],"timeout":"x"}`, &fakeNetwork{script: sseScript}, nil, nil, 400, "invalid_value"},
		{"oversized", `{"model":"m","messages":"` + strings.Repeat("x", 2000) + `"}`, &fakeNetwork{script: sseScript}, nil, nil, 413, "request_too_large"},
		{"no proxy", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, &fakeNetwork{err: ErrNoProxy}, nil, nil, 503, "no_proxy"},
		{"contract closed", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, &fakeNetwork{err: fmt.Errorf("%w: our client contract at proxy p:1 is closed", ErrNoProxy)}, nil, nil, 503, "no_proxy"},
		{"wallet short", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, &fakeNetwork{err: fmt.Errorf("%w: top up the client's cocoon wallet: %w", ErrNoProxy, ErrUnfunded)}, nil, nil, 402, "insufficient_funds"},
		{"unknown model", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, &fakeNetwork{script: failWith(&AnswerError{Code: wire.CodeProtoViolation, Message: "unknown model m"})}, nil, nil, 404, "model_not_found"},
		{"rejected", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, &fakeNetwork{script: failWith(&AnswerError{Code: wire.CodeProtoViolation, Message: "model name mismatch"})}, nil, nil, 400, "rejected"},
		{"not ready", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, &fakeNetwork{script: failWith(&AnswerError{Code: wire.CodeNotReady, Message: "no ready workers"})}, nil, nil, 503, "not_ready"},
		{"proxy timeout", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, &fakeNetwork{script: failWith(&AnswerError{Code: wire.CodeTimeout, Message: "timeout in proxy"})}, nil, nil, 504, "timeout"},
		{"own deadline", `{"model":"m","messages":[{"role":"user","content":"x"}],"timeout":0.2}`, &fakeNetwork{script: func(*Query, *Stream) {}}, nil, nil, 504, "timeout"},
		{"missing key", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, &fakeNetwork{script: sseScript}, []string{"k1"}, nil, 401, "invalid_api_key"},
		{"wrong key", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, &fakeNetwork{script: sseScript}, []string{"k1"}, []string{"Authorization", "Bearer k2"}, 401, "invalid_api_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestAPI(t, tt.net, tt.keys...)
			res, body := post(t, srv, "/v1/chat/completions", tt.body, tt.hdr...)
			var e struct {
				Error struct {
					Message string `json:"message"`
					Code    string `json:"code"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("body %q is not OpenAI error JSON: %v", body, err)
			}
			if res.StatusCode != tt.wantStatus || e.Error.Code != tt.wantCode || e.Error.Message == "" {
				t.Errorf("got %d %q (%q), want %d %q", res.StatusCode, e.Error.Code, e.Error.Message, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func TestInferenceKeyAccepted(t *testing.T) {
	srv := newTestAPI(t, &fakeNetwork{script: sseScript}, "k1", "k2")
	if res, _ := post(t, srv, "/v1/completions", `{"model":"m","prompt":"x"}`, "Authorization", "Bearer k2"); res.StatusCode != 200 {
		t.Errorf("right key: status %d, want 200", res.StatusCode)
	}
}

func TestInferenceFailsMidStream(t *testing.T) {
	script := func(q *Query, s *Stream) {
		s.PushHead(Head{Status: 200, Header: []Header{{"Content-Type", "text/event-stream"}}}, []byte("data: {\"a\":1}\n\n"))
		s.Fail(&AnswerError{Code: wire.CodeNotReady, Message: "worker connection lost"})
	}
	srv := newTestAPI(t, &fakeNetwork{script: script})
	res, body := post(t, srv, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true}`)
	if res.StatusCode != 200 || !strings.Contains(body, `"error"`) || !strings.Contains(body, "worker connection lost") {
		t.Errorf("got %d %q, want the stream ended by an error event", res.StatusCode, body)
	}

	plain := func(q *Query, s *Stream) {
		s.PushHead(Head{Status: 200, Header: []Header{{"Content-Type", "application/json"}}}, []byte("{\"a\":"))
		s.Fail(&AnswerError{Code: wire.CodeNotReady, Message: "worker connection lost"})
	}
	srv = newTestAPI(t, &fakeNetwork{script: plain})
	req, _ := http.NewRequest("POST", srv.URL+"/v1/chat/completions", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"x"}]}`))
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		_, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	if err == nil {
		t.Error("a JSON body cut short was delivered as complete; want the connection aborted")
	}
}

func TestCallerDisconnectClosesStream(t *testing.T) {
	released := make(chan struct{})
	script := func(q *Query, s *Stream) {
		s.PushHead(Head{Status: 200, Header: []Header{{"Content-Type", "text/event-stream"}}}, []byte("data: 1\n\n"))
	}
	f := &fakeNetwork{script: script, onClose: func() { close(released) }}
	srv := newTestAPI(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/chat/completions", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 9)
	io.ReadFull(res.Body, buf)
	cancel()
	res.Body.Close()
	select {
	case <-released:
	case <-time.After(5 * time.Second):
		t.Fatal("stream still open 5 s after the caller left")
	}
}

func TestModelsAndCORS(t *testing.T) {
	f := &fakeNetwork{list: []ModelInfo{
		{Name: "b", Workers: []WorkerInstance{{Coefficient: 2000}, {Coefficient: 1000, MaxRunningRequests: 5}}},
		{Name: "a"},
	}}
	srv := newTestAPI(t, f)
	res, err := http.Get(srv.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var list struct {
		Object string       `json:"object"`
		Data   []modelEntry `json:"data"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatalf("models body %q: %v", b, err)
	}
	if strings.Count(string(b), `"object":"list"`) != 1 {
		t.Errorf("body %s repeats the object key", b)
	}
	if list.Object != "list" || len(list.Data) != 2 || list.Data[0].ID != "a" || list.Data[1].Workers[0].Coefficient != 1000 {
		t.Errorf("models = %+v, want a then b with workers sorted by coefficient", list)
	}
	req, _ := http.NewRequest("OPTIONS", srv.URL+"/v1/chat/completions", nil)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Methods") != "GET, POST, OPTIONS" {
		t.Errorf("OPTIONS: %d %v, want 200 with CORS", res.StatusCode, res.Header)
	}
	res, _ = http.Get(srv.URL + "/nope")
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("unknown path: %d, want 404", res.StatusCode)
	}
}

func TestWithDebug(t *testing.T) {
	d := []byte(`{"x":1}`)
	tests := []struct {
		name, last string
		sse        bool
		want       string
	}{
		{"object", `{"id":"a"}` + "\n", false, `{"id":"a","debug":{"x":1}}` + "\n"},
		{"empty object", `{}`, false, `{"debug":{"x":1}}`},
		{"not an object", `[1]`, false, `[1]{"debug":{"x":1}}` + "\n"},
		{"stream", "data: [DONE]\n\n", true, "data: [DONE]\n\ndata: {\"debug\":{\"x\":1}}\n\n"},
	}
	for _, tt := range tests {
		if got := string(withDebug([]byte(tt.last), tt.sse, d)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestRetryOnLostProxy(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	script := func(q *Query, s *Stream) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			s.Fail(ErrProxyLost)
			return
		}
		sseScript(q, s)
	}
	f := &fakeNetwork{script: script}
	srv := newTestAPI(t, f)
	res, body := post(t, srv, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true}`)
	if res.StatusCode != 200 || !strings.Contains(body, "[DONE]") {
		t.Errorf("got %d %q, want the second proxy's answer", res.StatusCode, body)
	}
	if len(f.queries) != 2 || f.closed != 2 {
		t.Errorf("%d sends, %d closes; want 2 and 2", len(f.queries), f.closed)
	}
}

// TestInferenceFlushesBeforeWaiting checks that what reached the client
// reaches the caller before the client waits for more: the head alone,
// then each chunk while the next one has not arrived.
func TestInferenceFlushesBeforeWaiting(t *testing.T) {
	step := make(chan struct{})
	script := func(q *Query, s *Stream) {
		s.PushHead(Head{Status: 200, Header: []Header{{"Content-Type", "text/event-stream"}}}, nil)
		<-step
		s.PushData([]byte("data: 1\n\n"))
		<-step
		s.PushData([]byte("data: 2\n\n"))
		s.Finish(&FinalInfo{})
	}
	srv := newTestAPI(t, &fakeNetwork{script: script})
	res, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true}`))
	if err != nil {
		t.Fatal(err) // the head did not reach the caller while the answer waited
	}
	defer res.Body.Close()
	step <- struct{}{}
	buf := make([]byte, 9)
	if _, err := io.ReadFull(res.Body, buf); err != nil || string(buf) != "data: 1\n\n" {
		t.Fatalf("first chunk: got %q, %v; want it before the next one exists", buf, err)
	}
	step <- struct{}{}
	rest, err := io.ReadAll(res.Body)
	if err != nil || string(rest) != "data: 2\n\n" {
		t.Errorf("rest: got %q, %v, want the second chunk and the end", rest, err)
	}
}

// usageScript answers with a stream that carries usage, as the network
// forces it on every stream.
func usageScript(q *Query, s *Stream) {
	s.PushHead(Head{Status: 200, Header: []Header{{"Content-Type", "text/event-stream"}}}, nil)
	s.PushData([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"a\"},\"index\":0}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1}}\n"))
	s.PushData([]byte("\ndata: [DONE]\n\n"))
	s.Finish(&FinalInfo{Tokens: 3})
}

func TestStreamUsageOnlyWhenAsked(t *testing.T) {
	tests := []struct {
		name, body string
		usage      bool
	}{
		{"not asked", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true}`, false},
		{"asked", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true}}`, true},
		{"asked not", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":false}}`, false},
	}
	for _, tt := range tests {
		srv := newTestAPI(t, &fakeNetwork{script: usageScript})
		res, body := post(t, srv, "/v1/chat/completions", tt.body)
		if res.StatusCode != 200 || !strings.HasSuffix(body, "data: [DONE]\n\n") || !strings.Contains(body, `"content":"a"`) {
			t.Fatalf("%s: got %d %q, want the stream", tt.name, res.StatusCode, body)
		}
		if got := strings.Contains(body, "usage"); got != tt.usage {
			t.Errorf("%s: usage in the stream %v, want %v: %q", tt.name, got, tt.usage, body)
		}
	}
}

func TestBadRequestsNameTheParameter(t *testing.T) {
	srv := newTestAPI(t, &fakeNetwork{script: sseScript})
	tests := []struct{ body, param, code string }{
		{`{"model":"m","messages":"hi"}`, "messages", "invalid_type"},
		{`{"model":"m","messages":[{"role":"wizard","content":"x"}]}`, "messages[0].role", "invalid_value"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1e23}`, "max_tokens", "integer_above_max_value"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"max_coefficient":-1}`, "max_coefficient", "invalid_value"},
		{`{"model":"m","messages":[{"role":"user","content":"` + strings.Repeat("x", 2000) + `"}]}`, "", "request_too_large"},
	}
	for _, tt := range tests {
		res, body := post(t, srv, "/v1/chat/completions", tt.body)
		var e struct {
			Error struct {
				Message string  `json:"message"`
				Type    string  `json:"type"`
				Param   *string `json:"param"`
				Code    string  `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatalf("%s: body %q: %v", tt.body, body, err)
		}
		param := ""
		if e.Error.Param != nil {
			param = *e.Error.Param
		}
		if res.StatusCode/100 != 4 || param != tt.param || e.Error.Code != tt.code || e.Error.Type != "invalid_request_error" {
			t.Errorf("%.60s: got %d param %q code %q, want 4xx %q %q", tt.body, res.StatusCode, param, e.Error.Code, tt.param, tt.code)
		}
		if strings.Contains(e.Error.Message, "Go struct") || strings.Contains(e.Error.Message, "unmarshal") {
			t.Errorf("message %q speaks Go", e.Error.Message)
		}
	}
}
