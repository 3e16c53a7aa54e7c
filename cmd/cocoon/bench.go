package main

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/cocoon-go/cocoon/internal/bench"
	"github.com/cocoon-go/cocoon/internal/cli"
)

func init() {
	commands["bench"] = command{summary: "measure the routed path against a fake backend alone", run: runBench}
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stdout, stderr)
	requests := fs.Int("requests", 2000, "measured requests per path")
	concurrency := fs.Int("concurrency", 30, "requests in flight")
	rounds := fs.Int("rounds", 10, "interleaved rounds of each path")
	keepAlive := fs.Bool("keepalive", false, "reuse load-generator connections (off: a fresh connection per request, as the reference's hey -disable-keepalive)")
	mode := fs.String("mode", bench.ModeBoth, "paths to measure: both, routed or direct")
	format := fs.String("format", bench.FormatNDJSON, "fake backend stream: ndjson (the reference's) or sse")
	chunks := fs.Int("chunks", bench.DefaultChunks, "content chunks per answer")
	chunkBytes := fs.Int("bytes", bench.DefaultChunkBytes, "bytes of content per chunk")
	delay := fs.Duration("delay", 0, "pause before each chunk after the first")
	workers := fs.Int("workers", 1, "workers in the network")
	timeout := fs.Duration("timeout", 10*time.Minute, "bound on the whole run")
	asJSON := fs.Bool("json", false, `print {"routed": {...}, "direct": {...}, "ratio": R, ...}`)
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured run to this file (use with --mode routed to profile our hops)")
	verbose := fs.Bool("v", false, "log the network's diagnostics to stderr")
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *requests < 1 || *concurrency < 1 || *rounds < 1 || *workers < 1:
		return cli.UsageError{Msg: "--requests, --concurrency, --rounds and --workers must be at least 1"}
	case *timeout <= 0:
		return cli.UsageError{Msg: "--timeout must be positive"}
	}
	cfg := bench.Config{
		Requests: *requests, Concurrency: *concurrency, Rounds: *rounds, KeepAlive: *keepAlive, Mode: *mode,
		Backend: bench.BackendOptions{Format: *format, Chunks: *chunks, ChunkBytes: *chunkBytes, Delay: *delay},
		Workers: *workers, CPUProfile: *cpuProfile,
	}
	if *verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := rep.PrintJSON(stdout); err != nil {
			return err
		}
	} else {
		rep.Print(stdout)
	}
	return rep.Failures()
}
