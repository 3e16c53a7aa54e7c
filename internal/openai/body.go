package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Defaults the client applies when a request leaves COCOON's fields out.
const (
	DefaultMaxCoefficient = 4000
	DefaultTimeout        = 120 * time.Second
	DefaultMaxTokens      = 1000
)

// maxTimeout bounds the timeout a request may ask for.
const maxTimeout = 24 * time.Hour

// CocoonParams are the members COCOON adds to an OpenAI request body; the
// client consumes them and removes them before forwarding.
type CocoonParams struct {
	// MaxCoefficient is the highest worker price coefficient accepted
	// (1000 = 1.0x).
	MaxCoefficient uint32
	Timeout        time.Duration
	EnableDebug    bool
	RequestGUID    string
}

// Body is a request body decoded once: a hop reads it and applies its
// rewrites to the decoded members, then encodes it once with Bytes. The
// free functions below (ExtractCocoonParams, RequestModel, …) do the same
// for one step each.
type Body struct {
	raw     []byte
	m       map[string]json.RawMessage
	changed bool
}

// ParseBody decodes a request body, which must be one JSON object without
// repeated keys.
func ParseBody(body []byte) (*Body, error) {
	m, err := DecodeObject(body)
	if err != nil {
		return nil, err
	}
	return &Body{raw: body, m: m}, nil
}

// Has reports whether the body has the member key.
func (b *Body) Has(key string) bool {
	_, ok := b.m[key]
	return ok
}

// Bytes returns the body with its rewrites: the bytes it was parsed from
// when nothing changed, otherwise its members encoded with keys in sorted
// order.
func (b *Body) Bytes() []byte {
	if !b.changed {
		return b.raw
	}
	b.raw, b.changed = EncodeObject(b.m), false
	return b.raw
}

func (b *Body) set(key string, v json.RawMessage) {
	b.m[key] = v
	b.changed = true
}

func (b *Body) drop(key string) {
	delete(b.m, key)
	b.changed = true
}

// AskContinuousUsage asks a streaming request for the usage so far in
// every chunk, not only in a last one: stream_options gets
// continuous_usage_stats=true, as vLLM and SGLang name it (engines that
// do not know it ignore it). A stream cut short then shows the prompt and
// the completion tokens it delivered. Bodies that do not stream stay as
// they are; call it after ForceIncludeUsage.
func (b *Body) AskContinuousUsage() error {
	stream := false
	if v, ok := b.m["stream"]; ok && !isNull(v) {
		if err := json.Unmarshal(v, &stream); err != nil {
			return fmt.Errorf("reading stream: want a boolean, got %s", clip(v))
		}
	}
	if !stream {
		return nil
	}
	o := map[string]json.RawMessage{}
	if opts, ok := b.m["stream_options"]; ok && !isNull(opts) {
		var err error
		if o, err = DecodeObject(opts); err != nil {
			return fmt.Errorf("reading stream_options: %w", err)
		}
	}
	if bytes.Equal(o["continuous_usage_stats"], []byte("true")) {
		return nil
	}
	o["continuous_usage_stats"] = json.RawMessage("true")
	b.set("stream_options", EncodeObject(o))
	return nil
}

// ExtractCocoonParams reads max_coefficient, timeout, enable_debug and
// request_guid, applying the defaults for absent ones, and removes them.
// The body must have a string model.
func (b *Body) ExtractCocoonParams() (CocoonParams, error) {
	p := CocoonParams{MaxCoefficient: DefaultMaxCoefficient, Timeout: DefaultTimeout}
	if _, err := b.Model(); err != nil {
		return p, err
	}
	if v, ok := b.m["max_coefficient"]; ok {
		n, err := parseCount(v)
		if err != nil || n > math.MaxUint32 {
			return p, &ParamError{Param: "max_coefficient", Code: CodeInvalidValue,
				Message: fmt.Sprintf("Invalid 'max_coefficient': expected an integer between 0 and %d (1000 = 1.0x the base price), but got %s instead.", uint32(math.MaxUint32), clip(v))}
		}
		p.MaxCoefficient = uint32(n)
		b.drop("max_coefficient")
	}
	if v, ok := b.m["timeout"]; ok {
		var secs float64
		if err := json.Unmarshal(v, &secs); err != nil || secs <= 0 || secs > maxTimeout.Seconds() {
			return p, &ParamError{Param: "timeout", Code: CodeInvalidValue,
				Message: fmt.Sprintf("Invalid 'timeout': expected a number of seconds above 0 and at most %v, but got %s instead.", maxTimeout.Seconds(), clip(v))}
		}
		p.Timeout = time.Duration(secs * float64(time.Second))
		b.drop("timeout")
	}
	if v, ok := b.m["enable_debug"]; ok {
		if err := json.Unmarshal(v, &p.EnableDebug); err != nil {
			return p, &ParamError{Param: "enable_debug", Code: CodeInvalidType,
				Message: fmt.Sprintf("Invalid type for 'enable_debug': expected a boolean, but got %s instead.", clip(v))}
		}
		b.drop("enable_debug")
	}
	if v, ok := b.m["request_guid"]; ok {
		s, err := jsonString(v)
		if err != nil {
			return p, &ParamError{Param: "request_guid", Code: CodeInvalidType,
				Message: fmt.Sprintf("Invalid type for 'request_guid': expected a string, but got %s instead.", clip(v))}
		}
		p.RequestGUID = s
		b.drop("request_guid")
	}
	return p, nil
}

// Model returns the model the body names.
func (b *Body) Model() (string, error) {
	v, ok := b.m["model"]
	if !ok {
		return "", errors.New("reading request body: model is missing")
	}
	s, err := jsonString(v)
	if err != nil {
		return "", fmt.Errorf("reading model: want a string, got %s", clip(v))
	}
	return s, nil
}

// MaxTokens returns the effective completion limit: max_completion_tokens
// if present, otherwise max_tokens, otherwise def.
func (b *Body) MaxTokens(def int64) (int64, error) {
	n, present, err := maxTokensOf(b.m)
	if err != nil {
		return 0, err
	}
	if !present {
		return def, nil
	}
	return n, nil
}

// DropMaxTokensIfCompletionLimit removes max_tokens when the body also
// sets max_completion_tokens, which then governs alone.
func (b *Body) DropMaxTokensIfCompletionLimit() {
	if b.Has("max_completion_tokens") && b.Has("max_tokens") {
		b.drop("max_tokens")
	}
}

// CapMaxTokens bounds the completion limit at limit: a larger
// max_completion_tokens or max_tokens is lowered to it, and a body with
// neither gets max_tokens set to it.
func (b *Body) CapMaxTokens(limit int64) error {
	if limit < 0 {
		return fmt.Errorf("capping max tokens: negative limit %d", limit)
	}
	present := false
	for _, key := range []string{"max_completion_tokens", "max_tokens"} {
		v, ok := b.m[key]
		if !ok || isNull(v) {
			continue
		}
		n, err := parseCount(v)
		if err != nil {
			return fmt.Errorf("reading %s: want a non-negative integer, got %s", key, clip(v))
		}
		present = true
		if n > uint64(limit) {
			b.set(key, json.RawMessage(strconv.FormatInt(limit, 10)))
		}
	}
	if !present {
		b.set("max_tokens", json.RawMessage(strconv.FormatInt(limit, 10)))
	}
	return nil
}

// ForceIncludeUsage makes a streaming request report usage: a body with
// stream_options but no stream is made streaming, and a streaming body
// gets stream_options.include_usage=true. Non-streaming bodies stay as
// they are.
func (b *Body) ForceIncludeUsage() error {
	stream := false
	if v, ok := b.m["stream"]; ok && !isNull(v) {
		if err := json.Unmarshal(v, &stream); err != nil {
			return fmt.Errorf("reading stream: want a boolean, got %s", clip(v))
		}
	}
	opts, hasOpts := b.m["stream_options"]
	if hasOpts && isNull(opts) {
		hasOpts = false
	}
	if !stream && !hasOpts {
		return nil
	}
	o := map[string]json.RawMessage{}
	if hasOpts {
		var err error
		if o, err = DecodeObject(opts); err != nil {
			return fmt.Errorf("reading stream_options: %w", err)
		}
	}
	if stream && bytes.Equal(o["include_usage"], []byte("true")) {
		return nil
	}
	o["include_usage"] = json.RawMessage("true")
	b.set("stream_options", EncodeObject(o))
	b.set("stream", json.RawMessage("true"))
	return nil
}

// maxTokensOf reads the effective limit and whether any field set it.
func maxTokensOf(m map[string]json.RawMessage) (int64, bool, error) {
	for _, key := range []string{"max_completion_tokens", "max_tokens"} {
		v, ok := m[key]
		if !ok || isNull(v) {
			continue
		}
		n, err := parseCount(v)
		if err != nil {
			return 0, false, fmt.Errorf("reading %s: want a non-negative integer, got %s", key, clip(v))
		}
		return int64(n), true, nil
	}
	return 0, false, nil
}

// isNull reports whether a JSON value is null.
func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

// jsonString decodes a JSON string; one without escapes is taken as it is.
func jsonString(v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		plain := v[1 : len(v)-1]
		if bytes.IndexByte(plain, '\\') < 0 && bytes.IndexByte(plain, '"') < 0 && utf8.Valid(plain) && !hasControl(plain) {
			return string(plain), nil
		}
	}
	var s string
	err := json.Unmarshal(v, &s)
	return s, err
}

// hasControl reports whether b holds a byte JSON strings must escape.
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// parseCount reads a non-negative JSON integer.
func parseCount(v json.RawMessage) (uint64, error) {
	return strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 63)
}

// clip shortens a JSON value quoted in an error message.
func clip(v json.RawMessage) string {
	const n = 40
	if len(v) > n {
		return string(v[:n]) + "…"
	}
	return string(v)
}
