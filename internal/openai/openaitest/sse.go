// Package openaitest reads what the OpenAI API sends, for tests: an
// SSEReader of a stream's events, as an SDK reads them, one at a time
// or the rest of a stream at once.
package openaitest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/cocoon-go/cocoon/internal/openai"
)

// MaxSSELine bounds one line, and the data of one event, read by an
// SSEReader.
const MaxSSELine = 1 << 20

// ErrEventAfterDone reports an event that follows OpenAI's end-of-stream
// marker.
var ErrEventAfterDone = errors.New("sse event after [DONE]")

// ErrSSELineTooLong reports an event line or data longer than MaxSSELine.
var ErrSSELineTooLong = errors.New("sse line too long")

// SSEEvent is one event read from a stream.
type SSEEvent struct {
	Event string // the event field, empty for the default "message"
	ID    string
	Data  []byte // data lines joined by "\n"
}

// IsDone reports whether the event is OpenAI's end-of-stream marker.
func (e SSEEvent) IsDone() bool { return string(e.Data) == openai.DoneData }

// SSEReader reads events one at a time without holding more than one
// event in memory.
type SSEReader struct {
	r    *bufio.Reader
	line []byte
}

// NewSSEReader returns a reader of the events in r.
func NewSSEReader(r io.Reader) *SSEReader {
	return &SSEReader{r: bufio.NewReaderSize(r, 4096)}
}

// readLine returns the next line without its terminator; the slice is
// valid until the next call. A final line without terminator counts.
func (s *SSEReader) readLine() ([]byte, error) {
	s.line = s.line[:0]
	for {
		frag, err := s.r.ReadSlice('\n')
		if len(s.line)+len(frag) > MaxSSELine+2 {
			return nil, fmt.Errorf("reading sse stream: %w (over %d bytes)", ErrSSELineTooLong, MaxSSELine)
		}
		s.line = append(s.line, frag...)
		switch {
		case err == nil:
			l := bytes.TrimSuffix(s.line[:len(s.line)-1], []byte{'\r'})
			return l, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(s.line) > 0:
			return bytes.TrimSuffix(s.line, []byte{'\r'}), nil
		default:
			return nil, err
		}
	}
}

// Next returns the next event that carries data. It returns io.EOF at
// the end of the stream; an event cut off by the end is still returned.
func (s *SSEReader) Next() (SSEEvent, error) {
	var ev SSEEvent
	var data []byte
	hasData := false
	for {
		line, err := s.readLine()
		if errors.Is(err, io.EOF) {
			if hasData {
				ev.Data = data
				return ev, nil
			}
			return SSEEvent{}, io.EOF
		}
		if err != nil {
			return SSEEvent{}, err
		}
		if len(line) == 0 {
			if hasData {
				ev.Data = data
				return ev, nil
			}
			ev = SSEEvent{}
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte{':'})
		value = bytes.TrimPrefix(value, []byte{' '})
		switch string(field) {
		case "data":
			if len(data)+len(value)+1 > MaxSSELine {
				return SSEEvent{}, fmt.Errorf("reading sse event: %w (data over %d bytes)", ErrSSELineTooLong, MaxSSELine)
			}
			if hasData {
				data = append(data, '\n')
			}
			data = append(data, value...)
			hasData = true
		case "event":
			ev.Event = string(value)
		case "id":
			ev.ID = string(value)
		}
	}
}

// Rest reads the rest of the stream: the data of every event before
// [DONE], and whether [DONE] came. An event after [DONE] is an error.
func (s *SSEReader) Rest() (data [][]byte, done bool, err error) {
	for {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			return data, done, nil
		}
		if err != nil {
			return data, done, err
		}
		switch {
		case done:
			return data, done, fmt.Errorf("reading sse stream: %w: %q", ErrEventAfterDone, ev.Data)
		case ev.IsDone():
			done = true
		default:
			data = append(data, ev.Data)
		}
	}
}
