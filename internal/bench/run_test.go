package bench

import (
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name           string
		cfg            Config
		routed, direct bool
	}{
		{"both", Config{Requests: 20, Concurrency: 2, Rounds: 4}, true, true},
		{"direct only", Config{Requests: 5, Concurrency: 2, Mode: ModeDirect}, false, true},
		{"routed only, SSE, keep-alive", Config{Requests: 5, Concurrency: 2, Mode: ModeRouted, KeepAlive: true, Backend: BackendOptions{Format: FormatSSE, Chunks: 3}}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Run(t.Context(), tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if (rep.Routed != nil) != tt.routed || (rep.Direct != nil) != tt.direct {
				t.Fatalf("got routed %v direct %v, want %v and %v", rep.Routed != nil, rep.Direct != nil, tt.routed, tt.direct)
			}
			for _, s := range []*Stats{rep.Routed, rep.Direct} {
				if s == nil {
					continue
				}
				if s.Requests != tt.cfg.Requests || s.Errors != 0 || s.RPS <= 0 || s.P50Ms <= 0 || s.P50Ms > s.P99Ms {
					t.Errorf("got %+v, want %d requests, no errors, positive rates and ordered percentiles", s, tt.cfg.Requests)
				}
			}
			if tt.routed && tt.direct {
				if rep.Ratio <= 0 {
					t.Errorf("ratio: got %v, want it positive", rep.Ratio)
				}
				if rep.Routed.BytesPerRequest != rep.Direct.BytesPerRequest {
					t.Errorf("bytes per request: routed %v, direct %v, want the same stream on both paths", rep.Routed.BytesPerRequest, rep.Direct.BytesPerRequest)
				}
			}
		})
	}
}

func TestRunRefuses(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"mode", Config{Requests: 1, Concurrency: 1, Mode: "sideways"}},
		{"requests", Config{Concurrency: 1}},
		{"concurrency", Config{Requests: 1}},
		{"rounds", Config{Requests: 1, Concurrency: 1, Rounds: -1}},
		{"backend", Config{Requests: 1, Concurrency: 1, Backend: BackendOptions{Format: "xml"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Run(t.Context(), tt.cfg); err == nil {
				t.Errorf("Run(%+v): got no error, want one", tt.cfg)
			}
		})
	}
}
