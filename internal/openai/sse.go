package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DoneData is the data of the event that ends an OpenAI stream.
const DoneData = "[DONE]"

// flusher is what http.ResponseWriter offers to push buffered bytes out.
type flusher interface{ Flush() }

// SSEWriter writes Server-Sent Events, flushing after every event when the
// underlying writer can flush (an http.ResponseWriter can).
type SSEWriter struct {
	w   io.Writer
	f   flusher
	buf []byte
}

// NewSSEWriter returns a writer of events to w.
func NewSSEWriter(w io.Writer) *SSEWriter {
	f, _ := w.(flusher)
	return &SSEWriter{w: w, f: f}
}

// WriteData writes one event carrying data, which must not contain a
// newline (compact JSON never does).
func (s *SSEWriter) WriteData(data []byte) error {
	if bytes.ContainsAny(data, "\r\n") {
		return errors.New("writing sse event: data contains a line break")
	}
	s.buf = append(s.buf[:0], "data: "...)
	s.buf = append(s.buf, data...)
	s.buf = append(s.buf, '\n', '\n')
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("writing sse event: %w", err)
	}
	if s.f != nil {
		s.f.Flush()
	}
	return nil
}

// WriteJSON writes v as the data of one event.
func (s *SSEWriter) WriteJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding sse event: %w", err)
	}
	return s.WriteData(b)
}

// WriteDone writes the final "data: [DONE]" event.
func (s *SSEWriter) WriteDone() error { return s.WriteData([]byte(DoneData)) }
