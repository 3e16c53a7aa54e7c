package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/openai/openaitest"
)

func post(t *testing.T, b *Backend, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	b.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, target, strings.NewReader(`{"model":"m"}`)))
	return rec
}

func usageOf(t *testing.T, body []byte) openai.TokenCounts {
	t.Helper()
	c := openai.NewUsageCounter()
	c.Write(body)
	c.Finish()
	return c.Counts()
}

func checkUsage(t *testing.T, got openai.TokenCounts) {
	t.Helper()
	if got.PromptTokens != UsagePrompt || got.CachedTokens != UsageCached || got.CompletionTokens != UsageCompletion || got.ReasoningTokens != UsageReasoning {
		t.Errorf("usage: got prompt %d cached %d completion %d reasoning %d, want %d %d %d %d",
			got.PromptTokens, got.CachedTokens, got.CompletionTokens, got.ReasoningTokens, UsagePrompt, UsageCached, UsageCompletion, UsageReasoning)
	}
}

func TestBackendNDJSON(t *testing.T) {
	tests := []struct {
		name       string
		opts       BackendOptions
		target     string
		wantChunks int
		wantBytes  int
	}{
		{name: "reference defaults", target: "/v1/chat/completions", wantChunks: 50, wantBytes: 128},
		{name: "query overrides", target: "/v1/chat/completions?chunks=3&bytes=5", wantChunks: 3, wantBytes: 5},
		{name: "options", opts: BackendOptions{Chunks: 7, ChunkBytes: 1}, target: "/v1/completions", wantChunks: 7, wantBytes: 1},
		{name: "no chunks", target: "/v1/chat/completions?chunks=0", wantChunks: 0, wantBytes: 128},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBackend(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			rec := post(t, b, tt.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status: got %d, want 200 (%s)", rec.Code, rec.Body)
			}
			if got := rec.Header().Get("Content-Type"); got != "application/x-ndjson" {
				t.Errorf("content type: got %q, want application/x-ndjson", got)
			}
			lines := strings.Split(strings.TrimSuffix(rec.Body.String(), "\n"), "\n")
			if len(lines) != tt.wantChunks+1 {
				t.Fatalf("got %d lines, want %d chunks and a usage line", len(lines), tt.wantChunks)
			}
			for i, l := range lines[:tt.wantChunks] {
				var c struct {
					Delta string `json:"delta"`
					I     int    `json:"i"`
				}
				if err := json.Unmarshal([]byte(l), &c); err != nil {
					t.Fatalf("line %d %q: %v", i, l, err)
				}
				if c.I != i || c.Delta != strings.Repeat("0", tt.wantBytes) {
					t.Errorf("line %d: got i %d and a delta of %d bytes, want i %d and %d zeros", i, c.I, len(c.Delta), i, tt.wantBytes)
				}
			}
			checkUsage(t, usageOf(t, rec.Body.Bytes()))
			if got := b.Requests(); got != 1 {
				t.Errorf("requests: got %d, want 1", got)
			}
		})
	}
}

func TestBackendSSE(t *testing.T) {
	b, err := NewBackend(BackendOptions{Format: FormatSSE, Chunks: 4, ChunkBytes: 10, Model: "qwen"})
	if err != nil {
		t.Fatal(err)
	}
	rec := post(t, b, "/v1/chat/completions")
	if got := rec.Header().Get("Content-Type"); got != "text/event-stream" {
		t.Errorf("content type: got %q, want text/event-stream", got)
	}
	events, done, err := openaitest.NewSSEReader(bytes.NewReader(rec.Body.Bytes())).Rest()
	if err != nil {
		t.Fatal(err)
	}
	var content strings.Builder
	var chunks int
	var usage *openai.Usage
	for _, data := range events {
		var c openai.ChatCompletionChunk
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		if c.Object != "chat.completion.chunk" || c.Model != "qwen" {
			t.Errorf("chunk object %q model %q, want chat.completion.chunk and qwen", c.Object, c.Model)
		}
		if c.Usage != nil {
			usage = c.Usage
			continue
		}
		chunks++
		for _, ch := range c.Choices {
			content.WriteString(ch.Delta.Content)
		}
	}
	if chunks != 4 || content.String() != strings.Repeat("0", 40) {
		t.Errorf("got %d chunks with %q, want 4 chunks of 10 zeros", chunks, content.String())
	}
	if !done {
		t.Error("the stream did not end with data: [DONE]")
	}
	if usage == nil || usage.PromptTokens != UsagePrompt || usage.CompletionTokens != UsageCompletion {
		t.Errorf("usage: got %+v, want prompt %d completion %d", usage, UsagePrompt, UsageCompletion)
	}
	checkUsage(t, usageOf(t, rec.Body.Bytes()))
}

func TestBackendRefuses(t *testing.T) {
	b, err := NewBackend(BackendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, target string
		want                 int
	}{
		{"bad chunks", http.MethodPost, "/v1/chat/completions?chunks=x", http.StatusBadRequest},
		{"too many chunks", http.MethodPost, "/v1/chat/completions?chunks=100001", http.StatusBadRequest},
		{"negative bytes", http.MethodPost, "/v1/chat/completions?bytes=-1", http.StatusBadRequest},
		{"long delay", http.MethodPost, "/v1/chat/completions?delay_ms=60001", http.StatusBadRequest},
		{"GET a completion", http.MethodGet, "/v1/chat/completions", http.StatusMethodNotAllowed},
		{"unknown path", http.MethodPost, "/v1/embeddings", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			b.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, nil))
			if rec.Code != tt.want {
				t.Errorf("status: got %d, want %d", rec.Code, tt.want)
			}
		})
	}
	if got := b.Requests(); got != 0 {
		t.Errorf("requests: got %d, want 0", got)
	}
}

func TestNewBackendRefuses(t *testing.T) {
	tests := []struct {
		name string
		opts BackendOptions
	}{
		{"format", BackendOptions{Format: "xml"}},
		{"chunks", BackendOptions{Chunks: -1}},
		{"bytes", BackendOptions{ChunkBytes: maxChunkBytes + 1}},
		{"delay", BackendOptions{Delay: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewBackend(tt.opts); err == nil {
				t.Errorf("NewBackend(%+v): got no error, want one", tt.opts)
			}
		})
	}
}

func TestBackendModels(t *testing.T) {
	b, err := NewBackend(BackendOptions{Model: "qwen"})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	b.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/models", nil))
	var list openai.ModelList
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusOK || len(list.Data) != 1 || list.Data[0].ID != "qwen" {
		t.Errorf("got %d %+v, want 200 and the one model qwen", rec.Code, list)
	}
}

// flushRecorder records when each flush happens.
type flushRecorder struct {
	*httptest.ResponseRecorder
	start   time.Time
	flushes []time.Duration
}

func (f *flushRecorder) Flush() { f.flushes = append(f.flushes, time.Since(f.start)) }

func TestBackendDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := NewBackend(BackendOptions{Chunks: 3, Delay: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		rec := &flushRecorder{ResponseRecorder: httptest.NewRecorder(), start: time.Now()}
		b.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/chat/completions?delay_ms=250", nil))
		want := []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond}
		if len(rec.flushes) != len(want) {
			t.Fatalf("got %d flushes, want %d", len(rec.flushes), len(want))
		}
		for i := range want {
			if rec.flushes[i] != want[i] {
				t.Errorf("flush %d at %v, want %v", i, rec.flushes[i], want[i])
			}
		}
	})
}

func TestBackendStopsWhenClientLeaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := NewBackend(BackendOptions{Chunks: 10, Delay: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
		ctx, cancel := context.WithCancel(req.Context())
		rec := httptest.NewRecorder()
		go func() {
			time.Sleep(30 * time.Second)
			cancel()
		}()
		b.ServeHTTP(rec, req.WithContext(ctx))
		if strings.Count(rec.Body.String(), "\n") != 1 {
			t.Errorf("got %q, want only the first chunk", rec.Body.String())
		}
	})
}

// FuzzBackendQuery feeds the backend arbitrary queries: it answers 400 or
// a stream of exactly the chunks asked for, then the usage line, never
// panics, and answers the same query the same way twice.
func FuzzBackendQuery(f *testing.F) {
	for _, q := range []string{"", "chunks=3&bytes=5", "delay_ms=0", "chunks=-1", "bytes=x", "chunks=2&chunks=9", "%zz"} {
		f.Add(q)
	}
	b, err := NewBackend(BackendOptions{Chunks: 2, ChunkBytes: 4})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader("{}"))
		req.URL.RawQuery = query
		chunks, size, delay, err := b.shape(req)
		if err == nil && (chunks*(size+32) > 1<<20 || delay > 0) {
			t.Skip("a long or slow answer: the shape is valid, streaming it is not what is fuzzed")
		}
		answer := func() *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			b.ServeHTTP(rec, req.Clone(req.Context()))
			return rec
		}
		rec := answer()
		switch {
		case err != nil:
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("query %q: shape error %v but status %d, want 400", query, err, rec.Code)
			}
		case rec.Code != http.StatusOK:
			t.Fatalf("query %q: status %d, want 200", query, rec.Code)
		default:
			if n := strings.Count(rec.Body.String(), "\n"); n != chunks+1 {
				t.Fatalf("query %q: got %d lines, want %d chunks and a usage line", query, n, chunks)
			}
			checkUsage(t, usageOf(t, rec.Body.Bytes()))
		}
		if again := answer(); again.Code != rec.Code || again.Body.String() != rec.Body.String() {
			t.Fatalf("query %q: a second answer differs from the first", query)
		}
	})
}
