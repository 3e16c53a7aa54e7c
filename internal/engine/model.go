package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/cocoon-go/cocoon/internal/engine/gguf"
)

// Config is the shape of a model.
type Config struct {
	// Arch is the GGUF architecture: llama, or qwen2 (llama with biases
	// on the query, key and value projections and NeoX-style RoPE).
	Arch      string
	Dim       int // embedding width
	Layers    int
	Heads     int
	KVHeads   int
	HeadDim   int
	RopeDim   int // leading dimensions of each head that RoPE rotates
	FFN       int // feed-forward hidden width
	Vocab     int
	Context   int // longest sequence
	NormEps   float32
	RopeTheta float32
	// RopeNeoX rotates each dimension i with i+RopeDim/2 instead of with
	// its neighbour.
	RopeNeoX bool
}

// layer holds the weights of one transformer block; matrices are stored
// row-major with one row per output.
type layer struct {
	attnNorm, ffnNorm []float32
	wq, wk, wv, wo    []float32
	wGate, wUp, wDown []float32
	bq, bk, bv        []float32 // biases, nil when the model has none
}

// Model is a loaded model: weights, tokenizer and identity. It is
// read-only after loading and safe for concurrent use.
type Model struct {
	cfg     Config
	tok     *Tokenizer
	embed   []float32
	layers  []layer
	outNorm []float32
	output  []float32
	sha256  [32]byte
	name    string
	chat    chatFormat
	stops   []int32 // tokens that end generation: EOS and end-of-turn
}

// Config returns the model's shape.
func (m *Model) Config() Config { return m.cfg }

// Tokenizer returns the model's tokenizer.
func (m *Model) Tokenizer() *Tokenizer { return m.tok }

// SHA256 returns the sha256 of the model file in hex: the model's
// identity, which a worker reports as its model hash.
func (m *Model) SHA256() string { return hex.EncodeToString(m.sha256[:]) }

// Name returns the name the model is served under.
func (m *Model) Name() string { return m.name }

// NewModel builds a model from the bytes of a GGUF file; name is the name
// to serve it under.
func NewModel(data []byte, name string) (*Model, error) {
	f, err := gguf.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("decoding model file: %w", err)
	}
	m, err := fromGGUF(f)
	if err != nil {
		return nil, err
	}
	m.sha256 = sha256.Sum256(data)
	m.name = name
	return m, nil
}

func fromGGUF(f *gguf.File) (*Model, error) {
	arch, err := f.String("general.architecture")
	if err != nil {
		return nil, fmt.Errorf("reading model architecture: %w", err)
	}
	if arch != "llama" && arch != "qwen2" {
		return nil, fmt.Errorf("reading model: architecture %q is not supported (want llama or qwen2)", arch)
	}
	u := func(key string) (int, error) {
		n, err := f.Uint(arch + "." + key)
		if err != nil {
			return 0, fmt.Errorf("reading model shape: %w", err)
		}
		if n == 0 || n > 1<<20 {
			return 0, fmt.Errorf("reading model shape: %s.%s = %d is out of range", arch, key, n)
		}
		return int(n), nil
	}
	cfg := Config{Arch: arch, RopeNeoX: arch == "qwen2"}
	if cfg.Dim, err = u("embedding_length"); err != nil {
		return nil, err
	}
	if cfg.Layers, err = u("block_count"); err != nil {
		return nil, err
	}
	if cfg.Heads, err = u("attention.head_count"); err != nil {
		return nil, err
	}
	if cfg.FFN, err = u("feed_forward_length"); err != nil {
		return nil, err
	}
	if cfg.Context, err = u("context_length"); err != nil {
		return nil, err
	}
	cfg.KVHeads = cfg.Heads
	if _, err := f.Lookup(arch + ".attention.head_count_kv"); err == nil {
		if cfg.KVHeads, err = u("attention.head_count_kv"); err != nil {
			return nil, err
		}
	}
	if cfg.Dim%cfg.Heads != 0 || cfg.Heads%cfg.KVHeads != 0 {
		return nil, fmt.Errorf("reading model shape: %d heads (%d for keys and values) do not divide width %d", cfg.Heads, cfg.KVHeads, cfg.Dim)
	}
	cfg.HeadDim = cfg.Dim / cfg.Heads
	cfg.RopeDim = cfg.HeadDim
	if _, err := f.Lookup(arch + ".rope.dimension_count"); err == nil {
		if cfg.RopeDim, err = u("rope.dimension_count"); err != nil {
			return nil, err
		}
	}
	if cfg.RopeDim > cfg.HeadDim || cfg.RopeDim%2 != 0 {
		return nil, fmt.Errorf("reading model shape: RoPE dimension %d does not fit head size %d", cfg.RopeDim, cfg.HeadDim)
	}
	cfg.NormEps = 1e-5
	if v, err := f.Float(arch + ".attention.layer_norm_rms_epsilon"); err == nil {
		cfg.NormEps = float32(v)
	}
	cfg.RopeTheta = 10000
	if v, err := f.Float(arch + ".rope.freq_base"); err == nil && v > 0 {
		cfg.RopeTheta = float32(v)
	}
	tok, err := newTokenizer(f)
	if err != nil {
		return nil, err
	}
	cfg.Vocab = tok.Len()

	m := &Model{cfg: cfg, tok: tok, chat: detectChat(tok)}
	if tok.eos >= 0 {
		m.stops = append(m.stops, tok.eos)
	}
	m.stops = append(m.stops, endOfTurn(tok)...)
	kvDim := cfg.KVHeads * cfg.HeadDim
	if m.embed, err = tensor(f, "token_embd.weight", cfg.Dim, cfg.Vocab); err != nil {
		return nil, err
	}
	if m.outNorm, err = tensor(f, "output_norm.weight", cfg.Dim); err != nil {
		return nil, err
	}
	m.output, err = tensor(f, "output.weight", cfg.Dim, cfg.Vocab)
	if errors.Is(err, gguf.ErrNotFound) {
		m.output = m.embed // tied embeddings
	} else if err != nil {
		return nil, err
	}
	m.layers = make([]layer, cfg.Layers)
	for i := range m.layers {
		l := &m.layers[i]
		p := fmt.Sprintf("blk.%d.", i)
		for _, w := range []struct {
			dst  *[]float32
			name string
			dims []int
		}{
			{&l.attnNorm, "attn_norm.weight", []int{cfg.Dim}},
			{&l.wq, "attn_q.weight", []int{cfg.Dim, cfg.Dim}},
			{&l.wk, "attn_k.weight", []int{cfg.Dim, kvDim}},
			{&l.wv, "attn_v.weight", []int{cfg.Dim, kvDim}},
			{&l.wo, "attn_output.weight", []int{cfg.Dim, cfg.Dim}},
			{&l.ffnNorm, "ffn_norm.weight", []int{cfg.Dim}},
			{&l.wGate, "ffn_gate.weight", []int{cfg.Dim, cfg.FFN}},
			{&l.wUp, "ffn_up.weight", []int{cfg.Dim, cfg.FFN}},
			{&l.wDown, "ffn_down.weight", []int{cfg.FFN, cfg.Dim}},
		} {
			if *w.dst, err = tensor(f, p+w.name, w.dims...); err != nil {
				return nil, err
			}
		}
		for _, b := range []struct {
			dst  *[]float32
			name string
			n    int
		}{{&l.bq, "attn_q.bias", cfg.Dim}, {&l.bk, "attn_k.bias", kvDim}, {&l.bv, "attn_v.bias", kvDim}} {
			*b.dst, err = tensor(f, p+b.name, b.n)
			if err != nil && !errors.Is(err, gguf.ErrNotFound) {
				return nil, err
			}
		}
	}
	return m, nil
}

// isStop reports whether generating tok ends the sequence.
func (m *Model) isStop(tok int32) bool {
	for _, s := range m.stops {
		if s == tok {
			return true
		}
	}
	return false
}

// tensor loads a tensor as float32, checking its shape.
func tensor(f *gguf.File, name string, dims ...int) ([]float32, error) {
	t, err := f.Tensor(name)
	if err != nil {
		return nil, fmt.Errorf("loading weights: %w", err)
	}
	ok := len(t.Dims) == len(dims)
	for i := 0; ok && i < len(dims); i++ {
		ok = t.Dims[i] == uint64(dims[i])
	}
	if !ok {
		want := make([]string, len(dims))
		for i, d := range dims {
			want[i] = fmt.Sprint(d)
		}
		return nil, fmt.Errorf("loading weights: tensor %q has shape %v, want [%s]", name, t.Dims, strings.Join(want, " "))
	}
	v, err := t.Float32()
	if err != nil {
		return nil, fmt.Errorf("loading weights: %w", err)
	}
	return v, nil
}
