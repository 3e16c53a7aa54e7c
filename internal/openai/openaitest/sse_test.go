package openaitest

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/openai"
)

func TestSSEReader(t *testing.T) {
	in := ": comment\r\nevent: x\nid: 4\ndata: {\"a\":1}\ndata:second\r\n\n\n" +
		"retry: 5\ndata: [DONE]\n\ndata: tail"
	r := NewSSEReader(strings.NewReader(in))
	want := []SSEEvent{
		{Event: "x", ID: "4", Data: []byte("{\"a\":1}\nsecond")},
		{Data: []byte("[DONE]")},
		{Data: []byte("tail")},
	}
	for i, w := range want {
		ev, err := r.Next()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if ev.Event != w.Event || ev.ID != w.ID || !bytes.Equal(ev.Data, w.Data) {
			t.Errorf("event %d: got %+v (%q), want %+v (%q)", i, ev, ev.Data, w, w.Data)
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the last event: got %v, want io.EOF", err)
	}
}

func TestSSEReaderRest(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []string
		wantDone bool
		wantErr  error
	}{
		{name: "done", in: "data: a\n\n: c\ndata: b\n\ndata: [DONE]\n\n", want: []string{"a", "b"}, wantDone: true},
		{name: "cut off", in: "data: a\n\ndata: b", want: []string{"a", "b"}},
		{name: "empty", in: ""},
		{name: "event after done", in: "data: a\n\ndata: [DONE]\n\ndata: b\n\n", want: []string{"a"}, wantDone: true, wantErr: ErrEventAfterDone},
		{name: "line too long", in: "data: a\n\ndata: " + strings.Repeat("x", MaxSSELine+10) + "\n\n", want: []string{"a"}, wantErr: ErrSSELineTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, done, err := NewSSEReader(strings.NewReader(tt.in)).Rest()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			var got []string
			for _, d := range data {
				got = append(got, string(d))
			}
			if !slices.Equal(got, tt.want) || done != tt.wantDone {
				t.Errorf("got %q, done %v; want %q, done %v", got, done, tt.want, tt.wantDone)
			}
		})
	}
}

func TestSSEReaderBoundsLines(t *testing.T) {
	long := "data: " + strings.Repeat("x", MaxSSELine+10) + "\n\n"
	if _, err := NewSSEReader(strings.NewReader(long)).Next(); !errors.Is(err, ErrSSELineTooLong) {
		t.Errorf("got %v, want ErrSSELineTooLong", err)
	}
	many := strings.Repeat("data: "+strings.Repeat("y", 1000)+"\n", MaxSSELine/1000+2) + "\n"
	if _, err := NewSSEReader(strings.NewReader(many)).Next(); !errors.Is(err, ErrSSELineTooLong) {
		t.Errorf("many data lines: got %v, want ErrSSELineTooLong", err)
	}
}

func FuzzSSEReader(f *testing.F) {
	f.Add([]byte("data: {\"a\":1}\n\ndata: [DONE]\n\n"))
	f.Add([]byte("event: e\r\ndata: a\r\ndata: b\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var events [][]byte
		r := NewSSEReader(bytes.NewReader(data))
		for {
			ev, err := r.Next()
			if err != nil {
				break
			}
			if bytes.ContainsAny(ev.Data, "\r") {
				// A lone CR cannot be written back by the writer.
				return
			}
			events = append(events, ev.Data)
		}
		// Encode the events and read them back: the data must survive.
		var buf bytes.Buffer
		w := openai.NewSSEWriter(&buf)
		for _, d := range events {
			if !bytes.Contains(d, []byte{'\n'}) {
				if err := w.WriteData(d); err != nil {
					t.Fatal(err)
				}
				continue
			}
			for line := range bytes.SplitSeq(d, []byte{'\n'}) {
				buf.WriteString("data: ")
				buf.Write(line)
				buf.WriteByte('\n')
			}
			buf.WriteByte('\n')
		}
		r2 := NewSSEReader(&buf)
		for i, d := range events {
			ev, err := r2.Next()
			if err != nil {
				t.Fatalf("event %d: %v", i, err)
			}
			if !bytes.Equal(ev.Data, d) {
				t.Fatalf("event %d: got %q, want %q", i, ev.Data, d)
			}
		}
	})
}
