package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(peerEnv); spec != "" {
		if err := runIdlePeer(spec); err != nil {
			fmt.Fprintln(os.Stderr, "idle peer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

func startBackend(t *testing.T, h http.Handler) string {
	t.Helper()
	s, err := serve(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return s.url
}

func TestLoad(t *testing.T) {
	b, err := NewBackend(BackendOptions{Chunks: 4, ChunkBytes: 8})
	if err != nil {
		t.Fatal(err)
	}
	url := startBackend(t, b)
	one := post(t, b, "/v1/chat/completions").Body.Len()
	tests := []struct {
		name                  string
		requests, concurrency int
		keepAlive             bool
	}{
		{"fresh connections", 20, 3, false},
		{"keep-alive", 20, 3, true},
		{"more workers than requests", 2, 8, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := b.Requests()
			got, err := Load(t.Context(), LoadOptions{URL: url + "/v1/chat/completions", Body: ChatBody("m"), Requests: tt.requests, Concurrency: tt.concurrency, KeepAlive: tt.keepAlive})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Latencies) != tt.requests || got.Errors != 0 {
				t.Fatalf("got %d successes and %d errors (%s), want %d and 0", len(got.Latencies), got.Errors, got.FirstError, tt.requests)
			}
			if got.Bytes != int64(tt.requests*one) {
				t.Errorf("bytes: got %d, want %d", got.Bytes, tt.requests*one)
			}
			if n := b.Requests() - before; n != int64(tt.requests) {
				t.Errorf("backend answered %d requests, want %d", n, tt.requests)
			}
			for i, l := range got.Latencies {
				if l <= 0 || l > got.Elapsed {
					t.Errorf("latency %d: got %v, want within (0, %v]", i, l, got.Elapsed)
				}
			}
		})
	}
}

func TestLoadCountsErrors(t *testing.T) {
	url := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.RawQuery, "fail") {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		w.Write(nil)
	}))
	tests := []struct {
		name, target, wantErr string
	}{
		{"bad status", "/x?fail", "503"},
		{"empty answer", "/x", "empty answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(t.Context(), LoadOptions{URL: url + tt.target, Requests: 5, Concurrency: 2})
			if err != nil {
				t.Fatal(err)
			}
			if got.Errors != 5 || len(got.Latencies) != 0 {
				t.Errorf("got %d errors and %d successes, want 5 and 0", got.Errors, len(got.Latencies))
			}
			if !strings.Contains(got.FirstError, tt.wantErr) {
				t.Errorf("first error: got %q, want it to mention %q", got.FirstError, tt.wantErr)
			}
		})
	}
}

func TestLoadStopsWithContext(t *testing.T) {
	b, err := NewBackend(BackendOptions{Chunks: 2, Delay: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	url := startBackend(t, b)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	got, err := Load(ctx, LoadOptions{URL: url + "/v1/chat/completions", Requests: 1000, Concurrency: 4})
	if err == nil {
		t.Fatal("got no error from a cut-short run, want one")
	}
	if got.Errors+len(got.Latencies) > 4 {
		t.Errorf("got %d requests finished, want at most the 4 in flight", got.Errors+len(got.Latencies))
	}
}

func TestLoadRefuses(t *testing.T) {
	tests := []struct {
		name string
		opts LoadOptions
	}{
		{"remote host", LoadOptions{URL: "http://example.com/", Requests: 1, Concurrency: 1}},
		{"https", LoadOptions{URL: "https://127.0.0.1/", Requests: 1, Concurrency: 1}},
		{"no requests", LoadOptions{URL: "http://127.0.0.1/", Requests: 0, Concurrency: 1}},
		{"no concurrency", LoadOptions{URL: "http://127.0.0.1/", Requests: 1, Concurrency: 0}},
		{"too many requests", LoadOptions{URL: "http://[::1]/", Requests: MaxRequests + 1, Concurrency: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Load(t.Context(), tt.opts); err == nil {
				t.Errorf("Load(%+v): got no error, want one", tt.opts)
			}
		})
	}
}

func TestStats(t *testing.T) {
	var tl Tally
	for i := 1; i <= 100; i++ {
		tl.Add(Tally{Latencies: []time.Duration{time.Duration(101-i) * time.Millisecond}, Bytes: 10, Elapsed: 10 * time.Millisecond, CPU: time.Millisecond})
	}
	tl.Add(Tally{Errors: 2, FirstError: "boom"})
	got := tl.Stats()
	want := Stats{Requests: 100, Errors: 2, Seconds: 1, RPS: 100, P50Ms: 50, P90Ms: 90, P99Ms: 99, BytesPerRequest: 10, CPUMsPerRequest: 1, FirstError: "boom"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if empty := (&Tally{Errors: 1}).Stats(); empty.Requests != 0 || empty.RPS != 0 || empty.Errors != 1 {
		t.Errorf("empty tally: got %+v, want zero figures and 1 error", empty)
	}
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		n, p int
		want time.Duration
	}{
		{1, 50, 1}, {1, 99, 1}, {2, 50, 1}, {2, 90, 2}, {10, 90, 9}, {10, 99, 10}, {1000, 99, 990},
	}
	for _, tt := range tests {
		sorted := make([]time.Duration, tt.n)
		for i := range sorted {
			sorted[i] = time.Duration(i + 1)
		}
		if got := percentile(sorted, tt.p); got != tt.want {
			t.Errorf("p%d of 1..%d: got %d, want %d", tt.p, tt.n, got, tt.want)
		}
	}
}
