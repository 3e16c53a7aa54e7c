package enginetest

import (
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// Stream is an OpenAI-compatible engine that streams a short chat answer:
// /v1/models lists no model, and any other request is answered with three
// chunks, "t0 ", "t1 " and "t2 ", then [DONE]. Serve a *Stream; it is
// safe for concurrent requests.
type Stream struct {
	// ContinuousUsage has each chunk report the usage so far, 3 prompt
	// tokens and one completion token a chunk, as vLLM's continuous usage
	// stats do. Without it, a last chunk without choices reports 3 prompt
	// and 4 completion tokens.
	ContinuousUsage bool
	// Pause is how long it waits after each chunk; the stream ends there
	// when the request ends first.
	Pause time.Duration
	// Stall, while set, holds the stream after its second chunk until the
	// request ends.
	Stall atomic.Bool
}

var _ http.Handler = (*Stream)(nil)

// ServeHTTP answers r.
func (s *Stream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v1/models" {
		fmt.Fprint(w, `{"object":"list","data":[]}`)
		return
	}
	// Read the whole body first: only then does the server notice a
	// client that goes away.
	io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "text/event-stream")
	for i := range 3 {
		if i == 2 && s.Stall.Load() {
			<-r.Context().Done()
			return
		}
		usage := ""
		if s.ContinuousUsage {
			usage = fmt.Sprintf(`,"usage":{"prompt_tokens":3,"completion_tokens":%d,"total_tokens":%d}`, i+1, i+4)
		}
		fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t%d \"}}]%s}\n\n", i, usage)
		w.(http.Flusher).Flush()
		if s.Pause > 0 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(s.Pause):
			}
		}
	}
	if !s.ContinuousUsage {
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}\n\n")
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}
