package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cocoon-go/cocoon/internal/engine"
)

func init() {
	commands["engine"] = command{summary: "serve a GGUF model with the built-in engine (OpenAI API)", run: runEngine}
}

// engineShutdown bounds how long in-flight requests may take to finish
// once the command is asked to stop.
const engineShutdown = 5 * time.Second

func runEngine(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("engine", stdout, stderr)
	fs.SetOutput(stderr)
	model := fs.String("model", "", "model: a GGUF file, or an http(s) URL ending in #sha256=<hex>")
	listen := fs.String("listen", "127.0.0.1:8000", "address to serve the OpenAI API on")
	threads := fs.Int("threads", 1, "generating threads")
	maxSeq := fs.Int("max-sequences", 4, "sequences generated at once")
	queue := fs.Int("queue", 64, "requests that may wait before the engine answers busy")
	name := fs.String("name", "", "model name to serve (default: the file's base name without .gguf)")
	cacheDir := fs.String("cache-dir", "", "where downloaded models are kept (default: the user cache directory)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	switch {
	case fs.NArg() != 0:
		return usageError{fmt.Sprintf("engine takes no arguments, got %q", fs.Args())}
	case *model == "":
		return usageError{"engine needs --model"}
	case *threads < 1 || *maxSeq < 1 || *queue < 1:
		return usageError{"--threads, --max-sequences and --queue must be at least 1"}
	}
	if *cacheDir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			*cacheDir = filepath.Join(d, "cocoon", "models")
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	m, err := engine.Load(ctx, *model, *cacheDir, stderr)
	if err != nil {
		return err
	}
	e := engine.New(m, engine.Options{Threads: *threads, MaxSequences: *maxSeq, QueueSize: *queue, Logger: log})
	defer e.Close()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	served := *name
	if served == "" {
		served = m.Name()
	}
	srv := &http.Server{Handler: engine.NewHandler(e, served), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "engine serving %s (sha256 %s) on http://%s\n", served, m.SHA256(), ln.Addr())

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serving: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), engineShutdown)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			// Generations still running: end them, then the connections.
			_ = e.Close()
			_ = srv.Close()
		}
		return nil
	})
	return g.Wait()
}
