package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// ChatRequest is a POST /v1/chat/completions body. The fields an engine
// needs are parsed; every other member (tools, tool_choice, logprobs,
// user, …) is kept in Extra and written back by MarshalJSON.
type ChatRequest struct {
	Model               string         `json:"model"`
	Messages            []Message      `json:"messages"`
	MaxTokens           *int64         `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int64         `json:"max_completion_tokens,omitempty"`
	Temperature         *float64       `json:"temperature,omitempty"`
	TopP                *float64       `json:"top_p,omitempty"`
	Seed                *int64         `json:"seed,omitempty"`
	Stop                Strings        `json:"stop,omitzero"`
	Stream              bool           `json:"stream,omitempty"`
	StreamOptions       *StreamOptions `json:"stream_options,omitempty"`
	N                   *int64         `json:"n,omitempty"`

	Extra Extra `json:"-"`
}

// CompletionRequest is a POST /v1/completions body, with the same
// treatment of unknown members as ChatRequest.
type CompletionRequest struct {
	Model         string         `json:"model"`
	Prompt        Prompt         `json:"prompt"`
	MaxTokens     *int64         `json:"max_tokens,omitempty"`
	Temperature   *float64       `json:"temperature,omitempty"`
	TopP          *float64       `json:"top_p,omitempty"`
	Seed          *int64         `json:"seed,omitempty"`
	Stop          Strings        `json:"stop,omitzero"`
	Stream        bool           `json:"stream,omitempty"`
	StreamOptions *StreamOptions `json:"stream_options,omitempty"`
	N             *int64         `json:"n,omitempty"`

	Extra Extra `json:"-"`
}

// StreamOptions is the stream_options member. ContinuousUsageStats, as
// vLLM and SGLang name it, asks for the usage so far in every chunk, not
// only in a last one.
type StreamOptions struct {
	IncludeUsage         bool  `json:"include_usage,omitempty"`
	ContinuousUsageStats bool  `json:"continuous_usage_stats,omitempty"`
	Extra                Extra `json:"-"`
}

// Message is one chat message. Content may be a string or an array of
// content parts; members such as tool_calls are kept in Extra.
type Message struct {
	Role    string  `json:"role"`
	Content Content `json:"content"`
	Name    string  `json:"name,omitempty"`
	Extra   Extra   `json:"-"`
}

// Content is a message's content: a plain string, an array of parts, or
// null (a tool-calling assistant message).
type Content struct {
	Text  string
	Parts []ContentPart
	// IsParts records that the content was an array, so that it encodes
	// back as one.
	IsParts bool
	// IsNull records that the content was null or absent.
	IsNull bool
}

// ContentPart is one element of an array content. Parts other than text
// (images, audio) keep their members in Extra.
type ContentPart struct {
	Type  string `json:"type"`
	Text  string `json:"text,omitempty"`
	Extra Extra  `json:"-"`
}

// String returns the text of the content: the string itself, or the text
// parts concatenated.
func (c Content) String() string {
	if !c.IsParts {
		return c.Text
	}
	var b strings.Builder
	for _, p := range c.Parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// Strings is a member that may be a single string or an array of strings,
// such as stop. It encodes as an array unless it came from a single string.
type Strings struct {
	Values   []string
	IsSingle bool
}

// Prompt is a completions prompt: a string, an array of strings, an array
// of token ids or an array of arrays of token ids.
type Prompt struct {
	Texts  []string
	Tokens [][]int64
	// form is the JSON shape it was decoded from: 's' string, 'S' strings,
	// 't' tokens, 'T' token arrays; zero when built in code.
	form byte
}

var (
	chatNames          = jsonNames(reflect.TypeFor[ChatRequest]())
	completionNames    = jsonNames(reflect.TypeFor[CompletionRequest]())
	streamOptionsNames = jsonNames(reflect.TypeFor[StreamOptions]())
	messageNames       = jsonNames(reflect.TypeFor[Message]())
	partNames          = jsonNames(reflect.TypeFor[ContentPart]())
)

// jsonNames lists the JSON member names of a struct's tagged fields.
func jsonNames(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		tag, ok := f.Tag.Lookup("json")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name != "-" && name != "" {
			names = append(names, name)
		}
	}
	return names
}

// decodeKeeping decodes data into known, a pointer to a fresh value's plain
// twin (the same fields without the JSON methods), and stores the members
// whose keys are not in names in extra; what names the value in an error.
func decodeKeeping(data []byte, known any, extra *Extra, names []string, what string) error {
	e, err := splitExtra(data, known, names)
	if err != nil {
		return fmt.Errorf("decoding %s: %w", what, err)
	}
	*extra = e
	return nil
}

// UnmarshalJSON decodes a chat request, keeping unknown members.
func (r *ChatRequest) UnmarshalJSON(data []byte) error {
	type plain ChatRequest
	var v ChatRequest
	if err := decodeKeeping(data, (*plain)(&v), &v.Extra, chatNames, "chat completion request"); err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalJSON encodes the request with its unknown members.
func (r ChatRequest) MarshalJSON() ([]byte, error) {
	type plain ChatRequest
	return joinExtra(plain(r), r.Extra)
}

// UnmarshalJSON decodes a completion request, keeping unknown members.
func (r *CompletionRequest) UnmarshalJSON(data []byte) error {
	type plain CompletionRequest
	var v CompletionRequest
	if err := decodeKeeping(data, (*plain)(&v), &v.Extra, completionNames, "completion request"); err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalJSON encodes the request with its unknown members.
func (r CompletionRequest) MarshalJSON() ([]byte, error) {
	type plain CompletionRequest
	return joinExtra(plain(r), r.Extra)
}

// UnmarshalJSON decodes stream_options, keeping unknown members.
func (o *StreamOptions) UnmarshalJSON(data []byte) error {
	type plain StreamOptions
	var v StreamOptions
	if err := decodeKeeping(data, (*plain)(&v), &v.Extra, streamOptionsNames, "stream_options"); err != nil {
		return err
	}
	*o = v
	return nil
}

// MarshalJSON encodes stream_options with its unknown members.
func (o StreamOptions) MarshalJSON() ([]byte, error) {
	type plain StreamOptions
	return joinExtra(plain(o), o.Extra)
}

// UnmarshalJSON decodes a message, keeping unknown members.
func (m *Message) UnmarshalJSON(data []byte) error {
	type plain Message
	v := Message{Content: Content{IsNull: true}}
	if err := decodeKeeping(data, (*plain)(&v), &v.Extra, messageNames, "message"); err != nil {
		return err
	}
	*m = v
	return nil
}

// MarshalJSON encodes a message with its unknown members.
func (m Message) MarshalJSON() ([]byte, error) {
	type plain Message
	return joinExtra(plain(m), m.Extra)
}

// UnmarshalJSON decodes a content part, keeping unknown members.
func (p *ContentPart) UnmarshalJSON(data []byte) error {
	type plain ContentPart
	var v ContentPart
	if err := decodeKeeping(data, (*plain)(&v), &v.Extra, partNames, "content part"); err != nil {
		return err
	}
	*p = v
	return nil
}

// MarshalJSON encodes a content part with its unknown members.
func (p ContentPart) MarshalJSON() ([]byte, error) {
	type plain ContentPart
	return joinExtra(plain(p), p.Extra)
}

// UnmarshalJSON accepts a string, an array of parts or null.
func (c *Content) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case bytes.Equal(data, []byte("null")):
		*c = Content{IsNull: true}
		return nil
	case len(data) > 0 && data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("decoding message content: %w", err)
		}
		*c = Content{Text: s}
		return nil
	case len(data) > 0 && data[0] == '[':
		var parts []ContentPart
		if err := json.Unmarshal(data, &parts); err != nil {
			return fmt.Errorf("decoding message content parts: %w", err)
		}
		*c = Content{Parts: parts, IsParts: true}
		return nil
	}
	return errors.New("decoding message content: want a string, an array of parts or null")
}

// MarshalJSON writes the content in the shape it was decoded from.
func (c Content) MarshalJSON() ([]byte, error) {
	switch {
	case c.IsParts:
		if c.Parts == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(c.Parts)
	case c.IsNull && c.Text == "":
		return []byte("null"), nil
	}
	return json.Marshal(c.Text)
}

// UnmarshalJSON accepts a string, an array of strings or null.
func (s *Strings) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case bytes.Equal(data, []byte("null")):
		*s = Strings{}
		return nil
	case len(data) > 0 && data[0] == '"':
		var v string
		if err := json.Unmarshal(data, &v); err != nil {
			return err
		}
		*s = Strings{Values: []string{v}, IsSingle: true}
		return nil
	}
	var vs []string
	if err := json.Unmarshal(data, &vs); err != nil {
		return errors.New("want a string or an array of strings")
	}
	*s = Strings{Values: vs}
	return nil
}

// MarshalJSON writes a single string or an array.
func (s Strings) MarshalJSON() ([]byte, error) {
	if s.IsSingle && len(s.Values) == 1 {
		return json.Marshal(s.Values[0])
	}
	if s.Values == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(s.Values)
}

// IsZero lets omitempty drop an absent member.
func (s Strings) IsZero() bool { return len(s.Values) == 0 && !s.IsSingle }

// UnmarshalJSON accepts every prompt shape OpenAI defines.
func (p *Prompt) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("decoding prompt: %w", err)
		}
		*p = Prompt{Texts: []string{s}, form: 's'}
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || raw == nil {
		return errors.New("decoding prompt: want a string, strings, token ids or arrays of token ids")
	}
	if len(raw) == 0 {
		*p = Prompt{Texts: []string{}, form: 'S'}
		return nil
	}
	first := bytes.TrimSpace(raw[0])
	switch {
	case len(first) > 0 && first[0] == '"':
		var ss []string
		if err := json.Unmarshal(data, &ss); err != nil {
			return fmt.Errorf("decoding prompt strings: %w", err)
		}
		*p = Prompt{Texts: ss, form: 'S'}
	case len(first) > 0 && first[0] == '[':
		var tt [][]int64
		if err := json.Unmarshal(data, &tt); err != nil {
			return fmt.Errorf("decoding prompt token arrays: %w", err)
		}
		*p = Prompt{Tokens: tt, form: 'T'}
	default:
		var t []int64
		if err := json.Unmarshal(data, &t); err != nil {
			return fmt.Errorf("decoding prompt tokens: %w", err)
		}
		*p = Prompt{Tokens: [][]int64{t}, form: 't'}
	}
	return nil
}

// MarshalJSON writes the prompt in the shape it was decoded from; a prompt
// built in code writes a single text as a string.
func (p Prompt) MarshalJSON() ([]byte, error) {
	switch p.form {
	case 's':
		return json.Marshal(p.Texts[0])
	case 'S':
		return json.Marshal(p.Texts)
	case 't':
		return json.Marshal(p.Tokens[0])
	case 'T':
		return json.Marshal(p.Tokens)
	}
	if len(p.Tokens) > 0 {
		return json.Marshal(p.Tokens)
	}
	if len(p.Texts) == 1 {
		return json.Marshal(p.Texts[0])
	}
	if p.Texts == nil {
		return []byte(`""`), nil
	}
	return json.Marshal(p.Texts)
}

// EffectiveMaxTokens returns max_completion_tokens if set, otherwise
// max_tokens, otherwise def.
func (r *ChatRequest) EffectiveMaxTokens(def int64) int64 {
	switch {
	case r.MaxCompletionTokens != nil:
		return *r.MaxCompletionTokens
	case r.MaxTokens != nil:
		return *r.MaxTokens
	}
	return def
}

// includeUsage reports whether the options ask for usage in a stream.
func (o *StreamOptions) includeUsage() bool { return o != nil && o.IncludeUsage }

func (o *StreamOptions) continuousUsage() bool {
	return o != nil && o.IncludeUsage && o.ContinuousUsageStats
}

// IncludeUsage reports whether a streamed answer must carry usage.
func (r *ChatRequest) IncludeUsage() bool { return r.StreamOptions.includeUsage() }

// IncludeUsage reports whether a streamed answer must carry usage.
func (r *CompletionRequest) IncludeUsage() bool { return r.StreamOptions.includeUsage() }

// ContinuousUsage reports whether every chunk of a streamed answer must
// carry the usage so far: include_usage and continuous_usage_stats.
func (r *ChatRequest) ContinuousUsage() bool { return r.StreamOptions.continuousUsage() }

// ContinuousUsage reports whether every chunk of a streamed answer must
// carry the usage so far: include_usage and continuous_usage_stats.
func (r *CompletionRequest) ContinuousUsage() bool { return r.StreamOptions.continuousUsage() }
