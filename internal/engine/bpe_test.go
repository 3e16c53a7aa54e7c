package engine

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cocoon-go/cocoon/internal/engine/gguf"
	"github.com/cocoon-go/cocoon/internal/openai"
)

// bpeTokenizer builds a byte-level BPE tokenizer: the 256 byte runes,
// a few merges, and ChatML control tokens.
func bpeTokenizer(t *testing.T, pre string) *Tokenizer {
	t.Helper()
	var tokens []string
	var types []int32
	for b := range 256 {
		tokens = append(tokens, string(byteRunes[b]))
		types = append(types, tokenNormal)
	}
	merges := []string{"Ġ t", "h e", "Ġt he", "l l", "he ll", "hell o", "Ġ w"}
	for _, m := range []string{"Ġt", "he", "Ġthe", "ll", "hell", "hello", "Ġw"} {
		tokens = append(tokens, m)
		types = append(types, tokenNormal)
	}
	for _, s := range []string{"<|endoftext|>", "<|im_start|>", "<|im_end|>"} {
		tokens = append(tokens, s)
		types = append(types, tokenControl)
	}
	// <|endoftext|> is token 263, EOS.
	f := &gguf.File{Version: 3, Metadata: []gguf.KV{
		{Key: "tokenizer.ggml.model", Value: gguf.Value{Type: gguf.TypeString, V: "gpt2"}},
		{Key: "tokenizer.ggml.pre", Value: gguf.Value{Type: gguf.TypeString, V: pre}},
		{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Type: gguf.TypeArray, Elem: gguf.TypeString, V: tokens}},
		{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Type: gguf.TypeArray, Elem: gguf.TypeInt32, V: types}},
		{Key: "tokenizer.ggml.merges", Value: gguf.Value{Type: gguf.TypeArray, Elem: gguf.TypeString, V: merges}},
		{Key: "tokenizer.ggml.eos_token_id", Value: gguf.Value{Type: gguf.TypeUint32, V: uint32(263)}},
	}}
	tok, err := newTokenizer(f)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestPreTokenizers(t *testing.T) {
	tests := []struct {
		text      string
		gpt2      []string
		llama3    []string
		qwenDigit []string
	}{
		{"Hello world", []string{"Hello", " world"}, []string{"Hello", " world"}, nil},
		{"it's 12345!", []string{"it", "'s", " 12345", "!"}, []string{"it", "'s", " ", "123", "45", "!"}, []string{"it", "'s", " ", "1", "2", "3", "4", "5", "!"}},
		{"a  b\n\nc", []string{"a", " ", " b", "\n", "\n", "c"}, []string{"a", " ", " b", "\n\n", "c"}, nil},
		{"I'LL go...\n", []string{"I", "'", "LL", " go", "...", "\n"}, []string{"I", "'LL", " go", "...\n"}, nil},
		{"(x)  \n y", []string{"(", "x", ")", "  \n", " y"}, []string{"(x", ")", "  \n", " y"}, nil},
	}
	for _, tt := range tests {
		if got := splitGPT2(tt.text); !reflect.DeepEqual(got, tt.gpt2) {
			t.Errorf("gpt2 %q: got %q, want %q", tt.text, got, tt.gpt2)
		}
		if got := splitLlama3(tt.text, 3); !reflect.DeepEqual(got, tt.llama3) {
			t.Errorf("llama3 %q: got %q, want %q", tt.text, got, tt.llama3)
		}
		if tt.qwenDigit != nil {
			if got := splitLlama3(tt.text, 1); !reflect.DeepEqual(got, tt.qwenDigit) {
				t.Errorf("qwen2 %q: got %q, want %q", tt.text, got, tt.qwenDigit)
			}
		}
	}
}

func TestBPEEncode(t *testing.T) {
	tok := bpeTokenizer(t, "llama-bpe")
	id := func(p string) int32 { return tok.ids[p] }
	got := tok.Encode("hello the tw", true)
	want := []int32{id("hello"), id("Ġthe"), id("Ġt"), id("w")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, s := range []string{"hello the world", "ünïcödé 🙂\n\n\tend", "it's 2024!", ""} {
		if dec := tok.Decode(tok.Encode(s, false)); dec != s {
			t.Errorf("Decode(Encode(%q)) = %q", s, dec)
		}
	}
}

func TestChatFormats(t *testing.T) {
	tok := bpeTokenizer(t, "qwen2")
	m := &Model{tok: tok, chat: detectChat(tok)}
	if m.chat != chatML {
		t.Fatalf("got chat format %d, want ChatML", m.chat)
	}
	prompt, stops := m.ChatPrompt([]openai.Message{
		{Role: "system", Content: openai.Content{Text: "be brief"}},
		{Role: "user", Content: openai.Content{Text: "hello"}},
	})
	want := "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n"
	var got string
	for _, id := range prompt {
		if tok.types[id] == tokenControl {
			got += tok.pieces[id]
		} else {
			got += string(tok.Piece(id))
		}
	}
	if got != want || stops != nil {
		t.Errorf("got %q with stops %q, want %q", got, stops, want)
	}
	if ends := endOfTurn(tok); !reflect.DeepEqual(ends, []int32{tok.Special("<|im_end|>")}) {
		t.Errorf("got end-of-turn tokens %v, want only <|im_end|> (<|endoftext|> is EOS)", ends)
	}

	plain := synthModel(t)
	p, stops := plain.ChatPrompt([]openai.Message{{Role: "user", Content: openai.Content{Text: "abc"}}})
	if got := plain.Tokenizer().Decode(p); got != " User: abc\n\nAssistant:" || !reflect.DeepEqual(stops, plainStops) {
		t.Errorf("plain format: got %q with stops %q", got, stops)
	}
}

func FuzzEncodeDecode(f *testing.F) {
	f.Add("hello the world")
	f.Add("ünïcödé 🙂\n\n\tend it's 2024!")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		spm := synthModel(t).Tokenizer()
		// A literal "▁" reads back as a space: SentencePiece cannot tell them apart.
		if got := spm.Decode(spm.Encode(s, true)); s != "" && !strings.Contains(s, spaceMark) && got != " "+s {
			t.Errorf("SentencePiece: Decode(Encode(%q)) = %q", s, got)
		}
		for _, pre := range []string{"gpt2", "llama-bpe", "qwen2"} {
			bpe := bpeTokenizer(t, pre)
			if got := bpe.Decode(bpe.Encode(s, false)); got != s {
				t.Errorf("BPE %s: Decode(Encode(%q)) = %q", pre, s, got)
			}
		}
	})
}
