package engine

import (
	"container/heap"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cocoon-go/cocoon/internal/engine/gguf"
)

// Token types of tokenizer.ggml.token_type.
const (
	tokenNormal      = 1
	tokenUnknown     = 2
	tokenControl     = 3
	tokenUserDefined = 4
	tokenUnused      = 5
	tokenByte        = 6
)

// spaceMark stands for a space in SentencePiece pieces.
const spaceMark = "▁"

// Tokenizer is the tokenizer described by a model's GGUF metadata:
// SentencePiece (tokenizer.ggml.model "llama": pieces merged by score,
// with <0xNN> byte tokens for text the vocabulary cannot spell) or
// byte-level BPE ("gpt2": text split by a pre-tokenizer, then merged by
// rank). It is read-only and safe for concurrent use.
type Tokenizer struct {
	pieces   []string
	scores   []float32
	types    []int32
	ids      map[string]int32 // mergeable pieces
	special  map[string]int32 // control and user-defined tokens
	bytes    [256]int32       // byte fallback tokens, -1 when absent
	decoded  [][]byte         // the bytes each token stands for
	bos, eos int32
	unk      int32
	addBOS   bool
	addSpace bool

	// Byte-level BPE only.
	bpe   bool
	ranks map[string]int // "left right" → merge rank
	split func(string) []string
}

func newTokenizer(f *gguf.File) (*Tokenizer, error) {
	model, err := f.String("tokenizer.ggml.model")
	if err != nil {
		return nil, fmt.Errorf("reading tokenizer: %w", err)
	}
	if model != "llama" && model != "gpt2" {
		return nil, fmt.Errorf("reading tokenizer: model %q is not supported (want llama or gpt2)", model)
	}
	pieces, err := f.Strings("tokenizer.ggml.tokens")
	if err != nil {
		return nil, fmt.Errorf("reading tokenizer: %w", err)
	}
	if len(pieces) == 0 || len(pieces) > 1<<24 {
		return nil, fmt.Errorf("reading tokenizer: %d tokens", len(pieces))
	}
	scores, err := f.Float32s("tokenizer.ggml.scores")
	if errors.Is(err, gguf.ErrNotFound) {
		scores = make([]float32, len(pieces))
	} else if err != nil {
		return nil, fmt.Errorf("reading tokenizer: %w", err)
	}
	types, err := f.Int32s("tokenizer.ggml.token_type")
	if errors.Is(err, gguf.ErrNotFound) {
		types = make([]int32, len(pieces))
		for i := range types {
			types[i] = tokenNormal
		}
	} else if err != nil {
		return nil, fmt.Errorf("reading tokenizer: %w", err)
	}
	if len(scores) != len(pieces) || len(types) != len(pieces) {
		return nil, fmt.Errorf("reading tokenizer: %d tokens, %d scores and %d types", len(pieces), len(scores), len(types))
	}
	t := &Tokenizer{pieces: pieces, scores: scores, types: types, ids: make(map[string]int32, len(pieces)),
		special: map[string]int32{}, decoded: make([][]byte, len(pieces)), addBOS: true, addSpace: true, unk: -1}
	if model == "gpt2" {
		t.bpe, t.addBOS, t.addSpace = true, false, false
	}
	id := func(key string, def int32) (int32, error) {
		n, err := f.Uint(key)
		if errors.Is(err, gguf.ErrNotFound) {
			return def, nil
		}
		if err != nil {
			return 0, fmt.Errorf("reading tokenizer: %w", err)
		}
		if n >= uint64(len(pieces)) {
			return -1, nil // absent, as 0xFFFFFFFF often says
		}
		return int32(n), nil
	}
	defBOS, defEOS, defUNK := int32(1), int32(2), int32(0)
	if t.bpe {
		defBOS, defEOS, defUNK = -1, -1, -1
	}
	if t.bos, err = id("tokenizer.ggml.bos_token_id", defBOS); err != nil {
		return nil, err
	}
	if t.eos, err = id("tokenizer.ggml.eos_token_id", defEOS); err != nil {
		return nil, err
	}
	if t.unk, err = id("tokenizer.ggml.unknown_token_id", defUNK); err != nil {
		return nil, err
	}
	if b, err := f.Bool("tokenizer.ggml.add_bos_token"); err == nil {
		t.addBOS = b
	}
	if b, err := f.Bool("tokenizer.ggml.add_space_prefix"); err == nil && !t.bpe {
		t.addSpace = b
	}
	for i := range t.bytes {
		t.bytes[i] = -1
	}
	for i, p := range pieces {
		switch types[i] {
		case tokenByte:
			var b byte
			if _, err := fmt.Sscanf(p, "<0x%02X>", &b); err != nil || len(p) != 6 {
				return nil, fmt.Errorf("reading tokenizer: byte token %d is %q", i, p)
			}
			t.bytes[b] = int32(i)
			t.decoded[i] = []byte{b}
		case tokenControl, tokenUnknown, tokenUnused:
			// These stand for no text.
			if types[i] == tokenControl {
				t.special[p] = int32(i)
			}
		case tokenUserDefined:
			t.special[p] = int32(i)
			t.decoded[i] = []byte(p)
		default:
			if _, dup := t.ids[p]; !dup {
				t.ids[p] = int32(i)
			}
			if t.bpe {
				t.decoded[i] = unmapBytes(p)
			} else {
				t.decoded[i] = []byte(strings.ReplaceAll(p, spaceMark, " "))
			}
		}
	}
	if t.bpe {
		if err := t.initBPE(f); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Special returns the id of a control or user-defined token such as
// "<|im_end|>", or -1.
func (t *Tokenizer) Special(piece string) int32 {
	if id, ok := t.special[piece]; ok {
		return id
	}
	return -1
}

// Len returns the vocabulary size.
func (t *Tokenizer) Len() int { return len(t.pieces) }

// BOS returns the beginning-of-sequence token, or -1.
func (t *Tokenizer) BOS() int32 { return t.bos }

// EOS returns the end-of-sequence token, or -1.
func (t *Tokenizer) EOS() int32 { return t.eos }

// Piece returns the bytes a token stands for (empty for control tokens).
func (t *Tokenizer) Piece(id int32) []byte {
	if id < 0 || int(id) >= len(t.decoded) {
		return nil
	}
	return t.decoded[id]
}

// Decode returns the text of a token sequence.
func (t *Tokenizer) Decode(ids []int32) string {
	var b []byte
	for _, id := range ids {
		b = append(b, t.Piece(id)...)
	}
	return string(b)
}

// Encode tokenizes text, prefixed by BOS when bos is set and the model
// asks for it. Special tokens written in the text are not recognised:
// "<|im_end|>" in a prompt is plain text.
func (t *Tokenizer) Encode(text string, bos bool) []int32 {
	var out []int32
	if bos && t.addBOS && t.bos >= 0 {
		out = append(out, t.bos)
	}
	if text == "" {
		return out
	}
	if t.addSpace {
		text = " " + text
	}
	return t.appendText(out, text)
}

// appendText tokenizes text as it stands (no prefix space, no BOS).
func (t *Tokenizer) appendText(out []int32, text string) []int32 {
	if t.bpe {
		return t.appendBPE(out, text)
	}
	return t.appendPieces(out, strings.ReplaceAll(text, " ", spaceMark))
}

// symbol is a stretch of the input in the merge list.
type symbol struct {
	start, end int // byte range in the text
	prev, next int // neighbours, -1 at the ends
}

// bigram is a candidate merge of symbol left with its right neighbour.
type bigram struct {
	left, right int
	score       float32
	size        int // length of the merged text, to detect stale entries
}

type bigramQueue []bigram

func (q bigramQueue) Len() int { return len(q) }
func (q bigramQueue) Less(i, j int) bool {
	if q[i].score != q[j].score {
		return q[i].score > q[j].score
	}
	return q[i].left < q[j].left
}
func (q bigramQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *bigramQueue) Push(x any)   { *q = append(*q, x.(bigram)) }
func (q *bigramQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// mergeRunes splits text into runes and repeatedly merges the adjacent
// pair of symbols that score ranks best (highest first, leftmost on
// ties), in O(n log n); score says whether the pair l, r may merge at all,
// and with what score. The merged symbols are a list from syms[0] through
// next; it is empty for empty text.
func mergeRunes(text string, score func(l, r symbol) (float32, bool)) []symbol {
	syms := make([]symbol, 0, len(text))
	for i := 0; i < len(text); {
		_, n := utf8.DecodeRuneInString(text[i:])
		syms = append(syms, symbol{start: i, end: i + n, prev: len(syms) - 1, next: len(syms) + 1})
		i += n
	}
	if len(syms) == 0 {
		return nil
	}
	syms[len(syms)-1].next = -1
	q := &bigramQueue{}
	try := func(l, r int) {
		if l < 0 || r < 0 {
			return
		}
		if s, ok := score(syms[l], syms[r]); ok {
			heap.Push(q, bigram{left: l, right: r, score: s, size: syms[r].end - syms[l].start})
		}
	}
	for i := 1; i < len(syms); i++ {
		try(i-1, i)
	}
	for q.Len() > 0 {
		b := heap.Pop(q).(bigram)
		l, r := &syms[b.left], &syms[b.right]
		if l.end == l.start || r.end == r.start || l.next != b.right || r.end-l.start != b.size {
			continue // one side was merged away since
		}
		l.end = r.end
		l.next = r.next
		r.start, r.end = 0, 0
		if l.next >= 0 {
			syms[l.next].prev = b.left
		}
		try(l.prev, b.left)
		try(b.left, l.next)
	}
	return syms
}

// appendPieces runs the SentencePiece merge: start from single
// characters and repeatedly merge the adjacent pair whose union is the
// best-scoring piece, leftmost first on ties.
func (t *Tokenizer) appendPieces(out []int32, text string) []int32 {
	syms := mergeRunes(text, func(l, r symbol) (float32, bool) {
		id, ok := t.ids[text[l.start:r.end]]
		if !ok {
			return 0, false
		}
		return t.scores[id], true
	})
	for i := 0; i >= 0 && i < len(syms); i = syms[i].next {
		piece := text[syms[i].start:syms[i].end]
		if id, ok := t.ids[piece]; ok {
			out = append(out, id)
			continue
		}
		for j := 0; j < len(piece); j++ {
			switch {
			case t.bytes[piece[j]] >= 0:
				out = append(out, t.bytes[piece[j]])
			case t.unk >= 0:
				out = append(out, t.unk)
			}
		}
	}
	return out
}
