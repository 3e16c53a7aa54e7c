package engine

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cocoon-go/cocoon/internal/engine/gguf"
	"github.com/cocoon-go/cocoon/internal/engine/gguf/gguftest"
)

// synthConfig is the shape of the synthetic test model.
var synthConfig = Config{Dim: 16, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 4, RopeDim: 4, FFN: 24, Context: 64, NormEps: 1e-5, RopeTheta: 10000}

// synthPieces is the synthetic vocabulary after the control and byte
// tokens, with its merge scores.
var synthPieces = []struct {
	piece string
	score float32
}{
	{"▁", -1}, {"a", -1}, {"b", -1}, {"c", -1}, {"▁a", -2}, {"ab", -3}, {"▁ab", -4}, {"bc", -5}, {"▁c", -6},
}

// synthGGUF writes a llama GGUF file with random weights drawn from seed,
// rounded to half precision so that F32 and F16 files hold the same
// values. typ is the storage type of the matrices.
func synthGGUF(t testing.TB, seed uint64, typ gguf.TensorType) []byte {
	t.Helper()
	return synthArch(t, seed, typ, "llama")
}

// synthArch is synthGGUF for an architecture: llama, or qwen2, which
// adds query, key and value biases.
func synthArch(t testing.TB, seed uint64, typ gguf.TensorType, arch string) []byte {
	t.Helper()
	cfg := synthConfig
	pieces := []string{"<unk>", "<s>", "</s>"}
	types := []int32{tokenUnknown, tokenControl, tokenControl}
	scores := []float32{0, 0, 0}
	for b := range 256 {
		pieces = append(pieces, fmt.Sprintf("<0x%02X>", b))
		types = append(types, tokenByte)
		scores = append(scores, 0)
	}
	for _, p := range synthPieces {
		pieces = append(pieces, p.piece)
		types = append(types, tokenNormal)
		scores = append(scores, p.score)
	}
	vocab := len(pieces)
	rng := rand.New(rand.NewPCG(seed, 1))
	weights := func(n int, scale float64) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = gguf.HalfToFloat(gguftest.FloatToHalf(float32(rng.NormFloat64() * scale)))
		}
		return w
	}
	norm := func(n int) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = gguf.HalfToFloat(gguftest.FloatToHalf(float32(1 + 0.1*rng.NormFloat64())))
		}
		return w
	}
	encode := func(w []float32, typ gguf.TensorType) []byte {
		var b []byte
		for _, v := range w {
			if typ == gguf.TensorF16 {
				b = binary.LittleEndian.AppendUint16(b, gguftest.FloatToHalf(v))
			} else {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
			}
		}
		return b
	}
	var tensors []gguf.Tensor
	addT := func(name string, w []float32, typ gguf.TensorType, dims ...uint64) {
		tensors = append(tensors, gguf.Tensor{Name: name, Dims: dims, Type: typ, Data: encode(w, typ)})
	}
	d, kv, ffn := uint64(cfg.Dim), uint64(cfg.KVHeads*cfg.HeadDim), uint64(cfg.FFN)
	addT("token_embd.weight", weights(cfg.Dim*vocab, 1), typ, d, uint64(vocab))
	addT("output_norm.weight", norm(cfg.Dim), gguf.TensorF32, d)
	addT("output.weight", weights(cfg.Dim*vocab, 0.5), typ, d, uint64(vocab))
	for l := range cfg.Layers {
		p := fmt.Sprintf("blk.%d.", l)
		addT(p+"attn_norm.weight", norm(cfg.Dim), gguf.TensorF32, d)
		addT(p+"attn_q.weight", weights(cfg.Dim*cfg.Dim, 0.5), typ, d, d)
		addT(p+"attn_k.weight", weights(cfg.Dim*int(kv), 0.5), typ, d, kv)
		addT(p+"attn_v.weight", weights(cfg.Dim*int(kv), 0.5), typ, d, kv)
		addT(p+"attn_output.weight", weights(cfg.Dim*cfg.Dim, 0.3), typ, d, d)
		addT(p+"ffn_norm.weight", norm(cfg.Dim), gguf.TensorF32, d)
		addT(p+"ffn_gate.weight", weights(cfg.Dim*cfg.FFN, 0.3), typ, d, ffn)
		addT(p+"ffn_down.weight", weights(cfg.Dim*cfg.FFN, 0.3), typ, ffn, d)
		addT(p+"ffn_up.weight", weights(cfg.Dim*cfg.FFN, 0.3), typ, d, ffn)
		if arch == "qwen2" {
			addT(p+"attn_q.bias", weights(cfg.Dim, 0.5), gguf.TensorF32, d)
			addT(p+"attn_k.bias", weights(int(kv), 0.5), gguf.TensorF32, kv)
			addT(p+"attn_v.bias", weights(int(kv), 0.5), gguf.TensorF32, kv)
		}
	}
	str := func(s string) gguf.Value { return gguf.Value{Type: gguf.TypeString, V: s} }
	u32 := func(n int) gguf.Value { return gguf.Value{Type: gguf.TypeUint32, V: uint32(n)} }
	f := &gguf.File{
		Version: 3,
		Metadata: []gguf.KV{
			{Key: "general.architecture", Value: str(arch)},
			{Key: arch + ".embedding_length", Value: u32(cfg.Dim)},
			{Key: arch + ".block_count", Value: u32(cfg.Layers)},
			{Key: arch + ".attention.head_count", Value: u32(cfg.Heads)},
			{Key: arch + ".attention.head_count_kv", Value: u32(cfg.KVHeads)},
			{Key: arch + ".feed_forward_length", Value: u32(cfg.FFN)},
			{Key: arch + ".context_length", Value: u32(cfg.Context)},
			{Key: arch + ".attention.layer_norm_rms_epsilon", Value: gguf.Value{Type: gguf.TypeFloat32, V: cfg.NormEps}},
			{Key: "tokenizer.ggml.model", Value: str("llama")},
			{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Type: gguf.TypeArray, Elem: gguf.TypeString, V: pieces}},
			{Key: "tokenizer.ggml.scores", Value: gguf.Value{Type: gguf.TypeArray, Elem: gguf.TypeFloat32, V: scores}},
			{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Type: gguf.TypeArray, Elem: gguf.TypeInt32, V: types}},
			{Key: "tokenizer.ggml.bos_token_id", Value: u32(1)},
			{Key: "tokenizer.ggml.eos_token_id", Value: u32(2)},
			{Key: "tokenizer.ggml.unknown_token_id", Value: u32(0)},
		},
		Tensors: tensors,
	}
	b, err := gguftest.Encode(f)
	if err != nil {
		t.Fatalf("writing synthetic model: %v", err)
	}
	return b
}

func synthModel(t testing.TB) *Model {
	t.Helper()
	m, err := NewModel(synthGGUF(t, 42, gguf.TensorF32), "synth")
	if err != nil {
		t.Fatalf("loading synthetic model: %v", err)
	}
	return m
}

// referenceLogits is an independent, deliberately plain float64 forward
// pass that recomputes every position from scratch (no KV cache), to
// check the optimised one.
func referenceLogits(m *Model, tokens []int32) []float64 {
	cfg := m.cfg
	hd, n := cfg.HeadDim, len(tokens)
	mat := func(w []float32, x []float64, rows int) []float64 {
		out := make([]float64, rows)
		for r := range rows {
			for c := range x {
				out[r] += float64(w[r*len(x)+c]) * x[c]
			}
		}
		return out
	}
	norm := func(x []float64, w []float32) []float64 {
		var ss float64
		for _, v := range x {
			ss += v * v
		}
		inv := 1 / math.Sqrt(ss/float64(len(x))+float64(cfg.NormEps))
		out := make([]float64, len(x))
		for i := range x {
			out[i] = x[i] * inv * float64(w[i])
		}
		return out
	}
	rot := func(v []float64, pos int) {
		for h := 0; h < len(v)/hd; h++ {
			for i := 0; i < cfg.RopeDim/2; i++ {
				theta := float64(pos) * math.Pow(float64(cfg.RopeTheta), -float64(2*i)/float64(cfg.RopeDim))
				// Pairs are neighbours, or halves apart in NeoX style.
				x, y := h*hd+2*i, h*hd+2*i+1
				if cfg.RopeNeoX {
					x, y = h*hd+i, h*hd+i+cfg.RopeDim/2
				}
				a, b := v[x], v[y]
				v[x] = a*math.Cos(theta) - b*math.Sin(theta)
				v[y] = a*math.Sin(theta) + b*math.Cos(theta)
			}
		}
	}
	bias := func(v []float64, b []float32) {
		for i := range b {
			v[i] += float64(b[i])
		}
	}
	xs := make([][]float64, n)
	for p, tok := range tokens {
		xs[p] = make([]float64, cfg.Dim)
		for i := range xs[p] {
			xs[p][i] = float64(m.embed[int(tok)*cfg.Dim+i])
		}
	}
	kvDim := cfg.KVHeads * hd
	for _, l := range m.layers {
		qs, ks, vs := make([][]float64, n), make([][]float64, n), make([][]float64, n)
		for p := range n {
			xn := norm(xs[p], l.attnNorm)
			qs[p], ks[p], vs[p] = mat(l.wq, xn, cfg.Dim), mat(l.wk, xn, kvDim), mat(l.wv, xn, kvDim)
			bias(qs[p], l.bq)
			bias(ks[p], l.bk)
			bias(vs[p], l.bv)
			rot(qs[p], p)
			rot(ks[p], p)
		}
		for p := range n {
			out := make([]float64, cfg.Dim)
			for h := range cfg.Heads {
				kh := h / (cfg.Heads / cfg.KVHeads)
				scores := make([]float64, p+1)
				var mx = math.Inf(-1)
				for t := 0; t <= p; t++ {
					for i := range hd {
						scores[t] += qs[p][h*hd+i] * ks[t][kh*hd+i]
					}
					scores[t] /= math.Sqrt(float64(hd))
					mx = math.Max(mx, scores[t])
				}
				var sum float64
				for t := range scores {
					scores[t] = math.Exp(scores[t] - mx)
					sum += scores[t]
				}
				for t := range scores {
					for i := range hd {
						out[h*hd+i] += scores[t] / sum * vs[t][kh*hd+i]
					}
				}
			}
			o := mat(l.wo, out, cfg.Dim)
			for i := range o {
				xs[p][i] += o[i]
			}
			xn := norm(xs[p], l.ffnNorm)
			g, u := mat(l.wGate, xn, cfg.FFN), mat(l.wUp, xn, cfg.FFN)
			for i := range g {
				g[i] = g[i] / (1 + math.Exp(-g[i])) * u[i]
			}
			dn := mat(l.wDown, g, cfg.Dim)
			for i := range dn {
				xs[p][i] += dn[i]
			}
		}
	}
	return mat(m.output, norm(xs[n-1], m.outNorm), cfg.Vocab)
}
