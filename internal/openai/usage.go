package openai

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

// MaxUsageValue bounds the bytes a UsageCounter holds for one JSON value,
// SSE event or line that has not ended yet. Larger values are skipped.
const MaxUsageValue = 4 << 20

// TokenCounts is what a UsageCounter has seen so far: the maxima of the
// usage counters over every JSON value in the response, and how many
// content deltas went by.
type TokenCounts struct {
	PromptTokens     int64
	CachedTokens     int64
	CompletionTokens int64
	// ReasoningTokens is the maximum of both spellings,
	// usage.completion_tokens_details.reasoning_tokens and
	// usage.reasoning_tokens.
	ReasoningTokens int64
	// ContentDeltas counts choices carrying non-empty delta.content,
	// delta.reasoning_content or text.
	ContentDeltas int64
	// Values counts the JSON values parsed; Skipped those that were
	// malformed or larger than MaxUsageValue.
	Values  int64
	Skipped int64
}

// UsageCounter extracts token usage from a response body fed to it chunk
// by chunk, in any of the shapes OpenAI-compatible servers answer with:
// Server-Sent Events, newline-delimited JSON, or one (possibly
// pretty-printed) JSON body. The shape is detected from the first
// non-blank byte. Each byte is examined a bounded number of times, so the
// total cost is linear in the body, and at most MaxUsageValue bytes of an
// unfinished value are held.
//
// A UsageCounter is not safe for concurrent use.
type UsageCounter struct {
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
// strings, and parses each value once when it closes.
func (c *UsageCounter) writeJSON(p []byte) {
	start := 0
	for i := 0; i < len(p); i++ {
		b := p[i]
		if c.depth == 0 {
			switch b {
			case '{', '[':
				c.depth = 1
				start = i
			}
			// Whitespace and stray top-level scalars are ignored.
			continue
		}
		if c.inString {
			switch {
			case c.escaped:
				c.escaped = false
			case b == '\\':
				c.escaped = true
			case b == '"':
				c.inString = false
			}
			continue
		}
		switch b {
		case '"':
			c.inString = true
		case '{', '[':
			c.depth++
		case '}', ']':
			c.depth--
			if c.depth == 0 {
				c.appendPending(p[start : i+1])
				if c.over {
					c.counts.Skipped++
					c.over = false
				} else {
					c.value(c.pending)
				}
				c.pending = c.pending[:0]
			}
		}
	}
	if c.depth > 0 {
		c.appendPending(p[start:])
	}
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

// usageProbe picks out of a response value what billing needs.
type usageProbe struct {
	Usage *struct {
		PromptTokens        count `json:"prompt_tokens"`
		CompletionTokens    count `json:"completion_tokens"`
		ReasoningTokens     count `json:"reasoning_tokens"`
		PromptTokensDetails *struct {
			CachedTokens count `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
		CompletionTokensDetails *struct {
			ReasoningTokens count `json:"reasoning_tokens"`
		} `json:"completion_tokens_details"`
	} `json:"usage"`
	Choices []struct {
		Delta *struct {
			Content          *string `json:"content"`
			ReasoningContent *string `json:"reasoning_content"`
		} `json:"delta"`
		Text *string `json:"text"`
	} `json:"choices"`
}

func (c *UsageCounter) value(data []byte) {
	var p usageProbe
	if err := json.Unmarshal(data, &p); err != nil {
		c.counts.Skipped++
		return
	}
	c.counts.Values++
	if u := p.Usage; u != nil {
		c.counts.PromptTokens = max(c.counts.PromptTokens, int64(u.PromptTokens))
		c.counts.CompletionTokens = max(c.counts.CompletionTokens, int64(u.CompletionTokens))
		c.counts.ReasoningTokens = max(c.counts.ReasoningTokens, int64(u.ReasoningTokens))
		if d := u.PromptTokensDetails; d != nil {
			c.counts.CachedTokens = max(c.counts.CachedTokens, int64(d.CachedTokens))
		}
		if d := u.CompletionTokensDetails; d != nil {
			c.counts.ReasoningTokens = max(c.counts.ReasoningTokens, int64(d.ReasoningTokens))
		}
	}
	for _, ch := range p.Choices {
		switch {
		case ch.Delta != nil && ch.Delta.Content != nil && *ch.Delta.Content != "",
			ch.Delta != nil && ch.Delta.ReasoningContent != nil && *ch.Delta.ReasoningContent != "",
			ch.Text != nil && *ch.Text != "":
			c.counts.ContentDeltas++
		}
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }
