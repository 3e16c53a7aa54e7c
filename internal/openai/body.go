package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
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

// ExtractCocoonParams reads max_coefficient, timeout, enable_debug and
// request_guid from a request body, applying the defaults for absent
// ones, and returns the body without them. The body must be a JSON object
// with a string model.
func ExtractCocoonParams(body []byte) (CocoonParams, []byte, error) {
	p := CocoonParams{MaxCoefficient: DefaultMaxCoefficient, Timeout: DefaultTimeout}
	m, err := DecodeObject(body)
	if err != nil {
		return p, nil, fmt.Errorf("reading request body: %w", err)
	}
	if _, err := modelOf(m); err != nil {
		return p, nil, err
	}
	changed := false
	if v, ok := m["max_coefficient"]; ok {
		n, err := parseCount(v)
		if err != nil || n > math.MaxUint32 {
			return p, nil, fmt.Errorf("reading max_coefficient: want an unsigned 32-bit integer, got %s", clip(v))
		}
		p.MaxCoefficient = uint32(n)
		delete(m, "max_coefficient")
		changed = true
	}
	if v, ok := m["timeout"]; ok {
		var secs float64
		if err := json.Unmarshal(v, &secs); err != nil || secs <= 0 || secs > maxTimeout.Seconds() {
			return p, nil, fmt.Errorf("reading timeout: want seconds in (0, %v], got %s", maxTimeout.Seconds(), clip(v))
		}
		p.Timeout = time.Duration(secs * float64(time.Second))
		delete(m, "timeout")
		changed = true
	}
	if v, ok := m["enable_debug"]; ok {
		if err := json.Unmarshal(v, &p.EnableDebug); err != nil {
			return p, nil, fmt.Errorf("reading enable_debug: want a boolean, got %s", clip(v))
		}
		delete(m, "enable_debug")
		changed = true
	}
	if v, ok := m["request_guid"]; ok {
		if err := json.Unmarshal(v, &p.RequestGUID); err != nil {
			return p, nil, fmt.Errorf("reading request_guid: want a string, got %s", clip(v))
		}
		delete(m, "request_guid")
		changed = true
	}
	if !changed {
		return p, body, nil
	}
	return p, EncodeObject(m), nil
}

// RequestModel returns the model a request body names.
func RequestModel(body []byte) (string, error) {
	m, err := DecodeObject(body)
	if err != nil {
		return "", fmt.Errorf("reading request body: %w", err)
	}
	return modelOf(m)
}

func modelOf(m map[string]json.RawMessage) (string, error) {
	v, ok := m["model"]
	if !ok {
		return "", errors.New("reading request body: model is missing")
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("reading model: want a string, got %s", clip(v))
	}
	return s, nil
}

// MaxTokens returns the effective completion limit of a request body:
// max_completion_tokens if present, otherwise max_tokens, otherwise def.
func MaxTokens(body []byte, def int64) (int64, error) {
	m, err := DecodeObject(body)
	if err != nil {
		return 0, fmt.Errorf("reading request body: %w", err)
	}
	n, present, err := maxTokensOf(m)
	if err != nil {
		return 0, err
	}
	if !present {
		return def, nil
	}
	return n, nil
}

// maxTokensOf reads the effective limit and whether any field set it.
func maxTokensOf(m map[string]json.RawMessage) (int64, bool, error) {
	for _, key := range []string{"max_completion_tokens", "max_tokens"} {
		v, ok := m[key]
		if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
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

// DropMaxTokensIfCompletionLimit removes max_tokens from a body that also
// sets max_completion_tokens, which then governs alone.
func DropMaxTokensIfCompletionLimit(body []byte) ([]byte, error) {
	m, err := DecodeObject(body)
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	_, hasMCT := m["max_completion_tokens"]
	_, hasMT := m["max_tokens"]
	if !hasMCT || !hasMT {
		return body, nil
	}
	delete(m, "max_tokens")
	return EncodeObject(m), nil
}

// CapMaxTokens bounds the completion limit of a body at limit: a larger
// max_completion_tokens or max_tokens is lowered to it, and a body with
// neither gets max_tokens set to it.
func CapMaxTokens(body []byte, limit int64) ([]byte, error) {
	if limit < 0 {
		return nil, fmt.Errorf("capping max tokens: negative limit %d", limit)
	}
	m, err := DecodeObject(body)
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	changed := false
	present := false
	for _, key := range []string{"max_completion_tokens", "max_tokens"} {
		v, ok := m[key]
		if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			continue
		}
		n, err := parseCount(v)
		if err != nil {
			return nil, fmt.Errorf("reading %s: want a non-negative integer, got %s", key, clip(v))
		}
		present = true
		if n > uint64(limit) {
			m[key] = json.RawMessage(strconv.FormatInt(limit, 10))
			changed = true
		}
	}
	if !present {
		m["max_tokens"] = json.RawMessage(strconv.FormatInt(limit, 10))
		changed = true
	}
	if !changed {
		return body, nil
	}
	return EncodeObject(m), nil
}

// ForceIncludeUsage makes a streaming request report usage: a body with
// stream_options but no stream is made streaming, and a streaming body
// gets stream_options.include_usage=true. Non-streaming bodies are
// returned unchanged.
func ForceIncludeUsage(body []byte) ([]byte, error) {
	m, err := DecodeObject(body)
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	stream := false
	if v, ok := m["stream"]; ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		if err := json.Unmarshal(v, &stream); err != nil {
			return nil, fmt.Errorf("reading stream: want a boolean, got %s", clip(v))
		}
	}
	opts, hasOpts := m["stream_options"]
	if hasOpts && bytes.Equal(bytes.TrimSpace(opts), []byte("null")) {
		hasOpts = false
	}
	if !stream && !hasOpts {
		return body, nil
	}
	o := map[string]json.RawMessage{}
	if hasOpts {
		if o, err = DecodeObject(opts); err != nil {
			return nil, fmt.Errorf("reading stream_options: %w", err)
		}
	}
	if stream && bytes.Equal(o["include_usage"], []byte("true")) {
		return body, nil
	}
	o["include_usage"] = json.RawMessage("true")
	m["stream_options"] = EncodeObject(o)
	m["stream"] = json.RawMessage("true")
	return EncodeObject(m), nil
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
