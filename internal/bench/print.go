package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// Failures turns failed requests into an error after the report, so that
// scripts notice them.
func (r Report) Failures() error {
	var n int
	for _, s := range []*Stats{r.Routed, r.Direct} {
		if s != nil {
			n += s.Errors
		}
	}
	if n > 0 {
		return fmt.Errorf("%d of the measured requests failed", n)
	}
	return nil
}

// PrintJSON writes the report as indented JSON: `cocoon bench --json`.
func (r Report) PrintJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("printing the report: %w", err)
	}
	return nil
}

// Print prints the report as a table.
func (r Report) Print(w io.Writer) {
	ka := "off"
	if r.KeepAlive {
		ka = "on"
	}
	fmt.Fprintf(w, "%d connections, keep-alive %s, %s backend, %d rounds, GOMAXPROCS %d\n\n", r.Concurrency, ka, r.Format, r.Rounds, r.CPUs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "path\trequests\terrors\treq/s\tp50 ms\tp90 ms\tp99 ms\tCPU ms/req\tbytes/req\t")
	for _, p := range []struct {
		name string
		s    *Stats
	}{{"routed", r.Routed}, {"direct", r.Direct}} {
		if p.s == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.3f\t%.0f\t\n", p.name, p.s.Requests, p.s.Errors, p.s.RPS, p.s.P50Ms, p.s.P90Ms, p.s.P99Ms, p.s.CPUMsPerRequest, p.s.BytesPerRequest)
	}
	tw.Flush()
	for _, p := range []*Stats{r.Routed, r.Direct} {
		if p != nil && p.FirstError != "" {
			fmt.Fprintf(w, "first error: %s\n", p.FirstError)
		}
	}
	if r.Routed != nil && r.Direct != nil {
		fmt.Fprintf(w, "\nrouted/direct: %.2f\nour hops' CPU per request: %.3f ms\nadded p50 per hop: %.2f ms\n", r.Ratio, r.HopsCPUMsPerRequest, r.AddedP50MsPerHop)
	}
}
