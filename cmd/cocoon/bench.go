package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"text/tabwriter"
	"time"

	"github.com/cocoon-go/cocoon/internal/bench"
)

func init() {
	commands["bench"] = command{summary: "measure the routed path against a fake backend alone", run: runBench}
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stdout, stderr)
	fs.SetOutput(stderr)
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
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	switch {
	case fs.NArg() != 0:
		return usageError{fmt.Sprintf("bench takes no arguments, got %q", fs.Args())}
	case *requests < 1 || *concurrency < 1 || *rounds < 1 || *workers < 1:
		return usageError{"--requests, --concurrency, --rounds and --workers must be at least 1"}
	case *timeout <= 0:
		return usageError{"--timeout must be positive"}
	}
	cfg := bench.Config{
		Requests: *requests, Concurrency: *concurrency, Rounds: *rounds, KeepAlive: *keepAlive, Mode: *mode,
		Backend: bench.BackendOptions{Format: *format, Chunks: *chunks, ChunkBytes: *chunkBytes, Delay: *delay},
		Workers: *workers,
	}
	if *verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("creating the CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("starting the CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("printing the report: %w", err)
		}
	} else {
		printReport(stdout, rep)
	}
	return failures(rep)
}

// failures turns failed requests into an error after the report, so that
// scripts notice them.
func failures(r bench.Report) error {
	var n int
	for _, s := range []*bench.Stats{r.Routed, r.Direct} {
		if s != nil {
			n += s.Errors
		}
	}
	if n > 0 {
		return fmt.Errorf("%d of the measured requests failed", n)
	}
	return nil
}

func printReport(w io.Writer, r bench.Report) {
	ka := "off"
	if r.KeepAlive {
		ka = "on"
	}
	fmt.Fprintf(w, "%d connections, keep-alive %s, %s backend, %d rounds, GOMAXPROCS %d\n\n", r.Concurrency, ka, r.Format, r.Rounds, r.CPUs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "path\trequests\terrors\treq/s\tp50 ms\tp90 ms\tp99 ms\tCPU ms/req\tbytes/req\t")
	for _, p := range []struct {
		name string
		s    *bench.Stats
	}{{"routed", r.Routed}, {"direct", r.Direct}} {
		if p.s == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.3f\t%.0f\t\n", p.name, p.s.Requests, p.s.Errors, p.s.RPS, p.s.P50Ms, p.s.P90Ms, p.s.P99Ms, p.s.CPUMsPerRequest, p.s.BytesPerRequest)
	}
	tw.Flush()
	for _, p := range []*bench.Stats{r.Routed, r.Direct} {
		if p != nil && p.FirstError != "" {
			fmt.Fprintf(w, "first error: %s\n", p.FirstError)
		}
	}
	if r.Routed != nil && r.Direct != nil {
		fmt.Fprintf(w, "\nrouted/direct: %.2f\nour hops' CPU per request: %.3f ms\nadded p50 per hop: %.2f ms\n", r.Ratio, r.HopsCPUMsPerRequest, r.AddedP50MsPerHop)
	}
}
