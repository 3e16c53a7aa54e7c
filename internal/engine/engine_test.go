package engine

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/cocoon-go/cocoon/internal/openai"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const storyStart = ", there was a little girl named Lily"

func newEngine(t testing.TB, m *Model, opts Options) *Engine {
	t.Helper()
	e := New(m, opts)
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("closing engine: %v", err)
		}
	})
	return e
}

func greedy(m *Model, prompt string, maxTokens int) Request {
	return Request{Prompt: m.Tokenizer().Encode(prompt, true), MaxTokens: maxTokens}
}

func TestStoriesGreedy(t *testing.T) {
	m := storiesModel(t)
	e := newEngine(t, m, Options{})
	var streamed strings.Builder
	res, err := e.Generate(context.Background(), greedy(m, "Once upon a time", 20), func(s string) error {
		streamed.WriteString(s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Text, storyStart) {
		t.Errorf("got %q, want it to begin %q", res.Text, storyStart)
	}
	if streamed.String() != res.Text {
		t.Errorf("streamed %q, result %q", streamed.String(), res.Text)
	}
	if res.PromptTokens != 5 || res.CompletionTokens != 20 || res.FinishReason != openai.FinishLength {
		t.Errorf("got %d prompt, %d completion tokens, finish %q; want 5, 20, length", res.PromptTokens, res.CompletionTokens, res.FinishReason)
	}
}

func TestStopStrings(t *testing.T) {
	m := storiesModel(t)
	e := newEngine(t, m, Options{})
	tests := []struct {
		name string
		stop []string
		want string
	}{
		{"word", []string{"Lily"}, ", there was a little girl named "},
		{"earliest of two", []string{"girl", "there"}, ", "},
		{"absent", []string{"zebra"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := greedy(m, "Once upon a time", 12)
			req.Stop = tt.stop
			var streamed strings.Builder
			res, err := e.Generate(context.Background(), req, func(s string) error {
				streamed.WriteString(s)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if res.FinishReason != openai.FinishLength || !strings.HasPrefix(res.Text, storyStart) {
					t.Errorf("got %q (%s), want the story to length", res.Text, res.FinishReason)
				}
				return
			}
			if res.Text != tt.want || res.FinishReason != openai.FinishStop {
				t.Errorf("got %q (%s), want %q (stop)", res.Text, res.FinishReason, tt.want)
			}
			if streamed.String() != res.Text {
				t.Errorf("streamed %q, want %q: a stop string leaked", streamed.String(), res.Text)
			}
		})
	}
}

func TestSeededSamplingIsReproducible(t *testing.T) {
	m := storiesModel(t)
	e := newEngine(t, m, Options{})
	run := func(seed uint64) string {
		req := greedy(m, "Once upon a time", 30)
		req.Temperature, req.TopP, req.Seed = 1, 0.9, seed
		res, err := e.Generate(context.Background(), req, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res.Text
	}
	if a, b := run(3), run(3); a != b {
		t.Errorf("seed 3 twice: got %q and %q", a, b)
	}
	if a, b := run(3), run(4); a == b {
		t.Errorf("seeds 3 and 4 gave the same text %q", a)
	}
}

func TestParallelSequences(t *testing.T) {
	m := synthModel(t)
	e := newEngine(t, m, Options{Threads: 2, MaxSequences: 4, QueueSize: 16})
	want, err := e.Generate(context.Background(), greedy(m, "ab c", 40), nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]Result, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Go(func() {
			results[i], errs[i] = e.Generate(context.Background(), greedy(m, "ab c", 40), nil)
		})
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil || results[i] != want {
			t.Errorf("sequence %d: got %+v, %v, want %+v", i, results[i], errs[i], want)
		}
	}
}

// fill occupies the only slot and the only queue place of an engine
// made with MaxSequences 1 and QueueSize 1, until ctx is done.
func fill(ctx context.Context, t *testing.T, e *Engine, wg *sync.WaitGroup) {
	t.Helper()
	started := make(chan struct{})
	var once sync.Once
	long := greedy(e.Model(), "Once upon a time", 2000)
	wg.Go(func() {
		_, _ = e.Generate(ctx, long, func(string) error {
			once.Do(func() { close(started) })
			return nil
		})
	})
	<-started
	wg.Go(func() { _, _ = e.Generate(ctx, long, nil) })
	for len(e.queue) == 0 {
		runtime.Gosched()
	}
}

func TestBusyQueue(t *testing.T) {
	m := storiesModel(t)
	e := newEngine(t, m, Options{MaxSequences: 1, QueueSize: 1})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	fill(ctx, t, e, &wg)
	if _, err := e.Generate(context.Background(), greedy(m, "Once", 1), nil); !errors.Is(err, ErrBusy) {
		t.Errorf("with the slot and queue full: got %v, want ErrBusy", err)
	}
}

func TestCancelStopsGeneration(t *testing.T) {
	m := storiesModel(t)
	e := newEngine(t, m, Options{MaxSequences: 1})
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := e.Generate(ctx, greedy(m, "Once upon a time", 2000), func(string) error {
		if n++; n == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	// The slot is free again: a new request runs to completion.
	res, err := e.Generate(context.Background(), greedy(m, "Once upon a time", 5), nil)
	if err != nil || res.CompletionTokens != 5 {
		t.Errorf("after a cancellation: got %+v, %v", res, err)
	}
	failing := errors.New("client gone")
	if _, err := e.Generate(context.Background(), greedy(m, "Once upon a time", 2000), func(string) error { return failing }); !errors.Is(err, failing) {
		t.Errorf("onText failing: got %v, want its error", err)
	}
}

func TestCloseFailsRequests(t *testing.T) {
	m := storiesModel(t)
	e := New(m, Options{})
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		var once sync.Once
		_, err := e.Generate(context.Background(), greedy(m, "Once upon a time", 2000), func(string) error {
			once.Do(func() { close(started) })
			return nil
		})
		done <- err
	}()
	<-started
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("request in flight: got %v, want ErrClosed", err)
	}
	if _, err := e.Generate(context.Background(), greedy(m, "x", 1), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: got %v, want ErrClosed", err)
	}
}

func TestRequestValidation(t *testing.T) {
	m := synthModel(t)
	e := newEngine(t, m, Options{})
	long := make([]int32, m.cfg.Context)
	tests := []struct {
		name string
		req  Request
		want error
	}{
		{"too long", Request{Prompt: long}, ErrPromptTooLong},
		{"bad token", Request{Prompt: []int32{1, int32(m.cfg.Vocab)}}, ErrBadToken},
		{"long stop", Request{Prompt: []int32{1}, Stop: []string{strings.Repeat("x", MaxStopLen+1)}}, ErrBadStop},
		{"many stops", Request{Prompt: []int32{1}, Stop: make([]string, MaxStops+1)}, ErrBadStop},
	}
	for _, tt := range tests {
		if _, err := e.Generate(context.Background(), tt.req, nil); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

// BenchmarkStoriesTokens measures single-thread generation speed on
// stories260K: 256 greedy tokens after a 5-token prompt per operation;
// generated tokens per second are reported as a metric.
func BenchmarkStoriesTokens(b *testing.B) {
	m := storiesModel(b)
	e := newEngine(b, m, Options{Threads: 1})
	const n = 256
	req := greedy(m, "Once upon a time", n)
	b.ReportAllocs()
	tokens := 0
	for b.Loop() {
		res, err := e.Generate(context.Background(), req, nil)
		if err != nil {
			b.Fatal(err)
		}
		tokens += res.CompletionTokens
	}
	b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkForward measures one forward pass at a mid-sequence position.
func BenchmarkForward(b *testing.B) {
	m := storiesModel(b)
	s := newState(m.cfg, 256)
	for p := range 128 {
		m.forward(s, 1, p, false, nil, 1)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.forward(s, 300, 128, true, nil, 1)
	}
}

// TestStreamingHoldsBack feeds pieces to a sequence the way step does and
// checks what reaches the caller: never half a UTF-8 character, never the
// start of a stop string, and in the end exactly the text before the stop.
func TestStreamingHoldsBack(t *testing.T) {
	tests := []struct {
		name     string
		pieces   []string
		stops    []string
		want     []string // what each piece lets through
		wantText string
	}{
		{"split character", []string{"a", "\xc3", "\xa9b"}, nil, []string{"a", "", "éb"}, "aéb"},
		{"stop across pieces", []string{"one ", "tw", "o three"}, []string{"two"}, []string{"one ", "", ""}, "one "},
		{"false alarm", []string{"one ", "tw", "in"}, []string{"two"}, []string{"one ", "", "twin"}, "one twin"},
		{"stop inside a piece", []string{"abcSTOPdef"}, []string{"STOP"}, []string{""}, "abc"},
		{"two stops, earliest wins", []string{"xx", "BA"}, []string{"A", "B"}, []string{"xx", ""}, "xx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &sequence{notify: make(chan struct{}, 1)}
			for _, st := range tt.stops {
				s.stops = append(s.stops, []byte(st))
			}
			stopped := false
			for i, p := range tt.pieces {
				s.generated++
				s.text = append(s.text, p...)
				if j := s.stopIndex(); j >= 0 {
					s.text = s.text[:j]
					stopped = true
				} else {
					s.publish(s.safeEnd())
				}
				got, tokens, _, _, _ := s.take()
				if stopped {
					got = ""
				}
				if got != tt.want[i] {
					t.Errorf("piece %d: got %q through, want %q", i, got, tt.want[i])
				}
				// Text that goes through came from every token so far,
				// those held back before it included.
				if got != "" && tokens != i+1 {
					t.Errorf("piece %d: text of %d tokens, want %d", i, tokens, i+1)
				}
				if stopped {
					break
				}
			}
			s.complete(openai.FinishStop)
			_, _, _, res, _ := s.take()
			if res.Text != tt.wantText {
				t.Errorf("got text %q, want %q", res.Text, tt.wantText)
			}
		})
	}
}
