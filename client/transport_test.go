package client

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func roundTrip(t *testing.T, h http.Handler, req *http.Request) *http.Response {
	t.Helper()
	res, err := transport{h: h}.RoundTrip(req)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	return res
}

func TestTransportServesTheRequest(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo", r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Authorization")+" "+r.Host)
		w.WriteHeader(http.StatusTeapot)
		w.Write(append([]byte("got "), b...))
		w.Header().Set("X-Late", "ignored, as net/http ignores it")
	})
	req, _ := http.NewRequest(http.MethodPost, BaseURL+"chat/completions?x=1", strings.NewReader("hello"))
	req.Header.Set("Authorization", "Bearer k")
	res := roundTrip(t, h, req)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusTeapot || res.Status != "418 I'm a teapot" || string(b) != "got hello" {
		t.Errorf("got %s %q, want 418 and the echo", res.Status, b)
	}
	if got, want := res.Header.Get("X-Echo"), "POST /v1/chat/completions?x=1 Bearer k cocoon.invalid"; got != want {
		t.Errorf("the handler saw %q, want %q", got, want)
	}
	if res.Header.Get("X-Late") != "" {
		t.Error("a header set after the head was committed reached the response")
	}
}

func TestTransportDefaults(t *testing.T) {
	tests := []struct {
		name       string
		h          http.HandlerFunc
		wantStatus int
		wantLength int64
	}{
		{"nothing written", func(http.ResponseWriter, *http.Request) {}, http.StatusOK, -1},
		{"content length", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "2")
			w.Write([]byte("ok"))
		}, http.StatusOK, 2},
		{"an informational head first", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusContinue)
			w.WriteHeader(http.StatusAccepted)
		}, http.StatusAccepted, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, BaseURL+"models", nil)
			res := roundTrip(t, tt.h, req)
			res.Body.Close()
			if res.StatusCode != tt.wantStatus || res.ContentLength != tt.wantLength {
				t.Errorf("got %d, length %d; want %d, length %d", res.StatusCode, res.ContentLength, tt.wantStatus, tt.wantLength)
			}
		})
	}
}

// TestTransportStreams reads each event while the handler is still
// writing the next: the answer streams, it is not buffered.
func TestTransportStreams(t *testing.T) {
	next := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, ev := range []string{"one", "two", "three"} {
			io.WriteString(w, "data: "+ev+"\n\n")
			w.(http.Flusher).Flush()
			<-next
		}
	})
	req, _ := http.NewRequest(http.MethodPost, BaseURL+"chat/completions", strings.NewReader("{}"))
	res := roundTrip(t, h, req)
	defer res.Body.Close()
	rd := bufio.NewReader(res.Body)
	for _, want := range []string{"one", "two", "three"} {
		line, err := rd.ReadString('\n')
		if err != nil || line != "data: "+want+"\n" {
			t.Fatalf("got %q, %v; want the event %s before the handler writes the next", line, err, want)
		}
		rd.ReadString('\n')
		next <- struct{}{}
	}
	if _, err := rd.ReadByte(); err != io.EOF {
		t.Errorf("after the last event: got %v, want EOF", err)
	}
}

// TestTransportCloseCancels closes the body in the middle of an answer:
// the handler's request context ends, as when a caller goes away.
func TestTransportCloseCancels(t *testing.T) {
	cancelled := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("first"))
		<-r.Context().Done()
		cancelled <- r.Context().Err()
	})
	req, _ := http.NewRequest(http.MethodGet, BaseURL+"models", nil)
	res := roundTrip(t, h, req)
	buf := make([]byte, 5)
	if _, err := io.ReadFull(res.Body, buf); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("the handler's context ended with %v, want Canceled", err)
	}
}

func TestTransportContextBeforeHead(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release })
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, BaseURL+"models", nil)
	cancel()
	if _, err := (transport{h: h}).RoundTrip(req); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want Canceled", err)
	}
}

func TestTransportPanic(t *testing.T) {
	before := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
	req, _ := http.NewRequest(http.MethodGet, BaseURL+"models", nil)
	if _, err := (transport{h: before}).RoundTrip(req); err == nil || !strings.Contains(err.Error(), "panic: boom") {
		t.Errorf("a panic before the head: got %v, want an error naming it", err)
	}
	after := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("partial"))
		panic("boom")
	})
	res := roundTrip(t, after, req)
	defer res.Body.Close()
	if b, err := io.ReadAll(res.Body); string(b) != "partial" || err == nil || !strings.Contains(err.Error(), "panic: boom") {
		t.Errorf("a panic in the body: got %q, %v; want what was written, then an error naming it", b, err)
	}
}
