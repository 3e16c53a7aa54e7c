package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run([]string{"bench", "--requests", "20", "--concurrency", "2", "--json"}, &out, &errOut); err != nil {
		t.Fatalf("cocoon bench: %v\n%s", err, errOut.String())
	}
	var rep struct {
		Routed *struct {
			Requests int     `json:"requests"`
			RPS      float64 `json:"rps"`
		} `json:"routed"`
		Direct *struct {
			Requests int     `json:"requests"`
			RPS      float64 `json:"rps"`
		} `json:"direct"`
		Ratio *float64 `json:"ratio"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("decoding %q: %v", out.String(), err)
	}
	if rep.Routed == nil || rep.Direct == nil || rep.Ratio == nil {
		t.Fatalf("got %s, want routed, direct and ratio", out.String())
	}
	if rep.Routed.Requests != 20 || rep.Direct.Requests != 20 {
		t.Errorf("requests: got routed %d direct %d, want 20 each", rep.Routed.Requests, rep.Direct.Requests)
	}
	if *rep.Ratio <= 0 || *rep.Ratio != rep.Routed.RPS/rep.Direct.RPS {
		t.Errorf("ratio: got %v, want routed/direct = %v", *rep.Ratio, rep.Routed.RPS/rep.Direct.RPS)
	}
}

func TestBenchText(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run([]string{"bench", "--requests", "4", "--concurrency", "2", "--mode", "direct", "--format", "sse"}, &out, &errOut); err != nil {
		t.Fatalf("cocoon bench: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"sse backend", "direct", "req/s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output %q lacks %q", out.String(), want)
		}
	}
}

func TestBenchUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"argument", []string{"bench", "extra"}},
		{"no requests", []string{"bench", "--requests", "0"}},
		{"bad flag", []string{"bench", "--frobnicate"}},
		{"no timeout", []string{"bench", "--timeout", "0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(tt.args, &out, &errOut)
			if err == nil || exitCode(err) != 2 {
				t.Errorf("run(%q): got %v (exit %d), want a usage error (exit 2)", tt.args, err, exitCode(err))
			}
		})
	}
}
