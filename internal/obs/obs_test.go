package obs

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestNewLogger(t *testing.T) {
	tests := []struct {
		name, format, level string
		wantErr             bool
		wantDebug           bool
		wantJSON            bool
	}{
		{name: "defaults", wantDebug: false},
		{name: "json debug", format: "json", level: "DEBUG", wantDebug: true, wantJSON: true},
		{name: "text warn", format: "text", level: "warn"},
		{name: "bad level", level: "loud", wantErr: true},
		{name: "bad format", format: "xml", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l, err := NewLogger(&buf, tt.format, tt.level)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewLogger error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			l.Debug("dbg")
			l.Error("boom", "k", "v")
			if got := strings.Contains(buf.String(), "dbg"); got != tt.wantDebug {
				t.Errorf("debug line logged = %v, want %v", got, tt.wantDebug)
			}
			if got := strings.HasPrefix(buf.String(), "{"); got != tt.wantJSON {
				t.Errorf("output %q is JSON = %v, want %v", buf.String(), got, tt.wantJSON)
			}
		})
	}
}

func TestRate(t *testing.T) {
	var r Rate
	t0 := time.Unix(1000, 0)
	r.Add(t0, 10)
	s := r.Snapshot(t0)
	if s.Total != 10 {
		t.Errorf("total = %v, want 10", s.Total)
	}
	if got := s.Rates["10s"]; math.Abs(got-1) > 1e-9 {
		t.Errorf("10s rate right after adding 10 = %v, want 1", got)
	}
	s = r.Snapshot(t0.Add(10 * time.Second))
	if got, want := s.Rates["10s"], math.Exp(-1); math.Abs(got-want) > 1e-9 {
		t.Errorf("10s rate after one period = %v, want %v", got, want)
	}
	if s.Total != 10 {
		t.Errorf("total after decay = %v, want 10", s.Total)
	}
	// Reading at an earlier time must not grow the sums.
	before := r.Snapshot(t0)
	if before.Rates["10s"] > s.Rates["10s"]+1e-12 {
		t.Errorf("reading in the past gave %v, more than %v", before.Rates["10s"], s.Rates["10s"])
	}
}

type snap struct {
	Status  string `json:"status"`
	Workers []struct {
		Model string `json:"model"`
		Count int    `json:"count"`
	} `json:"workers"`
}

func sample() any {
	s := snap{Status: "<ok>"}
	s.Workers = append(s.Workers, struct {
		Model string `json:"model"`
		Count int    `json:"count"`
	}{"m&1", 3})
	return s
}

func get(t *testing.T, h http.Handler, url string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestStatsPages(t *testing.T) {
	mux := http.NewServeMux()
	Mount(mux, "proxy <1>", sample, NewMetrics("proxy"), "")
	res, body := get(t, mux, "/jsonstats")
	if res.StatusCode != 200 {
		t.Fatalf("/jsonstats status = %d, want 200", res.StatusCode)
	}
	var got snap
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("/jsonstats body %q is not JSON: %v", body, err)
	}
	if got.Status != "<ok>" || len(got.Workers) != 1 || got.Workers[0].Count != 3 {
		t.Errorf("/jsonstats = %+v, want the snapshot back", got)
	}
	res, body = get(t, mux, "/stats")
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("/stats content type = %q, want text/html", ct)
	}
	for _, want := range []string{"proxy &lt;1&gt;", "&lt;ok&gt;", "m&amp;1", "<th>count</th>"} {
		if !strings.Contains(body, want) {
			t.Errorf("/stats body lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<ok>") {
		t.Errorf("/stats body has an unescaped string")
	}
}

func TestRequireAccessHash(t *testing.T) {
	mux := http.NewServeMux()
	Mount(mux, "w", sample, NewMetrics("worker"), "s3cret")
	tests := []struct {
		url  string
		want int
	}{
		{"/jsonstats", 400},
		{"/jsonstats?access_hash=wrong", 400},
		{"/jsonstats?access_hash=s3cret", 200},
		{"/stats?access_hash=s3cret", 200},
		{"/metrics", 400},
	}
	for _, tt := range tests {
		if res, _ := get(t, mux, tt.url); res.StatusCode != tt.want {
			t.Errorf("GET %s = %d, want %d", tt.url, res.StatusCode, tt.want)
		}
	}
}

func TestMetrics(t *testing.T) {
	m := NewMetrics("client")
	m.RequestStarted()
	m.RequestFinished(OutcomeSuccess, 30*time.Millisecond)
	m.AddBytes(123)
	m.SetConnections(2)
	m.Retried()
	m.Observe(Request{Model: "m", Outcome: OutcomeSuccess, FirstToken: 20 * time.Millisecond})
	_, body := get(t, m.Handler(), "/metrics")
	if strings.Contains(body, "time_to_first_answer_byte") {
		t.Errorf("metrics keep the unlabelled time to first answer byte beside cocoon_time_to_first_token_seconds")
	}
	for _, want := range []string{
		`cocoon_requests_total{outcome="success",role="client"} 1`,
		`cocoon_answer_bytes_total{role="client"} 123`,
		`cocoon_ready_connections{role="client"} 2`,
		`cocoon_retries_total{role="client"} 1`,
		`cocoon_active_requests{role="client"} 0`,
		`cocoon_time_to_first_token_seconds_count{model="m",role="client",worker=""} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestRequestRates(t *testing.T) {
	var r RequestRates
	now := time.Unix(100, 0)
	r.Finished(now, true, 2*time.Second)
	r.Finished(now, false, time.Second)
	s := r.Snapshot(now)
	if s.Queries.Total != 2 || s.Success.Total != 1 || s.Failed.Total != 1 || s.Time.Total != 3 {
		t.Errorf("snapshot = %+v, want 2 queries, 1 success, 1 failed, 3 s", s)
	}
	r.FirstAnswer(now, 250*time.Millisecond)
	r.FirstAnswer(now, 750*time.Millisecond)
	s = r.Snapshot(now)
	if s.FirstAnswers.Total != 2 || s.FirstAnswerTime.Total != 1 {
		t.Errorf("first answers %v taking %v s, want 2 taking 1 s", s.FirstAnswers.Total, s.FirstAnswerTime.Total)
	}
}

func TestStatsPageUnits(t *testing.T) {
	m := NewMetrics("client")
	m.Observe(Request{Model: "m", Outcome: OutcomeSuccess, PromptTokens: 3, CompletionTokens: 4, Nano: 1500000000, FirstToken: 250 * time.Millisecond})
	snapshot := func() any {
		return map[string]any{
			"paid_nano":            "1500000001",
			"stats":                map[string]any{"rates": map[string]any{"1m": 0.0000082303401870569}},
			"queries_success_rate": 0.5,
			"avg_time":             0.123456,
		}
	}
	mux := http.NewServeMux()
	Mount(mux, "client", snapshot, m, "")
	_, body := get(t, mux, "/stats")
	for _, want := range []string{"Requests by model", "<td>m</td><td>1</td>", "1.5 TON", "1.500000001 TON", "8.23e-06 /s", "per second over 1m", "50.0 %", "0.123 s", "0.250 s"} {
		if !strings.Contains(body, want) {
			t.Errorf("/stats lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "0.0000082303401870569") {
		t.Error("/stats shows a raw float")
	}
}
