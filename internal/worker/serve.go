package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
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

// chunkPool holds the two part buffers of a running query (the bytes
// waiting and those being sent) and readPool its reader's read buffer. A
// buffer goes back when its query returns: neither the usage counter nor
// the sink keeps the bytes past the call (sessionSink encodes them into
// the session's pending frames before returning).
var (
	chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}
	readPool  = sync.Pool{New: func() any { b := make([]byte, sendAt); return &b }}
)

// Answer bytes are coalesced: a part goes to the proxy once sendAt bytes
// wait, the body has ended, or coalesceDelay has passed since the first
// waiting byte arrived, whichever comes first. The head waits the same
// delay for the first body bytes. An engine that streams faster than
// that then costs one message per delay instead of one per read, and a
// short answer travels as a single message; a slow stream's bytes are
// held at most coalesceDelay.
const (
	sendAt        = 16 << 10
	coalesceDelay = time.Millisecond
)

// bodyReader reads an engine's answer body in its own goroutine into a
// bounded buffer, so that serveQuery can wait for more bytes with a time
// limit. Concurrency: the reader goroutine appends to pending and sets
// err; serveQuery takes pending; mu guards both. ready (1-buffered) is
// signalled when pending gets its first byte or reaches sendAt and when
// err is set; space is signalled when serveQuery takes pending.
type bodyReader struct {
	mu      sync.Mutex
	pending []byte // at most chunkSize bytes read and not yet taken
	err     error  // io.EOF or the read error that ended the body
	stopped bool   // serveQuery no longer takes bytes
	space   *sync.Cond
	ready   chan struct{}
}

func newBodyReader(pending []byte) *bodyReader {
	b := &bodyReader{pending: pending[:0], ready: make(chan struct{}, 1)}
	b.space = sync.NewCond(&b.mu)
	return b
}

func (b *bodyReader) signal() {
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

// run reads body until it ends or stop is called, into a read buffer of
// its own from readPool.
func (b *bodyReader) run(body io.Reader) {
	bp := readPool.Get().(*[]byte)
	defer readPool.Put(bp)
	for {
		b.mu.Lock()
		for len(b.pending) == cap(b.pending) && !b.stopped {
			b.space.Wait()
		}
		if b.stopped {
			b.mu.Unlock()
			return
		}
		free := min(cap(b.pending)-len(b.pending), len(*bp))
		b.mu.Unlock()
		n, err := body.Read((*bp)[:free])
		b.mu.Lock()
		before := len(b.pending)
		b.pending = append(b.pending, (*bp)[:n]...)
		if err != nil {
			b.err = err
		}
		wake := err != nil || (before == 0 && n > 0) || (before < sendAt && len(b.pending) >= sendAt)
		b.mu.Unlock()
		if wake {
			b.signal()
		}
		if err != nil {
			return
		}
	}
}

// take swaps the waiting bytes for buf (emptied) and returns them with
// the error that ended the body, if it has ended.
func (b *bodyReader) take(buf []byte) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	data := b.pending
	b.pending = buf[:0]
	b.space.Signal()
	return data, b.err
}

// state returns how many bytes wait and whether the body has ended.
func (b *bodyReader) state() (int, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending), b.err != nil
}

// stop makes run return instead of waiting for space.
func (b *bodyReader) stop() {
	b.mu.Lock()
	b.stopped = true
	b.space.Signal()
	b.mu.Unlock()
}

// maxQueryBody bounds the JSON request body the worker accepts from a
// proxy, what the network carries; an upload is bounded by the frame that
// carries it.
const maxQueryBody = openai.MaxRequestBody

// maxTextAnswer bounds the JSON answer the worker turns into the plain
// text a transcription with response_format text asked for.
const maxTextAnswer = 8 << 20

// header is one HTTP header as http.request and http.response carry it.
type header struct{ name, value string }

// query is the worker's view of one proxy.runQueryEx.
type query struct {
	method, url string
	header      []header
	body        []byte
	coefficient int64
	timeout     time.Duration
	// endpoints are those this worker serves; nil means the reference's.
	endpoints []string
	// audioRate is the tokens per second of audio billed on this
	// connection.
	audioRate int64
	// asText is set by prepare when a transcription asked for plain text:
	// the engine is asked for JSON, which carries the usage to bill, and
	// the worker answers its text.
	asText bool
}

// answerSink receives the answer to one query: at most one head, then
// parts, the last message (a head or a part with last set) or one fail.
// fail may come without a head. The head carries the first body bytes,
// and the last message the last ones, so that a short answer travels as
// one message. An error from the sink means the proxy is gone; serving
// stops. The sink must not keep data past the call.
type answerSink interface {
	head(status int, reason string, h []header, data []byte, last *ending) error
	part(data []byte, last *ending) error
	fail(code int32, message string, tokens billing.Adjusted, start, end time.Time) error
}

// ending is what the last message of a complete answer reports.
type ending struct {
	tokens     billing.Adjusted
	start, end time.Time
}

// queryError is a failure reported to the proxy with a TON error code.
type queryError struct {
	code    int32
	message string
}

func (e *queryError) Error() string { return e.message }

// prepare validates a query for a worker serving baseModel and returns the
// body to send to the engine. The path must be one of the worker's
// endpoints and the body must name the worker's model. A completion's
// limit is capped (a body without one gets the default that the proxy
// reserved for) and usage reporting is forced on streams, in every chunk
// where the engine can (so that a stream cut short is billed for what it
// delivered); an embedding request is passed as it is; an upload is
// checked in place and a plain text answer asked for as JSON (asText).
// Every other OpenAI field is passed through; the engine judges what it
// supports.
func prepare(q *query, baseModel string) (path string, body []byte, err error) {
	path = openai.RequestPath(q.url)
	endpoints := q.endpoints
	if endpoints == nil {
		endpoints = openai.ReferenceEndpoints
	}
	if q.method != http.MethodPost || !slices.Contains(endpoints, path) {
		return "", nil, &queryError{wire.CodeProtoViolation, fmt.Sprintf("unsupported method %s %s: this worker serves POST %s", q.method, path, strings.Join(endpoints, ", "))}
	}
	if openai.IsAudio(path) {
		body, err := prepareUpload(q, baseModel)
		return path, body, err
	}
	if len(q.body) > maxQueryBody {
		return "", nil, &queryError{wire.CodeProtoViolation, fmt.Sprintf("request body of %d bytes exceeds %d", len(q.body), maxQueryBody)}
	}
	b, err := openai.ParseBody(q.body)
	if err != nil {
		return "", nil, &queryError{wire.CodeProtoViolation, "invalid request body: " + err.Error()}
	}
	model, err := b.Model()
	if err != nil {
		return "", nil, &queryError{wire.CodeProtoViolation, err.Error()}
	}
	if model != baseModel {
		return "", nil, &queryError{wire.CodeProtoViolation, fmt.Sprintf("model name mismatch: request names %q, worker serves %q", model, baseModel)}
	}
	switch path {
	case openai.PathChatCompletions:
		if !b.Has("messages") {
			return "", nil, &queryError{wire.CodeProtoViolation, "invalid request body: messages is missing"}
		}
	case openai.PathCompletions:
		if !b.Has("prompt") {
			return "", nil, &queryError{wire.CodeProtoViolation, "invalid request body: prompt is missing"}
		}
	case openai.PathEmbeddings:
		if !b.Has("input") {
			return "", nil, &queryError{wire.CodeProtoViolation, "invalid request body: input is missing"}
		}
		// Embeddings are billed by their prompt tokens alone: nothing
		// to cap, no stream.
		return path, b.Bytes(), nil
	}
	limit, err := b.MaxTokens(openai.DefaultMaxTokens)
	if err != nil {
		return "", nil, &queryError{wire.CodeProtoViolation, err.Error()}
	}
	if err := b.CapMaxTokens(limit); err != nil {
		return "", nil, &queryError{wire.CodeProtoViolation, err.Error()}
	}
	if err := b.ForceIncludeUsage(); err != nil {
		return "", nil, &queryError{wire.CodeProtoViolation, err.Error()}
	}
	if err := b.AskContinuousUsage(); err != nil {
		return "", nil, &queryError{wire.CodeProtoViolation, err.Error()}
	}
	return path, b.Bytes(), nil
}

// prepareUpload checks a transcription or translation upload in place: a
// multipart form naming the worker's model with a file, not streamed, in
// a response format whose answer reports usage. Plain text is asked of
// the engine as JSON (the same length, so the body is rewritten in
// place) and turned back into text by serveQuery.
func prepareUpload(q *query, baseModel string) ([]byte, error) {
	bad := func(format string, args ...any) error {
		return &queryError{wire.CodeProtoViolation, fmt.Sprintf(format, args...)}
	}
	contentType := ""
	for _, h := range q.header {
		if strings.EqualFold(h.name, "Content-Type") {
			contentType = h.value
		}
	}
	f, err := openai.ParseForm(contentType, q.body)
	if err != nil {
		return nil, bad("invalid upload: %v", err)
	}
	model, ok, err := f.Value("model")
	switch {
	case err != nil:
		return nil, bad("invalid upload: %v", err)
	case !ok:
		return nil, bad("invalid upload: model is missing")
	case model != baseModel:
		return nil, bad("model name mismatch: request names %q, worker serves %q", model, baseModel)
	}
	if _, ok := f.File("file"); !ok {
		return nil, bad("invalid upload: file is missing")
	}
	if v, _, _ := f.Value("stream"); v == "true" {
		return nil, bad("stream is not supported for audio: ask for the whole answer")
	}
	rf, _, err := f.Value("response_format")
	if err != nil {
		return nil, bad("invalid upload: %v", err)
	}
	switch rf {
	case "", "json", "verbose_json":
	case "text":
		f.SetValue("response_format", "json")
		q.asText = true
	default:
		return nil, bad("response_format %q reports no usage to bill: use json, verbose_json or text", rf)
	}
	return f.Bytes(), nil
}

// sessionSink sends one request's answer to the proxy as proxy.*Ex
// messages.
type sessionSink struct {
	pc     *proxyConn
	id     [32]byte
	debug  bool      // the request asked for timing details
	headAt time.Time // when the engine's head arrived
	failed bool
	// start is when the request arrived; answered when the first body
	// byte went to the proxy.
	start, answered time.Time
	// What the request log reports: the engine's status, the billed
	// tokens of the last message and the failure's message.
	status int
	tokens billing.Adjusted
	errMsg string
}

// answer records the time to the first body byte when data holds it.
func (s *sessionSink) answer(data []byte) {
	if !s.answered.IsZero() || len(data) == 0 {
		return
	}
	s.answered = s.pc.w.now()
	s.pc.w.stats.FirstAnswer(s.answered, s.answered.Sub(s.start))
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

func (s *sessionSink) head(status int, reason string, h []header, data []byte, last *ending) error {
	s.headAt = s.pc.w.now()
	s.status = status
	if last != nil {
		s.tokens = last.tokens
	}
	resp := &tl.HTTPResponse{HTTPVersion: "HTTP/1.1", StatusCode: int32(status), Reason: reason, Payload: data}
	for _, kv := range h {
		resp.Headers = append(resp.Headers, tl.HTTPHeader{Name: kv.name, Value: kv.value})
	}
	s.pc.w.metrics.AddBytes(len(data))
	s.answer(data)
	m := &tl.ProxyQueryAnswerEx{RequestID: s.id}
	if last != nil {
		m.Flags, m.FinalInfo = 1, s.finalInfo(last.tokens, last.start, last.end)
	}
	return tl.MarshalScratch(resp, func(b []byte) error {
		m.Answer = b
		return s.pc.sess.SendObject(m)
	})
}

func (s *sessionSink) part(data []byte, last *ending) error {
	s.pc.w.metrics.AddBytes(len(data))
	if last != nil {
		s.tokens = last.tokens
	}
	s.answer(data)
	m := &tl.ProxyQueryAnswerPartEx{RequestID: s.id, Answer: data}
	if last != nil {
		m.Flags, m.FinalInfo = 1, s.finalInfo(last.tokens, last.start, last.end)
	}
	return s.pc.sess.SendObject(m)
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

func (s *sessionSink) fail(code int32, message string, tokens billing.Adjusted, start, end time.Time) error {
	s.failed = true
	s.tokens, s.errMsg = tokens, message
	return s.pc.sess.SendObject(&tl.ProxyQueryAnswerErrorEx{RequestID: s.id, ErrorCode: code, Error: message, Flags: 1, FinalInfo: s.finalInfo(tokens, start, end)})
}

// responseHopHeaders are dropped from the engine's answer: each hop sets
// its own framing.
var responseHopHeaders = map[string]bool{"Content-Length": true, "Transfer-Encoding": true, "Connection": true, "Keep-Alive": true}

// framing is the framing header of the answer head, as the reference's
// worker writes it: Content-Length when the head carries the whole body,
// Transfer-Encoding: chunked when parts follow. The reference's client
// copies it into its own HTTP answer, which without it has no framing;
// ours and the proxy frame their own and drop it.
func framing(data []byte, last *ending) header {
	if last != nil {
		return header{"Content-Length", strconv.Itoa(len(data))}
	}
	return header{"Transfer-Encoding", "chunked"}
}

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
	// The engine request ends with serveQuery, which also waits for the
	// reader goroutine: cancelling the request aborts its body read.
	var cancel context.CancelFunc
	if q.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, q.timeout)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	h := make(http.Header, len(q.header))
	for _, kv := range q.header {
		h.Add(kv.name, kv.value)
	}
	res, err := eng.Do(ctx, q.method, path, h, body)
	if err != nil {
		code, msg := engineFailure(ctx, err)
		return fail(code, msg, billing.Adjusted{})
	}
	out := make([]header, 0, len(res.Header))
	for k, vs := range res.Header {
		if responseHopHeaders[k] {
			continue
		}
		for _, v := range vs {
			out = append(out, header{k, v})
		}
	}
	out = append(out, header{"X-Cocoon-Worker-Start", fmt.Sprintf("%.6f", unixSeconds(start))})
	reason := strings.TrimSpace(strings.TrimPrefix(res.Status, fmt.Sprint(res.StatusCode)))
	usage := openai.NewUsageCounter()
	if openai.IsAudio(path) {
		usage = openai.NewAudioUsageCounter()
	}
	// The tokens are those the answer delivered: exact where the engine
	// reports usage in every chunk, the chunks of text otherwise.
	tokens := func() billing.Adjusted {
		c := usage.Counts().Delivered()
		u, err := billing.Usage{Prompt: c.PromptTokens, Cached: c.CachedTokens, Completion: c.CompletionTokens, Reasoning: c.ReasoningTokens}.WithAudio(c.AudioMillis, q.audioRate)
		if err != nil {
			return billing.Adjusted{}
		}
		a, err := billing.Adjust(u, q.coefficient, prices)
		if err != nil {
			return billing.Adjusted{}
		}
		return a
	}
	if q.asText && res.StatusCode == http.StatusOK {
		defer res.Body.Close()
		return serveText(ctx, res, reason, out, usage, tokens, sink, start, now, fail)
	}

	pp, sp := chunkPool.Get().(*[]byte), chunkPool.Get().(*[]byte)
	br := newBodyReader(*pp)
	var wg sync.WaitGroup
	wg.Go(func() { br.run(res.Body) })
	defer func() {
		br.stop()
		cancel()
		res.Body.Close()
		wg.Wait()
		chunkPool.Put(pp)
		chunkPool.Put(sp)
	}()
	spare := *sp
	timer := time.NewTimer(coalesceDelay) // the head's wait for body bytes
	defer timer.Stop()
	armed, expired, cancelled, headSent := true, false, false, false
	for {
		n, ended := br.state()
		if !ended && n < sendAt && !expired && !cancelled {
			if n > 0 && !armed {
				timer.Reset(coalesceDelay)
				armed = true
			}
			var fired <-chan time.Time
			if armed {
				fired = timer.C
			}
			select {
			case <-br.ready:
			case <-fired:
				expired = true
			case <-ctx.Done():
				cancelled = true // send what waits, then fail
			}
			continue
		}
		timer.Stop()
		armed, expired = false, false
		data, rerr := br.take(spare)
		spare = data
		if rerr == nil && cancelled {
			rerr = ctx.Err()
		}
		usage.Write(data)
		var last *ending
		if rerr == io.EOF {
			usage.Finish()
			last = &ending{tokens: tokens(), start: start, end: now()}
		}
		if !headSent {
			headSent = true
			h := append(out, header{"X-Cocoon-Worker-End", fmt.Sprintf("%.6f", unixSeconds(now()))}, framing(data, last))
			if err := sink.head(res.StatusCode, reason, h, data, last); err != nil {
				return fmt.Errorf("sending the answer head: %w", err)
			}
		} else if len(data) > 0 || last != nil {
			if err := sink.part(data, last); err != nil {
				return fmt.Errorf("sending an answer part: %w", err)
			}
		}
		switch {
		case last != nil:
			return nil
		case rerr != nil:
			usage.Finish()
			code, msg := engineFailure(ctx, rerr)
			return fail(code, msg, tokens())
		}
	}
}

// serveText answers a transcription that asked for plain text: the
// engine's JSON answer, whose usage is billed, is read whole (it is the
// text of the audio, bounded by maxTextAnswer) and its text sent as
// text/plain.
func serveText(ctx context.Context, res *http.Response, reason string, out []header, usage *openai.UsageCounter, tokens func() billing.Adjusted,
	sink answerSink, start time.Time, now func() time.Time, fail func(int32, string, billing.Adjusted) error) error {
	data, err := io.ReadAll(io.LimitReader(res.Body, maxTextAnswer+1))
	if err != nil {
		code, msg := engineFailure(ctx, err)
		return fail(code, msg, billing.Adjusted{})
	}
	if len(data) > maxTextAnswer {
		return fail(wire.CodeError, fmt.Sprintf("worker: the engine's answer exceeds %d bytes", maxTextAnswer), billing.Adjusted{})
	}
	usage.Write(data)
	usage.Finish()
	var answer struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(data, &answer); err != nil || answer.Text == nil {
		// Nothing can be delivered: nothing is billed.
		return fail(wire.CodeError, "worker: the engine's transcription is not JSON with a text", billing.Adjusted{})
	}
	h := make([]header, 0, len(out)+2)
	for _, kv := range out {
		if !strings.EqualFold(kv.name, "Content-Type") {
			h = append(h, kv)
		}
	}
	text, last := []byte(*answer.Text), &ending{tokens: tokens(), start: start, end: now()}
	h = append(h, header{"Content-Type", "text/plain; charset=utf-8"}, header{"X-Cocoon-Worker-End", fmt.Sprintf("%.6f", unixSeconds(now()))}, framing(text, last))
	if err := sink.head(res.StatusCode, reason, h, text, last); err != nil {
		return fmt.Errorf("sending the answer head: %w", err)
	}
	return nil
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
