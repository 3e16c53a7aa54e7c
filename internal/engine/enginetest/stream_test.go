package enginetest

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

func serve(s *Stream, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	return rec
}

func chatRequest(ctx context.Context) *http.Request {
	return httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/chat/completions", strings.NewReader(`{"model":"m","stream":true}`))
}

// chunks decodes a stream's events before [DONE].
func chunks(t *testing.T, body []byte) ([]openai.ChatCompletionChunk, bool) {
	t.Helper()
	events, done, err := openaitest.NewSSEReader(bytes.NewReader(body)).Rest()
	if err != nil {
		t.Fatal(err)
	}
	var cs []openai.ChatCompletionChunk
	for _, e := range events {
		var c openai.ChatCompletionChunk
		if err := json.Unmarshal(e, &c); err != nil {
			t.Fatalf("event %q: %v", e, err)
		}
		cs = append(cs, c)
	}
	return cs, done
}

func TestStream(t *testing.T) {
	type usage struct{ prompt, completion, total int64 }
	tests := []struct {
		name        string
		continuous  bool
		wantContent []string
		wantUsage   []*usage
	}{
		{name: "usage at the end", wantContent: []string{"t0 ", "t1 ", "t2 ", ""}, wantUsage: []*usage{nil, nil, nil, {3, 4, 7}}},
		{name: "continuous usage", continuous: true, wantContent: []string{"t0 ", "t1 ", "t2 "}, wantUsage: []*usage{{3, 1, 4}, {3, 2, 5}, {3, 3, 6}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(&Stream{ContinuousUsage: tt.continuous}, chatRequest(t.Context()))
			if ct := rec.Header().Get("Content-Type"); ct != "text/event-stream" {
				t.Errorf("content type: got %q, want text/event-stream", ct)
			}
			cs, done := chunks(t, rec.Body.Bytes())
			if !done || len(cs) != len(tt.wantContent) {
				t.Fatalf("got %d chunks, done %v; want %d and [DONE]", len(cs), done, len(tt.wantContent))
			}
			for i, c := range cs {
				content := ""
				for _, ch := range c.Choices {
					content += ch.Delta.Content
				}
				if content != tt.wantContent[i] {
					t.Errorf("chunk %d: got content %q, want %q", i, content, tt.wantContent[i])
				}
				w := tt.wantUsage[i]
				switch {
				case w == nil && c.Usage != nil:
					t.Errorf("chunk %d: got usage %+v, want none", i, c.Usage)
				case w != nil && (c.Usage == nil || c.Usage.PromptTokens != w.prompt || c.Usage.CompletionTokens != w.completion || c.Usage.TotalTokens != w.total):
					t.Errorf("chunk %d: got usage %+v, want %+v", i, c.Usage, *w)
				}
			}
		})
	}
}

func TestStreamModels(t *testing.T) {
	rec := serve(&Stream{}, httptest.NewRequest(http.MethodGet, "/v1/models", nil))
	var list struct {
		Object string            `json:"object"`
		Data   []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || list.Object != "list" || len(list.Data) != 0 {
		t.Errorf("got %q (%v), want an empty list", rec.Body, err)
	}
}

func TestStreamPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		rec := serve(&Stream{Pause: time.Second}, chatRequest(t.Context()))
		if got := time.Since(start); got != 3*time.Second {
			t.Errorf("the stream took %v, want a pause of 1s after each of 3 chunks", got)
		}
		if _, done := chunks(t, rec.Body.Bytes()); !done {
			t.Error("got no [DONE]")
		}
	})
}

func TestStreamEndsWithTheRequest(t *testing.T) {
	tests := []struct {
		name string
		s    func() *Stream
		want string // the last content streamed
	}{
		{name: "stalled", s: func() *Stream {
			s := &Stream{}
			s.Stall.Store(true)
			return s
		}, want: "t1 "},
		{name: "in a pause", s: func() *Stream { return &Stream{Pause: time.Hour} }, want: "t0 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				var rec *httptest.ResponseRecorder
				served := make(chan struct{})
				go func() {
					defer close(served)
					rec = serve(tt.s(), chatRequest(ctx))
				}()
				synctest.Wait()
				cancel()
				<-served
				cs, done := chunks(t, rec.Body.Bytes())
				if done || len(cs) == 0 || cs[len(cs)-1].Choices[0].Delta.Content != tt.want {
					t.Errorf("got %d chunks, done %v, body %q; want the stream to end after %q without [DONE]", len(cs), done, rec.Body, tt.want)
				}
			})
		})
	}
}
