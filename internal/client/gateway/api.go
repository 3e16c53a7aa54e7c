package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// modelsTimeout bounds the proxy's answer to GET /v1/models, as in the
// reference.
const modelsTimeout = 10 * time.Second

// bodyTimeout bounds the upload of a request body, as in the reference.
const bodyTimeout = 60 * time.Second

// Query is one inference request as the client forwards it to a proxy.
type Query struct {
	Model          string
	Method, URL    string
	Header         []Header
	Body           []byte
	MaxCoefficient uint32
	MaxTokens      int64
	Timeout        time.Duration // the budget the proxy gets
	Debug          bool
}

// WorkerInstance is one worker of a model as the proxy lists it.
type WorkerInstance struct {
	Coefficient        int32 `json:"coefficient"`
	RunningRequests    int32 `json:"running_requests"`
	MaxRunningRequests int32 `json:"max_running_requests"`
}

// ModelInfo is one model the proxy serves.
type ModelInfo struct {
	Name    string
	Workers []WorkerInstance
	// Endpoints are those its workers serve; nil when the proxy cannot
	// say (a reference proxy).
	Endpoints []string
}

// Network is what the HTTP API needs from the proxy connections.
type Network interface {
	// Send forwards q on a ready proxy connection and returns the answer
	// stream, which the caller closes.
	Send(ctx context.Context, q *Query) (*Stream, error)
	// Models lists the models and workers behind a ready proxy.
	Models(ctx context.Context) ([]ModelInfo, error)
}

// ErrNoProxy reports that no proxy connection is ready; the error says
// why when the client knows (answered 503).
var ErrNoProxy = errors.New("no working proxy connections")

// ErrUnfunded marks an ErrNoProxy whose cause is a wallet too poor to
// fund the client's next contract (answered 402).
var ErrUnfunded = errors.New("the wallet cannot fund a new contract")

// ErrStopped reports a request that came or waited as the client
// stopped: no connection comes any more.
var ErrStopped = fmt.Errorf("%w: the client is stopping", ErrNoProxy)

// ErrProxyLost ends the requests of a proxy connection that dropped.
var ErrProxyLost = &AnswerError{wire.CodeNotReady, "proxy connection lost"}

// apiError is an error answered to the HTTP caller.
type apiError struct {
	status  int
	typ     string // openai.ErrorType*
	code    string // stable machine-readable code
	param   string // the request parameter at fault, if one is
	message string
	cause   error // logged under the request id, never shown
}

func (e *apiError) Error() string { return e.message }

func badRequest(code, msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: openai.ErrorTypeInvalidRequest, code: code, message: msg}
}

// invalid turns a refusal of the request's content into a 400 naming the
// parameter; other errors stay as they are.
func invalid(err error) error {
	var pe *openai.ParamError
	if errors.As(err, &pe) {
		return &apiError{status: http.StatusBadRequest, typ: openai.ErrorTypeInvalidRequest, code: pe.Code, param: pe.Param, message: pe.Message}
	}
	return err
}

// API is the OpenAI-compatible HTTP API of the client.
type API struct {
	net     Network
	log     *slog.Logger
	keys    [][]byte // accepted bearer keys; empty means no authentication
	maxBody int64
	// maxUpload bounds an audio upload.
	maxUpload int64
	now       func() time.Time
	metrics   *obs.Metrics
	counters  *obs.RequestRates
	// cost values billed tokens in nanoTON for the request log and
	// metrics; nil values nothing.
	cost func(tokens int64) int64
}

// Options configure the API besides the network it forwards to.
type Options struct {
	// Logger receives one line per request and the causes of errors
	// (never prompts or completions); nil discards them.
	Logger *slog.Logger
	// Keys, if set, are the bearer keys a request must carry.
	Keys []string
	// MaxBody bounds a request body, MaxUpload an audio upload, in bytes.
	MaxBody, MaxUpload int64
	// Clock is the time source; nil means time.Now.
	Clock func() time.Time
	// Metrics and Counters count the requests, by model.
	Metrics  *obs.Metrics
	Counters *obs.RequestRates
	// Cost values billed tokens in nanoTON for the request log and the
	// metrics; nil values nothing.
	Cost func(tokens int64) int64
}

// New returns the API in front of net.
func New(net Network, o Options) *API {
	a := &API{net: net, log: o.Logger, maxBody: o.MaxBody, maxUpload: o.MaxUpload, now: o.Clock, metrics: o.Metrics, counters: o.Counters, cost: o.Cost}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.metrics == nil {
		a.metrics = obs.NewMetrics("client")
	}
	if a.counters == nil {
		a.counters = &obs.RequestRates{}
	}
	for _, k := range o.Keys {
		a.keys = append(a.keys, []byte(k))
	}
	return a
}

// Handler returns the API with the stats (snapshot, guarded by
// accessHash) mounted beside it.
func (a *API) Handler(snapshot func() any, accessHash string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/chat/completions", a.wrapInference(a.inference))
	mux.Handle("POST /v1/completions", a.wrapInference(a.inference))
	mux.Handle("POST /v1/embeddings", a.wrapInference(a.inference))
	mux.Handle("POST /v1/audio/transcriptions", a.wrapInference(a.upload))
	mux.Handle("POST /v1/audio/translations", a.wrapInference(a.upload))
	mux.Handle("GET /v1/models", a.wrap(a.listModels))
	obs.Mount(mux, "COCOON client", snapshot, a.metrics, accessHash)
	mux.Handle("/", a.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return &apiError{status: http.StatusNotFound, typ: openai.ErrorTypeNotFound, code: "unknown_url",
			message: fmt.Sprintf("no endpoint %s %s; try POST /v1/chat/completions", r.Method, r.URL.Path)}
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusOK)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// wrap turns a handler that returns an error into an http.Handler: it
// checks the bearer key, gives the request an id, and writes errors as
// OpenAI error JSON.
func (a *API) wrap(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		err := a.authorize(r)
		if err == nil {
			err = h(w, r)
		}
		if err == nil {
			return
		}
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{status: http.StatusInternalServerError, typ: openai.ErrorTypeServer, code: "internal_error", message: "internal error", cause: err}
		}
		a.log.Info("request failed", "request_id", id, "status", ae.status, "code", ae.code, "error", ae.message, "cause", ae.cause)
		writeError(w, ae)
	})
}

// wrapInference is wrap for the inference endpoints, which write their
// own log line per request (see inference).
func (a *API) wrapInference(h func(http.ResponseWriter, *http.Request, *obs.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		rec := obs.Request{ID: id, Outcome: obs.OutcomeRejected}
		start := a.now()
		err := a.authorize(r)
		if err == nil {
			err = h(w, r, &rec)
		}
		rec.Total = a.now().Sub(start)
		if err != nil {
			ae := asAPIError(err)
			rec.Status, rec.Error = ae.status, ae.code
			if ae.status < 500 {
				rec.Outcome = obs.OutcomeRejected
			}
			if ae.cause != nil {
				rec.Error += ": " + ae.cause.Error()
			}
			writeError(w, ae)
		}
		obs.LogRequest(a.log, rec)
		if rec.Model != "" {
			// Only a request that passed validation names a model worth
			// a label.
			a.metrics.Observe(rec)
		}
	})
}

// asAPIError is err as the caller sees it: an apiError, or a 500 whose
// cause only the log shows.
func asAPIError(err error) *apiError {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{status: http.StatusInternalServerError, typ: openai.ErrorTypeServer, code: "internal_error", message: "internal error", cause: err}
	}
	return ae
}

func writeError(w http.ResponseWriter, ae *apiError) {
	b, _ := json.Marshal(openai.NewError(ae.message, ae.typ, ae.param, ae.code)) // a plain struct always marshals
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(ae.status)
	w.Write(b)
}

func (a *API) authorize(r *http.Request) error {
	if len(a.keys) == 0 {
		return nil
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok {
		for _, k := range a.keys {
			if subtle.ConstantTimeCompare([]byte(got), k) == 1 {
				return nil
			}
		}
	}
	return &apiError{status: http.StatusUnauthorized, typ: openai.ErrorTypeInvalidRequest, code: "invalid_api_key",
		message: "missing or invalid API key: send Authorization: Bearer <key>"}
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

// requestHopHeaders are not forwarded: they describe the caller's
// connection, or carry the caller's key, which stays at the client.
var requestHopHeaders = map[string]bool{
	"Content-Length": true, "Transfer-Encoding": true, "Connection": true, "Keep-Alive": true,
	"Authorization": true, "Cookie": true, "Upgrade": true, "Te": true, "Proxy-Authorization": true,
}

// responseHopHeaders are not passed back to the caller: this hop frames the
// body itself.
var responseHopHeaders = map[string]bool{"Content-Length": true, "Transfer-Encoding": true, "Connection": true, "Keep-Alive": true}

func unixTime(t time.Time) string { return fmt.Sprintf("%.6f", float64(t.UnixMicro())/1e6) }

// readBody reads a request body of at most limit bytes within bodyTimeout;
// what is too large is a 413 naming setting, the config field that sets
// the limit.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, setting string) ([]byte, error) {
	rc := http.NewResponseController(w)
	// The body must arrive within bodyTimeout, as in the reference; the
	// answer may then stream for as long as the request's deadline allows.
	rc.SetReadDeadline(time.Now().Add(bodyTimeout))
	// A body of announced length is read into one buffer of that size
	// instead of one grown by doubling.
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	body := buf.Bytes()
	rc.SetReadDeadline(time.Time{})
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &apiError{status: http.StatusRequestEntityTooLarge, typ: openai.ErrorTypeInvalidRequest, code: openai.CodeRequestTooLarge,
				message: fmt.Sprintf("The request body exceeds this client's limit of %d bytes (%s in its config). Send a smaller one.", limit, setting)}
		}
		return nil, badRequest("unreadable_body", "reading the request body: "+err.Error())
	}
	return body, nil
}

// inference forwards a chat or text completion or an embedding request
// and streams the answer back, filling rec with what the request log and
// metrics report.
func (a *API) inference(w http.ResponseWriter, r *http.Request, rec *obs.Request) error {
	start := a.now()
	body, err := readBody(w, r, a.maxBody, "max_body_bytes")
	if err != nil {
		return err
	}
	// The body is decoded once; its rewrites apply to the decoded form.
	b, err := openai.ParseBody(body)
	if err != nil {
		return invalid(openai.InvalidJSON(err))
	}
	switch r.URL.Path {
	case "/v1/chat/completions":
		err = b.ValidateChat()
	case "/v1/completions":
		err = b.ValidateCompletion()
	}
	if err != nil {
		return invalid(err)
	}
	params, err := b.ExtractCocoonParams()
	if err != nil {
		return invalid(err)
	}
	model, err := b.Model()
	if err != nil || model == "" {
		return badRequest(openai.CodeMissingParameter, "Missing required parameter: 'model'.")
	}
	rec.Model = model
	maxTokens, err := b.MaxTokens(openai.DefaultMaxTokens)
	if err != nil {
		return invalid(err)
	}
	// The network forces usage on every stream, for metering, in every
	// chunk where the engine can (to bill a stream cut short); a caller
	// that did not ask for it does not see it, and one that asked for it
	// at the end sees it there, as from OpenAI.
	var strip *openai.UsageStripper
	switch {
	case !b.IsStream():
	case !b.WantsStreamUsage():
		strip = &openai.UsageStripper{}
	case !b.WantsContinuousUsage():
		strip = &openai.UsageStripper{KeepUsageEvent: true}
	}
	b.DropMaxTokensIfCompletionLimit()
	return a.forward(w, r, start, model, b.Bytes(), maxTokens, params, strip, rec)
}

// upload forwards a transcription or translation: a multipart upload of
// at most maxUpload bytes, read once and forwarded as it came but for
// COCOON's own fields (max_coefficient, timeout, enable_debug,
// request_guid), which are taken out in place. The proxy reserves the
// default completion allowance plus the upload's size, which bounds its
// audio's tokens at any rate a proxy accepts for audio compressed to no
// fewer bytes per second than that rate.
func (a *API) upload(w http.ResponseWriter, r *http.Request, rec *obs.Request) error {
	start := a.now()
	body, err := readBody(w, r, a.maxUpload, "max_upload_bytes")
	if err != nil {
		return err
	}
	f, err := openai.ParseForm(r.Header.Get("Content-Type"), body)
	if err != nil {
		return badRequest("invalid_request", err.Error()+": send the audio as multipart/form-data")
	}
	model, _, err := f.Value("model")
	if err != nil || model == "" {
		return badRequest("invalid_request", "the upload names no model")
	}
	if _, ok := f.File("file"); !ok {
		return badRequest("invalid_request", "the upload has no file")
	}
	params, err := openai.FormCocoonParams(f)
	if err != nil {
		return invalid(err)
	}
	rec.Model = model
	return a.forward(w, r, start, model, f.Bytes(), openai.DefaultMaxTokens, params, nil, rec)
}

// forward sends a request body for model through the network and streams
// the answer back, without the usage events strip removes (nil: all of
// it), filling rec.
func (a *API) forward(w http.ResponseWriter, r *http.Request, start time.Time, model string, body []byte, maxTokens int64, params openai.CocoonParams, strip *openai.UsageStripper, rec *obs.Request) error {
	rc := http.NewResponseController(w)
	var hdrs []Header
	for k, vs := range r.Header {
		if requestHopHeaders[k] {
			continue
		}
		for _, v := range vs {
			hdrs = append(hdrs, Header{k, v})
		}
	}
	sort.Slice(hdrs, func(i, j int) bool { return hdrs[i].Name < hdrs[j].Name })
	// The caller's Host goes first, as the reference's client forwards
	// the headers in the order they came and callers send Host first:
	// its worker passes headers to the engine as they are, and an engine
	// answers a request without Host with 400. net/http keeps it in
	// r.Host.
	if r.Host != "" {
		hdrs = append([]Header{{"Host", r.Host}}, hdrs...)
	}

	a.metrics.RequestStarted()
	outcome := obs.OutcomeFailed
	// The answer's usage, counted before any of it is stripped.
	usage := openai.NewUsageCounter()
	var final *FinalInfo
	defer func() {
		a.metrics.RequestFinished(outcome, a.now().Sub(start))
		a.counters.Finished(a.now(), outcome == obs.OutcomeSuccess, a.now().Sub(start))
		usage.Finish()
		u := usage.Counts()
		rec.Outcome = outcome
		rec.PromptTokens, rec.CachedTokens, rec.CompletionTokens, rec.ReasoningTokens = u.PromptTokens, u.CachedTokens, u.CompletionTokens, u.ReasoningTokens
		if final != nil && a.cost != nil {
			rec.Nano = a.cost(final.Tokens)
		}
	}()

	ctx, cancel := context.WithTimeout(r.Context(), params.Timeout)
	defer cancel()
	q := &Query{
		Model: model, Method: r.Method, URL: r.URL.RequestURI(), Header: hdrs, Body: body,
		MaxCoefficient: params.MaxCoefficient, MaxTokens: maxTokens,
		Timeout: params.Timeout * 95 / 100, Debug: params.EnableDebug,
	}
	s, h, err := a.exchange(ctx, q)
	if err != nil {
		return a.networkError(ctx, err, params.Timeout)
	}
	defer s.Close()
	out := w.Header()
	sse := false
	for _, kv := range h.Header {
		// The request's id is ours, set by wrap; an engine's own id would
		// make a second X-Request-Id.
		if name := http.CanonicalHeaderKey(kv.Name); responseHopHeaders[name] || name == "X-Request-Id" {
			continue
		}
		out.Add(kv.Name, kv.Value)
		if strings.EqualFold(kv.Name, "Content-Type") && strings.HasPrefix(kv.Value, "text/event-stream") {
			sse = true
		}
	}
	out.Set("X-Cocoon-Client-Start", unixTime(start))
	out.Set("X-Cocoon-Client-End", unixTime(a.now()))
	status := h.Status
	if status < 100 || status > 999 {
		status = http.StatusBadGateway
	}
	w.WriteHeader(status)
	rec.Status = status
	headAt := a.now()
	if status != http.StatusOK || !sse {
		strip = nil
	}
	// What is written is flushed only when the next read of the stream
	// would wait: bytes that arrive together leave in one write, and an
	// answer that has fully arrived leaves with the response's end.
	unflushed := true
	// With enable_debug the last chunk is held back until the answer ends,
	// so that the timing of every hop can be added to it.
	var held []byte
	// answered is set once the first body byte has gone to the caller.
	answered := false
	for {
		if unflushed && !s.Ready() {
			rc.Flush()
			unflushed = false
		}
		chunks, done, err := s.Next(ctx)
		for i, c := range chunks {
			usage.Write(c)
			if strip != nil {
				chunks[i] = strip.Write(c)
			}
		}
		if done && strip != nil {
			chunks = append(chunks, strip.Flush())
		}
		if params.EnableDebug && len(chunks) > 0 {
			chunks = append([][]byte{held}, chunks...)
			held = chunks[len(chunks)-1]
			chunks = chunks[:len(chunks)-1]
		}
		for _, c := range chunks {
			if len(c) == 0 {
				continue
			}
			if _, werr := w.Write(c); werr != nil {
				rec.Error = "the caller left"
				return nil // the caller is gone; closing the stream tells the proxy
			}
			if !answered {
				answered = true
				now := a.now()
				rec.FirstToken = now.Sub(start)
				a.counters.FirstAnswer(now, now.Sub(start))
			}
			a.metrics.AddBytes(len(c))
			unflushed = true
		}
		if !done {
			continue
		}
		if err == nil {
			final = s.FinalInfo()
			if params.EnableDebug {
				w.Write(withDebug(held, sse, debugJSON(final, start, headAt, a.now())))
			}
			switch {
			case status < 300:
				outcome = obs.OutcomeSuccess
			case status < 500:
				outcome = obs.OutcomeRejected // the engine refused the request
			}
			return nil // the server flushes the rest with the response's end
		}
		if r.Context().Err() != nil {
			return nil // the caller left
		}
		ae := a.networkError(ctx, err, params.Timeout)
		rec.Error = ae.code + ": " + ae.message
		if sse {
			// An error event ends the stream in a form OpenAI SDKs report.
			b, _ := json.Marshal(openai.NewError(ae.message, ae.typ, "", ae.code))
			fmt.Fprintf(w, "data: %s\n\n", b)
			return nil
		}
		// A body cut short must not look complete: abort the connection,
		// after what arrived.
		rc.Flush()
		panic(http.ErrAbortHandler)
	}
}

// maxProxyAttempts bounds the proxies one request tries when each loses
// its connection before the answer starts.
const maxProxyAttempts = 2

// exchange sends q and waits for the answer's head. A request whose proxy
// connection drops before the head goes to another ready proxy: nothing
// has reached the caller yet.
func (a *API) exchange(ctx context.Context, q *Query) (*Stream, Head, error) {
	var err error
	for range maxProxyAttempts {
		var s *Stream
		if s, err = a.net.Send(ctx, q); err != nil {
			return nil, Head{}, err
		}
		var h Head
		if h, err = s.WaitHead(ctx); err == nil {
			return s, h, nil
		}
		s.Close()
		if !errors.Is(err, ErrProxyLost) || ctx.Err() != nil {
			break
		}
		a.log.Info("proxy connection lost before the answer; trying another proxy")
	}
	return nil, Head{}, err
}

// debugJSON is the reference's debug object: each hop's start time and
// when its answer started and finished passing.
func debugJSON(f *FinalInfo, start, headAt, end time.Time) []byte {
	hop := func(s string) json.RawMessage {
		if s == "" || !json.Valid([]byte(s)) {
			return json.RawMessage("{}")
		}
		return json.RawMessage(s)
	}
	var worker, proxy string
	if f != nil {
		worker, proxy = f.WorkerDebug, f.ProxyDebug
	}
	b, _ := json.Marshal(map[string]json.RawMessage{ // raw JSON and plain values always marshal
		"worker": hop(worker),
		"proxy":  hop(proxy),
		"client": hop(fmt.Sprintf(`{"type":"client","start_time":%s,"answer_receive_start_at":%s,"answer_receive_end_at":%s}`,
			unixTime(start), unixTime(headAt), unixTime(end))),
	})
	return b
}

// withDebug adds the debug object to the end of an answer: into its
// trailing JSON object when there is one, as an SSE event after a stream,
// or else as a line of its own.
func withDebug(last []byte, sse bool, debug []byte) []byte {
	if sse {
		return fmt.Appendf(last, "data: {\"debug\":%s}\n\n", debug)
	}
	trimmed := bytes.TrimRight(last, " \t\r\n")
	if n := len(trimmed); n > 0 && trimmed[n-1] == '}' {
		out := append([]byte(nil), trimmed[:n-1]...)
		if inner := bytes.TrimRight(out, " \t\r\n"); len(inner) > 0 && inner[len(inner)-1] != '{' {
			out = append(out, ',')
		}
		out = fmt.Appendf(out, `"debug":%s}`, debug)
		return append(out, last[n:]...)
	}
	return fmt.Appendf(last, "{\"debug\":%s}\n", debug)
}

// networkError turns a failure of the network into an HTTP error: the
// caller's mistakes are 4xx, the network's 502/503/504.
func (a *API) networkError(ctx context.Context, err error, timeout time.Duration) *apiError {
	if errors.Is(err, context.DeadlineExceeded) || (ctx.Err() != nil && errors.Is(context.Cause(ctx), context.DeadlineExceeded)) {
		return &apiError{status: http.StatusGatewayTimeout, typ: openai.ErrorTypeServer, code: "timeout",
			message: fmt.Sprintf("no answer within the request's deadline of %v", timeout), cause: err}
	}
	if errors.Is(err, wire.ErrFrameTooLarge) {
		return &apiError{status: http.StatusRequestEntityTooLarge, typ: openai.ErrorTypeInvalidRequest, code: "request_too_large",
			message: "the request does not fit in one message of the network (16 MiB with its headers)", cause: err}
	}
	if errors.Is(err, ErrUnfunded) {
		// The client could not fund a new contract: its wallet must be
		// topped up.
		return &apiError{status: http.StatusPaymentRequired, typ: openai.ErrorTypeInvalidRequest, code: "insufficient_funds", message: err.Error(), cause: err}
	}
	if errors.Is(err, ErrNoProxy) {
		// The message says why: the root's cause when it gave one (a proxy
		// endpoint or image it does not list, a reading too old), and
		// each proxy's (its contract closed, a new one opening, …).
		return &apiError{status: http.StatusServiceUnavailable, typ: openai.ErrorTypeServer, code: "no_proxy", message: err.Error(), cause: err}
	}
	var ae *AnswerError
	if !errors.As(err, &ae) {
		return &apiError{status: http.StatusBadGateway, typ: openai.ErrorTypeServer, code: "network_error", message: "the request failed in the network", cause: err}
	}
	switch {
	case strings.HasPrefix(ae.Message, "unknown model") || strings.HasPrefix(ae.Message, "no workers for model"):
		return &apiError{status: http.StatusNotFound, typ: openai.ErrorTypeNotFound, code: "model_not_found", message: ae.Message}
	case strings.Contains(ae.Message, "balance is too low"):
		// The proxy refused to reserve the request's worst-case cost
		// against the client contract's balance and stake; the reference
		// proxy says "balance is too low" too.
		return &apiError{status: http.StatusPaymentRequired, typ: openai.ErrorTypeInvalidRequest, code: "insufficient_balance",
			message: ae.Message + " (top up the client contract or lower max_tokens)"}
	case strings.Contains(ae.Message, "exceeded its token reservation"):
		return &apiError{status: http.StatusBadRequest, typ: openai.ErrorTypeInvalidRequest, code: "reservation_exceeded",
			message: ae.Message + " (the answer used more tokens than max_tokens and the prompt allow; it was stopped and billed up to them)"}
	case strings.HasPrefix(ae.Message, "unsupported endpoint"):
		// OpenAI answers a model asked of an endpoint it does not serve
		// with a 404 too.
		return &apiError{status: http.StatusNotFound, typ: openai.ErrorTypeInvalidRequest, code: "unsupported_endpoint", message: ae.Message}
	case strings.HasPrefix(ae.Message, "can run this query with coefficient"):
		return &apiError{status: http.StatusServiceUnavailable, typ: openai.ErrorTypeServer, code: "coefficient_too_low", message: ae.Message + " (raise max_coefficient)"}
	}
	switch ae.Code {
	case wire.CodeError, wire.CodeWarning, wire.CodeProtoViolation:
		return badRequest("rejected", ae.Message)
	case wire.CodeNotReady:
		return &apiError{status: http.StatusServiceUnavailable, typ: openai.ErrorTypeServer, code: "not_ready", message: ae.Message}
	case wire.CodeTimeout:
		return &apiError{status: http.StatusGatewayTimeout, typ: openai.ErrorTypeServer, code: "timeout", message: ae.Message}
	}
	return &apiError{status: http.StatusBadGateway, typ: openai.ErrorTypeServer, code: "upstream_error", message: ae.Message}
}

// modelEntry is one /v1/models entry: OpenAI's fields plus the workers
// and the endpoints they serve (absent when the proxy cannot say).
type modelEntry struct {
	ID        string           `json:"id"`
	Object    string           `json:"object"`
	Created   int64            `json:"created"`
	OwnedBy   string           `json:"owned_by"`
	Workers   []WorkerInstance `json:"workers"`
	Endpoints []string         `json:"endpoints,omitempty"`
}

func (a *API) listModels(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), modelsTimeout)
	defer cancel()
	ms, err := a.net.Models(ctx)
	if err != nil {
		return a.networkError(ctx, err, modelsTimeout)
	}
	list := struct {
		Object string       `json:"object"`
		Data   []modelEntry `json:"data"`
	}{Object: "list", Data: []modelEntry{}}
	for _, m := range ms {
		ws := append([]WorkerInstance{}, m.Workers...)
		sort.Slice(ws, func(i, j int) bool { return ws[i].Coefficient < ws[j].Coefficient })
		list.Data = append(list.Data, modelEntry{ID: m.Name, Object: "model", OwnedBy: "cocoon", Workers: ws, Endpoints: m.Endpoints})
	}
	sort.Slice(list.Data, func(i, j int) bool { return list.Data[i].ID < list.Data[j].ID })
	b, err := json.Marshal(list)
	if err != nil {
		return fmt.Errorf("encoding the model list: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
	return nil
}
