package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"time"

	"github.com/cocoon-go/cocoon/internal/openai"
)

// maxBody bounds a request body: what the network carries.
const maxBody = openai.MaxRequestBody

// maxRequestStops bounds the stop strings a request may give, leaving the
// rest of MaxStops to the chat format.
const maxRequestStops = 16

// handler serves the OpenAI-compatible API of one engine.
type handler struct {
	e    *Engine
	name string
	log  *slog.Logger
	mux  *http.ServeMux
}

// NewHandler returns the HTTP API of e: POST /v1/chat/completions,
// POST /v1/completions (both streaming or not), POST /v1/embeddings,
// GET /v1/models and GET /health. The model is served as modelName, or under the model's
// own name when modelName is empty; requests must name it.
func NewHandler(e *Engine, modelName string) http.Handler {
	if modelName == "" {
		modelName = e.model.Name()
	}
	h := &handler{e: e, name: modelName, log: e.log, mux: http.NewServeMux()}
	h.mux.HandleFunc("POST /v1/chat/completions", h.serve(h.chat))
	h.mux.HandleFunc("POST /v1/completions", h.serve(h.completions))
	h.mux.HandleFunc("POST /v1/embeddings", h.serve(h.embeddings))
	h.mux.HandleFunc("GET /v1/models", h.serve(h.models))
	h.mux.HandleFunc("GET /health", h.serve(h.health))
	h.mux.HandleFunc("/", h.serve(func(http.ResponseWriter, *http.Request) error {
		return &apiError{status: http.StatusNotFound, typ: openai.ErrorTypeNotFound, code: "not_found", msg: "unknown endpoint"}
	}))
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// apiError is an error with the HTTP answer it deserves.
type apiError struct {
	status           int
	typ, code, param string
	msg              string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(param, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: openai.ErrorTypeInvalidRequest, param: param, msg: fmt.Sprintf(format, args...)}
}

// trackingWriter records whether the answer has started.
type trackingWriter struct {
	http.ResponseWriter
	started bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.started = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.started = true
	return t.ResponseWriter.Write(b)
}

func (t *trackingWriter) Flush() {
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// serve turns a handler that returns errors into an http.HandlerFunc:
// errors become OpenAI error bodies, and internal causes go to the log
// under the request id.
func (h *handler) serve(fn func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := newID("req-")
		w.Header().Set("X-Request-Id", id)
		tw := &trackingWriter{ResponseWriter: w}
		err := fn(tw, r)
		if err == nil {
			return
		}
		if tw.started {
			h.log.Info("request ended early", "request_id", id, "err", err)
			return
		}
		var ae *apiError
		switch {
		case errors.As(err, &ae):
		case errors.Is(err, ErrBusy):
			w.Header().Set("Retry-After", "1")
			ae = &apiError{status: http.StatusServiceUnavailable, typ: openai.ErrorTypeServer, code: "engine_busy", msg: "engine busy: too many requests waiting, retry later"}
		case errors.Is(err, ErrClosed):
			ae = &apiError{status: http.StatusServiceUnavailable, typ: openai.ErrorTypeServer, code: "engine_closed", msg: "engine is shutting down"}
		case errors.Is(err, ErrPromptTooLong):
			ae = &apiError{status: http.StatusBadRequest, typ: openai.ErrorTypeInvalidRequest, code: "context_length_exceeded", msg: err.Error()}
		case errors.Is(err, ErrBadToken):
			ae = badRequest("prompt", "%v", err)
		case errors.Is(err, ErrBadStop):
			ae = badRequest("stop", "%v", err)
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			h.log.Info("request cancelled", "request_id", id, "err", err)
			return
		default:
			h.log.Error("request failed", "request_id", id, "err", err)
			ae = &apiError{status: http.StatusInternalServerError, typ: openai.ErrorTypeServer, code: "internal_error", msg: "internal error (request " + id + ")"}
		}
		writeJSON(w, ae.status, openai.NewError(ae.msg, ae.typ, ae.param, ae.code))
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func newID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func (h *handler) health(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (h *handler) models(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, openai.ModelList{
		Object: openai.ObjectList,
		Data:   []openai.Model{{ID: h.name, Object: openai.ObjectModel, OwnedBy: "cocoon"}},
	})
	return nil
}

// decode reads a JSON request body into v, after checking its members as
// OpenAI does (check) and refusing what this engine does not implement.
func decode(r *http.Request, v any, check func(map[string]json.RawMessage) error, unsupported []feature) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &apiError{status: http.StatusRequestEntityTooLarge, typ: openai.ErrorTypeInvalidRequest, code: openai.CodeRequestTooLarge,
				msg: fmt.Sprintf("The request body exceeds %d bytes.", maxBody)}
		}
		return badRequest("", "reading the request body: %v", err)
	}
	m, err := openai.DecodeObject(body)
	if err != nil {
		return paramError(openai.InvalidJSON(err))
	}
	if err := check(m); err != nil {
		return paramError(err)
	}
	for _, f := range unsupported {
		if raw, ok := m[f.param]; ok && !f.harmless(bytes.TrimSpace(raw)) {
			return paramError(openai.Unsupported(f.param, "is not supported by the built-in engine: "+f.instead))
		}
	}
	if err := json.Unmarshal(body, v); err != nil {
		// The members were checked; what is left is a type no check knew.
		return badRequest("", "The request body does not match the API: %v", err)
	}
	return nil
}

// anyMembers is the check of a body whose members decode alone judges.
func anyMembers(map[string]json.RawMessage) error { return nil }

// paramError is an OpenAI parameter error as this handler answers it.
func paramError(err error) error {
	var pe *openai.ParamError
	if errors.As(err, &pe) {
		return &apiError{status: http.StatusBadRequest, typ: openai.ErrorTypeInvalidRequest, code: pe.Code, param: pe.Param, msg: pe.Message}
	}
	return err
}

// feature is a request member the built-in engine does not implement,
// refused unless its value asks for nothing (harmless).
type feature struct {
	param    string
	instead  string
	harmless func(raw []byte) bool
}

// absent values ask for nothing: null, false, an empty array or object.
func absent(raw []byte) bool {
	switch string(raw) {
	case "null", "false", "[]", "{}":
		return true
	}
	return false
}

// is returns a harmless check that also accepts the given values.
func is(values ...string) func([]byte) bool {
	return func(raw []byte) bool {
		for _, v := range values {
			if string(raw) == v {
				return true
			}
		}
		return absent(raw)
	}
}

const useEngine = "serve the model with an engine that has it (vLLM, SGLang, llama.cpp, Ollama) behind the worker"

// chatUnsupported and completionUnsupported are what the built-in engine
// refuses; an engine behind a worker gets them unchanged.
var (
	chatUnsupported = []feature{
		{"tools", useEngine, absent},
		{"tool_choice", useEngine, is(`"none"`, `"auto"`)},
		{"functions", useEngine, absent},
		{"function_call", useEngine, is(`"none"`, `"auto"`)},
		{"response_format", useEngine, is(`{"type":"text"}`)},
		{"logprobs", useEngine, absent},
		{"top_logprobs", useEngine, is("0")},
		{"logit_bias", useEngine, absent},
		{"audio", useEngine, absent},
		{"prediction", useEngine, absent},
		{"n", "it answers one choice per request (n must be 1)", is("1")},
	}
	completionUnsupported = []feature{
		{"echo", useEngine, absent},
		{"logprobs", useEngine, is("0")},
		{"suffix", useEngine, is(`""`)},
		{"best_of", useEngine, is("1")},
		{"logit_bias", useEngine, absent},
		{"n", "it answers one choice per request (n must be 1)", is("1")},
	}
)

// params holds the sampling fields common to both endpoints.
type params struct {
	model       string
	maxTokens   *int64
	temperature *float64
	topP        *float64
	seed        *int64
	stop        []string
	n           *int64
}

// request checks the common fields and builds the engine request.
func (h *handler) request(p params, prompt []int32) (Request, error) {
	if p.model != h.name {
		return Request{}, &apiError{status: http.StatusNotFound, typ: openai.ErrorTypeInvalidRequest, param: "model", code: "model_not_found",
			msg: fmt.Sprintf("model %q is not served here (this engine serves %q)", p.model, h.name)}
	}
	if p.n != nil && *p.n != 1 {
		return Request{}, badRequest("n", "n must be 1")
	}
	req := Request{Prompt: prompt, Temperature: 1, TopP: 1, Seed: mrand.Uint64()}
	if p.maxTokens != nil {
		if *p.maxTokens < 1 {
			return Request{}, badRequest("max_tokens", "max_tokens must be at least 1")
		}
		req.MaxTokens = int(min(*p.maxTokens, 1<<30))
	}
	if p.temperature != nil {
		if *p.temperature < 0 || *p.temperature > 2 {
			return Request{}, badRequest("temperature", "temperature must be between 0 and 2")
		}
		req.Temperature = float32(*p.temperature)
	}
	if p.topP != nil {
		if *p.topP <= 0 || *p.topP > 1 {
			return Request{}, badRequest("top_p", "top_p must be in (0, 1]")
		}
		req.TopP = float32(*p.topP)
	}
	if p.seed != nil {
		req.Seed = uint64(*p.seed)
	}
	if len(p.stop) > maxRequestStops {
		return Request{}, badRequest("stop", "at most %d stop strings", maxRequestStops)
	}
	req.Stop = p.stop
	return req, nil
}

func (h *handler) chat(w http.ResponseWriter, r *http.Request) error {
	var cr openai.ChatRequest
	if err := decode(r, &cr, openai.ValidateChat, chatUnsupported); err != nil {
		return err
	}
	if len(cr.Messages) == 0 {
		return badRequest("messages", "messages must not be empty")
	}
	maxTok := cr.MaxTokens
	if cr.MaxCompletionTokens != nil {
		maxTok = cr.MaxCompletionTokens
	}
	prompt, stops := h.e.model.ChatPrompt(cr.Messages)
	req, err := h.request(params{model: cr.Model, maxTokens: maxTok, temperature: cr.Temperature, topP: cr.TopP,
		seed: cr.Seed, stop: cr.Stop.Values, n: cr.N}, prompt)
	if err != nil {
		return err
	}
	req.Stop = append(append([]string(nil), req.Stop...), stops...)
	id, created := newID("chatcmpl-"), time.Now().Unix()
	if !cr.Stream {
		res, err := h.e.Generate(r.Context(), req, nil)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, openai.ChatCompletion{
			ID: id, Object: openai.ObjectChatCompletion, Created: created, Model: h.name,
			Choices: []openai.ChatChoice{{Message: openai.AnswerMessage{Role: "assistant", Content: trimLeadingSpace(res.Text)}, FinishReason: res.FinishReason}},
			Usage:   openai.NewUsage(int64(res.PromptTokens), int64(res.CompletionTokens)),
		})
		return nil
	}
	chunk := func(delta openai.ChatDelta, finish *string) openai.ChatCompletionChunk {
		return openai.ChatCompletionChunk{ID: id, Object: openai.ObjectChatCompletionChunk, Created: created, Model: h.name,
			Choices: []openai.ChatChunkChoice{{Delta: delta, FinishReason: finish}}}
	}
	// The head goes out once the engine has queued the request, so that
	// a full queue is still answered with an error status.
	st, err := h.e.Start(r.Context(), req)
	if err != nil {
		return err
	}
	sse := startSSE(w)
	// With continuous usage every chunk carries the usage so far: the
	// prompt from the first, and the completion tokens whose text went
	// out, so that a stream cut short is billed for what it delivered.
	role := chunk(openai.ChatDelta{Role: "assistant"}, nil)
	if cr.ContinuousUsage() {
		role.Usage = openai.NewUsage(int64(len(req.Prompt)), 0)
	}
	if err := sse.WriteJSON(role); err != nil {
		return err
	}
	first := true
	res, err := st.Wait(func(text string) error {
		if first {
			text = trimLeadingSpace(text)
			first = false
			if text == "" {
				return nil
			}
		}
		c := chunk(openai.ChatDelta{Content: text}, nil)
		c.Usage = usageSoFar(cr.ContinuousUsage(), len(req.Prompt), st)
		return sse.WriteJSON(c)
	})
	if err != nil {
		return failStream(sse, err)
	}
	usage := openai.NewUsage(int64(res.PromptTokens), int64(res.CompletionTokens))
	reason := res.FinishReason
	end := chunk(openai.ChatDelta{}, &reason)
	if cr.ContinuousUsage() {
		end.Usage = usage
	}
	return finishStream(sse, end, cr.IncludeUsage(), openai.ChatCompletionChunk{ID: id, Object: openai.ObjectChatCompletionChunk,
		Created: created, Model: h.name, Choices: []openai.ChatChunkChoice{}, Usage: usage})
}

func (h *handler) completions(w http.ResponseWriter, r *http.Request) error {
	var cr openai.CompletionRequest
	if err := decode(r, &cr, openai.ValidateCompletion, completionUnsupported); err != nil {
		return err
	}
	var prompt []int32
	switch {
	case len(cr.Prompt.Texts) == 1:
		prompt = h.e.model.tok.Encode(cr.Prompt.Texts[0], true)
	case len(cr.Prompt.Tokens) == 1:
		for _, t := range cr.Prompt.Tokens[0] {
			if t < 0 || t >= int64(h.e.model.cfg.Vocab) {
				return badRequest("prompt", "token %d is outside the vocabulary of %d", t, h.e.model.cfg.Vocab)
			}
			prompt = append(prompt, int32(t))
		}
	default:
		return badRequest("prompt", "prompt must be one string or one array of token ids")
	}
	if len(prompt) == 0 {
		return badRequest("prompt", "prompt is empty")
	}
	req, err := h.request(params{model: cr.Model, maxTokens: cr.MaxTokens, temperature: cr.Temperature, topP: cr.TopP,
		seed: cr.Seed, stop: cr.Stop.Values, n: cr.N}, prompt)
	if err != nil {
		return err
	}
	if cr.MaxTokens == nil {
		req.MaxTokens = 16 // OpenAI's default for completions
	}
	id, created := newID("cmpl-"), time.Now().Unix()
	completion := func(text string, finish *string) openai.Completion {
		return openai.Completion{ID: id, Object: openai.ObjectTextCompletion, Created: created, Model: h.name,
			Choices: []openai.CompletionChoice{{Text: text, FinishReason: finish}}}
	}
	if !cr.Stream {
		res, err := h.e.Generate(r.Context(), req, nil)
		if err != nil {
			return err
		}
		c := completion(res.Text, &res.FinishReason)
		c.Usage = openai.NewUsage(int64(res.PromptTokens), int64(res.CompletionTokens))
		writeJSON(w, http.StatusOK, c)
		return nil
	}
	st, err := h.e.Start(r.Context(), req)
	if err != nil {
		return err
	}
	sse := startSSE(w)
	res, err := st.Wait(func(text string) error {
		c := completion(text, nil)
		c.Usage = usageSoFar(cr.ContinuousUsage(), len(req.Prompt), st)
		return sse.WriteJSON(c)
	})
	if err != nil {
		return failStream(sse, err)
	}
	usage := openai.NewUsage(int64(res.PromptTokens), int64(res.CompletionTokens))
	end := completion("", &res.FinishReason)
	if cr.ContinuousUsage() {
		end.Usage = usage
	}
	return finishStream(sse, end, cr.IncludeUsage(), openai.Completion{ID: id, Object: openai.ObjectTextCompletion,
		Created: created, Model: h.name, Choices: []openai.CompletionChoice{}, Usage: usage})
}

// usageSoFar is the usage of a stream's events with continuous usage: the
// prompt tokens, and the completion tokens whose text went out; nil
// without.
func usageSoFar(continuous bool, prompt int, st *Stream) *openai.Usage {
	if !continuous {
		return nil
	}
	return openai.NewUsage(int64(prompt), int64(st.Delivered()))
}

// finishStream writes the last events of a stream: end, with the finish
// reason, then, when the request asked for usage, usageOnly (no choices,
// the answer's usage), then [DONE].
func finishStream(sse *openai.SSEWriter, end any, includeUsage bool, usageOnly any) error {
	if err := sse.WriteJSON(end); err != nil {
		return err
	}
	if includeUsage {
		if err := sse.WriteJSON(usageOnly); err != nil {
			return err
		}
	}
	return sse.WriteDone()
}

// failStream ends a stream that has begun with an error event, since the
// status line is gone, and returns err for the log. A caller that went
// away gets nothing more.
func failStream(sse *openai.SSEWriter, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg, code := "generation failed", "internal_error"
	if errors.Is(err, ErrClosed) {
		msg, code = "engine is shutting down", "engine_closed"
	}
	_ = sse.WriteJSON(openai.NewError(msg, openai.ErrorTypeServer, "", code))
	return err
}

// startSSE sends the head of an event stream, flushed so that the caller
// knows at once that the request was accepted.
func startSSE(w http.ResponseWriter) *openai.SSEWriter {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	return openai.NewSSEWriter(w)
}

// trimLeadingSpace drops the space that SentencePiece puts before the
// first word of an answer.
func trimLeadingSpace(s string) string {
	if len(s) > 0 && s[0] == ' ' {
		return s[1:]
	}
	return s
}
