package devnet

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/worker"
)

// flavour is what an inference engine speaks, where engines differ in
// ways a worker notices: the /v1/models entry, whether usage reports
// cached prompt tokens (vLLM with --enable-prompt-tokens-details, SGLang
// with --enable-cache-report), and where a stream's usage rides when
// stream_options.include_usage asks for it (a chunk of its own with empty
// choices, as OpenAI sends it, or llama.cpp's finish chunk with timings).
type flavour struct {
	name   string
	model  func(id string) string // the /v1/models entry
	cached bool
	// usageOnFinish puts the usage on the finish chunk (llama.cpp).
	usageOnFinish bool
}

var flavours = []flavour{
	{name: "vllm", cached: true, model: func(id string) string {
		return fmt.Sprintf(`{"id":%q,"object":"model","created":1,"owned_by":"vllm","root":%q,"parent":null,"max_model_len":32768,"permission":[]}`, id, id)
	}},
	{name: "sglang", cached: true, model: func(id string) string {
		return fmt.Sprintf(`{"id":%q,"object":"model","created":1,"owned_by":"sglang","root":%q,"max_model_len":32768}`, id, id)
	}},
	{name: "llamacpp", usageOnFinish: true, model: func(id string) string {
		return fmt.Sprintf(`{"id":%q,"object":"model","created":1,"owned_by":"llamacpp","meta":{"n_ctx_train":40960,"n_params":8190735360}}`, id)
	}},
	{name: "ollama", model: func(id string) string {
		return fmt.Sprintf(`{"id":%q,"object":"model","created":1,"owned_by":"library"}`, id)
	}},
}

// engine returns a fake engine of the flavour serving model: 10 prompt
// tokens (4 cached where the flavour reports them) and 3 completion
// tokens per answer.
func (f flavour) engine(model string) http.Handler {
	usage := `{"prompt_tokens":10,"completion_tokens":3,"total_tokens":13}`
	if f.cached {
		usage = `{"prompt_tokens":10,"completion_tokens":3,"total_tokens":13,"prompt_tokens_details":{"cached_tokens":4}}`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/models" {
			fmt.Fprintf(w, `{"object":"list","data":[%s]}`, f.model(model))
			return
		}
		var req struct {
			Model         string `json:"model"`
			Stream        bool   `json:"stream"`
			StreamOptions struct {
				IncludeUsage bool `json:"include_usage"`
			} `json:"stream_options"`
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &req); err != nil || req.Model != model {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":{"message":"model %q not found","type":"invalid_request_error","param":"model","code":null}}`, req.Model)
			return
		}
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"id":"c1","object":"chat.completion","created":1,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":"a b c"},"finish_reason":"stop"}],"usage":%s}`, model, usage)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		chunk := func(choices, extra string) {
			fmt.Fprintf(w, `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":%q,"choices":%s%s}`+"\n\n", model, choices, extra)
		}
		for _, t := range []string{"a", " b", " c"} {
			chunk(fmt.Sprintf(`[{"index":0,"delta":{"content":%q},"finish_reason":null}]`, t), "")
		}
		finish := `[{"index":0,"delta":{},"finish_reason":"stop"}]`
		switch {
		case req.StreamOptions.IncludeUsage && f.usageOnFinish:
			chunk(finish, `,"usage":`+usage+`,"timings":{"prompt_n":10,"predicted_n":3}`)
		case req.StreamOptions.IncludeUsage:
			chunk(finish, "")
			chunk("[]", `,"usage":`+usage)
		default:
			chunk(finish, "")
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
}

// TestEngineFlavours runs the worker config examples/engines/worker-ENGINE.json
// of each engine's guide (docs/WORKER.md) against a fake engine that speaks
// as that engine does: the devnet finds the config's model in the
// engine's list, every answer is metered whether or not the caller asked
// for usage, and the caller sees usage in a stream only when it asked.
func TestEngineFlavours(t *testing.T) {
	for _, f := range flavours {
		t.Run(f.name, func(t *testing.T) {
			cfg, err := worker.LoadConfig(filepath.Join("..", "..", "examples", "engines", "worker-"+f.name+".json"))
			if err != nil {
				t.Fatalf("the guide's config: %v", err)
			}
			model := cfg.BaseModel()
			srv := httptest.NewServer(f.engine(model))
			defer srv.Close()
			n := start(t, Options{Model: model, EngineURL: srv.URL})
			for _, tt := range []struct {
				name, body string
				usage      bool
			}{
				{"stream", `"stream":true`, false},
				{"stream with usage", `"stream":true,"stream_options":{"include_usage":true}`, true},
				{"no stream", `"stream":false`, true},
			} {
				before := n.Proxy.Snapshot().Totals.Tokens
				res, body := post(t, t.Context(), n.ClientURL,
					fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"hi"}],%s}`, model, tt.body))
				if res.StatusCode != 200 || !strings.Contains(body, `"finish_reason":"stop"`) {
					t.Fatalf("%s: got %d %q", tt.name, res.StatusCode, body)
				}
				if got := strings.Contains(body, `"usage"`); got != tt.usage {
					t.Errorf("%s: usage in the answer %v, want %v: %s", tt.name, got, tt.usage, body)
				}
				if tt.usage && f.cached && !strings.Contains(body, `"cached_tokens":4`) {
					t.Errorf("%s: the cached tokens did not reach the caller: %s", tt.name, body)
				}
				eventually(t, tt.name+" metered", func() bool { return n.Proxy.Snapshot().Totals.Tokens > before })
			}
		})
	}
}

func TestEngineFlavourExamplesExist(t *testing.T) {
	for _, f := range flavours {
		if _, err := os.Stat(filepath.Join("..", "..", "examples", "engines", "worker-"+f.name+".json")); err != nil {
			t.Errorf("no example config for %s: %v", f.name, err)
		}
	}
}
