package engine

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cocoon-go/cocoon/internal/engine/gguf"
)

// byteRunes is GPT-2's reversible mapping of bytes to printable runes:
// printable Latin-1 bytes stand for themselves, the others for runes
// from U+0100 on. runeBytes is its inverse.
var byteRunes, runeBytes = func() ([256]rune, map[rune]byte) {
	var m [256]rune
	inv := make(map[rune]byte, 256)
	n := 0
	for b := range 256 {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			m[b] = rune(b)
		} else {
			m[b] = rune(256 + n)
			n++
		}
		inv[m[b]] = byte(b)
	}
	return m, inv
}()

// mapBytes spells the bytes of s in GPT-2's byte runes.
func mapBytes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(byteRunes[s[i]])
	}
	return b.String()
}

// unmapBytes turns a byte-level piece back into its bytes; runes outside
// the mapping are kept as UTF-8.
func unmapBytes(p string) []byte {
	out := make([]byte, 0, len(p))
	for _, r := range p {
		if b, ok := runeBytes[r]; ok {
			out = append(out, b)
		} else {
			out = utf8.AppendRune(out, r)
		}
	}
	return out
}

// initBPE reads the merges and picks the pre-tokenizer.
func (t *Tokenizer) initBPE(f *gguf.File) error {
	merges, err := f.Strings("tokenizer.ggml.merges")
	if err != nil {
		return fmt.Errorf("reading BPE tokenizer: %w", err)
	}
	t.ranks = make(map[string]int, len(merges))
	for i, m := range merges {
		if _, _, ok := strings.Cut(m, " "); !ok {
			return fmt.Errorf("reading BPE tokenizer: merge %d is %q, want two pieces", i, m)
		}
		if _, dup := t.ranks[m]; !dup {
			t.ranks[m] = i
		}
	}
	pre, err := f.String("tokenizer.ggml.pre")
	if errors.Is(err, gguf.ErrNotFound) {
		pre = "default"
	} else if err != nil {
		return fmt.Errorf("reading BPE tokenizer: %w", err)
	}
	switch pre {
	case "llama3", "llama-bpe", "dbrx", "smaug-bpe":
		t.split = func(s string) []string { return splitLlama3(s, 3) }
	case "qwen2", "deepseek-r1-qwen":
		t.split = func(s string) []string { return splitLlama3(s, 1) }
	case "default", "gpt2", "gpt-2":
		t.split = splitGPT2
	default:
		return fmt.Errorf("reading BPE tokenizer: pre-tokenizer %q is not supported", pre)
	}
	return nil
}

// appendBPE splits text into words and merges each word's byte runes,
// lowest merge rank first (leftmost on ties), in O(n log n) per word.
func (t *Tokenizer) appendBPE(out []int32, text string) []int32 {
	for _, word := range t.split(text) {
		w := mapBytes(word)
		syms := mergeRunes(w, func(l, r symbol) (float32, bool) {
			rank, ok := t.ranks[w[l.start:l.end]+" "+w[r.start:r.end]]
			return -float32(rank), ok
		})
		if len(syms) == 0 {
			continue
		}
		for i := 0; i >= 0; i = syms[i].next {
			piece := w[syms[i].start:syms[i].end]
			if id, ok := t.ids[piece]; ok {
				out = append(out, id)
				continue
			}
			for _, r := range piece {
				if id, ok := t.ids[string(r)]; ok {
					out = append(out, id)
				} else if t.unk >= 0 {
					out = append(out, t.unk)
				}
			}
		}
	}
	return out
}

// contraction returns the length of an English contraction ('s, 't, 're,
// 've, 'm, 'll, 'd) at the start of r, or 0.
func contraction(r []rune, foldCase bool) int {
	if len(r) < 2 || r[0] != '\'' {
		return 0
	}
	lower := func(c rune) rune {
		if foldCase {
			return unicode.ToLower(c)
		}
		return c
	}
	a := lower(r[1])
	switch a {
	case 's', 't', 'm', 'd':
		return 2
	}
	if len(r) >= 3 {
		switch b := lower(r[2]); {
		case a == 'r' && b == 'e', a == 'v' && b == 'e', a == 'l' && b == 'l':
			return 3
		}
	}
	return 0
}

func isL(r rune) bool { return unicode.IsLetter(r) }
func isN(r rune) bool { return unicode.IsNumber(r) }
func isS(r rune) bool { return unicode.IsSpace(r) }

// run returns how many runes from i on satisfy ok.
func run(r []rune, i int, ok func(rune) bool) int {
	n := 0
	for i+n < len(r) && ok(r[i+n]) {
		n++
	}
	return n
}

// spaceRun implements \s+(?!\S) then \s+ at i: a whitespace run, less
// its last rune when a non-space follows and the run is longer than one.
func spaceRun(r []rune, i int) int {
	n := run(r, i, isS)
	if n > 1 && i+n < len(r) {
		n--
	}
	return n
}

// splitRuns splits s into pieces: at each rune, the length that match
// returns (in runes), or else a whitespace run (\s+(?!\S)|\s+), or else
// the one rune.
func splitRuns(s string, match func(r []rune, i int) int) []string {
	r := []rune(s)
	var out []string
	for i := 0; i < len(r); {
		n := match(r, i)
		if n == 0 {
			n = spaceRun(r, i)
		}
		if n == 0 {
			n = 1
		}
		out = append(out, string(r[i:i+n]))
		i += n
	}
	return out
}

// isOther reports a rune that is no whitespace, letter or number.
func isOther(c rune) bool { return !isS(c) && !isL(c) && !isN(c) }

// isNL reports a line break.
func isNL(c rune) bool { return c == '\r' || c == '\n' }

// splitGPT2 is GPT-2's pre-tokenizer:
// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func splitGPT2(s string) []string {
	return splitRuns(s, func(r []rune, i int) int {
		if n := contraction(r[i:], false); n > 0 {
			return n
		}
		j := i
		if r[j] == ' ' && j+1 < len(r) {
			j++
		}
		for _, class := range []func(rune) bool{isL, isN, isOther} {
			if k := run(r, j, class); k > 0 {
				return j - i + k
			}
		}
		return 0
	})
}

// splitLlama3 is the Llama 3 pre-tokenizer (Qwen2's with maxDigits 1):
// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func splitLlama3(s string, maxDigits int) []string {
	return splitRuns(s, func(r []rune, i int) int {
		if n := contraction(r[i:], true); n > 0 {
			return n
		}
		// [^\r\n\p{L}\p{N}]?\p{L}+
		j := i
		if c := r[j]; !isNL(c) && !isL(c) && !isN(c) && j+1 < len(r) && isL(r[j+1]) {
			j++
		}
		if k := run(r, j, isL); k > 0 {
			return j - i + k
		}
		if n := min(run(r, i, isN), maxDigits); n > 0 {
			return n
		}
		// ?[^\s\p{L}\p{N}]+[\r\n]*
		j = i
		if r[j] == ' ' && j+1 < len(r) && isOther(r[j+1]) {
			j++
		}
		if k := run(r, j, isOther); k > 0 {
			n := j - i + k
			return n + run(r, i+n, isNL)
		}
		// \s*[\r\n]+: through the last newline of the whitespace run.
		ws := run(r, i, isS)
		for k := ws; k > 0; k-- {
			if isNL(r[i+k-1]) {
				return k
			}
		}
		return 0
	})
}
