package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"unicode/utf8"

	"github.com/cocoon-go/cocoon/internal/openai"
)

// Errors a caller of Generate may need to tell apart.
var (
	// ErrBusy reports that the queue of waiting requests is full.
	ErrBusy = errors.New("engine busy")
	// ErrClosed reports a request made to, or cut off by, a closed engine.
	ErrClosed = errors.New("engine closed")
	// ErrPromptTooLong reports a prompt that leaves no room in the context.
	ErrPromptTooLong = errors.New("prompt too long")
	// ErrBadToken reports a prompt token outside the vocabulary.
	ErrBadToken = errors.New("token out of range")
	// ErrBadStop reports more than MaxStops stop strings, or one longer
	// than MaxStopLen bytes.
	ErrBadStop = errors.New("stop strings out of bounds")
)

// Bounds on stop strings, which are checked after every token.
const (
	MaxStops   = 32
	MaxStopLen = 256
)

// Options configures an Engine. Zero values pick the defaults.
type Options struct {
	// Threads is the number of goroutines computing (default 1): the
	// sequences of a round are stepped in parallel, and a lone sequence
	// of a large model has its matrix products shared out.
	Threads int
	// MaxSequences is how many sequences are generated at once,
	// interleaved token by token (default 4).
	MaxSequences int
	// QueueSize is how many requests may wait for a free sequence slot
	// before Generate answers ErrBusy (default 64).
	QueueSize int
	// Logger receives lifecycle events; never prompts or completions.
	Logger *slog.Logger
}

// Request is one generation.
type Request struct {
	// Prompt is the token sequence to continue, BOS included.
	Prompt []int32
	// MaxTokens bounds the generated tokens; 0 means up to the context.
	MaxTokens int
	// Temperature 0 picks the most likely token every time.
	Temperature float32
	// TopP restricts sampling to the smallest set of tokens of that mass;
	// 0 or 1 disables it.
	TopP float32
	// Seed makes sampling reproducible.
	Seed uint64
	// Stop ends generation before the first occurrence of any of these
	// strings, which are not part of the text.
	Stop []string
}

// Result is the outcome of a generation.
type Result struct {
	Text             string
	PromptTokens     int
	CompletionTokens int
	// FinishReason is openai.FinishStop (end of sequence or a stop
	// string) or openai.FinishLength (MaxTokens or the context is full).
	FinishReason string
}

// Engine runs generations on a model. One scheduler goroutine takes
// requests from a queue of QueueSize and steps up to MaxSequences of them
// a token at a time, in rounds; with Threads > 1 a pool of helpers
// shares out each round.
type Engine struct {
	model   *Model
	log     *slog.Logger
	maxSeq  int
	threads int
	pool    *pool // nil with one thread; closed by Close after the scheduler

	// queue carries accepted requests to the scheduler; it is never
	// closed: the scheduler stops on quit, and Close fails what remains.
	queue chan *sequence
	quit  chan struct{} // closed by Close
	wg    sync.WaitGroup
	// embedSlots bounds the embeddings computed at once (Threads); Embed
	// holds a slot while it runs on its caller's goroutine.
	embedSlots chan struct{}

	// mu guards closed; senders to queue hold it for reading so that
	// nothing is queued once Close has begun.
	mu     sync.RWMutex
	closed bool
}

// New starts an engine on model. Close stops it.
func New(model *Model, opts Options) *Engine {
	threads := max(opts.Threads, 1)
	maxSeq := opts.MaxSequences
	if maxSeq <= 0 {
		maxSeq = 4
	}
	queue := opts.QueueSize
	if queue <= 0 {
		queue = 64
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{
		model:   model,
		log:     logger.With("component", "engine"),
		maxSeq:  maxSeq,
		threads: threads,
		queue:   make(chan *sequence, queue),
		quit:    make(chan struct{}),

		embedSlots: make(chan struct{}, threads),
	}
	if threads > 1 {
		e.pool = newPool(threads - 1)
	}
	e.wg.Add(1)
	go e.schedule()
	e.log.Info("engine started", "model", model.Name(), "sha256", model.SHA256(), "threads", threads, "max_sequences", maxSeq, "queue", queue)
	return e
}

// Model returns the model the engine runs.
func (e *Engine) Model() *Model { return e.model }

// Close stops the scheduler and the helpers, fails the requests in flight
// and in the queue with ErrClosed, and waits for every goroutine to exit.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	close(e.quit)
	e.wg.Wait()
	if e.pool != nil {
		e.pool.close()
	}
	for {
		select {
		case s := <-e.queue:
			s.finish(ErrClosed)
		default:
			e.log.Info("engine stopped")
			return nil
		}
	}
}

// Generate runs req: Start, then Wait.
func (e *Engine) Generate(ctx context.Context, req Request, onText func(string) error) (Result, error) {
	st, err := e.Start(ctx, req)
	if err != nil {
		return Result{}, err
	}
	return st.Wait(onText)
}

// Stream is a generation accepted by Start.
type Stream struct {
	s *sequence
	// delivered is how many tokens had been generated when the text
	// handed to onText so far was published; only Wait's goroutine
	// touches it.
	delivered int
}

// Delivered returns how many tokens the text handed to Wait's onText so
// far came from: the tokens generated up to the last piece, without
// those held back (a partial character, the beginning of a stop string).
// It is for onText to call, on Wait's goroutine.
func (st *Stream) Delivered() int { return st.delivered }

// Start checks req and queues it, failing at once with ErrBusy when the
// queue is full. The generation runs until it ends or ctx is done; the
// caller collects it with Wait.
func (e *Engine) Start(ctx context.Context, req Request) (*Stream, error) {
	cfg := e.model.cfg
	if len(req.Prompt) == 0 {
		return nil, errors.New("generating: empty prompt")
	}
	for _, id := range req.Prompt {
		if id < 0 || int(id) >= cfg.Vocab {
			return nil, fmt.Errorf("generating: %w: %d (vocabulary %d)", ErrBadToken, id, cfg.Vocab)
		}
	}
	if len(req.Stop) > MaxStops {
		return nil, fmt.Errorf("generating: %w: %d stop strings, at most %d", ErrBadStop, len(req.Stop), MaxStops)
	}
	for _, st := range req.Stop {
		if len(st) > MaxStopLen {
			return nil, fmt.Errorf("generating: %w: a stop string of %d bytes, at most %d", ErrBadStop, len(st), MaxStopLen)
		}
	}
	if len(req.Prompt) >= cfg.Context {
		return nil, fmt.Errorf("generating: %w: %d tokens, context %d", ErrPromptTooLong, len(req.Prompt), cfg.Context)
	}
	limit := cfg.Context - len(req.Prompt)
	if req.MaxTokens > 0 && req.MaxTokens < limit {
		limit = req.MaxTokens
	}
	s := &sequence{
		ctx:    ctx,
		req:    req,
		limit:  limit,
		notify: make(chan struct{}, 1),
	}
	for _, st := range req.Stop {
		if st != "" {
			s.stops = append(s.stops, []byte(st))
		}
	}

	e.mu.RLock()
	if e.closed {
		e.mu.RUnlock()
		return nil, ErrClosed
	}
	select {
	case e.queue <- s:
	default:
		e.mu.RUnlock()
		return nil, ErrBusy
	}
	e.mu.RUnlock()

	return &Stream{s: s}, nil
}

// Wait calls onText on the calling goroutine with each piece of new text
// as it is produced (never splitting a UTF-8 character or showing the
// beginning of a stop string). It returns when generation ends, when the
// context given to Start is done (its error), or when onText fails (that
// error, and generation stops at the next token).
func (st *Stream) Wait(onText func(string) error) (Result, error) {
	s := st.s
	for {
		select {
		case <-s.notify:
		case <-s.ctx.Done():
			return Result{}, s.ctx.Err()
		}
		text, tokens, done, res, err := s.take()
		if text != "" {
			st.delivered = tokens
		}
		if text != "" && onText != nil {
			if err := onText(text); err != nil {
				s.abandon()
				return Result{}, err
			}
		}
		if done {
			return res, err
		}
	}
}

// schedule is the scheduler goroutine, owned by the Engine and waited
// for in Close.
func (e *Engine) schedule() {
	defer e.wg.Done()
	var active []*sequence
	var keep []bool
	for {
		if len(active) == 0 {
			select {
			case s := <-e.queue:
				active = append(active, s)
			case <-e.quit:
				return
			}
		}
	fill:
		for len(active) < e.maxSeq {
			select {
			case s := <-e.queue:
				active = append(active, s)
			default:
				break fill
			}
		}
		select {
		case <-e.quit:
			for _, s := range active {
				s.finish(ErrClosed)
			}
			return
		default:
		}
		if cap(keep) < len(active) {
			keep = make([]bool, e.maxSeq)
		}
		keep = keep[:len(active)]
		switch {
		case e.pool == nil:
			for i, s := range active {
				keep[i] = e.step(s, nil)
			}
		case len(active) == 1:
			keep[0] = e.step(active[0], e.pool)
		default:
			e.pool.run(len(active), func(i int) { keep[i] = e.step(active[i], nil) })
		}
		kept := active[:0]
		for i, s := range active {
			if keep[i] {
				kept = append(kept, s)
			}
		}
		clear(active[len(kept):])
		active = kept
	}
}

// prefillChunk is how many prompt tokens one step of a sequence runs, so
// that a long prompt does not stall the sequences interleaved with it.
const prefillChunk = 32

// step advances a sequence by one token (or one chunk of its prompt) and
// reports whether it goes on. With par set, large matrix products are
// shared out over it.
func (e *Engine) step(s *sequence, par *pool) bool {
	if err := s.ctx.Err(); err != nil {
		s.finish(err)
		return false
	}
	if s.abandoned() {
		s.finish(context.Canceled)
		return false
	}
	m := e.model
	if s.st == nil {
		s.st = newState(m.cfg, len(s.req.Prompt)+s.limit)
		s.smp = newSampler(m.cfg.Vocab, s.req.Temperature, s.req.TopP, s.req.Seed)
	}
	if s.pos < len(s.req.Prompt) {
		end := min(s.pos+prefillChunk, len(s.req.Prompt))
		for ; s.pos < end; s.pos++ {
			m.forward(s.st, int(s.req.Prompt[s.pos]), s.pos, s.pos == len(s.req.Prompt)-1, par, e.threads)
		}
		return true
	}
	tok := int32(s.smp.sample(s.st.logits))
	s.generated++
	if m.isStop(tok) {
		s.complete(openai.FinishStop)
		return false
	}
	s.text = append(s.text, m.tok.Piece(tok)...)
	if i := s.stopIndex(); i >= 0 {
		s.text = s.text[:i]
		s.complete(openai.FinishStop)
		return false
	}
	if s.generated >= s.limit {
		s.complete(openai.FinishLength)
		return false
	}
	s.publish(s.safeEnd())
	m.forward(s.st, int(tok), s.pos, true, par, e.threads)
	s.pos++
	return true
}

// sequence is one request in flight. Like an http.Request it carries its
// request's context, which the worker checks before every token. The
// fields above mu belong to the worker that steps it; those below are
// shared with the caller.
type sequence struct {
	ctx       context.Context
	req       Request
	limit     int
	stops     [][]byte
	st        *state
	smp       *sampler
	pos       int
	generated int
	text      []byte
	emitted   int // bytes of text handed to the caller

	notify chan struct{} // capacity 1: "there is news"; never closed

	mu      sync.Mutex
	pending []byte
	// pendingTokens is the count of tokens generated when pending was
	// last extended.
	pendingTokens int
	done          bool
	gone          bool // the caller stopped listening
	result        Result
	err           error
}

// stopIndex returns where the first stop string begins in the text, or -1.
// Only the tail that the last token could have completed is searched.
func (s *sequence) stopIndex() int {
	best := -1
	for _, st := range s.stops {
		from := max(0, s.emitted-len(st))
		if i := bytes.Index(s.text[from:], st); i >= 0 && (best < 0 || from+i < best) {
			best = from + i
		}
	}
	return best
}

// safeEnd returns how much of the text can be shown: not a trailing
// partial UTF-8 character, and not a tail that could begin a stop string.
func (s *sequence) safeEnd() int {
	end := len(s.text)
	for _, st := range s.stops {
		for k := min(len(st)-1, end-s.emitted); k > 0; k-- {
			if bytes.Equal(s.text[end-k:end], st[:k]) {
				end -= k
				break
			}
		}
	}
	for i := 1; i <= utf8.UTFMax && end-i >= s.emitted; i++ {
		if utf8.RuneStart(s.text[end-i]) {
			if !utf8.FullRune(s.text[end-i : end]) {
				end -= i
			}
			break
		}
	}
	return max(end, s.emitted)
}

// publish hands text up to end to the caller.
func (s *sequence) publish(end int) {
	if end <= s.emitted {
		return
	}
	s.mu.Lock()
	s.pending = append(s.pending, s.text[s.emitted:end]...)
	s.pendingTokens = s.generated
	s.mu.Unlock()
	s.emitted = end
	s.wake()
}

func (s *sequence) complete(reason string) {
	s.publish(len(s.text))
	s.mu.Lock()
	s.done = true
	s.result = Result{
		Text:             string(s.text),
		PromptTokens:     len(s.req.Prompt),
		CompletionTokens: s.generated,
		FinishReason:     reason,
	}
	s.mu.Unlock()
	s.st = nil
	s.wake()
}

func (s *sequence) finish(err error) {
	s.mu.Lock()
	s.done = true
	s.err = err
	s.mu.Unlock()
	s.st = nil
	s.wake()
}

func (s *sequence) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// take collects what the worker has published since the last call, with
// the count of tokens generated when it was.
func (s *sequence) take() (string, int, bool, Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	text := string(s.pending)
	s.pending = s.pending[:0]
	return text, s.pendingTokens, s.done, s.result, s.err
}

func (s *sequence) abandon() {
	s.mu.Lock()
	s.gone = true
	s.mu.Unlock()
}

func (s *sequence) abandoned() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gone
}
