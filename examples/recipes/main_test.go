package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/devnet"
	"github.com/cocoon-go/cocoon/internal/engine/enginetest"
	"github.com/cocoon-go/cocoon/internal/engine/fakespeech"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

// network starts a devnet of the built-in stories260K model, which writes
// nonsense stories whatever it is asked (the recipes' paths, billing and
// shapes are what is checked), and the fake speech engine's worker.
func network(t *testing.T) *devnet.Network {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := devnet.Start(ctx, devnet.Options{ModelPath: sharedtest.Path(t, "models/stories260K.gguf"), Extra: []devnet.ExtraWorker{devnet.FakeSpeechWorker()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// reported sums the tokens that the usage lines on stderr report, audio
// seconds at the devnet's audio rate.
func reported(t *testing.T, stderr string) int64 {
	t.Helper()
	var total int64
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var a, b int64
		var secs float64
		switch {
		case strings.HasSuffix(line, "completion tokens"):
			fmt.Sscanf(line, "usage: %d prompt + %d completion tokens", &a, &b)
			total += a + b
		case strings.HasSuffix(line, "seconds of audio"):
			fmt.Sscanf(line, "usage: %g seconds of audio", &secs)
			total += int64(secs) * devnet.DefaultAudioTokensPerSecond
		default:
			t.Fatalf("unexpected line on stderr: %q", line)
		}
	}
	return total
}

func TestRecipes(t *testing.T) {
	n := network(t)
	dir := t.TempDir()
	chat := filepath.Join(dir, "chat.txt")
	var lines []string
	for i := range 4 {
		lines = append(lines, fmt.Sprintf("Anna: shall we meet on day %d?", i), fmt.Sprintf("Boris: yes, at %d o'clock", 10+i))
	}
	os.WriteFile(chat, []byte(strings.Join(lines, "\n")), 0o600)
	voice := filepath.Join(dir, "voice.wav")
	os.WriteFile(voice, enginetest.WAV(4), 0o600)

	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, out string)
		calls int // the chat requests the recipe makes
	}{
		{"translate", []string{"translate", "--model", n.Model, "--to", "French", "--max-tokens", "24", "Hello, how are you?"}, nil, 1},
		// 8 lines of about 30 characters in parts of at most 150: two
		// parts and the summary of their summaries.
		{"summarize", []string{"summarize", "--model", n.Model, "--chunk-chars", "150", "--max-tokens", "16", chat}, nil, 3},
		{"transcribe", []string{"transcribe", "--model", devnet.FakeSpeechModel, "--language", "ru", voice}, func(t *testing.T, out string) {
			if want := fakespeech.Transcript("transcribe", 4); strings.TrimSpace(out) != want {
				t.Errorf("transcript %q, want %q", out, want)
			}
		}, 1},
		{"voice into English", []string{"transcribe", "--model", devnet.FakeSpeechModel, "--into-english", voice}, func(t *testing.T, out string) {
			if want := fakespeech.Transcript("translate", 4); strings.TrimSpace(out) != want {
				t.Errorf("translation %q, want %q", out, want)
			}
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := n.Proxy.Snapshot().Totals.Tokens
			var stdout, stderr bytes.Buffer
			args := append([]string{tt.args[0], "--url", n.ClientURL}, tt.args[1:]...)
			if err := run(context.Background(), args, nil, &stdout, &stderr); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			if strings.TrimSpace(stdout.String()) == "" {
				t.Error("no answer on stdout")
			}
			if tt.check != nil {
				tt.check(t, stdout.String())
			}
			if got := strings.Count(stderr.String(), "usage:"); got != tt.calls {
				t.Errorf("%d requests, want %d:\n%s", got, tt.calls, stderr.String())
			}
			want := reported(t, stderr.String())
			deadline := time.Now().Add(5 * time.Second)
			for n.Proxy.Snapshot().Totals.Tokens-before != want && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if got := n.Proxy.Snapshot().Totals.Tokens - before; got != want {
				t.Errorf("the proxy billed %d tokens, the answers report %d", got, want)
			}
		})
	}
}

func TestRecipesRefuse(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"bake"},
		{"translate", "hello"},
		{"translate", "--model", "m"},
		{"summarize", "--model", "m", "a", "b"},
	} {
		if err := run(context.Background(), args, nil, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
