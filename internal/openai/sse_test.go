package openai

import (
	"bytes"
	"testing"
)

type flushRecorder struct {
	bytes.Buffer
	flushes int
}

func (f *flushRecorder) Flush() { f.flushes++ }

func TestSSEWriterFlushesEveryEvent(t *testing.T) {
	var w flushRecorder
	s := NewSSEWriter(&w)
	if err := s.WriteJSON(map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteDone(); err != nil {
		t.Fatal(err)
	}
	if want := "data: {\"a\":1}\n\ndata: [DONE]\n\n"; w.String() != want {
		t.Errorf("got %q, want %q", w.String(), want)
	}
	if w.flushes != 2 {
		t.Errorf("got %d flushes, want 2", w.flushes)
	}
	if err := s.WriteData([]byte("a\nb")); err == nil {
		t.Error("writing data with a newline: got no error")
	}
}
