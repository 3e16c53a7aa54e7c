package openai

import (
	"bytes"
	"strings"
	"testing"
)

const (
	textChunk  = `data: {"choices":[{"delta":{"content":"a"},"index":0}],"id":"x"}` + "\n\n"
	usageChunk = `data: {"choices":[],"id":"x","usage":{"completion_tokens":1,"prompt_tokens":2,"total_tokens":3}}` + "\n\n"
	doneChunk  = "data: [DONE]\n\n"
)

// strip runs a stream through a stripper in pieces of n bytes.
func strip(stream string, n int) string { return stripWith(UsageStripper{}, stream, n) }

// stripWith runs a stream through s in pieces of n bytes.
func stripWith(s UsageStripper, stream string, n int) string {
	var out []byte
	for b := []byte(stream); len(b) > 0; {
		k := min(n, len(b))
		out = append(out, s.Write(b[:k])...)
		b = b[k:]
	}
	return string(append(out, s.Flush()...))
}

func TestUsageStripper(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"usage chunk dropped", textChunk + usageChunk + doneChunk, textChunk + doneChunk},
		{"usage member removed", `data: {"choices":[{"index":0}],"usage":{"prompt_tokens":2}}` + "\n\n" + doneChunk,
			`data: {"choices":[{"index":0}]}` + "\n\n" + doneChunk},
		{"null usage removed", `data: {"choices":[{"index":0}],"usage":null}` + "\n\n", `data: {"choices":[{"index":0}]}` + "\n\n"},
		{"nothing to strip", textChunk + doneChunk, textChunk + doneChunk},
		{"crlf", strings.ReplaceAll(textChunk+usageChunk, "\n", "\r\n"), strings.ReplaceAll(textChunk, "\n", "\r\n")},
		{"unterminated usage chunk", textChunk + strings.TrimSuffix(usageChunk, "\n\n"), textChunk},
		{"error event kept", `data: {"error":{"message":"x"}}` + "\n\n", `data: {"error":{"message":"x"}}` + "\n\n"},
	}
	for _, tt := range tests {
		for _, n := range []int{1, 3, 7, 1 << 20} {
			if got := strip(tt.in, n); got != tt.want {
				t.Errorf("%s in pieces of %d: got %q, want %q", tt.name, n, got, tt.want)
			}
		}
	}
}

// TestUsageStripperKeepsTheUsageEvent: a caller that asked for the usage
// at the end gets it there, as from OpenAI, and not in every chunk where
// the engine reported it for the network's metering; an engine that puts
// the end's usage on its finish chunk (llama.cpp) keeps it there.
func TestUsageStripperKeepsTheUsageEvent(t *testing.T) {
	const u = `"usage":{"completion_tokens":1,"prompt_tokens":2,"total_tokens":3}`
	continuous := `data: {"choices":[{"delta":{"content":"a"},"index":0}],"id":"x",` + u + "}\n\n"
	finish := `data: {"choices":[{"delta":{},"finish_reason":"stop","index":0}],"id":"x"}` + "\n\n"
	finishUsage := `data: {"choices":[{"delta":{},"finish_reason":"stop","index":0}],"id":"x",` + u + "}\n\n"
	tests := []struct {
		name, in, want string
	}{
		{"continuous", continuous + finishUsage + usageChunk + doneChunk, textChunk + finish + usageChunk + doneChunk},
		{"usage on the finish chunk", textChunk + finishUsage + doneChunk, textChunk + finishUsage + doneChunk},
		{"usage on the finish chunk, no done", textChunk + finishUsage, textChunk + finishUsage},
		{"finish chunk cut short", textChunk + strings.TrimSuffix(finishUsage, "\n\n"), textChunk + strings.TrimSuffix(finishUsage, "\n\n")},
		{"null usage", `data: {"choices":[{"finish_reason":"stop","index":0}],"usage":null}` + "\n\n" + doneChunk,
			`data: {"choices":[{"finish_reason":"stop","index":0}]}` + "\n\n" + doneChunk},
	}
	for _, tt := range tests {
		for _, n := range []int{1, 5, 1 << 20} {
			if got := stripWith(UsageStripper{KeepUsageEvent: true}, tt.in, n); got != tt.want {
				t.Errorf("%s in pieces of %d: got %q, want %q", tt.name, n, got, tt.want)
			}
		}
	}
}

// FuzzUsageStripper checks that stripping leaves no usage for a counter
// to find, never grows the stream, does not depend on how the bytes were
// split, and is idempotent (strip → strip gives the same bytes).
func FuzzUsageStripper(f *testing.F) {
	f.Add([]byte(textChunk+usageChunk+doneChunk), 3)
	f.Add([]byte("data: {\"usage\":{\"prompt_tokens\":1},\"choices\":[{}]}\n\nevent: x\ndata: 1\n\n"), 1)
	f.Add([]byte(":comment\n\ndata: {\"\\u0075sage\":{\"prompt_tokens\":5}}\n\n"), 2)
	f.Fuzz(func(t *testing.T, in []byte, n int) {
		n = max(1, n%64+1)
		whole := strip(string(in), len(in)+1)
		if got := strip(string(in), n); got != whole {
			t.Fatalf("pieces of %d: %q, whole: %q", n, got, whole)
		}
		keep := UsageStripper{KeepUsageEvent: true}
		kept := stripWith(keep, string(in), len(in)+1)
		if got := stripWith(keep, string(in), n); got != kept {
			t.Fatalf("keeping the usage event, pieces of %d: %q, whole: %q", n, got, kept)
		}
		if len(kept) > len(in) {
			t.Fatalf("keeping the usage event grew %q to %q", in, kept)
		}
		if again := strip(whole, len(whole)+1); again != whole {
			t.Fatalf("not idempotent: %q then %q", whole, again)
		}
		if bytes.HasPrefix(in, []byte("data:")) && !bytes.Contains(in, []byte("\r")) {
			c := NewUsageCounter()
			c.Write([]byte(whole))
			c.Finish()
			if u := c.Counts(); u.PromptTokens+u.CompletionTokens+u.CachedTokens+u.ReasoningTokens != 0 && len(whole) <= MaxUsageValue {
				t.Fatalf("usage %+v left in %q", u, whole)
			}
		}
	})
}
