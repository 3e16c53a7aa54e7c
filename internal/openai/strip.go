package openai

import (
	"bytes"
	"encoding/json"
)

// UsageStripper removes from a Server-Sent Events stream the usage that
// the caller did not ask for: the network forces usage on every stream so
// that each hop can meter it (stream_options.include_usage), but OpenAI
// sends it only when asked, and code that reads choices[0] of every chunk
// breaks on the final chunk whose choices are empty. The usage-only event
// (choices [] and a usage object) is dropped, and a "usage" member of any
// other event is removed; every other byte passes through as it came.
//
// Events are held until their closing blank line, at most MaxUsageValue
// bytes of one; a longer event passes through unchanged. A UsageStripper
// is not safe for concurrent use.
type UsageStripper struct {
	// KeepUsageEvent keeps the usage at the end of the stream: the caller
	// asked for it there (include_usage), as OpenAI sends it, and only
	// the usage the other events carry is removed (which the network asks
	// of the engine in every chunk, continuous_usage_stats, to bill a
	// stream cut short). The end's usage is the usage-only event, or,
	// where an engine sends none (llama.cpp puts its usage on the finish
	// chunk), the usage of the chunk that gives a finish_reason: that
	// chunk is held until the next event says which.
	KeepUsageEvent bool

	pending []byte // the event that has not ended yet
	over    bool   // pending overflowed: pass the rest of the event through
	// held is a finish chunk with usage, as it came and without its
	// usage, until the next event shows whether a usage-only event follows.
	held, heldStripped []byte
}

// Write takes the next bytes of the stream and returns those ready to be
// sent on, which may share memory with p or the stripper until the next
// call.
func (s *UsageStripper) Write(p []byte) []byte {
	var out []byte
	for len(p) > 0 {
		if s.over {
			// Pass through up to the end of the overflowing event.
			end := eventEnd(p, 0)
			if end < 0 {
				return append(out, p...)
			}
			out = append(out, p[:end]...)
			p = p[end:]
			s.over = false
			continue
		}
		from := max(len(s.pending)-3, 0) // an event end may straddle the calls
		s.pending = append(s.pending, p...)
		p = nil
		for {
			end := eventEnd(s.pending, from)
			if end < 0 {
				break
			}
			out = s.event(out, s.pending[:end])
			s.pending = s.pending[end:]
			from = 0
		}
		if len(s.pending) > MaxUsageValue {
			out = s.release(out, true)
			out = append(out, s.pending...)
			s.pending = s.pending[:0]
			s.over = true
		}
		if len(s.pending) == 0 {
			s.pending = nil
		} else {
			s.pending = append([]byte(nil), s.pending...)
		}
	}
	return out
}

// Flush returns what is held at the end of the stream: an event without
// its closing blank line, stripped like the others.
func (s *UsageStripper) Flush() []byte {
	rest := s.pending
	s.pending = nil
	var out []byte
	if len(rest) > 0 {
		out = s.event(out, rest)
	}
	return s.release(out, true)
}

// event appends to out what is sent on of the complete event ev.
func (s *UsageStripper) event(out, ev []byte) []byte {
	stripped, kind := stripEvent(ev, s.KeepUsageEvent)
	out = s.release(out, kind != usageOnly)
	switch {
	case kind == usageOnly && !s.KeepUsageEvent:
		return out
	case kind == finishUsage && s.KeepUsageEvent:
		s.held = append([]byte(nil), ev...)
		s.heldStripped = append([]byte(nil), stripped...)
		return out
	}
	return append(out, stripped...)
}

// release appends the held finish chunk to out: with its usage when no
// usage-only event follows it.
func (s *UsageStripper) release(out []byte, withUsage bool) []byte {
	if s.held == nil {
		return out
	}
	if withUsage {
		out = append(out, s.held...)
	} else {
		out = append(out, s.heldStripped...)
	}
	s.held, s.heldStripped = nil, nil
	return out
}

// eventEnd returns the index after the blank line that ends the first
// event in b at or after from, or -1.
func eventEnd(b []byte, from int) int {
	for i := from; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		j := i + 1
		if j < len(b) && b[j] == '\r' {
			j++
		}
		if j < len(b) && b[j] == '\n' {
			return j + 1
		}
	}
	return -1
}

// eventKind is what usage an event carries.
type eventKind int

const (
	noUsage     eventKind = iota // none, or usage:null
	usageOnly                    // choices [] and a usage object
	chunkUsage                   // a usage member beside the choices
	finishUsage                  // the same, in a chunk with a finish_reason
)

// stripEvent returns one event (its lines and the blank line after them)
// without its usage member (the usage-only event unchanged), and what
// usage it carried; a chunk with a finish_reason is told apart only with
// keep.
func stripEvent(ev []byte, keep bool) ([]byte, eventKind) {
	if !bytes.Contains(ev, usageKey) && !bytes.Contains(ev, []byte(`\u`)) {
		return ev, noUsage
	}
	// The event's data: its data lines joined by newlines.
	var data []byte
	lines := bytes.Split(ev, []byte{'\n'})
	n := 0
	for _, line := range lines {
		line = bytes.TrimSuffix(line, []byte{'\r'})
		v, ok := bytes.CutPrefix(line, []byte("data:"))
		if !ok {
			continue
		}
		if n > 0 {
			data = append(data, '\n')
		}
		data = append(data, bytes.TrimPrefix(v, []byte{' '})...)
		n++
	}
	if !hasUsageKey(data) && !bytes.Contains(data, []byte(`"usage":null`)) {
		return ev, noUsage
	}
	m, err := DecodeObject(data)
	if err != nil {
		return ev, noUsage
	}
	u, ok := m["usage"]
	if !ok {
		return ev, noUsage
	}
	kind := chunkUsage
	if c, ok := m["choices"]; ok && bytes.Equal(bytes.TrimSpace(c), []byte("[]")) {
		return ev, usageOnly
	} else if keep && ok && !isNull(u) && finishes(c) {
		kind = finishUsage
	}
	delete(m, "usage")
	stripped := EncodeObject(m)
	// Keep the event's other fields (event:, id:) and write the data as
	// one line.
	out := make([]byte, 0, len(ev))
	wrote := false
	if ev[len(ev)-1] == '\n' {
		lines = lines[:len(lines)-1] // the empty piece after the last newline
	}
	for _, line := range lines {
		trimmed := bytes.TrimSuffix(line, []byte{'\r'})
		if bytes.HasPrefix(trimmed, []byte("data:")) {
			if wrote {
				continue
			}
			wrote = true
			out = append(out, "data: "...)
			out = append(out, stripped...)
			out = append(out, '\n')
			continue
		}
		out = append(out, line...)
		out = append(out, '\n')
	}
	return out, kind
}

// finishes reports whether choices (a JSON array of choices) has one
// with a finish_reason.
func finishes(choices json.RawMessage) bool {
	var cs []struct {
		FinishReason json.RawMessage `json:"finish_reason"`
	}
	if json.Unmarshal(choices, &cs) != nil {
		return false
	}
	for _, c := range cs {
		if len(c.FinishReason) > 0 && !isNull(c.FinishReason) {
			return true
		}
	}
	return false
}

// WantsStreamUsage reports whether the body asks for usage in its
// stream: stream_options.include_usage is true.
func (b *Body) WantsStreamUsage() bool { return b.streamOption("include_usage") }

// WantsContinuousUsage reports whether the body asks for the usage so far
// in every chunk of a stream (stream_options.continuous_usage_stats, as
// vLLM and SGLang name it).
func (b *Body) WantsContinuousUsage() bool { return b.streamOption("continuous_usage_stats") }

// streamOption reports whether the body's stream_options object sets the
// member name to true.
func (b *Body) streamOption(name string) bool {
	raw, ok := b.m["stream_options"]
	if !ok || isNull(raw) {
		return false
	}
	o, err := DecodeObject(raw)
	if err != nil {
		return false
	}
	return bytes.Equal(bytes.TrimSpace(o[name]), []byte("true"))
}

// IsStream reports whether the body asks for a stream.
func (b *Body) IsStream() bool {
	return bytes.Equal(bytes.TrimSpace(b.m["stream"]), []byte("true"))
}

// ValidateChat checks the body as a chat completion request (see
// ValidateChat).
func (b *Body) ValidateChat() error { return ValidateChat(b.m) }

// ValidateCompletion checks the body as a completion request (see
// ValidateCompletion).
func (b *Body) ValidateCompletion() error { return ValidateCompletion(b.m) }
