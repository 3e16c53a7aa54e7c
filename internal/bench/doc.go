// Package bench owns the performance measurement of cocoon-go: a fake
// streaming inference backend shaped like the reference's benchmark server,
// a bounded HTTP load generator that records per-request latencies, the
// process CPU accounting, and the composition that runs the routed path
// (client → proxy → worker → backend) and the backend alone in interleaved
// rounds for `cocoon bench`. Its benchmarks cover the idle-session memory
// of a proxy and the hot-path pieces whose owners do not benchmark them.
package bench
