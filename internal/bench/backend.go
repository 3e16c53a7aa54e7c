package bench

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Shapes of the fake backend's stream.
const (
	// FormatNDJSON is the reference benchmark server's shape: one JSON
	// object per line, {"delta":"000…","i":k}, then a usage line.
	FormatNDJSON = "ndjson"
	// FormatSSE is an OpenAI chat.completion.chunk stream: one data event
	// per chunk, a usage chunk with no choices, then data: [DONE].
	FormatSSE = "sse"
)

// Defaults of the reference benchmark server.
const (
	DefaultChunks     = 50
	DefaultChunkBytes = 128
)

// Bounds on what a request may ask of the backend through its query.
const (
	maxChunks      = 100_000
	maxChunkBytes  = 1 << 20
	maxDelay       = time.Minute
	maxRequestBody = 1 << 20
)

// The usage the reference's server reports for every request.
const (
	UsagePrompt     = 34
	UsageCached     = 11
	UsageCompletion = 100
	UsageReasoning  = 10
)

// usageJSON is the usage object of every answer.
var usageJSON = fmt.Sprintf(`{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d,"prompt_tokens_details":{"cached_tokens":%d},"completion_tokens_details":{"reasoning_tokens":%d}}`,
	UsagePrompt, UsageCompletion, UsagePrompt+UsageCompletion, UsageCached, UsageReasoning)

// BackendOptions shape every answer of a Backend; the query parameters
// chunks, bytes and delay_ms override them per request, as on the
// reference's server.
type BackendOptions struct {
	// Format is FormatNDJSON (the default) or FormatSSE.
	Format string
	// Chunks is the number of content chunks (default 50).
	Chunks int
	// ChunkBytes is the length of each chunk's content (default 128).
	ChunkBytes int
	// Delay is the pause before each chunk after the first (default none).
	Delay time.Duration
	// Model is the name /v1/models lists and SSE chunks carry.
	Model string
}

// Backend is a fake streaming inference server: it answers every
// completion request with a fixed stream, and GET /v1/models with its one
// model, which is what workers probe for health. It holds no per-request
// state beyond the request and is safe for concurrent use.
type Backend struct {
	opts BackendOptions
	// requests counts completion requests answered (headers sent).
	requests atomic.Int64
}

// NewBackend checks opts and returns a backend.
func NewBackend(opts BackendOptions) (*Backend, error) {
	if opts.Format == "" {
		opts.Format = FormatNDJSON
	}
	if opts.Format != FormatNDJSON && opts.Format != FormatSSE {
		return nil, fmt.Errorf("setting up the fake backend: unknown format %q (want %s or %s)", opts.Format, FormatNDJSON, FormatSSE)
	}
	if opts.Chunks == 0 {
		opts.Chunks = DefaultChunks
	}
	if opts.ChunkBytes == 0 {
		opts.ChunkBytes = DefaultChunkBytes
	}
	if err := checkShape(opts.Chunks, opts.ChunkBytes, opts.Delay); err != nil {
		return nil, fmt.Errorf("setting up the fake backend: %w", err)
	}
	if opts.Model == "" {
		opts.Model = "bench"
	}
	return &Backend{opts: opts}, nil
}

func checkShape(chunks, size int, delay time.Duration) error {
	switch {
	case chunks < 0 || chunks > maxChunks:
		return fmt.Errorf("chunks %d outside [0, %d]", chunks, maxChunks)
	case size < 0 || size > maxChunkBytes:
		return fmt.Errorf("bytes %d outside [0, %d]", size, maxChunkBytes)
	case delay < 0 || delay > maxDelay:
		return fmt.Errorf("delay %v outside [0, %v]", delay, maxDelay)
	}
	return nil
}

// Requests reports how many completion requests the backend has answered.
func (b *Backend) Requests() int64 { return b.requests.Load() }

// ServeHTTP answers GET /v1/models and POST /v1/chat/completions or
// /v1/completions.
func (b *Backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/v1/models" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"object":"list","data":[{"id":%q,"object":"model","created":0,"owned_by":"cocoon-bench"}]}`, b.opts.Model)
	case r.URL.Path == "/v1/chat/completions" || r.URL.Path == "/v1/completions":
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if err := b.stream(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	default:
		http.NotFound(w, r)
	}
}

// shape reads the per-request overrides of the query.
func (b *Backend) shape(r *http.Request) (chunks, size int, delay time.Duration, err error) {
	chunks, size, delay = b.opts.Chunks, b.opts.ChunkBytes, b.opts.Delay
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		dst  *int
	}{{"chunks", &chunks}, {"bytes", &size}} {
		if s := q.Get(p.name); s != "" {
			if *p.dst, err = strconv.Atoi(s); err != nil {
				return 0, 0, 0, fmt.Errorf("query %s: %w", p.name, err)
			}
		}
	}
	if s := q.Get("delay_ms"); s != "" {
		ms, err := strconv.Atoi(s)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("query delay_ms: %w", err)
		}
		if ms < 0 || ms > int(maxDelay/time.Millisecond) {
			return 0, 0, 0, fmt.Errorf("delay_ms %d outside [0, %d]", ms, maxDelay/time.Millisecond)
		}
		delay = time.Duration(ms) * time.Millisecond
	}
	return chunks, size, delay, checkShape(chunks, size, delay)
}

// stream writes one answer, flushing after every chunk. An error before
// the head is the request's fault; after it the client went away and the
// answer just stops.
func (b *Backend) stream(w http.ResponseWriter, r *http.Request) error {
	chunks, size, delay, err := b.shape(r)
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxRequestBody)); err != nil {
		return fmt.Errorf("reading the request body: %w", err)
	}
	var prefix, suffix, tail string
	if b.opts.Format == FormatSSE {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		prefix = `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":0,"model":` + strconv.Quote(b.opts.Model) + `,"choices":[{"index":0,"delta":{"content":"`
		suffix = `"}}]}` + "\n\n"
		tail = `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":0,"model":` + strconv.Quote(b.opts.Model) + `,"choices":[],"usage":` + usageJSON + "}\n\ndata: [DONE]\n\n"
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson")
		prefix = `{"delta":"`
		suffix = `","i":`
		tail = `{"usage":` + usageJSON + "}\n"
	}
	b.requests.Add(1)
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	buf := make([]byte, 0, len(prefix)+size+len(suffix)+24)
	buf = append(buf, prefix...)
	for range size {
		buf = append(buf, '0')
	}
	buf = append(buf, suffix...)
	base := len(buf)
	var timer *time.Timer
	for i := range chunks {
		if i > 0 && delay > 0 {
			if timer == nil {
				timer = time.NewTimer(delay)
				defer timer.Stop()
			} else {
				timer.Reset(delay)
			}
			select {
			case <-r.Context().Done():
				return nil
			case <-timer.C:
			}
		}
		buf = buf[:base]
		if b.opts.Format == FormatNDJSON {
			buf = strconv.AppendInt(buf, int64(i), 10)
			buf = append(buf, "}\n"...)
		}
		if _, err := w.Write(buf); err != nil {
			return nil
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
	io.WriteString(w, tail)
	return nil
}

var _ http.Handler = (*Backend)(nil)
