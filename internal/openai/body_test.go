package openai

import (
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
