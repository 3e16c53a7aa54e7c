package openai

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestChatRequestKeepsUnknownFields(t *testing.T) {
	in := `{"model":"m","messages":[{"role":"system","content":"be brief"},` +
		`{"role":"user","content":[{"type":"text","text":"hi "},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"there"}]},` +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"c1"}]}],` +
		`"tools":[{"type":"function"}],"tool_choice":"auto","seed":7,"stop":"\n","stream":true,` +
		`"stream_options":{"include_usage":true,"include_obfuscation":false},"max_completion_tokens":20,"user":"u"}`
	var r ChatRequest
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if r.Model != "m" || len(r.Messages) != 3 {
		t.Fatalf("got model %q with %d messages, want m with 3", r.Model, len(r.Messages))
	}
	if got := r.Messages[1].Content.String(); got != "hi there" {
		t.Errorf("got content %q, want %q", got, "hi there")
	}
	if !r.Messages[2].Content.IsNull || r.Messages[2].Extra["tool_calls"] == nil {
		t.Errorf("assistant tool call message lost: %+v", r.Messages[2])
	}
	if got := r.EffectiveMaxTokens(1000); got != 20 {
		t.Errorf("got max tokens %d, want 20", got)
	}
	if !r.IncludeUsage() || !r.Stream {
		t.Errorf("got stream %v include_usage %v, want both true", r.Stream, r.IncludeUsage())
	}
	if *r.Seed != 7 || !reflect.DeepEqual(r.Stop.Values, []string{"\n"}) {
		t.Errorf("got seed %d stop %q", *r.Seed, r.Stop.Values)
	}
	for _, k := range []string{"tools", "tool_choice", "user"} {
		if r.Extra[k] == nil {
			t.Errorf("unknown member %q was dropped", k)
		}
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal([]byte(in), &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip changed the request:\ngot  %s\nwant %s", out, in)
	}
}

func TestCompletionRequestPromptShapes(t *testing.T) {
	tests := []struct {
		name       string
		prompt     string
		wantTexts  []string
		wantTokens [][]int64
	}{
		{"string", `"Once"`, []string{"Once"}, nil},
		{"strings", `["a","b"]`, []string{"a", "b"}, nil},
		{"tokens", `[1,2,3]`, nil, [][]int64{{1, 2, 3}}},
		{"token arrays", `[[1],[2,3]]`, nil, [][]int64{{1}, {2, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := `{"model":"m","prompt":` + tt.prompt + `,"echo":false}`
			var r CompletionRequest
			if err := json.Unmarshal([]byte(in), &r); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Prompt.Texts, tt.wantTexts) || !reflect.DeepEqual(r.Prompt.Tokens, tt.wantTokens) {
				t.Errorf("got %q %v, want %q %v", r.Prompt.Texts, r.Prompt.Tokens, tt.wantTexts, tt.wantTokens)
			}
			out, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"echo":false,"model":"m","prompt":` + tt.prompt + `}`; string(out) != want {
				t.Errorf("got %s, want %s", out, want)
			}
		})
	}
}

func TestRequestRejectsBadInput(t *testing.T) {
	tests := []struct{ name, body string }{
		{"not an object", `[1]`},
		{"duplicate key", `{"model":"a","model":"b","messages":[]}`},
		{"bad content", `{"model":"a","messages":[{"role":"user","content":5}]}`},
		{"bad stop", `{"model":"a","messages":[],"stop":5}`},
		{"trailing", `{"model":"a","messages":[]} {}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r ChatRequest
			if err := json.Unmarshal([]byte(tt.body), &r); err == nil {
				t.Errorf("decoding %s: got no error", tt.body)
			}
		})
	}
}

func TestErrorBody(t *testing.T) {
	b, err := json.Marshal(NewError("engine busy", ErrorTypeRateLimit, "", "engine_busy"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"error":{"message":"engine busy","type":"rate_limit_error","param":null,"code":"engine_busy"}}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func FuzzChatRequest(f *testing.F) {
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"stop":["a"],"x":{"y":1}}`))
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":"x"}],"stop":"a","stream_options":{"include_usage":true}}`))
	f.Fuzz(roundTripStable[ChatRequest])
}

func FuzzCompletionRequest(f *testing.F) {
	f.Add([]byte(`{"model":"m","prompt":"Once","stop":["a"],"echo":true}`))
	f.Add([]byte(`{"model":"m","prompt":[[1,2],[3]]}`))
	f.Fuzz(roundTripStable[CompletionRequest])
}

// roundTripStable checks that a request decoded from data, if it decodes,
// encodes to bytes that decode and encode to the same bytes again.
func roundTripStable[T any](t *testing.T, data []byte) {
	var r T
	if err := json.Unmarshal(data, &r); err != nil {
		return
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("encoding a decoded request: %v", err)
	}
	var r2 T
	if err := json.Unmarshal(out, &r2); err != nil {
		t.Fatalf("decoding %s: %v", out, err)
	}
	out2, err := json.Marshal(r2)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(out2) {
		t.Errorf("round trip unstable:\n%s\n%s", out, out2)
	}
}
