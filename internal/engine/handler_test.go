package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/openai/openaitest"
)

func newServer(t *testing.T, m *Model, opts Options) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(NewHandler(newEngine(t, m, opts), ""))
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func decodeBody[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	var v T
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("decoding answer: %v", err)
	}
	return v
}

func TestCompletionsGreedy(t *testing.T) {
	srv := newServer(t, storiesModel(t), Options{})
	resp := post(t, srv.URL+"/v1/completions", `{"model":"stories260K","prompt":"Once upon a time","max_tokens":20,"temperature":0}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got status %d", resp.StatusCode)
	}
	c := decodeBody[openai.Completion](t, resp)
	if c.Object != openai.ObjectTextCompletion || len(c.Choices) != 1 || !strings.HasPrefix(c.Choices[0].Text, storyStart) {
		t.Fatalf("got %+v, want a text_completion beginning %q", c, storyStart)
	}
	if *c.Choices[0].FinishReason != openai.FinishLength {
		t.Errorf("got finish %q, want length", *c.Choices[0].FinishReason)
	}
	if u := c.Usage; u == nil || u.PromptTokens != 5 || u.CompletionTokens != 20 || u.TotalTokens != 25 {
		t.Errorf("got usage %+v, want 5 + 20 = 25", u)
	}
}

// readStream reads an SSE answer, returning the data of every event
// before [DONE] and whether [DONE] came.
func readStream(t *testing.T, resp *http.Response) ([][]byte, bool) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("got content type %q, want text/event-stream", ct)
	}
	events, done, err := openaitest.NewSSEReader(resp.Body).Rest()
	if err != nil {
		t.Fatal(err)
	}
	return events, done
}

func TestCompletionsStream(t *testing.T) {
	srv := newServer(t, storiesModel(t), Options{})
	resp := post(t, srv.URL+"/v1/completions", `{"model":"stories260K","prompt":"Once upon a time","max_tokens":12,"temperature":0,"stream":true,"stream_options":{"include_usage":true},"stop":["."]}`)
	events, done := readStream(t, resp)
	if !done {
		t.Fatal("stream ended without [DONE]")
	}
	var text strings.Builder
	var usage *openai.Usage
	var finish string
	for _, data := range events {
		var c openai.Completion
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatal(err)
		}
		for _, ch := range c.Choices {
			text.WriteString(ch.Text)
			if ch.FinishReason != nil {
				finish = *ch.FinishReason
			}
		}
		if c.Usage != nil {
			usage = c.Usage
		}
	}
	if text.String() != storyStart {
		t.Errorf("got %q, want %q", text.String(), storyStart)
	}
	if finish != openai.FinishStop {
		t.Errorf("got finish %q, want stop", finish)
	}
	if usage == nil || usage.PromptTokens != 5 || usage.CompletionTokens != 11 {
		t.Errorf("got usage %+v, want 5 prompt and 11 completion tokens (the stop token counts)", usage)
	}
	// The worker's usage counter must read the same figures.
	c := openai.NewUsageCounter()
	for _, data := range events {
		c.Write([]byte("data: "))
		c.Write(data)
		c.Write([]byte("\n\n"))
	}
	c.Finish()
	if got := c.Counts(); got.PromptTokens != 5 || got.CompletionTokens != 11 {
		t.Errorf("usage counter: got %+v", got)
	}
}

func TestChat(t *testing.T) {
	srv := newServer(t, synthModel(t), Options{})
	body := `{"model":"synth","messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"abc"}]}],"max_completion_tokens":6,"seed":5,"tools":[]}`
	resp := post(t, srv.URL+"/v1/chat/completions", body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got status %d", resp.StatusCode)
	}
	c := decodeBody[openai.ChatCompletion](t, resp)
	if c.Object != openai.ObjectChatCompletion || len(c.Choices) != 1 || c.Choices[0].Message.Role != "assistant" {
		t.Fatalf("got %+v", c)
	}
	if c.Usage == nil || c.Usage.CompletionTokens < 1 || c.Usage.CompletionTokens > 6 || c.Usage.PromptTokens < 10 {
		t.Errorf("got usage %+v", c.Usage)
	}

	stream := strings.Replace(body, `"seed":5`, `"seed":5,"stream":true,"stream_options":{"include_usage":true}`, 1)
	events, done := readStream(t, post(t, srv.URL+"/v1/chat/completions", stream))
	if !done || len(events) < 3 {
		t.Fatalf("got %d events, done %v", len(events), done)
	}
	var text strings.Builder
	var last openai.ChatCompletionChunk
	for i, data := range events {
		var ch openai.ChatCompletionChunk
		if err := json.Unmarshal(data, &ch); err != nil {
			t.Fatal(err)
		}
		if ch.Object != openai.ObjectChatCompletionChunk {
			t.Errorf("event %d: got object %q", i, ch.Object)
		}
		if i == 0 && (len(ch.Choices) != 1 || ch.Choices[0].Delta.Role != "assistant") {
			t.Errorf("first event: got %s, want the assistant role", data)
		}
		for _, c := range ch.Choices {
			text.WriteString(c.Delta.Content)
		}
		last = ch
	}
	if last.Usage == nil || len(last.Choices) != 0 || last.Usage.CompletionTokens != c.Usage.CompletionTokens || last.Usage.PromptTokens != c.Usage.PromptTokens {
		t.Errorf("last event: got %+v, want only the usage of the non-streamed answer %+v", last, c.Usage)
	}
	if text.String() != c.Choices[0].Message.Content {
		t.Errorf("streamed %q, non-streamed %q with the same seed", text.String(), c.Choices[0].Message.Content)
	}
}

func TestHandlerErrors(t *testing.T) {
	srv := newServer(t, synthModel(t), Options{})
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"wrong model", "POST", "/v1/completions", `{"model":"gpt-4","prompt":"a"}`, 404, "model_not_found"},
		{"bad json", "POST", "/v1/completions", `{"model":`, 400, ""},
		{"n=2", "POST", "/v1/completions", `{"model":"synth","prompt":"a","n":2}`, 400, ""},
		{"two prompts", "POST", "/v1/completions", `{"model":"synth","prompt":["a","b"]}`, 400, ""},
		{"bad token", "POST", "/v1/completions", `{"model":"synth","prompt":[1,99999]}`, 400, ""},
		{"too long", "POST", "/v1/completions", `{"model":"synth","prompt":"` + strings.Repeat("a ", 100) + `"}`, 400, "context_length_exceeded"},
		{"zero max tokens", "POST", "/v1/completions", `{"model":"synth","prompt":"a","max_tokens":0}`, 400, ""},
		{"hot temperature", "POST", "/v1/chat/completions", `{"model":"synth","messages":[{"role":"user","content":"a"}],"temperature":3}`, 400, ""},
		{"no messages", "POST", "/v1/chat/completions", `{"model":"synth","messages":[]}`, 400, ""},
		{"unknown path", "GET", "/v2/x", ``, 404, "not_found"},
		{"long stop", "POST", "/v1/completions", `{"model":"synth","prompt":"a","stop":"` + strings.Repeat("x", MaxStopLen+1) + `"}`, 400, ""},
		{"many stops", "POST", "/v1/completions", `{"model":"synth","prompt":"a","stop":["` + strings.Repeat(`a","`, maxRequestStops) + `b"]}`, 400, ""},
		{"tools", "POST", "/v1/chat/completions", `{"model":"synth","messages":[{"role":"user","content":"a"}],"tools":[{"type":"function","function":{"name":"f"}}]}`, 400, "unsupported_parameter"},
		{"response_format", "POST", "/v1/chat/completions", `{"model":"synth","messages":[{"role":"user","content":"a"}],"response_format":{"type":"json_object"}}`, 400, "unsupported_parameter"},
		{"logprobs", "POST", "/v1/chat/completions", `{"model":"synth","messages":[{"role":"user","content":"a"}],"logprobs":true}`, 400, "unsupported_parameter"},
		{"echo", "POST", "/v1/completions", `{"model":"synth","prompt":"a","echo":true}`, 400, "unsupported_parameter"},
		{"unknown role", "POST", "/v1/chat/completions", `{"model":"synth","messages":[{"role":"wizard","content":"a"}]}`, 400, "invalid_value"},
		{"messages string", "POST", "/v1/chat/completions", `{"model":"synth","messages":"hi"}`, 400, "invalid_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("got status %d, want %d", resp.StatusCode, tt.status)
			}
			e := decodeBody[openai.ErrorResponse](t, resp)
			if e.Error.Message == "" || e.Error.Type == "" {
				t.Errorf("got error body %+v, want message and type", e)
			}
			if tt.code != "" && (e.Error.Code == nil || *e.Error.Code != tt.code) {
				t.Errorf("got code %v, want %q", e.Error.Code, tt.code)
			}
			if tt.code == "unsupported_parameter" && (e.Error.Param == nil || !strings.Contains(e.Error.Message, *e.Error.Param)) {
				t.Errorf("got %+v, want the parameter named in param and message", e.Error)
			}
		})
	}
}

func TestModelsAndHealth(t *testing.T) {
	srv := newServer(t, synthModel(t), Options{})
	resp, err := http.Get(srv.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	list := decodeBody[openai.ModelList](t, resp)
	if list.Object != "list" || len(list.Data) != 1 || list.Data[0].ID != "synth" {
		t.Errorf("got %+v, want one model named synth", list)
	}
	h, err := http.Get(srv.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Body.Close()
	b, _ := io.ReadAll(h.Body)
	if h.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"ok"`)) {
		t.Errorf("health: got %d %s", h.StatusCode, b)
	}
}

func TestBusyIsServiceUnavailable(t *testing.T) {
	m := storiesModel(t)
	e := newEngine(t, m, Options{MaxSequences: 1, QueueSize: 1})
	srv := httptest.NewServer(NewHandler(e, ""))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	fill(ctx, t, e, &wg)
	resp := post(t, srv.URL+"/v1/completions", `{"model":"stories260K","prompt":"Once","max_tokens":1}`)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("got status %d, want 503 with Retry-After", resp.StatusCode)
	}
	body := decodeBody[openai.ErrorResponse](t, resp)
	if body.Error.Code == nil || *body.Error.Code != "engine_busy" {
		t.Errorf("got %+v, want code engine_busy", body.Error)
	}
}

func TestStreamEndsWithErrorEventOnClose(t *testing.T) {
	m := storiesModel(t)
	e := New(m, Options{})
	srv := httptest.NewServer(NewHandler(e, ""))
	defer srv.Close()
	defer e.Close()
	resp := post(t, srv.URL+"/v1/completions", `{"model":"stories260K","prompt":"Once upon a time","max_tokens":2000,"stream":true}`)
	r := openaitest.NewSSEReader(resp.Body)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	events, done, err := r.Rest()
	if err != nil {
		t.Fatal(err)
	}
	if done {
		t.Fatal("got [DONE] from a stream cut off by Close")
	}
	var last []byte
	if len(events) > 0 {
		last = events[len(events)-1]
	}
	var body openai.ErrorResponse
	if err := json.Unmarshal(last, &body); err != nil || body.Error.Code == nil || *body.Error.Code != "engine_closed" {
		t.Errorf("last event %s: want an engine_closed error", last)
	}
}

// TestChatContinuousUsage checks that with continuous_usage_stats every
// chunk carries the usage so far: the prompt from the first chunk, and
// completion tokens that grow with the text and end at the answer's
// final figures, so that the usage counter of a stream cut after any
// chunk reads the tokens delivered up to it.
func TestChatContinuousUsage(t *testing.T) {
	srv := newServer(t, synthModel(t), Options{})
	body := `{"model":"synth","messages":[{"role":"user","content":"abc"}],"max_tokens":12,"seed":7,"stream":true,"stream_options":{"include_usage":true,"continuous_usage_stats":true}}`
	events, done := readStream(t, post(t, srv.URL+"/v1/chat/completions", body))
	if !done || len(events) < 4 {
		t.Fatalf("got %d events, done %v", len(events), done)
	}
	var final openai.ChatCompletionChunk
	if err := json.Unmarshal(events[len(events)-1], &final); err != nil || final.Usage == nil || len(final.Choices) != 0 {
		t.Fatalf("last event %s: want the usage alone (%v)", events[len(events)-1], err)
	}
	var prev int64
	for i, data := range events {
		var ch openai.ChatCompletionChunk
		if err := json.Unmarshal(data, &ch); err != nil {
			t.Fatal(err)
		}
		u := ch.Usage
		if u == nil {
			t.Fatalf("event %d %s carries no usage", i, data)
		}
		if u.PromptTokens != final.Usage.PromptTokens {
			t.Errorf("event %d: got %d prompt tokens, want %d from the first chunk", i, u.PromptTokens, final.Usage.PromptTokens)
		}
		content := len(ch.Choices) == 1 && ch.Choices[0].Delta.Content != ""
		switch {
		case i == 0 && u.CompletionTokens != 0:
			t.Errorf("first event: got %d completion tokens, want 0", u.CompletionTokens)
		case content && u.CompletionTokens <= prev:
			t.Errorf("event %d delivers text with %d completion tokens, want more than the %d before", i, u.CompletionTokens, prev)
		case u.CompletionTokens < prev || u.CompletionTokens > final.Usage.CompletionTokens:
			t.Errorf("event %d: got %d completion tokens, want between %d and %d", i, u.CompletionTokens, prev, final.Usage.CompletionTokens)
		}
		prev = u.CompletionTokens
		c := openai.NewUsageCounter()
		for _, e := range events[:i+1] {
			c.Write([]byte("data: " + string(e) + "\n\n"))
		}
		if got := c.Counts(); got.PromptTokens != u.PromptTokens || got.CompletionTokens != u.CompletionTokens {
			t.Errorf("stream cut after event %d: the usage counter reads %+v, want %d prompt and %d completion tokens", i, got, u.PromptTokens, u.CompletionTokens)
		}
	}
	if prev != final.Usage.CompletionTokens {
		t.Errorf("chunks end at %d completion tokens, the answer's usage says %d", prev, final.Usage.CompletionTokens)
	}
}
