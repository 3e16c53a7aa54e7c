package openai

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const sseStream = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n" +
	"data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n" +
	": keep-alive\n\n" +
	"data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"hmm\"}}]}\r\n\r\n" +
	"data: {\"choices\":[{\"delta\":{\"content\":\"lo}\\\"{\"}}]}\n\n" +
	"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":34,\"completion_tokens\":100,\"total_tokens\":134," +
	"\"prompt_tokens_details\":{\"cached_tokens\":11},\"completion_tokens_details\":{\"reasoning_tokens\":10}}}\n\n" +
	"data: [DONE]\n\n"

func TestUsageCounterShapes(t *testing.T) {
	usageLine := `{"usage":{"prompt_tokens":34,"completion_tokens":100,"prompt_tokens_details":{"cached_tokens":11},"reasoning_tokens":12}}`
	tests := []struct {
		name string
		body string
		want TokenCounts
	}{
		{"sse", sseStream, TokenCounts{PromptTokens: 34, CachedTokens: 11, CompletionTokens: 100, ReasoningTokens: 10, Values: 5, ContentValues: 3}},
		{"sse without final blank line", "data: {\"usage\":{\"prompt_tokens\":3}}", TokenCounts{PromptTokens: 3, Values: 1}},
		{"sse with usage null in every chunk", "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}\n\n" +
			"data: {\"choices\":[],\"usage\" : {\"completion_tokens\":4}}\n\n", TokenCounts{CompletionTokens: 4, Values: 2, ContentValues: 1}},
		{"ndjson", "{\"delta\":\"x\",\"i\":0}\n{\"delta\":\"y\",\"i\":1}\n" + usageLine + "\n", TokenCounts{PromptTokens: 34, CachedTokens: 11, CompletionTokens: 100, ReasoningTokens: 12, Values: 3}},
		{"pretty json", "\n{\n  \"object\": \"text_completion\",\n  \"choices\": [{\"text\": \"a }\"}],\n  \"usage\": {\"prompt_tokens\": 5.0, \"completion_tokens\": 7}\n}\n", TokenCounts{PromptTokens: 5, CompletionTokens: 7, Values: 1}},
		{"maxima over values", "{\"usage\":{\"completion_tokens\":9}}{\"usage\":{\"completion_tokens\":4}}", TokenCounts{CompletionTokens: 9, Values: 2}},
		{"escaped key", "{\"\\u0075s\\u0061ge\":{\"prompt_tokens\":6}}", TokenCounts{PromptTokens: 6, Values: 1}},
		{"usage below the top level", "{\"x\":{\"usage\":{\"prompt_tokens\":6}}}", TokenCounts{Values: 1}},
		{"usage spelled inside a string", "{\"delta\":\"\\\"usage\\\":{\\\"prompt_tokens\\\":6}\"}", TokenCounts{Values: 1}},
		{"differently cased key", "{\"Usage\":{\"prompt_tokens\":6}}", TokenCounts{Values: 1}},
		{"malformed values skipped", "data: {nope\n\ndata: {\"usage\":{nope}}\n\ndata: {\"usage\":{\"prompt_tokens\":-3,\"completion_tokens\":\"x\"}}\n\n", TokenCounts{Values: 3, Skipped: 1}},
		{"unfinished json", "{\"usage\":{\"prompt_tokens\":3}", TokenCounts{Skipped: 1}},
		{"empty", "", TokenCounts{}},
		{"content without usage", "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"choices\":[{\"delta\": {\"tool_calls\":[{\"function\":{\"arguments\" : \"{\"}}]}}]}\n\n" +
			"data: {\"choices\":[{\"text\":\" b\"}]}\n\n", TokenCounts{Values: 3, ContentValues: 3}},
		{"no generated text", "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n" +
			"data: {\"choices\":[{\"delta\":{\"content\":null},\"logprobs\":{\"content\":[]}}]}\n\n" +
			"data: {\"choices\":[{\"delta\":{\"role\":\"\\\"content\\\":\\\"x\"}}]}\n\n", TokenCounts{Values: 3}},
		{"transcription duration", `{"text":"hi","usage":{"type":"duration","seconds":9}}`, TokenCounts{AudioMillis: 9000, Values: 1}},
		{"fractional duration rounds up", `{"text":"hi","usage":{"type":"duration","seconds":2.0001}}`, TokenCounts{AudioMillis: 2001, Values: 1}},
		{"duration with an exponent", `{"usage":{"type":"duration","seconds":1.5e1}}`, TokenCounts{AudioMillis: 15000, Values: 1}},
		{"negative or absurd durations", `{"usage":{"seconds":-4}}{"usage":{"seconds":"x"}}{"usage":{"seconds":1e40}}`, TokenCounts{AudioMillis: MaxAudioMillis, Values: 3}},
		{"transcription tokens", `{"text":"hi","usage":{"type":"tokens","input_tokens":40,"input_token_details":{"audio_tokens":38,"text_tokens":2},"output_tokens":7,"total_tokens":47}}`, TokenCounts{PromptTokens: 40, CompletionTokens: 7, Values: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{1, 2, 7, len(tt.body) + 1} {
				c := NewUsageCounter()
				for b := tt.body; len(b) > 0; {
					n := min(size, len(b))
					if _, err := c.Write([]byte(b[:n])); err != nil {
						t.Fatal(err)
					}
					b = b[n:]
				}
				c.Finish()
				if got := c.Counts(); got != tt.want {
					t.Errorf("chunks of %d: got %+v, want %+v", size, got, tt.want)
				}
			}
		})
	}
}

func TestAudioUsageCounter(t *testing.T) {
	tests := []struct {
		name string
		body string
		want int64
	}{
		{"vllm verbose_json duration as a string", `{"task":"transcribe","duration":"5.01","text":"x","segments":[]}`, 5010},
		{"openai verbose_json duration as a number", `{"duration":2.5,"text":"x"}`, 2500},
		{"usage and duration: the longer", `{"duration":2.5,"usage":{"type":"duration","seconds":3}}`, 3000},
		{"duration below the top level", `{"segments":[{"duration":9}]}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewAudioUsageCounter()
			c.Write([]byte(tt.body))
			c.Finish()
			if got := c.Counts().AudioMillis; got != tt.want {
				t.Errorf("AudioMillis = %d, want %d", got, tt.want)
			}
			// The answer's text is not tokens to bill.
			if got := c.Counts().Delivered().CompletionTokens; got != 0 {
				t.Errorf("delivered %d completion tokens, want none from an audio answer", got)
			}
			plain := NewUsageCounter()
			plain.Write([]byte(tt.body))
			plain.Finish()
			if got, want := plain.Counts().AudioMillis, min(tt.want, 3000)*boolInt(strings.Contains(tt.body, "usage")); got != want {
				t.Errorf("a plain counter: AudioMillis = %d, want %d (usage only)", got, want)
			}
		})
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func TestUsageCounterBoundsMemory(t *testing.T) {
	c := NewUsageCounter()
	chunk := []byte(strings.Repeat("z", 64<<10))
	if _, err := c.Write([]byte("data: ")); err != nil {
		t.Fatal(err)
	}
	for range (MaxUsageValue / len(chunk)) + 2 {
		if _, err := c.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if cap(c.pending) > MaxUsageValue {
		t.Errorf("got a pending buffer of %d bytes, want at most %d", cap(c.pending), MaxUsageValue)
	}
	if _, err := c.Write([]byte("\n\ndata: {\"usage\":{\"prompt_tokens\":2}}\n\n")); err != nil {
		t.Fatal(err)
	}
	c.Finish()
	if got := c.Counts(); got.PromptTokens != 2 || got.Skipped != 1 {
		t.Errorf("after an oversized line: got %+v, want prompt 2 and 1 skipped", got)
	}
}

func BenchmarkUsageCounterSSE(b *testing.B) {
	var sb strings.Builder
	for i := range 50 {
		fmt.Fprintf(&sb, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q},\"finish_reason\":null}]}\n\n", strings.Repeat("0", 128)+fmt.Sprint(i))
	}
	sb.WriteString("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":34,\"completion_tokens\":100,\"prompt_tokens_details\":{\"cached_tokens\":11},\"completion_tokens_details\":{\"reasoning_tokens\":10}}}\n\ndata: [DONE]\n\n")
	body := []byte(sb.String())
	// Feed it the way the worker receives it: in the backend's chunks.
	var chunks [][]byte
	for len(body) > 0 {
		n := min(300, len(body))
		chunks = append(chunks, body[:n])
		body = body[n:]
	}
	b.SetBytes(int64(sb.Len()))
	b.ReportAllocs()
	for b.Loop() {
		c := NewUsageCounter()
		for _, ch := range chunks {
			if _, err := c.Write(ch); err != nil {
				b.Fatal(err)
			}
		}
		c.Finish()
		if got := c.Counts(); got.CompletionTokens != 100 || got.Values != 51 {
			b.Fatalf("got %+v", got)
		}
	}
}

func FuzzUsageCounter(f *testing.F) {
	f.Add([]byte(sseStream), uint8(3))
	f.Add([]byte("{\"usage\":{\"prompt_tokens\":1}}\n{\"choices\":[{\"text\":\"a\"}]}"), uint8(1))
	f.Fuzz(func(t *testing.T, body []byte, size uint8) {
		// Decoding in one piece and in chunks must agree.
		whole := NewUsageCounter()
		if _, err := whole.Write(body); err != nil {
			t.Fatal(err)
		}
		whole.Finish()
		chunked := NewUsageCounter()
		step := int(size)%16 + 1
		for b := body; len(b) > 0; {
			n := min(step, len(b))
			if _, err := chunked.Write(b[:n]); err != nil {
				t.Fatal(err)
			}
			b = b[n:]
		}
		chunked.Finish()
		if whole.Counts() != chunked.Counts() {
			t.Fatalf("whole %+v, chunked by %d %+v", whole.Counts(), step, chunked.Counts())
		}
		// Re-encoding the usage found and counting again gives it back.
		got := whole.Counts()
		again := NewUsageCounter()
		fmt.Fprintf(again, "data: {\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"prompt_tokens_details\":{\"cached_tokens\":%d},\"reasoning_tokens\":%d}}\n\n",
			got.PromptTokens, got.CompletionTokens, got.CachedTokens, got.ReasoningTokens)
		again.Finish()
		a := again.Counts()
		if a.PromptTokens != got.PromptTokens || a.CompletionTokens != got.CompletionTokens || a.CachedTokens != got.CachedTokens || a.ReasoningTokens != got.ReasoningTokens {
			t.Fatalf("re-encoded %+v, counted back %+v", got, a)
		}
	})
}

// FuzzHasUsageKey checks that the byte scan deciding which values to
// decode never passes over one whose usage decodeUsage would find.
func FuzzHasUsageKey(f *testing.F) {
	f.Add([]byte(`{"choices":[],"usage":{"prompt_tokens":1}}`))
	f.Add([]byte(`{"usage" :` + "\n" + `{"completion_tokens":2},"x":null}`))
	f.Add([]byte(`{"\u0075\u0073age":{"prompt_tokens":3}}`))
	f.Add([]byte(`{"usage":null,"choices":[{"delta":{"content":"\u00e9"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := decodeUsage(data)
		if err == nil && u != nil && !hasUsageKey(data) {
			t.Fatalf("%q: decoded usage %+v, but the scan found no usage key", data, *u)
		}
	})
}

func TestDelivered(t *testing.T) {
	tests := []struct {
		name     string
		in, want TokenCounts
	}{
		{"final usage", TokenCounts{PromptTokens: 5, CompletionTokens: 9, ContentValues: 7}, TokenCounts{PromptTokens: 5, CompletionTokens: 9, ContentValues: 7}},
		{"cut before any usage", TokenCounts{ContentValues: 7}, TokenCounts{CompletionTokens: 7, ContentValues: 7}},
		{"usage of the prompt only", TokenCounts{PromptTokens: 5, ContentValues: 3}, TokenCounts{PromptTokens: 5, CompletionTokens: 3, ContentValues: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Delivered(); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// FuzzHasContent checks that the byte scan counting values of generated
// text counts none that does not hold a member of contentKeys with a
// non-empty string, so that a stream cut short is never billed for
// chunks it did not deliver.
func FuzzHasContent(f *testing.F) {
	f.Add([]byte(`{"choices":[{"delta":{"content":"a"}}]}`))
	f.Add([]byte(`{"choices":[{"delta":{"role":"\"content\":\"x"}}]}`))
	f.Add([]byte(`{"choices":[{"text" : "", "logprobs":{"content":[{"token":"a"}]}}]}`))
	f.Add([]byte(`{"x":"a\\","arguments":"{}"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		// Decoding and encoding again must not change the verdict of a
		// value that has content.
		if hasContent(data) && !contentIn(v) {
			t.Fatalf("%q: counted as generated text, but no content member holds a non-empty string", data)
		}
		if again, err := json.Marshal(v); err == nil && contentIn(v) != hasContent(again) {
			t.Fatalf("%q re-encoded as %q: scan says %v, decoded value %v", data, again, hasContent(again), contentIn(v))
		}
	})
}

// contentIn reports whether a decoded JSON value holds, at any depth, a
// member named as contentKeys with a non-empty string.
func contentIn(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && s != "" {
				for _, key := range contentKeys {
					if `"`+k+`"` == string(key) {
						return true
					}
				}
			}
			if contentIn(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if contentIn(e) {
				return true
			}
		}
	}
	return false
}
