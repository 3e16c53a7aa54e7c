package engine

import (
	"strings"

	"github.com/cocoon-go/cocoon/internal/openai"
)

// chatFormat is how a conversation is rendered into prompt tokens. The
// engine does not run GGUF Jinja templates; it recognises the two common
// special-token conventions by their tokens and falls back to plain text.
type chatFormat int

const (
	chatPlain  chatFormat = iota // "User: …\n\nAssistant:"
	chatML                       // <|im_start|>role\n…<|im_end|>
	chatLlama3                   // <|start_header_id|>role<|end_header_id|>\n\n…<|eot_id|>
)

// plainStops end an assistant turn in the plain format: the model
// starting the next turn by itself.
var plainStops = []string{"\nUser:", "\nSystem:"}

func detectChat(t *Tokenizer) chatFormat {
	switch {
	case t.Special("<|im_start|>") >= 0 && t.Special("<|im_end|>") >= 0:
		return chatML
	case t.Special("<|start_header_id|>") >= 0 && t.Special("<|end_header_id|>") >= 0 && t.Special("<|eot_id|>") >= 0:
		return chatLlama3
	}
	return chatPlain
}

// endOfTurn lists the tokens that end generation besides EOS.
func endOfTurn(t *Tokenizer) []int32 {
	var ids []int32
	for _, p := range []string{"<|im_end|>", "<|eot_id|>", "<|end_of_text|>", "<|endoftext|>"} {
		if id := t.Special(p); id >= 0 && id != t.eos {
			ids = append(ids, id)
		}
	}
	return ids
}

// ChatPrompt renders a conversation for the model and returns the prompt
// tokens with the stop strings the format needs. Models with ChatML or
// Llama 3 special tokens get those formats; others get plain text:
//
//	<s>System: …
//
//	User: …
//
//	Assistant:
func (m *Model) ChatPrompt(msgs []openai.Message) ([]int32, []string) {
	t := m.tok
	switch m.chat {
	case chatML:
		var out []int32
		if t.addBOS && t.bos >= 0 {
			out = append(out, t.bos)
		}
		start, end := t.Special("<|im_start|>"), t.Special("<|im_end|>")
		for _, msg := range msgs {
			out = append(out, start)
			out = t.appendText(out, roleName(msg.Role)+"\n"+msg.Content.String())
			out = append(out, end)
			out = t.appendText(out, "\n")
		}
		out = append(out, start)
		return t.appendText(out, "assistant\n"), nil
	case chatLlama3:
		var out []int32
		if t.bos >= 0 {
			out = append(out, t.bos)
		}
		start, end, eot := t.Special("<|start_header_id|>"), t.Special("<|end_header_id|>"), t.Special("<|eot_id|>")
		for _, msg := range msgs {
			out = append(out, start)
			out = t.appendText(out, roleName(msg.Role))
			out = append(out, end)
			out = t.appendText(out, "\n\n"+strings.TrimSpace(msg.Content.String()))
			out = append(out, eot)
		}
		out = append(out, start)
		out = t.appendText(out, "assistant")
		out = append(out, end)
		return t.appendText(out, "\n\n"), nil
	}
	var b strings.Builder
	for _, msg := range msgs {
		role := "User"
		switch roleName(msg.Role) {
		case "system":
			role = "System"
		case "assistant":
			role = "Assistant"
		case "tool":
			role = "Tool"
		}
		b.WriteString(role)
		b.WriteString(": ")
		b.WriteString(strings.TrimSpace(msg.Content.String()))
		b.WriteString("\n\n")
	}
	b.WriteString("Assistant:")
	return t.Encode(b.String(), true), plainStops
}

// roleName maps OpenAI roles onto the four every format knows.
func roleName(role string) string {
	switch role {
	case "system", "developer":
		return "system"
	case "assistant", "tool":
		return role
	}
	return "user"
}
