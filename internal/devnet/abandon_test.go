package devnet

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

// cutEngine streams chunks of one token each, then holds the stream
// until the request ends, which it reports on gone. With usage it
// reports the usage so far in every chunk, as vLLM does when asked for
// continuous_usage_stats (and checks that the worker asked); without,
// no usage ever comes, as from an engine that only reports it at the
// end.
type cutEngine struct {
	chunks int
	usage  bool
	// fail breaks the engine's connection after the chunks instead of
	// holding the stream, as an engine that crashes does.
	fail bool
	gone chan struct{}
}

const cutPrompt = 9

func (e cutEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v1/models" {
		fmt.Fprint(w, `{"object":"list","data":[]}`)
		return
	}
	var body struct {
		StreamOptions map[string]bool `json:"stream_options"`
	}
	b, _ := io.ReadAll(r.Body)
	json.Unmarshal(b, &body)
	if e.usage && !body.StreamOptions["continuous_usage_stats"] {
		http.Error(w, "the worker did not ask for continuous usage", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	for i := range e.chunks {
		usage := ""
		if e.usage {
			usage = fmt.Sprintf(`,"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}`, cutPrompt, i+1, cutPrompt+i+1)
		}
		fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"w%d \"}}]%s}\n\n", i, usage)
		w.(http.Flusher).Flush()
	}
	if e.fail {
		e.gone <- struct{}{}
		panic(http.ErrAbortHandler)
	}
	<-r.Context().Done()
	e.gone <- struct{}{}
}

// readEvents reads SSE events from an answer until n have arrived, and
// returns them.
func readEvents(t *testing.T, r *bufio.Reader, n int) []string {
	t.Helper()
	var events []string
	for len(events) < n {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream after %d events: %v", len(events), err)
		}
		if data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: "); ok {
			events = append(events, data)
		}
	}
	return events
}

// TestAbandonedStreamIsBilled ends streams after a few chunks in every
// way a request is cut short: the caller leaves, as one that reads 3 KB
// and closes does; the request's timeout passes; the engine fails. The
// proxy bills the tokens delivered, the prompt and the completion tokens
// of the chunks, the same to client and worker, and charged = earned +
// commission exactly.
func TestAbandonedStreamIsBilled(t *testing.T) {
	tests := []struct {
		name        string
		usage, fail bool
		timeout     string // the request's timeout field, seconds
		want        int64  // tokens billed for 5 chunks delivered
	}{
		{"caller leaves, usage in every chunk", true, false, "", cutPrompt + 5},
		{"caller leaves, no usage until the end", false, false, "", 5},
		{"timeout, usage in every chunk", true, false, "1", cutPrompt + 5},
		{"timeout, no usage until the end", false, false, "1", 5},
		{"engine fails, usage in every chunk", true, true, "", cutPrompt + 5},
		{"engine fails, no usage until the end", false, true, "", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := cutEngine{chunks: 5, usage: tt.usage, fail: tt.fail, gone: make(chan struct{}, 1)}
			n := start(t, Options{Engine: func(int) http.Handler { return eng }})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			timeout := ""
			if tt.timeout != "" {
				timeout = `,"timeout":` + tt.timeout
			}
			req, _ := http.NewRequestWithContext(ctx, "POST", n.ClientURL+"/v1/chat/completions",
				strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"max_tokens":1900`+timeout+`}`))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(res.Body)
				t.Fatalf("status %d: %s", res.StatusCode, b)
			}
			body := bufio.NewReader(res.Body)
			readEvents(t, body, 5)
			if tt.timeout == "" && !tt.fail {
				cancel()
			} else {
				// The answer ends on its own, with an error event.
				rest, _ := io.ReadAll(body)
				if !strings.Contains(string(rest), `"error"`) {
					t.Errorf("the rest of the answer %q, want an error event", rest)
				}
			}
			res.Body.Close()
			<-eng.gone
			eventually(t, "the proxy settles the abandoned request", func() bool {
				s := n.Proxy.Snapshot()
				return s.Totals.Tokens > 0 && len(s.Clients) == 1 && s.Clients[0].Reserved == 0
			})
			s := n.Proxy.Snapshot()
			tot := s.Totals
			if tot.Tokens != tt.want {
				t.Errorf("billed %d tokens, want the %d delivered", tot.Tokens, tt.want)
			}
			if tot.Charged != tot.Earned+tot.Commission || tot.Charged != int64(contracts.FakePricePerToken)*tot.Tokens || tot.Earned != int64(contracts.FakeWorkerFeePerToken)*tot.Tokens {
				t.Errorf("totals %+v: want %d tokens at 2 charged and 1 earned, charged = earned + commission", tot, tt.want)
			}
			if s.Clients[0].Tokens != tot.Tokens || len(s.Workers) != 1 || s.Workers[0].Tokens != tot.Tokens {
				t.Errorf("client %+v, workers %+v: want both billed %d tokens", s.Clients, s.Workers, tot.Tokens)
			}
		})
	}
}

// TestAbandonedStreamBuiltInEngine is the case on the built-in
// engine: a stream of up to 1900 tokens left after about 3 KB. The
// engine reports the usage so far in every chunk, so the proxy bills at
// least the prompt and the completion tokens of the last chunk the caller
// read, and no more than those of the chunks it passed on. The caller
// asks to see that usage too (continuous_usage_stats); without, the
// client strips it.
func TestAbandonedStreamBuiltInEngine(t *testing.T) {
	model := sharedtest.Path(t, "models/stories260K.gguf")
	n := start(t, Options{ModelPath: model})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", n.ClientURL+"/v1/chat/completions",
		strings.NewReader(`{"model":"stories260K","messages":[{"role":"user","content":"Once upon a time"}],"stream":true,"max_tokens":1900,"stream_options":{"include_usage":true,"continuous_usage_stats":true}}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(io.LimitReader(res.Body, 3000))
	var last openai.Usage
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: ")
		var c openai.ChatCompletionChunk
		if ok && json.Unmarshal([]byte(data), &c) == nil && c.Usage != nil {
			last = *c.Usage
		}
	}
	cancel()
	res.Body.Close()
	if last.PromptTokens == 0 {
		t.Fatal("no chunk the caller read carried usage")
	}
	eventually(t, "the proxy settles the abandoned request", func() bool {
		s := n.Proxy.Snapshot()
		return s.Totals.Tokens > 0 && len(s.Clients) == 1 && s.Clients[0].Reserved == 0
	})
	tot := n.Proxy.Snapshot().Totals
	if tot.Tokens < last.TotalTokens || tot.Tokens > last.PromptTokens+1900 {
		t.Errorf("billed %d tokens, want at least the %d the caller read and at most prompt and max_tokens", tot.Tokens, last.TotalTokens)
	}
	if tot.Charged != tot.Earned+tot.Commission || tot.Charged != int64(contracts.FakePricePerToken)*tot.Tokens {
		t.Errorf("totals %+v: want 2 nanoTON a token, charged = earned + commission", tot)
	}
	t.Logf("the caller read %d tokens (%d prompt); billed %d", last.TotalTokens, last.PromptTokens, tot.Tokens)
}

// TestStreamUsageAsAsked: the network has the engine report the usage in
// every chunk, to bill a stream cut short, but the caller sees it as it
// asked: nowhere without include_usage, in a last chunk of its own with
// it (as from OpenAI), in every chunk with continuous_usage_stats too.
func TestStreamUsageAsAsked(t *testing.T) {
	model := sharedtest.Path(t, "models/stories260K.gguf")
	n := start(t, Options{ModelPath: model})
	tests := []struct {
		name, options     string
		wantLast, wantAll bool
	}{
		{"not asked", ``, false, false},
		{"at the end", `,"stream_options":{"include_usage":true}`, true, false},
		{"in every chunk", `,"stream_options":{"include_usage":true,"continuous_usage_stats":true}`, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body := post(t, context.Background(), n.ClientURL, `{"model":"stories260K","messages":[{"role":"user","content":"Once upon a time"}],"stream":true,"max_tokens":8`+tt.options+`}`)
			var events []openai.ChatCompletionChunk
			for line := range strings.Lines(body) {
				data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: ")
				var c openai.ChatCompletionChunk
				if ok && data != "[DONE]" && json.Unmarshal([]byte(data), &c) == nil {
					events = append(events, c)
				}
			}
			if len(events) < 3 {
				t.Fatalf("got %d events in %q", len(events), body)
			}
			last := events[len(events)-1]
			if got := last.Usage != nil && len(last.Choices) == 0; got != tt.wantLast {
				t.Errorf("a last chunk of usage: %v, want %v", got, tt.wantLast)
			}
			for i, c := range events[:len(events)-1] {
				if (c.Usage != nil) != tt.wantAll {
					t.Errorf("chunk %d carries usage %v, want %v", i, c.Usage, tt.wantAll)
				}
			}
		})
	}
}
