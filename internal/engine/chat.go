package engine

import (
	"strings"

	"github.com/cocoon-go/cocoon/internal/openai"
)

// chatStops end an assistant turn in the built-in chat format: the model
// starting the next turn by itself.
var chatStops = []string{"\nUser:", "\nSystem:"}

// ChatPrompt renders a conversation in the built-in chat format, used
// for every model since the engine does not run GGUF chat templates:
//
//	<s>System: …
//
//	User: …
//
//	Assistant: …
//
//	Assistant:
//
// The final "Assistant:" asks the model for the next turn.
func (m *Model) ChatPrompt(msgs []openai.Message) []int32 {
	var b strings.Builder
	for _, msg := range msgs {
		role := msg.Role
		switch role {
		case "system", "developer":
			role = "System"
		case "assistant":
			role = "Assistant"
		case "tool":
			role = "Tool"
		default:
			role = "User"
		}
		b.WriteString(role)
		b.WriteString(": ")
		b.WriteString(strings.TrimSpace(msg.Content.String()))
		b.WriteString("\n\n")
	}
	b.WriteString("Assistant:")
	return m.tok.Encode(b.String(), true)
}
