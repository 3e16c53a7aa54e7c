package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"testing"
)

const chatBody = `{"model":"Qwen/Qwen3-8B","messages":[{"role":"system","content":"You are a helpful assistant."},` +
	`{"role":"user","content":"Say \"hi\" {twice}."}],"stream":true,"max_tokens":8000,"temperature":0.7,` +
	`"stream_options":{"include_usage":true},"max_coefficient":4000,"timeout":30.5,"n":1,"stop":null,"x\u00e9":[]}`

func TestDecodeObject(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]json.RawMessage
		wantErr error
	}{
		{"empty object", " {} ", map[string]json.RawMessage{}, nil},
		{"members of every kind", "{\"a\" : 1 ,\n\"b\":\"x,}\\\"\",\"c\":{\"d\":[1,{\"e\":\"]\"}]},\"f\":[],\"g\":true,\"h\":null,\"i\":-1.5e3}",
			map[string]json.RawMessage{"a": json.RawMessage("1"), "b": json.RawMessage(`"x,}\""`), "c": json.RawMessage(`{"d":[1,{"e":"]"}]}`),
				"f": json.RawMessage("[]"), "g": json.RawMessage("true"), "h": json.RawMessage("null"), "i": json.RawMessage("-1.5e3")}, nil},
		{"escaped key", `{"\u0061b":2}`, map[string]json.RawMessage{"ab": json.RawMessage("2")}, nil},
		{"duplicate key", `{"a":1,"a":2}`, nil, ErrDuplicateKey},
		{"duplicate key once unescaped", `{"a":1,"\u0061":2}`, nil, ErrDuplicateKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeObject([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if !maps.EqualFunc(got, tt.want, func(a, b json.RawMessage) bool { return bytes.Equal(a, b) }) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	for _, in := range []string{"", "null", "[]", `"s"`, "1", "{", `{"a":1}}`, `{"a":1} x`, `{"a":1} {}`, `{"a" 1}`, `{"a":1,}`, `{a:1}`} {
		if m, err := DecodeObject([]byte(in)); err == nil {
			t.Errorf("%q: got %q, want an error", in, m)
		}
	}
}

func TestDecodeObjectCopiesInput(t *testing.T) {
	in := []byte(`{"a":"bc"}`)
	m, err := DecodeObject(in)
	if err != nil {
		t.Fatal(err)
	}
	copy(in, "{\"a\":\"zz\"}")
	if got := string(m["a"]); got != `"bc"` {
		t.Errorf("after the input changed: got %s, want \"bc\"", got)
	}
}

func TestEncodeObjectKeys(t *testing.T) {
	m := map[string]json.RawMessage{"b": json.RawMessage("1"), "a<\"\n\u00e9": json.RawMessage(`"x"`), "": json.RawMessage("[]")}
	want := `{"":[],"a\u003c\"\né":"x","b":1}`
	if got := string(EncodeObject(m)); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func BenchmarkEncodeObject(b *testing.B) {
	m, err := DecodeObject([]byte(chatBody))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		EncodeObject(m)
	}
}

func BenchmarkDecodeObject(b *testing.B) {
	body := []byte(chatBody)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeObject(body); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDecodeObject checks DecodeObject against encoding/json's own
// decoding into a map, and that encoding the members and decoding them
// again gives them back.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{chatBody, `{"a":1,"a":2}`, `{"\u0061":[{"b":"}"}]}`, ` {} `, `[1]`, `{"a":1}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeObject(data)
		var want map[string]json.RawMessage
		stdErr := json.Unmarshal(data, &want)
		if err != nil {
			if stdErr == nil && want != nil && !errors.Is(err, ErrDuplicateKey) {
				t.Fatalf("%q: DecodeObject failed with %v, encoding/json decoded %q", data, err, want)
			}
			return
		}
		if stdErr != nil {
			t.Fatalf("%q: DecodeObject gave %q, encoding/json failed with %v", data, got, stdErr)
		}
		eq := func(a, b json.RawMessage) bool { return bytes.Equal(a, b) }
		if !maps.EqualFunc(got, want, eq) {
			t.Fatalf("%q: got %q, encoding/json %q", data, got, want)
		}
		for k, v := range got {
			if m, err := objectMember(data, k); err != nil || !bytes.Equal(m, v) {
				t.Fatalf("%q: objectMember(%q) got %q (%v), want %q", data, k, m, err, v)
			}
			if kb, _ := json.Marshal(k); string(appendKey(nil, k)) != string(kb) {
				t.Fatalf("key %q: got %s, json.Marshal %s", k, appendKey(nil, k), kb)
			}
		}
		again, err := DecodeObject(EncodeObject(got))
		if err != nil || !maps.EqualFunc(again, got, eq) {
			t.Fatalf("%q: after a round trip got %q (%v), want %q", data, again, err, got)
		}
	})
}
