package client

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

// header is one HTTP header as http.response carries it.
type header struct{ name, value string }

// head is the start of an answer: the engine's status and headers as the
// hops passed them on.
type head struct {
	status int
	reason string
	header []header
}

// answerError is a failure reported by the network with a TON error code.
type answerError struct {
	code    int32
	message string
}

func (e *answerError) Error() string { return fmt.Sprintf("%s (code %d)", e.message, e.code) }

// finalInfo is what the last message of an answer says.
type finalInfo struct {
	tokens int64 // adjusted tokens billed for the request
	// workerDebug and proxyDebug are the hops' timing as JSON objects,
	// present when the request asked for enable_debug.
	workerDebug, proxyDebug string
}

// stream is the answer to one request as it arrives from a proxy
// connection: the connection pushes, the HTTP handler pulls. Pushing never
// blocks; a stream that holds more than maxBuffered bytes fails.
type stream struct {
	mu       sync.Mutex // guards the fields below
	h        *head
	chunks   [][]byte
	buffered int
	done     bool
	err      error
	final    *finalInfo
	wake     chan struct{} // 1-buffered; signalled on every change
	onClose  func()        // called once by close
	closed   bool
}

func newStream(onClose func()) *stream {
	return &stream{wake: make(chan struct{}, 1), onClose: onClose}
}

func (s *stream) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pushHead records the answer's head and its first body bytes.
func (s *stream) pushHead(h head, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done || s.h != nil {
		return
	}
	s.h = &h
	s.appendLocked(data)
	s.signal()
}

// pushData appends body bytes.
func (s *stream) pushData(data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	s.appendLocked(data)
	s.signal()
}

func (s *stream) appendLocked(data []byte) {
	if len(data) == 0 {
		return
	}
	if s.buffered+len(data) > maxBuffered {
		s.done = true
		s.err = &answerError{wire.CodeError, "client: caller reads too slowly, answer buffer overflowed"}
		s.chunks = nil
		return
	}
	s.chunks = append(s.chunks, append([]byte(nil), data...))
	s.buffered += len(data)
}

// finish ends the answer successfully.
func (s *stream) finish(f *finalInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	s.done, s.final = true, f
	s.signal()
}

// fail ends the answer with err.
func (s *stream) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	s.done, s.err = true, err
	s.signal()
}

// waitHead returns the head once it has arrived, or the error that ended
// the answer before it, or ctx's error.
func (s *stream) waitHead(ctx context.Context) (head, error) {
	for {
		s.mu.Lock()
		h, done, err := s.h, s.done, s.err
		s.mu.Unlock()
		if h != nil {
			return *h, nil
		}
		if done {
			if err == nil {
				err = &answerError{wire.CodeError, "answer ended without a head"}
			}
			return head{}, err
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return head{}, ctx.Err()
		}
	}
}

// next returns the body bytes that arrived since the last call, waiting
// for some. At the end it returns nil with done true, and the error that
// ended the answer, if any.
func (s *stream) next(ctx context.Context) (chunks [][]byte, done bool, err error) {
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

// ready reports whether next would return without waiting.
func (s *stream) ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.chunks) > 0 || s.done
}

// finalInfo returns the final info of an answer that ended well, or nil.
func (s *stream) finalInfo() *finalInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.final
}

// close releases the stream: the connection forgets the request and, if
// it was still running, tells the proxy where the proxy understands it.
func (s *stream) close() {
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
