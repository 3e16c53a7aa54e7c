package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Stable error codes of the answers to bad requests, as OpenAI spells
// them where it has one. Callers match on them; they never change.
const (
	CodeInvalidJSON          = "invalid_json"
	CodeMissingParameter     = "missing_required_parameter"
	CodeInvalidType          = "invalid_type"
	CodeInvalidValue         = "invalid_value"
	CodeEmptyArray           = "empty_array"
	CodeBelowMin             = "integer_below_min_value"
	CodeAboveMax             = "integer_above_max_value"
	CodeDecimalBelowMin      = "decimal_below_min_value"
	CodeDecimalAboveMax      = "decimal_above_max_value"
	CodeUnsupportedParameter = "unsupported_parameter"
	CodeRequestTooLarge      = "request_too_large"
	CodeModelNotFound        = "model_not_found"
)

// MaxRequestBody is the largest request body the network carries, one
// limit for every hop: the client refuses a bigger one with 413 before
// forwarding (its max_body_bytes may only lower it), the worker refuses
// one that got past a client of another implementation, and the built-in
// engine reads up to it. With the request's headers it fits in one TL
// frame (16 MiB).
const MaxRequestBody = 8 << 20

// MaxTokenLimit is the largest max_tokens or max_completion_tokens a
// request may ask for, OpenAI's bound.
const MaxTokenLimit = math.MaxInt32

// ParamError is a request that OpenAI's API would refuse with 400: the
// parameter it names (a path such as messages[2].role), a stable code and
// a message that says what was wanted.
type ParamError struct {
	Param   string
	Code    string
	Message string
}

func (e *ParamError) Error() string { return e.Message }

// Response is the OpenAI error body of e.
func (e *ParamError) Response() ErrorResponse {
	return NewError(e.Message, ErrorTypeInvalidRequest, e.Param, e.Code)
}

// Unsupported refuses a parameter that the engine does not implement.
func Unsupported(param, why string) *ParamError {
	return &ParamError{Param: param, Code: CodeUnsupportedParameter,
		Message: fmt.Sprintf("Unsupported parameter: '%s' %s.", param, why)}
}

// chatRoles are the message roles OpenAI accepts.
var chatRoles = []string{"system", "developer", "user", "assistant", "tool", "function"}

// ValidateChat checks a chat completion body's members as OpenAI does:
// the required ones are present and every known one has its type and
// range. Unknown members are left to the engine, which may support them.
func ValidateChat(m map[string]json.RawMessage) error {
	v := validator{m: m}
	v.model()
	if v.need("messages") {
		v.messages(m["messages"])
	}
	v.common()
	v.integer("max_completion_tokens", 1, MaxTokenLimit)
	v.number("frequency_penalty", -2, 2)
	v.number("presence_penalty", -2, 2)
	v.boolean("logprobs")
	v.integer("top_logprobs", 0, 20)
	v.boolean("parallel_tool_calls")
	v.kind("tools", '[', "an array of tools")
	v.kind("response_format", '{', "an object")
	v.kind("logit_bias", '{', "an object")
	v.str("user")
	v.str("reasoning_effort")
	return v.err
}

// ValidateCompletion checks a completion body's members as OpenAI does.
func ValidateCompletion(m map[string]json.RawMessage) error {
	v := validator{m: m}
	v.model()
	if v.need("prompt") {
		var p Prompt
		if err := p.UnmarshalJSON(m["prompt"]); err != nil {
			v.fail("prompt", CodeInvalidType, "Invalid type for 'prompt': expected a string, an array of strings, an array of token ids or an array of arrays of token ids.")
		}
	}
	v.common()
	v.number("frequency_penalty", -2, 2)
	v.number("presence_penalty", -2, 2)
	v.boolean("echo")
	v.integer("logprobs", 0, 5)
	v.integer("best_of", 1, 20)
	v.str("suffix")
	v.str("user")
	v.kind("logit_bias", '{', "an object")
	return v.err
}

// validator collects the first problem of a body.
type validator struct {
	m   map[string]json.RawMessage
	err error
}

func (v *validator) fail(param, code, msg string) {
	if v.err == nil {
		v.err = &ParamError{Param: param, Code: code, Message: msg}
	}
}

// present returns a member that is there and not null.
func (v *validator) present(key string) (json.RawMessage, bool) {
	raw, ok := v.m[key]
	if !ok || isNull(raw) {
		return nil, false
	}
	return bytes.TrimSpace(raw), true
}

func (v *validator) need(key string) bool {
	if _, ok := v.present(key); !ok {
		v.fail(key, CodeMissingParameter, fmt.Sprintf("Missing required parameter: '%s'.", key))
		return false
	}
	return true
}

func (v *validator) model() {
	if !v.need("model") {
		return
	}
	raw := v.m["model"]
	if s, err := jsonString(raw); err != nil {
		v.wrongType("model", "a string", raw)
	} else if s == "" {
		v.fail("model", CodeInvalidValue, "Invalid value for 'model': empty string. Name the model, as GET /v1/models lists it.")
	}
}

// common checks the members both endpoints share.
func (v *validator) common() {
	v.integer("max_tokens", 1, MaxTokenLimit)
	v.integer("n", 1, 128)
	v.number("temperature", 0, 2)
	v.number("top_p", 0, 1)
	v.integer("seed", math.MinInt64, math.MaxInt64)
	v.stop()
	stream := false
	if raw, ok := v.present("stream"); ok {
		if err := json.Unmarshal(raw, &stream); err != nil {
			v.wrongType("stream", "a boolean", raw)
		}
	}
	if raw, ok := v.present("stream_options"); ok {
		if raw[0] != '{' {
			v.wrongType("stream_options", "an object", raw)
		} else if !stream {
			v.fail("stream_options", CodeInvalidValue, "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
		} else if o, err := DecodeObject(raw); err == nil {
			if u, ok := o["include_usage"]; ok && !isNull(u) {
				var b bool
				if json.Unmarshal(u, &b) != nil {
					v.wrongType("stream_options.include_usage", "a boolean", u)
				}
			}
		}
	}
}

func (v *validator) stop() {
	raw, ok := v.present("stop")
	if !ok {
		return
	}
	var s Strings
	if err := s.UnmarshalJSON(raw); err != nil {
		v.wrongType("stop", "a string or an array of strings", raw)
	}
}

// wrongType reports a member of the wrong JSON type, naming the type it
// had, as OpenAI does.
func (v *validator) wrongType(param, want string, raw json.RawMessage) {
	v.fail(param, CodeInvalidType, fmt.Sprintf("Invalid type for '%s': expected %s, but got %s instead.", param, want, jsonKind(raw)))
}

// jsonKind names the JSON type of a value.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	if _, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return "an integer"
	}
	return "a decimal number"
}

// kind checks that a member starts with the given JSON delimiter.
func (v *validator) kind(key string, first byte, want string) {
	if raw, ok := v.present(key); ok && raw[0] != first {
		v.wrongType(key, want, raw)
	}
}

func (v *validator) str(key string) {
	if raw, ok := v.present(key); ok && raw[0] != '"' {
		v.wrongType(key, "a string", raw)
	}
}

func (v *validator) boolean(key string) {
	if raw, ok := v.present(key); ok && raw[0] != 't' && raw[0] != 'f' {
		v.wrongType(key, "a boolean", raw)
	}
}

// integer checks an integer member within [lo, hi].
func (v *validator) integer(key string, lo, hi int64) {
	raw, ok := v.present(key)
	if !ok {
		return
	}
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		v.wrongType(key, "an integer", raw)
		return
	}
	got := string(raw)
	n, err := strconv.ParseInt(got, 10, 64)
	above, below := n > hi, n < lo
	if err != nil {
		// A number that is not a 64-bit integer: a fraction, an exponent
		// or too many digits. Say where it falls.
		f, ferr := strconv.ParseFloat(got, 64)
		above, below = ferr == nil && f > float64(hi), ferr == nil && f < float64(lo)
		if !above && !below {
			v.fail(key, CodeInvalidType, fmt.Sprintf("Invalid type for '%s': expected an integer between %d and %d, but got %s instead.", key, lo, hi, raw))
			return
		}
	} else {
		got = strconv.FormatInt(n, 10)
	}
	switch {
	case above:
		v.fail(key, CodeAboveMax, fmt.Sprintf("Invalid '%s': integer above maximum value. Expected a value <= %d, but got %s instead.", key, hi, got))
	case below:
		v.fail(key, CodeBelowMin, fmt.Sprintf("Invalid '%s': integer below minimum value. Expected a value >= %d, but got %s instead.", key, lo, got))
	}
}

// number checks a numeric member within [lo, hi].
func (v *validator) number(key string, lo, hi float64) {
	raw, ok := v.present(key)
	if !ok {
		return
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		v.wrongType(key, "a number", raw)
		return
	}
	switch {
	case f > hi:
		v.fail(key, CodeDecimalAboveMax, fmt.Sprintf("Invalid '%s': decimal above maximum value. Expected a value <= %g, but got %s instead.", key, hi, raw))
	case f < lo:
		v.fail(key, CodeDecimalBelowMin, fmt.Sprintf("Invalid '%s': decimal below minimum value. Expected a value >= %g, but got %s instead.", key, lo, raw))
	}
}

// messages checks the messages array: objects with a known role and a
// content of a type the role allows.
func (v *validator) messages(raw json.RawMessage) {
	raw = bytes.TrimSpace(raw)
	if raw[0] != '[' {
		v.wrongType("messages", "an array of message objects", raw)
		return
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		v.wrongType("messages", "an array of message objects", raw)
		return
	}
	if len(items) == 0 {
		v.fail("messages", CodeEmptyArray, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.")
		return
	}
	for i, item := range items {
		at := fmt.Sprintf("messages[%d]", i)
		m, err := DecodeObject(item)
		if err != nil {
			v.wrongType(at, "an object", item)
			return
		}
		role, ok := m["role"]
		if !ok || isNull(role) {
			v.fail(at+".role", CodeMissingParameter, fmt.Sprintf("Missing required parameter: '%s.role'.", at))
			return
		}
		r, err := jsonString(role)
		if err != nil {
			v.wrongType(at+".role", "a string", role)
			return
		}
		known := false
		for _, k := range chatRoles {
			known = known || r == k
		}
		if !known {
			v.fail(at+".role", CodeInvalidValue, fmt.Sprintf("Invalid value: '%s'. Supported values are: '%s'.", clipString(r), strings.Join(chatRoles, "', '")))
			return
		}
		content, has := m["content"]
		switch {
		case (!has || isNull(content)) && r != "assistant":
			v.fail(at+".content", CodeMissingParameter, fmt.Sprintf("Missing required parameter: '%s.content'.", at))
			return
		case !has || isNull(content):
		default:
			var c Content
			if err := c.UnmarshalJSON(content); err != nil {
				v.wrongType(at+".content", "a string or an array of content parts", content)
				return
			}
			for j, p := range c.Parts {
				if p.Type == "" {
					v.fail(fmt.Sprintf("%s.content[%d].type", at, j), CodeMissingParameter, fmt.Sprintf("Missing required parameter: '%s.content[%d].type'.", at, j))
					return
				}
			}
		}
		if name, ok := m["name"]; ok && !isNull(name) {
			if _, err := jsonString(name); err != nil {
				v.wrongType(at+".name", "a string", name)
				return
			}
		}
	}
}

// InvalidJSON describes a body that is not one JSON object, without the
// decoder's Go vocabulary.
func InvalidJSON(err error) *ParamError {
	msg := "We could not parse the JSON body of your request: "
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		msg += fmt.Sprintf("%s (at byte %d).", syn.Error(), syn.Offset)
	case errors.Is(err, ErrDuplicateKey):
		msg += strings.TrimPrefix(err.Error(), "reading JSON object: ") + ": name each member once."
	default:
		msg += "it must be one JSON object, such as {\"model\": …, \"messages\": […]}."
	}
	return &ParamError{Code: CodeInvalidJSON, Message: msg}
}
