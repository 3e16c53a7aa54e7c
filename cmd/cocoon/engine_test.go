package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

func TestEngineUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"no model", nil},
		{"stray argument", []string{"--model", "x.gguf", "extra"}},
		{"zero threads", []string{"--model", "x.gguf", "--threads", "0"}},
		{"unknown flag", []string{"--frobnicate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := runEngine(context.Background(), tt.args, io.Discard, io.Discard)
			if err == nil || exitCode(err) != 2 {
				t.Errorf("got %v, want a usage error", err)
			}
		})
	}
}

func TestEngineServesStory(t *testing.T) {
	model := sharedtest.Path(t, "models/stories260K.gguf")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runEngine(ctx, []string{"--model", model, "--listen", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewReader(pr)
	line, err := lines.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the address: %v", err)
	}
	_, addr, ok := strings.Cut(strings.TrimSpace(line), " on ")
	if !ok || !strings.Contains(line, "stories260K") {
		t.Fatalf("got %q, want where it serves stories260K", line)
	}
	go func() { _, _ = io.Copy(io.Discard, lines) }()

	resp, err := http.Post(addr+"/v1/completions", "application/json",
		strings.NewReader(`{"model":"stories260K","prompt":"Once upon a time","max_tokens":12,"temperature":0}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		Choices []struct {
			Text string `json:"text"`
		} `json:"choices"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	if want := ", there was a little girl named Lily"; len(c.Choices) != 1 || !strings.HasPrefix(c.Choices[0].Text, want) {
		t.Errorf("got %+v, want a text beginning %q", c, want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("engine returned %v after cancellation, want nil", err)
	}
}
