package openai

import (
	"fmt"
	"testing"
	"time"
)

func TestExtractCocoonParams(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		want     CocoonParams
		wantBody string
		wantErr  bool
	}{
		{"defaults", `{"model":"m"}`, CocoonParams{MaxCoefficient: 4000, Timeout: 120 * time.Second}, `{"model":"m"}`, false},
		{"all", `{"model":"m","max_coefficient":1500,"timeout":2.5,"enable_debug":true,"request_guid":"g","seed":1}`,
			CocoonParams{MaxCoefficient: 1500, Timeout: 2500 * time.Millisecond, EnableDebug: true, RequestGUID: "g"}, `{"model":"m","seed":1}`, false},
		{"no model", `{"timeout":1}`, CocoonParams{}, "", true},
		{"model not a string", `{"model":1}`, CocoonParams{}, "", true},
		{"negative coefficient", `{"model":"m","max_coefficient":-1}`, CocoonParams{}, "", true},
		{"huge coefficient", `{"model":"m","max_coefficient":4294967296}`, CocoonParams{}, "", true},
		{"zero timeout", `{"model":"m","timeout":0}`, CocoonParams{}, "", true},
		{"debug not bool", `{"model":"m","enable_debug":1}`, CocoonParams{}, "", true},
		{"duplicate", `{"model":"m","model":"n"}`, CocoonParams{}, "", true},
		{"not json", `{"model":`, CocoonParams{}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, body, err := ExtractCocoonParams([]byte(tt.body))
			if tt.wantErr {
				if err == nil {
					t.Errorf("got no error, want one")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || string(body) != tt.wantBody {
				t.Errorf("got %+v %s, want %+v %s", got, body, tt.want, tt.wantBody)
			}
		})
	}
}

func TestMaxTokensRewrites(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantMax   int64
		wantCap   string
		wantUsage string
		wantDrop  string
	}{
		{"none", `{"model":"m"}`, 1000, `{"max_tokens":50,"model":"m"}`, `{"model":"m"}`, `{"model":"m"}`},
		{"max_tokens small", `{"max_tokens":10,"stream":true}`, 10, `{"max_tokens":10,"stream":true}`,
			`{"max_tokens":10,"stream":true,"stream_options":{"include_usage":true}}`, `{"max_tokens":10,"stream":true}`},
		{"both", `{"max_completion_tokens":80,"max_tokens":5}`, 80, `{"max_completion_tokens":50,"max_tokens":5}`,
			`{"max_completion_tokens":80,"max_tokens":5}`, `{"max_completion_tokens":80}`},
		{"options imply stream", `{"stream_options":{"include_obfuscation":false}}`, 1000, `{"max_tokens":50,"stream_options":{"include_obfuscation":false}}`,
			`{"stream":true,"stream_options":{"include_obfuscation":false,"include_usage":true}}`, `{"stream_options":{"include_obfuscation":false}}`},
		{"already usage", `{"stream":true,"stream_options":{"include_usage":true}}`, 1000, `{"max_tokens":50,"stream":true,"stream_options":{"include_usage":true}}`,
			`{"stream":true,"stream_options":{"include_usage":true}}`, `{"stream":true,"stream_options":{"include_usage":true}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := MaxTokens([]byte(tt.body), 1000)
			if err != nil || n != tt.wantMax {
				t.Errorf("MaxTokens: got %d, %v, want %d", n, err, tt.wantMax)
			}
			capped, err := CapMaxTokens([]byte(tt.body), 50)
			if err != nil || string(capped) != tt.wantCap {
				t.Errorf("CapMaxTokens: got %s, %v, want %s", capped, err, tt.wantCap)
			}
			forced, err := ForceIncludeUsage([]byte(tt.body))
			if err != nil || string(forced) != tt.wantUsage {
				t.Errorf("ForceIncludeUsage: got %s, %v, want %s", forced, err, tt.wantUsage)
			}
			dropped, err := DropMaxTokensIfCompletionLimit([]byte(tt.body))
			if err != nil || string(dropped) != tt.wantDrop {
				t.Errorf("DropMaxTokensIfCompletionLimit: got %s, %v, want %s", dropped, err, tt.wantDrop)
			}
		})
	}
}

func TestRewritesRejectBadValues(t *testing.T) {
	for _, body := range []string{`{"max_tokens":-1}`, `{"max_tokens":1.5}`, `{"max_completion_tokens":"9"}`, `[]`} {
		if _, err := MaxTokens([]byte(body), 1); err == nil {
			t.Errorf("MaxTokens(%s): got no error", body)
		}
		if _, err := CapMaxTokens([]byte(body), 1); err == nil {
			t.Errorf("CapMaxTokens(%s): got no error", body)
		}
	}
	if _, err := ForceIncludeUsage([]byte(`{"stream":"yes"}`)); err == nil {
		t.Error("ForceIncludeUsage with a string stream: got no error")
	}
}

func FuzzExtractCocoonParams(f *testing.F) {
	f.Add([]byte(`{"model":"m","max_coefficient":1500,"timeout":2.5,"enable_debug":true,"request_guid":"g"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, rest, err := ExtractCocoonParams(body)
		if err != nil {
			return
		}
		// What remains holds no COCOON field, and extracting again gives
		// the defaults and the same body.
		p2, rest2, err := ExtractCocoonParams(rest)
		if err != nil {
			t.Fatalf("extracting from %s: %v", rest, err)
		}
		def := CocoonParams{MaxCoefficient: DefaultMaxCoefficient, Timeout: DefaultTimeout}
		if p2 != def || string(rest2) != string(rest) {
			t.Fatalf("second extraction: got %+v %s after %+v", p2, rest2, p)
		}
	})
}

// TestBodyOnceMatchesSteps checks that a hop's rewrites applied to one
// decoded Body give the bytes of the one-step functions chained, as the
// client (extract, drop) and the worker (cap, force usage) apply them.
func TestBodyOnceMatchesSteps(t *testing.T) {
	bodies := []string{
		`{"model":"m"}`,
		chatBody,
		`{"model":"m","max_coefficient":1500,"timeout":2.5,"enable_debug":true,"request_guid":"g\u00e9","max_tokens":9,"max_completion_tokens":7}`,
		`{"model":"m","stream":true,"stream_options":{"include_usage":false,"x":1},"max_tokens":5000}`,
		`{"model":"m","stream":null,"max_completion_tokens":null,"max_tokens":3}`,
	}
	for _, body := range bodies {
		p1, stepped, err := rewriteSteps([]byte(body), 100)
		if err != nil {
			t.Fatalf("steps on %s: %v", body, err)
		}
		p2, got, err := rewriteOnce([]byte(body), 100)
		if err != nil {
			t.Fatalf("once on %s: %v", body, err)
		}
		if string(got) != string(stepped) || p1 != p2 {
			t.Errorf("%s: once gives %+v %s, steps give %+v %s", body, p2, got, p1, stepped)
		}
	}
}

// rewriteSteps applies a hop's rewrites with the one-step functions
// chained: the client's (extract, drop) and the worker's (cap at limit,
// force usage).
func rewriteSteps(body []byte, limit int64) (CocoonParams, []byte, error) {
	p, b, err := ExtractCocoonParams(body)
	if err != nil {
		return p, nil, err
	}
	if b, err = DropMaxTokensIfCompletionLimit(b); err != nil {
		return p, nil, err
	}
	if b, err = CapMaxTokens(b, limit); err != nil {
		return p, nil, err
	}
	b, err = ForceIncludeUsage(b)
	return p, b, err
}

// rewriteOnce applies the same rewrites to one decoded Body.
func rewriteOnce(body []byte, limit int64) (CocoonParams, []byte, error) {
	b, err := ParseBody(body)
	if err != nil {
		return CocoonParams{}, nil, err
	}
	p, err := b.ExtractCocoonParams()
	if err != nil {
		return p, nil, err
	}
	b.DropMaxTokensIfCompletionLimit()
	if err := b.CapMaxTokens(limit); err != nil {
		return p, nil, err
	}
	if err := b.ForceIncludeUsage(); err != nil {
		return p, nil, err
	}
	return p, b.Bytes(), nil
}

func TestBodyUnchangedKeepsBytes(t *testing.T) {
	body := []byte(`{ "model" : "m", "max_tokens": 5, "stream": false }`)
	b, err := ParseBody(body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.ExtractCocoonParams(); err != nil {
		t.Fatal(err)
	}
	if err := b.CapMaxTokens(10); err != nil {
		t.Fatal(err)
	}
	if err := b.ForceIncludeUsage(); err != nil {
		t.Fatal(err)
	}
	if got := b.Bytes(); string(got) != string(body) {
		t.Errorf("got %s, want the body unchanged: %s", got, body)
	}
}

func TestJSONString(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{`"Qwen/Qwen3-8B"`, "Qwen/Qwen3-8B", false},
		{`"a\"b"`, `a"b`, false},
		{`"\u00e9"`, "é", false},
		{`"é"`, "é", false},
		{`"` + "\xff" + `"`, "\ufffd", false},
		{` "x" `, "x", false},
		{`1`, "", true},
		{`null`, "", false},
	}
	for _, tt := range tests {
		got, err := jsonString([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("jsonString(%s) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// BenchmarkWorkerRewrites is the worker's request preparation: read the
// model, the limit, cap it and force usage reporting, decoded once.
func BenchmarkWorkerRewrites(b *testing.B) {
	body := []byte(chatBody)
	b.ReportAllocs()
	for b.Loop() {
		p, err := ParseBody(body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Model(); err != nil {
			b.Fatal(err)
		}
		n, err := p.MaxTokens(DefaultMaxTokens)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.CapMaxTokens(n); err != nil {
			b.Fatal(err)
		}
		if err := p.ForceIncludeUsage(); err != nil {
			b.Fatal(err)
		}
		p.Bytes()
	}
}

// BenchmarkWorkerRewritesStepwise is the same with one decode per step,
// as the worker did before Body.
func BenchmarkWorkerRewritesStepwise(b *testing.B) {
	body := []byte(chatBody)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeObject(body); err != nil {
			b.Fatal(err)
		}
		if _, err := RequestModel(body); err != nil {
			b.Fatal(err)
		}
		n, err := MaxTokens(body, DefaultMaxTokens)
		if err != nil {
			b.Fatal(err)
		}
		out, err := CapMaxTokens(body, n)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ForceIncludeUsage(out); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzBody checks that a hop's rewrites on one decoded Body give what the
// one-step functions chained give, or fail where they fail.
func FuzzBody(f *testing.F) {
	f.Add([]byte(chatBody), int64(100))
	f.Add([]byte(`{"model":"m","stream_options":{"include_usage":false},"max_completion_tokens":5,"max_tokens":9}`), int64(3))
	f.Fuzz(func(t *testing.T, body []byte, limit int64) {
		if limit < 0 {
			limit = -limit
		}
		_, stepped, stepErr := rewriteSteps(body, limit)
		_, once, onceErr := rewriteOnce(body, limit)
		if (stepErr == nil) != (onceErr == nil) {
			t.Fatalf("steps: %v, once: %v", stepErr, onceErr)
		}
		if string(stepped) != string(once) {
			t.Fatalf("steps give %s, once gives %s", stepped, once)
		}
	})
}

func TestAskContinuousUsage(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"stream", `{"stream":true,"stream_options":{"include_usage":true}}`, `{"stream":true,"stream_options":{"continuous_usage_stats":true,"include_usage":true}}`},
		{"already asked", `{"stream":true,"stream_options":{"continuous_usage_stats":true,"include_usage":true}}`, `{"stream":true,"stream_options":{"continuous_usage_stats":true,"include_usage":true}}`},
		{"not streaming", `{"model":"m"}`, `{"model":"m"}`},
		{"stream false", `{"stream":false}`, `{"stream":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseBody([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if err := b.AskContinuousUsage(); err != nil || string(b.Bytes()) != tt.want {
				t.Errorf("got %s, %v, want %s", b.Bytes(), err, tt.want)
			}
		})
	}
	for _, bad := range []string{`{"stream":"yes"}`, `{"stream":true,"stream_options":[]}`} {
		b, err := ParseBody([]byte(bad))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.AskContinuousUsage(); err == nil {
			t.Errorf("%s: got no error", bad)
		}
	}
}

// ExtractCocoonParams reads max_coefficient, timeout, enable_debug and
// request_guid from a request body, applying the defaults for absent
// ones, and returns the body without them. The body must be a JSON object
// with a string model.
func ExtractCocoonParams(body []byte) (CocoonParams, []byte, error) {
	b, err := ParseBody(body)
	if err != nil {
		return CocoonParams{MaxCoefficient: DefaultMaxCoefficient, Timeout: DefaultTimeout}, nil, fmt.Errorf("reading request body: %w", err)
	}
	p, err := b.ExtractCocoonParams()
	if err != nil {
		return p, nil, err
	}
	return p, b.Bytes(), nil
}

// RequestModel returns the model a request body names.
func RequestModel(body []byte) (string, error) {
	b, err := ParseBody(body)
	if err != nil {
		return "", fmt.Errorf("reading request body: %w", err)
	}
	return b.Model()
}

// MaxTokens returns the effective completion limit of a request body:
// max_completion_tokens if present, otherwise max_tokens, otherwise def.
func MaxTokens(body []byte, def int64) (int64, error) {
	b, err := ParseBody(body)
	if err != nil {
		return 0, fmt.Errorf("reading request body: %w", err)
	}
	return b.MaxTokens(def)
}

// DropMaxTokensIfCompletionLimit removes max_tokens from a body that also
// sets max_completion_tokens, which then governs alone.
func DropMaxTokensIfCompletionLimit(body []byte) ([]byte, error) {
	b, err := ParseBody(body)
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	b.DropMaxTokensIfCompletionLimit()
	return b.Bytes(), nil
}

// CapMaxTokens bounds the completion limit of a body at limit: a larger
// max_completion_tokens or max_tokens is lowered to it, and a body with
// neither gets max_tokens set to it.
func CapMaxTokens(body []byte, limit int64) ([]byte, error) {
	if limit < 0 {
		return nil, fmt.Errorf("capping max tokens: negative limit %d", limit)
	}
	b, err := ParseBody(body)
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	if err := b.CapMaxTokens(limit); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ForceIncludeUsage makes a streaming request report usage: a body with
// stream_options but no stream is made streaming, and a streaming body
// gets stream_options.include_usage=true. Non-streaming bodies are
// returned unchanged.
func ForceIncludeUsage(body []byte) ([]byte, error) {
	b, err := ParseBody(body)
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	if err := b.ForceIncludeUsage(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
