package bench

import (
	"bytes"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/devnet"
	"github.com/cocoon-go/cocoon/internal/openai"
)

// benchPath sends b.N requests over kept-alive connections, one after
// another or with 30 in flight, and reports, besides time, the process
// CPU and allocations per request: everything in this process, so for
// the routed path the client, proxy, worker, backend and load generator
// together.
func benchPath(b *testing.B, routed, parallel bool) {
	be, err := NewBackend(BackendOptions{Model: DefaultModel})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := serve(be)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.close()
	url := srv.url
	if routed {
		n, err := devnet.Start(b.Context(), devnet.Options{EngineURL: srv.url, Model: DefaultModel})
		if err != nil {
			b.Fatal(err)
		}
		defer n.Close()
		url = n.ClientURL
	}
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: benchParallel}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	opts := LoadOptions{URL: url + "/v1/chat/completions", Body: ChatBody(DefaultModel)}
	if _, err := send(b.Context(), hc, opts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	c0, err := ProcessCPU()
	if err != nil {
		b.Fatal(err)
	}
	if parallel {
		// RunParallel, unlike b.Loop, leaves the network's start and the
		// warm-up request in the timing, and its closing (the deferred
		// calls, up to seconds) unless the timer stops first.
		b.ResetTimer()
		b.SetParallelism((benchParallel + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := send(b.Context(), hc, opts); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
	} else {
		for b.Loop() {
			if _, err := send(b.Context(), hc, opts); err != nil {
				b.Fatal(err)
			}
		}
	}
	c1, err := ProcessCPU()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
}

// benchParallel is the requests in flight of the parallel benchmarks, as
// in the reference's benchmark (at least; RunParallel rounds up to a
// multiple of GOMAXPROCS).
const benchParallel = 30

func BenchmarkRoutedRequest(b *testing.B)  { benchPath(b, true, false) }
func BenchmarkDirectRequest(b *testing.B)  { benchPath(b, false, false) }
func BenchmarkRoutedParallel(b *testing.B) { benchPath(b, true, true) }
func BenchmarkDirectParallel(b *testing.B) { benchPath(b, false, true) }

// BenchmarkUsageCounterNDJSON is the worker's usage extraction over the
// reference benchmark's stream, fed in the backend's chunks.
func BenchmarkUsageCounterNDJSON(b *testing.B) {
	var buf bytes.Buffer
	for i := range DefaultChunks {
		fmt.Fprintf(&buf, "{\"delta\":%q,\"i\":%d}\n", strings.Repeat("0", DefaultChunkBytes), i)
	}
	buf.WriteString(`{"usage":` + usageJSON + "}\n")
	body := buf.Bytes()
	chunks := bytes.SplitAfter(body, []byte("\n"))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		c := openai.NewUsageCounter()
		for _, ch := range chunks {
			c.Write(ch)
		}
		c.Finish()
		if c.Counts().CompletionTokens != UsageCompletion {
			b.Fatalf("completion tokens: got %d, want %d", c.Counts().CompletionTokens, UsageCompletion)
		}
	}
}
