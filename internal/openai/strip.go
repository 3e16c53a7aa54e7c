package openai

import "bytes"

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
	pending []byte // the event that has not ended yet
	over    bool   // pending overflowed: pass the rest of the event through
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
			out = append(out, stripEvent(s.pending[:end])...)
			s.pending = s.pending[end:]
			from = 0
		}
		if len(s.pending) > MaxUsageValue {
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
	if len(rest) == 0 {
		return nil
	}
	return stripEvent(rest)
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

// stripEvent returns one event (its lines and the blank line after them)
// without the usage the caller did not ask for.
func stripEvent(ev []byte) []byte {
	if !bytes.Contains(ev, usageKey) && !bytes.Contains(ev, []byte(`\u`)) {
		return ev
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
		return ev
	}
	m, err := DecodeObject(data)
	if err != nil {
		return ev
	}
	if _, ok := m["usage"]; !ok {
		return ev
	}
	if c, ok := m["choices"]; ok && bytes.Equal(bytes.TrimSpace(c), []byte("[]")) {
		return nil // the usage chunk
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
	return out
}

// WantsStreamUsage reports whether the body asks for usage in its
// stream: stream_options.include_usage is true.
func (b *Body) WantsStreamUsage() bool {
	raw, ok := b.m["stream_options"]
	if !ok || isNull(raw) {
		return false
	}
	o, err := DecodeObject(raw)
	if err != nil {
		return false
	}
	return bytes.Equal(bytes.TrimSpace(o["include_usage"]), []byte("true"))
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
