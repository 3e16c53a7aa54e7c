package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/cocoon-go/cocoon/internal/cli"
	"github.com/cocoon-go/cocoon/internal/node"
)

func init() {
	commands["engine"] = command{summary: "serve a GGUF model with the built-in engine (OpenAI API)", run: runEngine}
}

func runEngine(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("engine", stdout, stderr)
	model := fs.String("model", "", "model: a GGUF file, or an http(s) URL ending in #sha256=<hex>")
	listen := fs.String("listen", "127.0.0.1:8000", "address to serve the OpenAI API on")
	threads := fs.Int("threads", 1, "generating threads")
	maxSeq := fs.Int("max-sequences", 4, "sequences generated at once")
	queue := fs.Int("queue", 64, "requests that may wait before the engine answers busy")
	name := fs.String("name", "", "model name to serve (default: the file's base name without .gguf)")
	cacheDir := fs.String("cache-dir", "", "where downloaded models are kept (default: the user cache directory)")
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *model == "":
		return cli.UsageError{Msg: "engine needs --model"}
	case *threads < 1 || *maxSeq < 1 || *queue < 1:
		return cli.UsageError{Msg: "--threads, --max-sequences and --queue must be at least 1"}
	}
	e, err := node.NewEngine(ctx, node.EngineConfig{
		Model: *model, CacheDir: *cacheDir, Name: *name, Listen: *listen, Threads: *threads, MaxSequences: *maxSeq, Queue: *queue,
	}, stderr, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "engine serving %s (sha256 %s) on http://%s\n", e.Name(), e.SHA256(), e.Addr())
	return e.Run(ctx)
}
