package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// chunkSize bounds the engine bytes carried by one answer part.
const chunkSize = 64 << 10

// chunkPool holds the engine read buffers of serveQuery. A buffer goes
// back when its query returns: neither the usage counter nor the sink
// keeps the bytes past the call (sessionSink.part encodes them into the
// session's pending frames before returning).
var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// maxQueryBody bounds the request body the worker accepts from a proxy.
const maxQueryBody = 8 << 20

// header is one HTTP header as http.request and http.response carry it.
type header struct{ name, value string }

// query is the worker's view of one proxy.runQueryEx.
type query struct {
	method, url string
	header      []header
	body        []byte
	coefficient int64
	timeout     time.Duration
}

// answerSink receives the answer to one query: at most one head, then
// parts, then exactly one of finish and fail. fail may come without a
// head. An error from the sink means the proxy is gone; serving stops.
type answerSink interface {
	head(status int, reason string, h []header) error
	part(data []byte) error
	finish(tokens billing.Adjusted, start, end time.Time) error
	fail(code int32, message string, tokens billing.Adjusted, start, end time.Time) error
}

// queryError is a failure reported to the proxy with a TON error code.
type queryError struct {
	code    int32
	message string
}

func (e *queryError) Error() string { return e.message }

// prepare validates a query for a worker serving baseModel and returns the
// body to send to the engine: the completion limit capped (a body without
// one gets the default that the proxy reserved for) and usage reporting
// forced on streams. Every OpenAI field is passed through; the engine
// judges what it supports.
func prepare(q *query, baseModel string) (path string, body []byte, err error) {
	path = q.url
	if i := strings.IndexByte(path, '/'); i > 0 {
		path = path[i:] // an absolute URL: keep the path
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if path != "/v1/chat/completions" && path != "/v1/completions" {
		return "", nil, &queryError{wire.CodeProtoViolation, fmt.Sprintf("unsupported method %s %s", q.method, path)}
	}
	if q.method != http.MethodPost {
		return "", nil, &queryError{wire.CodeProtoViolation, fmt.Sprintf("unsupported method %s %s", q.method, path)}
	}
	if len(q.body) > maxQueryBody {
		return "", nil, &queryError{wire.CodeProtoViolation, fmt.Sprintf("request body of %d bytes exceeds %d", len(q.body), maxQueryBody)}
	}
	obj, err := openai.DecodeObject(q.body)
	if err != nil {
		return "", nil, &queryError{wire.CodeProtoViolation, "invalid request body: " + err.Error()}
	}
	model, err := openai.RequestModel(q.body)
	if err != nil {
		return "", nil, &queryError{wire.CodeProtoViolation, err.Error()}
	}
	if model != baseModel {
		return "", nil, &queryError{wire.CodeProtoViolation, fmt.Sprintf("model name mismatch: request names %q, worker serves %q", model, baseModel)}
	}
	switch path {
	case "/v1/chat/completions":
		if _, ok := obj["messages"]; !ok {
			return "", nil, &queryError{wire.CodeProtoViolation, "invalid request body: messages is missing"}
		}
	case "/v1/completions":
		if _, ok := obj["prompt"]; !ok {
			return "", nil, &queryError{wire.CodeProtoViolation, "invalid request body: prompt is missing"}
		}
	}
	limit, err := openai.MaxTokens(q.body, openai.DefaultMaxTokens)
	if err != nil {
		return "", nil, &queryError{wire.CodeProtoViolation, err.Error()}
	}
	body, err = openai.CapMaxTokens(q.body, limit)
	if err != nil {
		return "", nil, &queryError{wire.CodeProtoViolation, err.Error()}
	}
	body, err = openai.ForceIncludeUsage(body)
	if err != nil {
		return "", nil, &queryError{wire.CodeProtoViolation, err.Error()}
	}
	return path, body, nil
}

// sessionSink sends one request's answer to the proxy as proxy.*Ex
// messages.
type sessionSink struct {
	pc     *proxyConn
	id     [32]byte
	debug  bool      // the request asked for timing details
	headAt time.Time // when the engine's head arrived
	failed bool
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

func (s *sessionSink) head(status int, reason string, h []header) error {
	s.headAt = s.pc.w.now()
	resp := &tl.HTTPResponse{HTTPVersion: "HTTP/1.1", StatusCode: int32(status), Reason: reason}
	for _, kv := range h {
		resp.Headers = append(resp.Headers, tl.HTTPHeader{Name: kv.name, Value: kv.value})
	}
	return s.pc.sess.SendObject(&tl.ProxyQueryAnswerEx{RequestID: s.id, Answer: tl.Marshal(resp)})
}

func (s *sessionSink) part(data []byte) error {
	s.pc.w.metrics.AddBytes(len(data))
	return s.pc.sess.SendObject(&tl.ProxyQueryAnswerPartEx{RequestID: s.id, Answer: data})
}

// finalInfo builds the last message's final info; with debug it carries
// the worker's timing in the reference's debug form.
func (s *sessionSink) finalInfo(tokens billing.Adjusted, start, end time.Time) *tl.ProxyQueryFinalInfo {
	f := &tl.ProxyQueryFinalInfo{
		Flags: 2,
		TokensUsed: tl.TokensUsed{
			PromptTokensUsed: tokens.Prompt, CachedTokensUsed: tokens.Cached,
			CompletionTokensUsed: tokens.Completion, ReasoningTokensUsed: tokens.Reasoning, TotalTokensUsed: tokens.Total,
		},
		WorkerStartTime: unixSeconds(start), WorkerEndTime: unixSeconds(end),
	}
	if s.debug {
		headAt := s.headAt
		if headAt.IsZero() {
			headAt = end
		}
		f.Flags |= 1
		f.WorkerDebug = fmt.Sprintf(`{"type":"worker","start_time":%.6f,"answer_receive_start_at":%.6f,"answer_receive_end_at":%.6f}`,
			unixSeconds(start), unixSeconds(headAt), unixSeconds(end))
	}
	return f
}

func (s *sessionSink) finish(tokens billing.Adjusted, start, end time.Time) error {
	return s.pc.sess.SendObject(&tl.ProxyQueryAnswerPartEx{RequestID: s.id, Flags: 1, FinalInfo: s.finalInfo(tokens, start, end)})
}

func (s *sessionSink) fail(code int32, message string, tokens billing.Adjusted, start, end time.Time) error {
	s.failed = true
	return s.pc.sess.SendObject(&tl.ProxyQueryAnswerErrorEx{RequestID: s.id, ErrorCode: code, Error: message, Flags: 1, FinalInfo: s.finalInfo(tokens, start, end)})
}

// responseHopHeaders are dropped from the engine's answer: each hop sets
// its own framing.
var responseHopHeaders = map[string]bool{"Content-Length": true, "Transfer-Encoding": true, "Connection": true, "Keep-Alive": true}

// serveQuery runs one query on the engine and streams the answer into
// sink. It returns when the answer is complete, failed, or ctx ends (the
// proxy's time budget, a cancellation or a dropped connection), and in
// every case aborts the engine request before returning.
func serveQuery(ctx context.Context, eng *Engine, baseModel string, prices billing.Prices, q *query, sink answerSink, now func() time.Time) error {
	start := now()
	fail := func(code int32, msg string, tokens billing.Adjusted) error {
		return sink.fail(code, msg, tokens, start, now())
	}
	path, body, err := prepare(q, baseModel)
	if err != nil {
		var qe *queryError
		errors.As(err, &qe)
		return fail(qe.code, qe.message, billing.Adjusted{})
	}
	if q.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, q.timeout)
		defer cancel()
	}
	h := make(http.Header, len(q.header))
	for _, kv := range q.header {
		h.Add(kv.name, kv.value)
	}
	res, err := eng.Do(ctx, q.method, path, h, body)
	if err != nil {
		code, msg := engineFailure(ctx, err)
		return fail(code, msg, billing.Adjusted{})
	}
	defer res.Body.Close()
	out := make([]header, 0, len(res.Header))
	for k, vs := range res.Header {
		if responseHopHeaders[k] {
			continue
		}
		for _, v := range vs {
			out = append(out, header{k, v})
		}
	}
	out = append(out,
		header{"X-Cocoon-Worker-Start", fmt.Sprintf("%.6f", unixSeconds(start))},
		header{"X-Cocoon-Worker-End", fmt.Sprintf("%.6f", unixSeconds(now()))})
	reason := strings.TrimSpace(strings.TrimPrefix(res.Status, fmt.Sprint(res.StatusCode)))
	if err := sink.head(res.StatusCode, reason, out); err != nil {
		return fmt.Errorf("sending the answer head: %w", err)
	}
	usage := openai.NewUsageCounter()
	tokens := func() billing.Adjusted {
		c := usage.Counts()
		a, err := billing.Adjust(billing.Usage{Prompt: c.PromptTokens, Cached: c.CachedTokens, Completion: c.CompletionTokens, Reasoning: c.ReasoningTokens}, q.coefficient, prices)
		if err != nil {
			return billing.Adjusted{}
		}
		return a
	}
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := *bp
	for {
		n, rerr := res.Body.Read(buf)
		if n > 0 {
			usage.Write(buf[:n])
			if err := sink.part(buf[:n]); err != nil {
				return fmt.Errorf("sending an answer part: %w", err)
			}
		}
		if rerr == io.EOF {
			usage.Finish()
			return sink.finish(tokens(), start, now())
		}
		if rerr != nil {
			usage.Finish()
			code, msg := engineFailure(ctx, rerr)
			return fail(code, msg, tokens())
		}
	}
}

// engineFailure names an engine failure with a TON error code: the
// request's own deadline is a timeout, a cancellation is cancelled, and
// anything else means the engine is not serving.
func engineFailure(ctx context.Context, err error) (int32, string) {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return wire.CodeTimeout, "worker: timeout"
	case ctx.Err() != nil:
		return wire.CodeCancelled, "worker: request cancelled"
	}
	return wire.CodeNotReady, "worker: engine failed: " + err.Error()
}
