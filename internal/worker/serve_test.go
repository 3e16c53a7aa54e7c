package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// recordSink keeps what serveQuery sent.
type recordSink struct {
	mu       sync.Mutex
	status   int
	headers  []header
	body     strings.Builder
	parts    int
	finished bool
	failCode int32
	failMsg  string
	tokens   billing.Adjusted
	partSeen chan struct{} // receives after each part, if non-nil
}

func (s *recordSink) head(status int, _ string, h []header, data []byte, last *ending) error {
	s.mu.Lock()
	s.status, s.headers = status, h
	s.mu.Unlock()
	return s.part(data, last)
}

func (s *recordSink) part(data []byte, last *ending) error {
	s.mu.Lock()
	s.body.Write(data)
	if len(data) > 0 {
		s.parts++
	}
	if last != nil {
		s.finished, s.tokens = true, last.tokens
	}
	s.mu.Unlock()
	if s.partSeen != nil && len(data) > 0 {
		s.partSeen <- struct{}{}
	}
	return nil
}

func (s *recordSink) fail(code int32, msg string, tokens billing.Adjusted, _, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failCode, s.failMsg, s.tokens = code, msg, tokens
	return nil
}

// fakeEngine answers chat requests with an SSE stream of n chunks and a
// usage event, recording the bodies it received.
type fakeEngine struct {
	mu     sync.Mutex
	bodies []map[string]any
	chunks int
	hold   chan struct{} // if non-nil, the stream waits on it after the first chunk
	gone   chan struct{} // closed when a held request's context ends
}

func (f *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v1/models" {
		fmt.Fprint(w, `{"object":"list","data":[]}`)
		return
	}
	var body map[string]any
	json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	f.mu.Unlock()
	if body["stream"] != true {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}`)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	for i := range f.chunks {
		fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t%d\"}}]}\n\n", i)
		w.(http.Flusher).Flush()
		if f.hold != nil {
			select {
			case <-f.hold:
			case <-r.Context().Done():
				close(f.gone)
				return
			}
		}
	}
	fmt.Fprint(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}\n\ndata: [DONE]\n\n")
}

func newEngine(t *testing.T, h http.Handler) *Engine {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e, err := NewEngine(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func chatQuery(body string) *query {
	return &query{method: "POST", url: "/v1/chat/completions", body: []byte(body), coefficient: 1000, timeout: 10 * time.Second}
}

func TestServeQueryStreams(t *testing.T) {
	fe := &fakeEngine{chunks: 3}
	eng := newEngine(t, fe)
	sink := &recordSink{}
	q := chatQuery(`{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,"tools":[{"type":"function","function":{"name":"f"}}],"seed":1,"user":"u"}`)
	if err := serveQuery(context.Background(), eng, "m", billing.DefaultPrices(2, 1), q, sink, time.Now); err != nil {
		t.Fatal(err)
	}
	if !sink.finished || sink.status != 200 {
		t.Fatalf("finished = %v, status = %d; want a finished 200", sink.finished, sink.status)
	}
	if got := sink.tokens.Total; got != 7 {
		t.Errorf("tokens used = %d, want 7 from the SSE usage event", got)
	}
	if !strings.Contains(sink.body.String(), "t2") || !strings.Contains(sink.body.String(), "[DONE]") {
		t.Errorf("body = %q, want every chunk and [DONE]", sink.body.String())
	}
	got := fe.bodies[0]
	if got["max_tokens"] != float64(1000) {
		t.Errorf("engine got max_tokens = %v, want the default 1000 injected", got["max_tokens"])
	}
	if so, _ := got["stream_options"].(map[string]any); so["include_usage"] != true || so["continuous_usage_stats"] != true {
		t.Errorf("engine got stream_options = %v, want include_usage forced and continuous_usage_stats asked for", got["stream_options"])
	}
	for _, k := range []string{"tools", "seed", "user"} {
		if _, ok := got[k]; !ok {
			t.Errorf("engine did not get %q: the full OpenAI field set must pass", k)
		}
	}
}

func TestServeQueryCoefficient(t *testing.T) {
	eng := newEngine(t, &fakeEngine{})
	sink := &recordSink{}
	q := chatQuery(`{"model":"m","messages":[],"max_tokens":5000}`)
	q.coefficient = 2000
	if err := serveQuery(context.Background(), eng, "m", billing.DefaultPrices(2, 1), q, sink, time.Now); err != nil {
		t.Fatal(err)
	}
	if got := sink.tokens.Total; got != 24 {
		t.Errorf("tokens used at coefficient 2.0 = %d, want 24", got)
	}
}

func TestServeQueryRejects(t *testing.T) {
	eng := newEngine(t, &fakeEngine{})
	tests := []struct {
		name     string
		q        *query
		wantCode int32
		wantMsg  string
	}{
		{"wrong path", &query{method: "POST", url: "/v1/embeddings", body: []byte(`{"model":"m"}`)}, wire.CodeProtoViolation, "unsupported method"},
		{"wrong method", &query{method: "GET", url: "/v1/chat/completions"}, wire.CodeProtoViolation, "unsupported method"},
		{"bad json", chatQuery(`{"model":`), wire.CodeProtoViolation, "invalid request body"},
		{"duplicate key", chatQuery(`{"model":"m","model":"n","messages":[]}`), wire.CodeProtoViolation, "duplicate key"},
		{"other model", chatQuery(`{"model":"n","messages":[]}`), wire.CodeProtoViolation, "model name mismatch"},
		{"no messages", chatQuery(`{"model":"m"}`), wire.CodeProtoViolation, "messages is missing"},
		{"no prompt", &query{method: "POST", url: "/v1/completions", body: []byte(`{"model":"m"}`)}, wire.CodeProtoViolation, "prompt is missing"},
		{"bad max_tokens", chatQuery(`{"model":"m","messages":[],"max_tokens":-1}`), wire.CodeProtoViolation, "max_tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &recordSink{}
			if err := serveQuery(context.Background(), eng, "m", billing.DefaultPrices(2, 1), tt.q, sink, time.Now); err != nil {
				t.Fatal(err)
			}
			if sink.failCode != tt.wantCode || !strings.Contains(sink.failMsg, tt.wantMsg) {
				t.Errorf("failed with %d %q, want %d containing %q", sink.failCode, sink.failMsg, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestServeQueryEngineDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	eng, _ := NewEngine(srv.URL, nil)
	srv.Close()
	sink := &recordSink{}
	serveQuery(context.Background(), eng, "m", billing.DefaultPrices(2, 1), chatQuery(`{"model":"m","messages":[]}`), sink, time.Now)
	if sink.failCode != wire.CodeNotReady {
		t.Errorf("engine down: code %d %q, want %d", sink.failCode, sink.failMsg, wire.CodeNotReady)
	}
}

func TestServeQueryCancelAbortsEngine(t *testing.T) {
	fe := &fakeEngine{chunks: 5, hold: make(chan struct{}), gone: make(chan struct{})}
	eng := newEngine(t, fe)
	sink := &recordSink{partSeen: make(chan struct{}, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serveQuery(ctx, eng, "m", billing.DefaultPrices(2, 1), chatQuery(`{"model":"m","messages":[],"stream":true}`), sink, time.Now)
	}()
	<-sink.partSeen
	cancel()
	select {
	case <-fe.gone:
	case <-time.After(5 * time.Second):
		t.Fatal("engine request still running 5 s after the query was cancelled")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if sink.failCode != wire.CodeCancelled {
		t.Errorf("cancelled query failed with %d %q, want %d", sink.failCode, sink.failMsg, wire.CodeCancelled)
	}
	// The engine's usage never came: the worker reports the one chunk of
	// text it delivered.
	if sink.tokens.Completion != 1 || sink.tokens.Total != 1 {
		t.Errorf("cancelled query reported %+v, want the 1 completion token it delivered", sink.tokens)
	}
}

func TestEngineHealth(t *testing.T) {
	if err := newEngine(t, &fakeEngine{}).Health(context.Background()); err != nil {
		t.Errorf("healthy engine: %v", err)
	}
	bad := newEngine(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	if err := bad.Health(context.Background()); err == nil {
		t.Error("engine answering 503: Health = nil, want an error")
	}
}

func TestNewEngine(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
	}{
		{"http://127.0.0.1:8000", false},
		{"127.0.0.1:8000", false},
		{"https://h/base/", false},
		{"", true},
		{"ftp://h", true},
		{"http://", true},
	}
	for _, tt := range tests {
		_, err := NewEngine(tt.in, nil)
		if (err != nil) != tt.wantErr {
			t.Errorf("NewEngine(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
		}
	}
}

// pipeTransport answers every request with a 200 whose body is what the
// test writes to w.
type pipeTransport struct{ r *io.PipeReader }

func (p pipeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"application/x-ndjson"}}, Body: p.r, Request: req}, nil
}

// timedSink records each message and when it was sent.
type timedSink struct {
	msgs []string // "head:<data>" or "part:<data>", with "+last" on the last
	at   []time.Duration
	t0   time.Time
}

func (s *timedSink) record(kind string, data []byte, last *ending) {
	m := kind + ":" + string(data)
	if last != nil {
		m += "+last"
	}
	s.msgs = append(s.msgs, m)
	s.at = append(s.at, time.Since(s.t0))
}

func (s *timedSink) head(_ int, _ string, _ []header, data []byte, last *ending) error {
	s.record("head", data, last)
	return nil
}

func (s *timedSink) part(data []byte, last *ending) error {
	s.record("part", data, last)
	return nil
}

func (s *timedSink) fail(code int32, msg string, _ billing.Adjusted, _, _ time.Time) error {
	s.msgs = append(s.msgs, fmt.Sprintf("fail:%d %s", code, msg))
	s.at = append(s.at, time.Since(s.t0))
	return nil
}

// TestServeQueryCoalesces checks how engine bytes become messages: bytes
// that arrive together with the head, or together with the end, travel in
// one message, and no byte waits longer than coalesceDelay.
func TestServeQueryCoalesces(t *testing.T) {
	type write struct {
		after time.Duration // pause before writing
		data  string
	}
	tests := []struct {
		name   string
		writes []write
		want   []string
		wantAt []time.Duration
	}{
		{"whole answer at once", []write{{0, "a"}, {0, "b"}, {0, "c"}},
			[]string{"head:abc+last"}, []time.Duration{0}},
		{"slow stream", []write{{0, "a"}, {10 * time.Millisecond, "b"}, {0, "c"}, {10 * time.Millisecond, "d"}},
			[]string{"head:a", "part:bc", "part:d+last"},
			[]time.Duration{coalesceDelay, 10*time.Millisecond + coalesceDelay, 20 * time.Millisecond}},
		{"head before the first byte", []write{{5 * time.Millisecond, "a"}},
			[]string{"head:", "part:a+last"}, []time.Duration{coalesceDelay, 5 * time.Millisecond}},
		{"ends without a pause", []write{{0, "a"}, {10 * time.Millisecond, "b"}},
			[]string{"head:a", "part:b+last"}, []time.Duration{coalesceDelay, 10 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				pr, pw := io.Pipe()
				eng, err := NewEngine("http://engine.invalid", &http.Client{Transport: pipeTransport{pr}})
				if err != nil {
					t.Fatal(err)
				}
				go func() {
					for _, w := range tt.writes {
						time.Sleep(w.after)
						pw.Write([]byte(w.data))
					}
					pw.Close()
				}()
				sink := &timedSink{t0: time.Now()}
				if err := serveQuery(context.Background(), eng, "m", billing.DefaultPrices(2, 1), chatQuery(`{"model":"m","messages":[]}`), sink, time.Now); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(sink.msgs, tt.want) {
					t.Fatalf("messages = %q, want %q", sink.msgs, tt.want)
				}
				if !slices.Equal(sink.at, tt.wantAt) {
					t.Errorf("sent at %v, want %v", sink.at, tt.wantAt)
				}
			})
		})
	}
}

// TestServeQueryBoundedBuffer checks that an engine faster than the
// proxy connection is read no further ahead than chunkSize bytes: parts
// never exceed it and every byte arrives in order.
func TestServeQueryBoundedBuffer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pr, pw := io.Pipe()
		eng, err := NewEngine("http://engine.invalid", &http.Client{Transport: pipeTransport{pr}})
		if err != nil {
			t.Fatal(err)
		}
		want := bytes.Repeat([]byte("0123456789abcdef"), 3*chunkSize/16+5)
		go func() {
			pw.Write(want)
			pw.Close()
		}()
		sink := &recordSink{}
		var sizes sizeSink
		sizes.recordSink = sink
		if err := serveQuery(context.Background(), eng, "m", billing.DefaultPrices(2, 1), chatQuery(`{"model":"m","messages":[]}`), &sizes, time.Now); err != nil {
			t.Fatal(err)
		}
		if got := sink.body.String(); got != string(want) {
			t.Fatalf("body of %d bytes, want the engine's %d bytes in order", len(got), len(want))
		}
		if !sink.finished {
			t.Error("answer not finished")
		}
		if sizes.max > chunkSize {
			t.Errorf("largest message carried %d bytes, want at most %d", sizes.max, chunkSize)
		}
	})
}

// sizeSink records the largest message of a recordSink.
type sizeSink struct {
	*recordSink
	max int
}

func (s *sizeSink) head(status int, reason string, h []header, data []byte, last *ending) error {
	s.max = max(s.max, len(data))
	return s.recordSink.head(status, reason, h, data, last)
}

func (s *sizeSink) part(data []byte, last *ending) error {
	s.max = max(s.max, len(data))
	return s.recordSink.part(data, last)
}
