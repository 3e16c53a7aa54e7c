package openai

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// MaxUsageValue bounds the bytes a UsageCounter holds for one JSON value,
// SSE event or line that has not ended yet. Larger values are skipped.
const MaxUsageValue = 4 << 20

// TokenCounts is what a UsageCounter has seen so far: the maxima of the
// usage counters over every JSON value in the response.
type TokenCounts struct {
	PromptTokens     int64
	CachedTokens     int64
	CompletionTokens int64
	// ReasoningTokens is the maximum of both spellings,
	// usage.completion_tokens_details.reasoning_tokens and
	// usage.reasoning_tokens.
	ReasoningTokens int64
	// AudioMillis is the longest audio duration reported, in
	// milliseconds rounded up: usage of type "duration" with "seconds",
	// as OpenAI's and vLLM's transcriptions report whisper models.
	AudioMillis int64
	// Values counts the JSON values examined: SSE events other than
	// [DONE], or top-level JSON values. Skipped counts the values left
	// out, larger than MaxUsageValue or unfinished at the end, and those
	// whose usage object could not be decoded.
	Values  int64
	Skipped int64
	// ContentValues counts the values without a usage object that carry
	// generated text: a member content, text, reasoning_content,
	// reasoning, refusal or arguments holding a non-empty string, as a
	// streamed chunk of completion tokens does (not counted by an audio
	// counter, whose answers are billed by their audio).
	ContentValues int64
}

// Delivered returns the counts to bill a response by when it may have
// been cut short before its final usage: the completion tokens are at
// least the values of generated text seen, since an engine streams each
// such chunk for one token or more. The prompt tokens are those a usage
// object reported, none when no usage came: an engine that reports usage
// in every chunk (continuous_usage_stats) makes both exact.
func (c TokenCounts) Delivered() TokenCounts {
	c.CompletionTokens = max(c.CompletionTokens, c.ContentValues)
	return c
}

// UsageCounter extracts token usage from a response body fed to it chunk
// by chunk, in any of the shapes OpenAI-compatible servers answer with:
// Server-Sent Events, newline-delimited JSON, or one (possibly
// pretty-printed) JSON body. The shape is detected from the first
// non-blank byte. Each byte is examined a bounded number of times, so the
// total cost is linear in the body, and at most MaxUsageValue bytes of an
// unfinished value are held.
//
// Usage is read, as the reference reads it, from the top-level key
// "usage" of each value, where it holds an object. Only values in which a
// byte scan finds such a key are decoded as JSON: the streamed content
// chunks, and chunks that carry "usage": null, are only scanned.
//
// A UsageCounter is not safe for concurrent use.
type UsageCounter struct {
	audio   bool // also read a top-level "duration" (NewAudioUsageCounter)
	mode    byte // 0 undetected, 's' SSE, 'j' JSON values
	counts  TokenCounts
	pending []byte // SSE: the unfinished line; JSON: the unfinished value
	event   []byte // SSE: data lines of the current event
	hasData bool   // SSE: the current event has a data line
	over    bool   // the unfinished line, event or value overflowed

	// JSON-values scanner state.
	depth    int
	inString bool
	escaped  bool
}

// NewUsageCounter returns an empty counter.
func NewUsageCounter() *UsageCounter { return &UsageCounter{} }

// NewAudioUsageCounter returns an empty counter for the answers of the
// audio endpoints, which also takes a top-level "duration" (seconds, as a
// number or a numeric string) for the audio's length: the verbose_json
// answers of OpenAI and vLLM carry it, vLLM's without a usage object.
func NewAudioUsageCounter() *UsageCounter { return &UsageCounter{audio: true} }

// Write feeds the next bytes of the body. It never fails.
func (c *UsageCounter) Write(p []byte) (int, error) {
	n := len(p)
	if c.mode == 0 {
		i := 0
		for i < len(p) && isSpace(p[i]) {
			i++
		}
		if i == len(p) {
			return n, nil
		}
		p = p[i:]
		if p[0] == '{' || p[0] == '[' {
			c.mode = 'j'
		} else {
			c.mode = 's'
		}
	}
	if c.mode == 's' {
		c.writeSSE(p)
	} else {
		c.writeJSON(p)
	}
	return n, nil
}

// Finish processes what is left after the last byte: an SSE event without
// its closing blank line, or a final line without a newline.
func (c *UsageCounter) Finish() {
	if c.mode == 's' {
		if len(c.pending) > 0 || c.over {
			c.sseLine(c.pending)
			c.pending = c.pending[:0]
		}
		c.endEvent()
	}
	if c.mode == 'j' && (c.depth > 0 || len(c.pending) > 0) {
		c.counts.Skipped++
		c.pending, c.depth, c.inString, c.escaped, c.over = c.pending[:0], 0, false, false, false
	}
}

// Counts returns what has been seen so far.
func (c *UsageCounter) Counts() TokenCounts { return c.counts }

func (c *UsageCounter) writeSSE(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.appendPending(p)
			return
		}
		line := p[:i]
		if len(c.pending) > 0 || c.over {
			c.appendPending(line)
			line = c.pending
		}
		c.sseLine(line)
		c.pending = c.pending[:0]
		p = p[i+1:]
	}
}

func (c *UsageCounter) appendPending(p []byte) {
	if c.over || len(c.pending)+len(p) > MaxUsageValue {
		c.over = true
		c.pending = c.pending[:0]
		return
	}
	if need := len(c.pending) + len(p); need > cap(c.pending) {
		grown := make([]byte, len(c.pending), min(MaxUsageValue, max(2*need, 512)))
		copy(grown, c.pending)
		c.pending = grown
	}
	c.pending = append(c.pending, p...)
}

// sseLine handles one complete line of an SSE stream.
func (c *UsageCounter) sseLine(line []byte) {
	if c.over {
		// The line was too long to keep: its event cannot be parsed.
		c.over = false
		c.event = c.event[:0]
		c.hasData = false
		c.counts.Skipped++
		return
	}
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) == 0 {
		c.endEvent()
		return
	}
	value, ok := bytes.CutPrefix(line, []byte("data:"))
	if !ok {
		return // comments, event:, id:, retry:
	}
	value = bytes.TrimPrefix(value, []byte{' '})
	if len(c.event)+len(value)+1 > MaxUsageValue {
		c.event = c.event[:0]
		c.hasData = false
		c.counts.Skipped++
		return
	}
	if need := len(c.event) + len(value) + 1; need > cap(c.event) {
		grown := make([]byte, len(c.event), min(MaxUsageValue, max(2*need, 512)))
		copy(grown, c.event)
		c.event = grown
	}
	if c.hasData {
		c.event = append(c.event, '\n')
	}
	c.event = append(c.event, value...)
	c.hasData = true
}

func (c *UsageCounter) endEvent() {
	if !c.hasData {
		return
	}
	data := bytes.TrimSpace(c.event)
	if string(data) != DoneData && len(data) > 0 {
		c.value(data)
	}
	c.event = c.event[:0]
	c.hasData = false
}

// writeJSON splits a sequence of JSON values by tracking nesting depth and
// strings, and examines each value once when it closes: in place when it
// lies within p, from pending when it began in an earlier Write.
func (c *UsageCounter) writeJSON(p []byte) {
	start := 0
	for i := 0; i < len(p); {
		if c.depth == 0 {
			// Whitespace and stray top-level scalars are ignored.
			if b := p[i]; b == '{' || b == '[' {
				c.depth = 1
				start = i
			}
			i++
			continue
		}
		if c.inString {
			i = c.skipString(p, i)
			continue
		}
		switch p[i] {
		case '"':
			c.inString = true
		case '{', '[':
			c.depth++
		case '}', ']':
			c.depth--
			if c.depth == 0 {
				c.endValue(p[start : i+1])
			}
		}
		i++
	}
	if c.depth > 0 {
		c.appendPending(p[start:])
	}
}

// skipString advances through a JSON string from p[i], which is inside
// it, and returns where scanning goes on: after the closing quote, or at
// the end of p.
func (c *UsageCounter) skipString(p []byte, i int) int {
	for i < len(p) {
		if c.escaped {
			c.escaped = false
			i++
			continue
		}
		rest := p[i:]
		q := bytes.IndexByte(rest, '"')
		if q >= 0 {
			rest = rest[:q]
		}
		if e := bytes.IndexByte(rest, '\\'); e >= 0 {
			c.escaped = true
			i += e + 1
			continue
		}
		if q < 0 {
			return len(p)
		}
		c.inString = false
		return i + q + 1
	}
	return i
}

// endValue handles the last bytes of a JSON value: all of it when nothing
// of it is pending from an earlier Write.
func (c *UsageCounter) endValue(tail []byte) {
	if len(c.pending) == 0 && !c.over {
		if len(tail) > MaxUsageValue {
			c.counts.Skipped++
			return
		}
		c.value(tail)
		return
	}
	c.appendPending(tail)
	if c.over {
		c.counts.Skipped++
		c.over = false
	} else {
		c.value(c.pending)
	}
	c.pending = c.pending[:0]
}

// count is a token counter that decodes leniently: integers and floats
// count (truncated, negatives as zero), anything else as zero.
type count int64

func (n *count) UnmarshalJSON(b []byte) error {
	if v, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		*n = count(max(v, 0))
		return nil
	}
	if f, err := strconv.ParseFloat(string(b), 64); err == nil && f > 0 && f < math.MaxInt64 {
		*n = count(f)
		return nil
	}
	*n = 0
	return nil
}

// MaxAudioMillis bounds a reported audio duration (about 31 years): a
// larger one counts as this.
const MaxAudioMillis = 1_000_000_000_000

// seconds is an audio duration in seconds, decoded exactly from its JSON
// number into milliseconds rounded up: negatives and anything not a
// number count as zero, and values past MaxAudioMillis as it.
type seconds int64

func (s *seconds) UnmarshalJSON(b []byte) error {
	*s = seconds(millisOf(b))
	return nil
}

// millisOf converts a JSON number of seconds to milliseconds, rounded up,
// in integer arithmetic.
func millisOf(b []byte) int64 {
	num := string(b)
	if len(num) == 0 || len(num) > 64 || num[0] == '-' {
		return 0
	}
	mant, exp := num, 0
	if i := strings.IndexAny(num, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(num[i+1:], "+"))
		if err != nil || e < -40 || e > 40 {
			return 0
		}
		mant, exp = num[:i], e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	if digits == "" || strings.Trim(digits, "0123456789") != "" || intPart == "" {
		return 0
	}
	n, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return 0
	}
	// value·1000 = n · 10^(exp + 3 − len(frac))
	shift := exp + 3 - len(frac)
	ten := big.NewInt(10)
	if shift >= 0 {
		n.Mul(n, new(big.Int).Exp(ten, big.NewInt(int64(shift)), nil))
	} else {
		d := new(big.Int).Exp(ten, big.NewInt(int64(-shift)), nil)
		q, r := new(big.Int).QuoRem(n, d, new(big.Int))
		if r.Sign() != 0 {
			q.Add(q, big.NewInt(1))
		}
		n = q
	}
	if !n.IsInt64() || n.Int64() > MaxAudioMillis {
		return MaxAudioMillis
	}
	return n.Int64()
}

// usage is what billing needs from a value's "usage" object: the chat
// and completion counters, and the audio endpoints' two shapes, type
// "tokens" (input_tokens, output_tokens) and type "duration" (seconds).
type usage struct {
	PromptTokens        count   `json:"prompt_tokens"`
	CompletionTokens    count   `json:"completion_tokens"`
	ReasoningTokens     count   `json:"reasoning_tokens"`
	InputTokens         count   `json:"input_tokens"`
	OutputTokens        count   `json:"output_tokens"`
	Seconds             seconds `json:"seconds"`
	PromptTokensDetails *struct {
		CachedTokens count `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens count `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

// value examines one complete JSON value.
func (c *UsageCounter) value(data []byte) {
	c.counts.Values++
	if c.audio && bytes.Contains(data, []byte(`"duration"`)) {
		if raw, err := objectMember(data, "duration"); err == nil && len(raw) > 0 {
			raw = bytes.Trim(raw, `"`)
			c.counts.AudioMillis = max(c.counts.AudioMillis, millisOf(raw))
		}
	}
	if !hasUsageKey(data) {
		// Chunks of text are counted where no usage comes with them: a
		// usage object counts what delivered them, exactly. An audio
		// answer is whole and billed by its audio, its text not tokens
		// generated.
		if !c.audio && hasContent(data) {
			c.counts.ContentValues++
		}
		return
	}
	u, err := decodeUsage(data)
	if err != nil {
		c.counts.Skipped++
		return
	}
	if u == nil {
		return
	}
	c.counts.PromptTokens = max(c.counts.PromptTokens, int64(u.PromptTokens), int64(u.InputTokens))
	c.counts.CompletionTokens = max(c.counts.CompletionTokens, int64(u.CompletionTokens), int64(u.OutputTokens))
	c.counts.AudioMillis = max(c.counts.AudioMillis, int64(u.Seconds))
	c.counts.ReasoningTokens = max(c.counts.ReasoningTokens, int64(u.ReasoningTokens))
	if d := u.PromptTokensDetails; d != nil {
		c.counts.CachedTokens = max(c.counts.CachedTokens, int64(d.CachedTokens))
	}
	if d := u.CompletionTokensDetails; d != nil {
		c.counts.ReasoningTokens = max(c.counts.ReasoningTokens, int64(d.ReasoningTokens))
	}
}

// decodeUsage decodes the object under data's top-level key "usage"
// (spelled exactly so, after unescaping), or returns nil when there is
// none or it is not an object.
func decodeUsage(data []byte) (*usage, error) {
	raw, err := objectMember(data, "usage")
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, nil
	}
	var u usage
	if err := json.Unmarshal(raw, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// hasUsageKey reports whether data may hold a key "usage" whose value is
// an object: a quoted string that spells usage (its letters plain or as
// \u escapes), then a colon and an opening brace. It is a superset of
// what decodeUsage finds; a string value that happens to spell the same
// only costs a decode.
func hasUsageKey(data []byte) bool {
	for rest := data; ; {
		i := bytes.Index(rest, usageKey)
		if i < 0 {
			break
		}
		rest = rest[i+len(usageKey):]
		if objectFollows(rest) {
			return true
		}
	}
	if !bytes.Contains(data, []byte(`\u`)) {
		return false
	}
	// A key with escaped letters: try every quote.
	for rest := data; ; {
		i := bytes.IndexByte(rest, '"')
		if i < 0 {
			return false
		}
		rest = rest[i+1:]
		if n, ok := spellsUsage(rest); ok && objectFollows(rest[n:]) {
			return true
		}
	}
}

var usageKey = []byte(`"usage"`)

// spellsUsage reports whether s starts with the letters of usage, each
// plain or as a \u escape, and a closing quote, and how many bytes that
// took.
func spellsUsage(s []byte) (int, bool) {
	n := 0
	for _, want := range []byte("usage") {
		switch {
		case n < len(s) && s[n] == want:
			n++
		case len(s)-n >= 6 && s[n] == '\\' && s[n+1] == 'u' && unhex4(s[n+2:n+6]) == int(want):
			n += 6
		default:
			return 0, false
		}
	}
	if n < len(s) && s[n] == '"' {
		return n + 1, true
	}
	return 0, false
}

// unhex4 decodes four hexadecimal digits, or returns -1.
func unhex4(h []byte) int {
	v := 0
	for _, b := range h {
		switch {
		case b >= '0' && b <= '9':
			v = v<<4 | int(b-'0')
		case b >= 'a' && b <= 'f':
			v = v<<4 | int(b-'a'+10)
		case b >= 'A' && b <= 'F':
			v = v<<4 | int(b-'A'+10)
		default:
			return -1
		}
	}
	return v
}

// objectFollows reports whether s starts with a colon and an opening
// brace, with optional whitespace around the colon.
func objectFollows(s []byte) bool {
	i := afterColon(s)
	return i >= 0 && i < len(s) && s[i] == '{'
}

// afterColon returns the index of what follows the colon that starts s,
// with optional whitespace around the colon, or -1 when s does not start
// with one.
func afterColon(s []byte) int {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i == len(s) || s[i] != ':' {
		return -1
	}
	i++
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// contentKeys are the members that carry generated text in OpenAI's
// streamed chunks and answers, quoted as keys.
var contentKeys = [][]byte{[]byte(`"content"`), []byte(`"text"`), []byte(`"reasoning_content"`), []byte(`"reasoning"`), []byte(`"refusal"`), []byte(`"arguments"`)}

// contentMember is how the usual chunk spells its text's member.
var contentMember = []byte(`"content":"`)

// hasContent reports whether data holds one of contentKeys as a key
// whose value is a non-empty string. A key is a quoted word not preceded
// by a backslash (inside a string, quotes are escaped) and followed by a
// colon, which no string value is. The usual chunk is found by one
// search; any other takes a pass that visits each quote once.
func hasContent(data []byte) bool {
	if i := bytes.Index(data, contentMember); i >= 0 && (i == 0 || data[i-1] != '\\') &&
		i+len(contentMember) < len(data) && data[i+len(contentMember)] != '"' {
		return true
	}
	for i := 0; i < len(data); {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return false
		}
		at := i + j
		i = at + 1
		if i == len(data) || (at > 0 && data[at-1] == '\\') {
			continue
		}
		switch data[i] {
		case 'c', 't', 'r', 'a':
		default:
			continue
		}
		for _, key := range contentKeys {
			if bytes.HasPrefix(data[at:], key) && nonEmptyStringFollows(data[at+len(key):]) {
				return true
			}
		}
	}
	return false
}

// nonEmptyStringFollows reports whether s starts with a colon and a
// string of at least one character, with optional whitespace around the
// colon.
func nonEmptyStringFollows(s []byte) bool {
	i := afterColon(s)
	return i >= 0 && i+1 < len(s) && s[i] == '"' && s[i+1] != '"'
}
