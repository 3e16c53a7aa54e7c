package gateway

import (
	"context"
	"fmt"
	"sync"

	"github.com/cocoon-go/cocoon/internal/wire"
)

// maxBuffered bounds the answer bytes a stream holds for a caller that
// reads slower than the proxy sends; beyond it the request fails rather
// than stalling the proxy connection that other requests share.
const maxBuffered = 32 << 20

// Header is one HTTP header as http.response carries it.
type Header struct{ Name, Value string }

// Head is the start of an answer: the engine's status and headers as the
// hops passed them on.
type Head struct {
	Status int
	Reason string
	Header []Header
}

// AnswerError is a failure reported by the network with a TON error code.
type AnswerError struct {
	Code    int32
	Message string
}

func (e *AnswerError) Error() string { return fmt.Sprintf("%s (code %d)", e.Message, e.Code) }

// FinalInfo is what the last message of an answer says.
type FinalInfo struct {
	Tokens int64 // adjusted tokens billed for the request
	// WorkerDebug and ProxyDebug are the hops' timing as JSON objects,
	// present when the request asked for enable_debug.
	WorkerDebug, ProxyDebug string
}

// Stream is the answer to one request as it arrives from a proxy
// connection: the connection pushes (PushHead, PushData, Finish, Fail),
// the HTTP handler pulls. Pushing never
// blocks; a stream that holds more than maxBuffered bytes fails.
type Stream struct {
	mu       sync.Mutex // guards the fields below
	h        *Head
	chunks   [][]byte
	buffered int
	done     bool
	err      error
	final    *FinalInfo
	wake     chan struct{} // 1-buffered; signalled on every change
	onClose  func()        // called once by close
	closed   bool
}

// NewStream returns the stream of a request; onClose, if set, runs once
// when the handler closes it.
func NewStream(onClose func()) *Stream {
	return &Stream{wake: make(chan struct{}, 1), onClose: onClose}
}

func (s *Stream) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// PushHead records the answer's head and its first body bytes.
func (s *Stream) PushHead(h Head, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done || s.h != nil {
		return
	}
	s.h = &h
	s.appendLocked(data)
	s.signal()
}

// PushData appends body bytes.
func (s *Stream) PushData(data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	s.appendLocked(data)
	s.signal()
}

func (s *Stream) appendLocked(data []byte) {
	if len(data) == 0 {
		return
	}
	if s.buffered+len(data) > maxBuffered {
		s.done = true
		s.err = &AnswerError{wire.CodeError, "client: caller reads too slowly, answer buffer overflowed"}
		s.chunks = nil
		return
	}
	s.chunks = append(s.chunks, append([]byte(nil), data...))
	s.buffered += len(data)
}

// Finish ends the answer successfully.
func (s *Stream) Finish(f *FinalInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	s.done, s.final = true, f
	s.signal()
}

// Fail ends the answer with err.
func (s *Stream) Fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	s.done, s.err = true, err
	s.signal()
}

// WaitHead returns the head once it has arrived, or the error that ended
// the answer before it, or ctx's error.
func (s *Stream) WaitHead(ctx context.Context) (Head, error) {
	for {
		s.mu.Lock()
		h, done, err := s.h, s.done, s.err
		s.mu.Unlock()
		if h != nil {
			return *h, nil
		}
		if done {
			if err == nil {
				err = &AnswerError{wire.CodeError, "answer ended without a head"}
			}
			return Head{}, err
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return Head{}, ctx.Err()
		}
	}
}

// Next returns the body bytes that arrived since the last call, waiting
// for some. At the end it returns nil with done true, and the error that
// ended the answer, if any.
func (s *Stream) Next(ctx context.Context) (chunks [][]byte, done bool, err error) {
	for {
		s.mu.Lock()
		chunks, s.chunks, s.buffered = s.chunks, nil, 0
		done, err = s.done, s.err
		s.mu.Unlock()
		if len(chunks) > 0 {
			return chunks, false, nil
		}
		if done {
			return nil, true, err
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return nil, true, ctx.Err()
		}
	}
}

// Ready reports whether Next would return without waiting.
func (s *Stream) Ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.chunks) > 0 || s.done
}

// FinalInfo returns the final info of an answer that ended well, or nil.
func (s *Stream) FinalInfo() *FinalInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.final
}

// Close releases the stream: the connection forgets the request and, if
// it was still running, tells the proxy where the proxy understands it.
func (s *Stream) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.done = true
	s.mu.Unlock()
	if s.onClose != nil {
		s.onClose()
	}
}
