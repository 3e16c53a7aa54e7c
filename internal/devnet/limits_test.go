package devnet

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/openai"
)

// TestOneBodyLimit sends a chat body just under the limit the network
// carries, which crosses every hop to the engine, and one just over it,
// which the client refuses with 413 before forwarding anything.
func TestOneBodyLimit(t *testing.T) {
	f := &fakeEngine{chunks: 1}
	n := start(t, Options{Engine: engines(f)})
	body := func(size int) string {
		head, tail := `{"model":"m","messages":[{"role":"user","content":"`, `"}]}`
		return head + strings.Repeat("x", size-len(head)-len(tail)) + tail
	}
	res, got := post(t, t.Context(), n.ClientURL, body(openai.MaxRequestBody))
	if res.StatusCode != 200 || f.requests.Load() != 1 {
		t.Fatalf("a body of the limit: %d %.200q, %d engine requests; want 200 from the engine", res.StatusCode, got, f.requests.Load())
	}
	res, got = post(t, t.Context(), n.ClientURL, body(openai.MaxRequestBody+1))
	var e openai.ErrorResponse
	if err := json.Unmarshal([]byte(got), &e); err != nil || res.StatusCode != 413 || e.Error.Code == nil || *e.Error.Code != openai.CodeRequestTooLarge || !strings.Contains(e.Error.Message, "max_body_bytes") {
		t.Errorf("a body over the limit: %d %q, want 413 request_too_large naming max_body_bytes", res.StatusCode, got)
	}
	if f.requests.Load() != 1 {
		t.Errorf("%d engine requests, want the body over the limit refused before forwarding", f.requests.Load())
	}
}
