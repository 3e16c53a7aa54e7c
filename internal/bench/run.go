package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/cocoon-go/cocoon/internal/devnet"
)

// Modes of a Run.
const (
	ModeBoth   = "both"
	ModeRouted = "routed"
	ModeDirect = "direct"
)

// DefaultModel is the model name the benchmark requests, after the
// reference benchmark's Qwen3-8B body.
const DefaultModel = "Qwen/Qwen3-8B"

// RoutedHops is the number of our processes a routed request crosses
// that a direct one does not: client, proxy and worker.
const RoutedHops = 3

// Config describes a benchmark run.
type Config struct {
	// Requests is the number of measured requests per path.
	Requests int
	// Concurrency is the number of requests in flight.
	Concurrency int
	// Rounds alternates the paths this many times (default 10, at most
	// Requests).
	Rounds int
	// KeepAlive reuses load-generator connections (off by default, as in
	// the reference benchmark).
	KeepAlive bool
	// Mode is ModeBoth (default), ModeRouted or ModeDirect.
	Mode string
	// Backend shapes the fake backend's answers; its Model defaults to
	// DefaultModel.
	Backend BackendOptions
	// Workers is the number of workers in the network (default 1).
	Workers int
	// Logger receives the network's diagnostics; nil discards them.
	Logger *slog.Logger
	// CPUProfile, if set, is the file a CPU profile of the run is
	// written to.
	CPUProfile string
}

// Report is the outcome of a Run, as `cocoon bench --json` prints it.
type Report struct {
	Routed *Stats `json:"routed,omitempty"`
	Direct *Stats `json:"direct,omitempty"`
	// Ratio is routed requests/s over direct requests/s.
	Ratio float64 `json:"ratio"`
	// HopsCPUMsPerRequest is the routed path's CPU per request minus the
	// direct path's: what our three hops cost, the load generator and
	// the backend subtracted.
	HopsCPUMsPerRequest float64 `json:"hops_cpu_ms_per_request"`
	// AddedP50MsPerHop is the routed p50 latency minus the direct one,
	// over RoutedHops.
	AddedP50MsPerHop float64 `json:"added_p50_ms_per_hop"`
	// The shape of the run.
	Concurrency int    `json:"concurrency"`
	KeepAlive   bool   `json:"keep_alive"`
	Format      string `json:"format"`
	Rounds      int    `json:"rounds"`
	CPUs        int    `json:"cpus"`
}

func (c *Config) check() error {
	if c.Mode == "" {
		c.Mode = ModeBoth
	}
	if c.Mode != ModeBoth && c.Mode != ModeRouted && c.Mode != ModeDirect {
		return fmt.Errorf("unknown mode %q (want %s, %s or %s)", c.Mode, ModeBoth, ModeRouted, ModeDirect)
	}
	if c.Requests < 1 || c.Requests > MaxRequests {
		return fmt.Errorf("requests %d outside [1, %d]", c.Requests, MaxRequests)
	}
	if c.Concurrency < 1 || c.Concurrency > MaxConcurrency {
		return fmt.Errorf("concurrency %d outside [1, %d]", c.Concurrency, MaxConcurrency)
	}
	if c.Rounds == 0 {
		c.Rounds = 10
	}
	if c.Rounds < 0 {
		return fmt.Errorf("rounds %d is negative", c.Rounds)
	}
	c.Rounds = min(c.Rounds, c.Requests)
	if c.Backend.Model == "" {
		c.Backend.Model = DefaultModel
	}
	if c.Workers == 0 {
		c.Workers = 1
	}
	return nil
}

// ChatBody is a chat request like the reference benchmark's: a short
// conversation for model, streamed, with a generous completion limit.
func ChatBody(model string) []byte {
	return fmt.Appendf(nil, `{"model":%q,"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Tell me about the history of confidential computing in a few paragraphs."}],"stream":true,"max_tokens":8000,"temperature":0.7}`, model)
}

// Run starts a fake backend and, unless only the direct path is asked for,
// a devnet whose workers forward to it; then it measures both paths in
// interleaved rounds, so that noise on the machine falls on both alike.
// Each path first gets an unmeasured warm-up of Concurrency requests.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.check(); err != nil {
		return Report{}, fmt.Errorf("starting the benchmark: %w", err)
	}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return Report{}, fmt.Errorf("creating the CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return Report{}, fmt.Errorf("starting the CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	be, err := NewBackend(cfg.Backend)
	if err != nil {
		return Report{}, err
	}
	srv, err := serve(be)
	if err != nil {
		return Report{}, err
	}
	defer srv.close()

	type path struct {
		name  string
		url   string
		tally Tally
	}
	var paths []*path
	if cfg.Mode != ModeDirect {
		nw, err := devnet.Start(ctx, devnet.Options{
			Workers: cfg.Workers, EngineURL: srv.url, Model: cfg.Backend.Model, Logger: cfg.Logger,
		})
		if err != nil {
			return Report{}, fmt.Errorf("starting the network: %w", err)
		}
		defer nw.Close()
		paths = append(paths, &path{name: ModeRouted, url: nw.ClientURL + "/v1/chat/completions"})
	}
	if cfg.Mode != ModeRouted {
		paths = append(paths, &path{name: ModeDirect, url: srv.url + "/v1/chat/completions"})
	}
	body := ChatBody(cfg.Backend.Model)
	opts := func(url string, n int) LoadOptions {
		return LoadOptions{URL: url, Body: body, Requests: n, Concurrency: cfg.Concurrency, KeepAlive: cfg.KeepAlive}
	}
	for _, p := range paths {
		t, err := Load(ctx, opts(p.url, cfg.Concurrency))
		if err != nil {
			return Report{}, fmt.Errorf("warming up the %s path: %w", p.name, err)
		}
		if t.Errors > 0 {
			return Report{}, fmt.Errorf("warming up the %s path: %d of %d requests failed, the first with: %s", p.name, t.Errors, cfg.Concurrency, t.FirstError)
		}
	}
	for r := range cfg.Rounds {
		n := cfg.Requests/cfg.Rounds + btoi(r < cfg.Requests%cfg.Rounds)
		for i := range paths {
			p := paths[(i+r)%len(paths)] // alternate which path goes first
			t, err := measure(ctx, opts(p.url, n))
			p.tally.Add(t)
			if err != nil {
				return Report{}, fmt.Errorf("measuring the %s path: %w", p.name, err)
			}
		}
	}
	rep := Report{Concurrency: cfg.Concurrency, KeepAlive: cfg.KeepAlive, Format: be.opts.Format, Rounds: cfg.Rounds, CPUs: runtime.GOMAXPROCS(0)}
	for _, p := range paths {
		s := p.tally.Stats()
		if p.name == ModeRouted {
			rep.Routed = &s
		} else {
			rep.Direct = &s
		}
	}
	if rep.Routed != nil && rep.Direct != nil {
		if rep.Direct.RPS > 0 {
			rep.Ratio = rep.Routed.RPS / rep.Direct.RPS
		}
		rep.HopsCPUMsPerRequest = rep.Routed.CPUMsPerRequest - rep.Direct.CPUMsPerRequest
		rep.AddedP50MsPerHop = (rep.Routed.P50Ms - rep.Direct.P50Ms) / RoutedHops
	}
	return rep, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// measure runs one load run and records the process CPU it took.
func measure(ctx context.Context, opts LoadOptions) (Tally, error) {
	c0, err := ProcessCPU()
	if err != nil {
		return Tally{}, err
	}
	t, err := Load(ctx, opts)
	c1, cerr := ProcessCPU()
	t.CPU = c1 - c0
	return t, errors.Join(err, cerr)
}

// server is the fake backend served on a loopback port.
type server struct {
	url  string
	srv  *http.Server
	wg   sync.WaitGroup
	once sync.Once
}

func serve(h http.Handler) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the fake backend: %w", err)
	}
	s := &server{url: "http://" + ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	s.wg.Go(func() { s.srv.Serve(ln) })
	return s, nil
}

func (s *server) close() {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if s.srv.Shutdown(ctx) != nil {
			s.srv.Close()
		}
		s.wg.Wait()
	})
}
