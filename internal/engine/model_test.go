package engine

import (
	"math"
	"os"
	"reflect"
	"testing"

	"github.com/cocoon-go/cocoon/internal/engine/gguf"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

func storiesModel(t testing.TB) *Model {
	t.Helper()
	data, err := os.ReadFile(sharedtest.Path(t, "models/stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(data, "stories260K")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSyntheticTokenizer(t *testing.T) {
	tok := synthModel(t).Tokenizer()
	id := func(p string) int32 { return int32(tok.ids[p]) }
	tests := []struct {
		text string
		bos  bool
		want []int32
	}{
		{"", true, []int32{1}},
		{"ab", true, []int32{1, id("▁ab")}},
		{"abc", false, []int32{id("▁ab"), id("c")}},
		{"a bc", false, []int32{id("▁a"), id("▁"), id("bc")}},
		{"c", false, []int32{id("▁c")}},
		// é is not in the vocabulary: its two UTF-8 bytes fall back to
		// byte tokens, which are offset by the three control tokens.
		{"é", false, []int32{id("▁"), 3 + 0xC3, 3 + 0xA9}},
	}
	for _, tt := range tests {
		got := tok.Encode(tt.text, tt.bos)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Encode(%q): got %v, want %v", tt.text, got, tt.want)
		}
		if dec := tok.Decode(got); dec != " "+tt.text && tt.text != "" {
			t.Errorf("Decode(Encode(%q)): got %q", tt.text, dec)
		}
	}
}

func TestForwardMatchesReference(t *testing.T) {
	for _, arch := range []string{"llama", "qwen2"} {
		t.Run(arch, func(t *testing.T) {
			m, err := NewModel(synthArch(t, 42, gguf.TensorF32, arch), "synth")
			if err != nil {
				t.Fatal(err)
			}
			if got := m.layers[0].bq != nil; got != (arch == "qwen2") || m.cfg.RopeNeoX != (arch == "qwen2") {
				t.Fatalf("got biases %v, NeoX RoPE %v for %s", got, m.cfg.RopeNeoX, arch)
			}
			tokens := m.Tokenizer().Encode("ab c abc bca", true)
			s := newState(m.cfg, len(tokens))
			for p, tok := range tokens {
				m.forward(s, int(tok), p, true, nil, 1)
				want := referenceLogits(m, tokens[:p+1])
				for i, w := range want {
					if d := math.Abs(float64(s.logits[i]) - w); d > 1e-3*math.Max(1, math.Abs(w)) {
						t.Fatalf("position %d logit %d: got %g, want %g", p, i, s.logits[i], w)
					}
				}
			}
		})
	}
}

func TestF16MatchesF32(t *testing.T) {
	m32 := synthModel(t)
	m16, err := NewModel(synthGGUF(t, 42, gguf.TensorF16), "synth")
	if err != nil {
		t.Fatal(err)
	}
	tokens := m32.Tokenizer().Encode("abc", true)
	s32, s16 := newState(m32.cfg, len(tokens)), newState(m16.cfg, len(tokens))
	for p, tok := range tokens {
		m32.forward(s32, int(tok), p, true, nil, 1)
		m16.forward(s16, int(tok), p, true, nil, 1)
	}
	if !reflect.DeepEqual(s32.logits, s16.logits) {
		t.Errorf("F16 logits differ from F32 ones holding the same values")
	}
	if m32.SHA256() == m16.SHA256() {
		t.Error("different files have the same identity")
	}
}

func TestSampler(t *testing.T) {
	logits := []float32{1, 3, 2, 0.5}
	draw := func(temp, topP float32, seed uint64) []int {
		s := newSampler(len(logits), temp, topP, seed)
		out := make([]int, 50)
		for i := range out {
			out[i] = s.sample(logits)
		}
		return out
	}
	if got := draw(0, 1, 1); got[0] != 1 || got[49] != 1 {
		t.Errorf("greedy: got %v, want always 1", got)
	}
	if a, b := draw(1, 1, 7), draw(1, 1, 7); !reflect.DeepEqual(a, b) {
		t.Errorf("same seed, different draws: %v and %v", a, b)
	}
	if a, b := draw(1, 1, 7), draw(1, 1, 8); reflect.DeepEqual(a, b) {
		t.Errorf("different seeds, same 50 draws: %v", a)
	}
	if got := draw(1, 0.01, 3); got[0] != 1 || got[49] != 1 {
		t.Errorf("top_p 0.01: got %v, want only the most likely token", got)
	}
	seen := map[int]bool{}
	for _, v := range draw(5, 1, 9) {
		seen[v] = true
	}
	if len(seen) < 3 {
		t.Errorf("temperature 5: got only tokens %v, want a spread", seen)
	}
}

func FuzzNewModel(f *testing.F) {
	f.Add(synthGGUF(f, 1, gguf.TensorF32))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := NewModel(data, "fuzz")
		if err != nil {
			return
		}
		// A model that loads must run without panicking.
		toks := m.Tokenizer().Encode("abc", true)
		s := newState(m.cfg, len(toks))
		for p, tok := range toks {
			m.forward(s, int(tok), p, true, nil, 1)
		}
	})
}

func TestCacheGrows(t *testing.T) {
	m := synthModel(t)
	tokens := make([]int32, m.cfg.Context-1)
	for i := range tokens {
		tokens[i] = int32(3 + 'a' + i%3)
	}
	small := newState(m.cfg, len(tokens))
	small.capacity, small.att = 1, small.att[:1] // force growth at every doubling
	for l := range small.keys {
		small.keys[l], small.values[l] = small.keys[l][:small.kvDim], small.values[l][:small.kvDim]
	}
	big := newState(m.cfg, len(tokens))
	for l := range big.keys {
		big.keys[l] = make([]float32, len(tokens)*big.kvDim)
		big.values[l] = make([]float32, len(tokens)*big.kvDim)
	}
	big.att, big.capacity = make([]float32, len(tokens)), len(tokens)
	for p, tok := range tokens {
		m.forward(small, int(tok), p, true, nil, 1)
		m.forward(big, int(tok), p, true, nil, 1)
	}
	if !reflect.DeepEqual(small.logits, big.logits) {
		t.Error("a growing cache gives other logits than a preallocated one")
	}
	if small.capacity < len(tokens) || small.capacity > 2*len(tokens) {
		t.Errorf("cache holds %d positions after %d tokens", small.capacity, len(tokens))
	}
}
