package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"github.com/cocoon-go/cocoon/internal/engine"
)

// EngineConfig is what `cocoon engine` serves: a GGUF model with the
// built-in engine, as an OpenAI-compatible server.
type EngineConfig struct {
	// Model is a GGUF file, or an http(s) URL ending in #sha256=<hex>,
	// downloaded into CacheDir (empty: cocoon/models in the user cache
	// directory).
	Model, CacheDir string
	// Name is the model name served; empty means the model's own.
	Name string
	// Listen is the address served on.
	Listen string
	// Threads generate; MaxSequences are generated at once; Queue
	// requests may wait before the engine answers busy.
	Threads, MaxSequences, Queue int
}

// Engine is the built-in engine serving a model. Run it with Run, which
// releases it.
type Engine struct {
	eng  *engine.Engine
	ln   net.Listener
	name string
	sha  string
}

// NewEngine loads the model (downloading it, with progress to progress,
// when it is a URL) and listens.
func NewEngine(ctx context.Context, cfg EngineConfig, progress io.Writer, log *slog.Logger) (*Engine, error) {
	if cfg.CacheDir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			cfg.CacheDir = filepath.Join(d, "cocoon", "models")
		}
	}
	m, err := engine.Load(ctx, cfg.Model, cfg.CacheDir, progress)
	if err != nil {
		return nil, err
	}
	e := engine.New(m, engine.Options{Threads: cfg.Threads, MaxSequences: cfg.MaxSequences, QueueSize: cfg.Queue, Logger: log})
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("listening: %w", err)
	}
	name := cfg.Name
	if name == "" {
		name = m.Name()
	}
	return &Engine{eng: e, ln: ln, name: name, sha: m.SHA256()}, nil
}

// Name is the model name served; SHA256 the model file's hash; Addr
// where it is served.
func (e *Engine) Name() string   { return e.name }
func (e *Engine) SHA256() string { return e.sha }
func (e *Engine) Addr() net.Addr { return e.ln.Addr() }

// Run serves the model until ctx ends, then lets the requests running
// finish within ShutdownTimeout, ends the generations still running
// after it, and releases the engine.
func (e *Engine) Run(ctx context.Context) error {
	defer e.eng.Close()
	return Serve(ctx, e.ln, engine.NewHandler(e.eng, e.name), func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	}, func() { _ = e.eng.Close() })
}
