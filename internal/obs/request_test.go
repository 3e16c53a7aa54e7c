package obs

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestObserveAndLogRequest(t *testing.T) {
	m := NewMetrics("proxy")
	r := Request{ID: "abc", Model: "m", Worker: "127.0.0.1:1", Outcome: OutcomeSuccess, PromptTokens: 20, CachedTokens: 5, CompletionTokens: 8,
		Nano: 56, Queue: time.Millisecond, FirstToken: 30 * time.Millisecond, Total: time.Second}
	m.Observe(r)
	for i := range maxLabelValues + 5 {
		m.Observe(Request{Model: fmt.Sprintf("made-up-%d", i), Outcome: OutcomeRejected})
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`cocoon_model_requests_total{model="m",outcome="success",role="proxy",worker="127.0.0.1:1"} 1`,
		`cocoon_tokens_total{kind="prompt",model="m",role="proxy",worker="127.0.0.1:1"} 20`,
		`cocoon_tokens_total{kind="cached",model="m",role="proxy",worker="127.0.0.1:1"} 5`,
		`cocoon_nanoton_total{kind="charged",model="m",role="proxy",worker="127.0.0.1:1"} 56`,
		`cocoon_time_to_first_token_seconds_count{model="m",role="proxy",worker="127.0.0.1:1"} 1`,
		`cocoon_queue_seconds_count{model="m",role="proxy",worker="127.0.0.1:1"} 1`,
		`cocoon_model_requests_total{model="_other",outcome="rejected",role="proxy",worker=""}`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if n := strings.Count(string(body), "made-up-"); n > maxLabelValues {
		t.Errorf("%d made-up model labels, want at most %d", n, maxLabelValues)
	}

	var buf bytes.Buffer
	LogRequest(slog.New(slog.NewTextHandler(&buf, nil)), r)
	line := buf.String()
	if strings.Count(line, "\n") != 1 {
		t.Fatalf("got %q, want one line", line)
	}
	for _, want := range []string{"msg=request", "request_id=abc", "model=m", "worker=127.0.0.1:1", "outcome=success", "prompt_tokens=20", "completion_tokens=8", "nanoton=56", "first_token_ms=30", "total_ms=1000"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %s", line, want)
		}
	}
}
