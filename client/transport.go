package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// transport is an http.RoundTripper that serves each request with a
// handler in this process: the request goes straight into the handler,
// and the response streams out of it as the handler writes, with no
// listener, socket or HTTP encoding between them.
type transport struct {
	h http.Handler
}

var _ http.RoundTripper = transport{}

// RoundTrip serves req with the handler and returns the response once the
// handler has committed its head. The body streams what the handler
// writes after; closing it early cancels the request's context, as a
// caller that goes away does.
func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	in := req.Clone(ctx)
	in.RequestURI = req.URL.RequestURI()
	in.Proto, in.ProtoMajor, in.ProtoMinor = "HTTP/1.1", 1, 1
	in.RemoteAddr = "in-process"
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	if in.Body == nil {
		in.Body = http.NoBody
	}
	pr, pw := io.Pipe()
	w := &pipeWriter{header: http.Header{}, body: pw, committed: make(chan struct{})}
	go func() {
		defer func() {
			if p := recover(); p != nil {
				w.fail(fmt.Errorf("serving %s %s in process: panic: %v", req.Method, req.URL.Path, p))
				return
			}
			w.finish()
		}()
		t.h.ServeHTTP(w, in)
	}()
	select {
	case <-w.committed:
	case <-ctx.Done():
		cancel()
		pr.CloseWithError(ctx.Err())
		return nil, ctx.Err()
	}
	if w.err != nil {
		cancel()
		return nil, w.err
	}
	res := &http.Response{
		Status: fmt.Sprintf("%d %s", w.status, http.StatusText(w.status)), StatusCode: w.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: w.sent, Body: &body{PipeReader: pr, cancel: cancel}, ContentLength: -1, Request: req,
	}
	if n, err := strconv.ParseInt(w.sent.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
		res.ContentLength = n
	}
	return res, nil
}

// body is a response body; closing it ends the request.
type body struct {
	*io.PipeReader
	cancel context.CancelFunc
}

func (b *body) Close() error {
	b.cancel()
	return b.PipeReader.Close()
}

// pipeWriter is the http.ResponseWriter of an in-process request: its
// head is committed once (on WriteHeader, the first Write or Flush, or
// when the handler returns), its body written into a pipe that the
// response's body reads.
type pipeWriter struct {
	header http.Header
	body   *io.PipeWriter

	// once commits the head: it sets status, sent (the header as
	// committed) and err, then closes committed.
	once      sync.Once
	committed chan struct{}
	status    int
	sent      http.Header
	err       error
}

var (
	_ http.ResponseWriter = (*pipeWriter)(nil)
	_ http.Flusher        = (*pipeWriter)(nil)
)

func (w *pipeWriter) Header() http.Header { return w.header }

func (w *pipeWriter) WriteHeader(status int) {
	if status >= 100 && status < 200 {
		return // informational heads are not passed on
	}
	w.commit(status, nil)
}

func (w *pipeWriter) commit(status int, err error) {
	w.once.Do(func() {
		w.status, w.sent, w.err = status, w.header.Clone(), err
		close(w.committed)
	})
}

func (w *pipeWriter) Write(b []byte) (int, error) {
	w.commit(http.StatusOK, nil)
	return w.body.Write(b)
}

// Flush commits the head; what was written is in the pipe already, read
// as soon as the caller reads.
func (w *pipeWriter) Flush() { w.commit(http.StatusOK, nil) }

// finish ends the response once the handler returned.
func (w *pipeWriter) finish() {
	w.commit(http.StatusOK, nil)
	w.body.Close()
}

// fail ends the response with err: the round trip fails if the head was
// not committed yet, else the body ends with err.
func (w *pipeWriter) fail(err error) {
	w.commit(0, err)
	w.body.CloseWithError(err)
}
