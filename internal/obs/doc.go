// Package obs owns what an operator sees of a running node: the slog
// logger setup, the Prometheus registry with the request metrics every role
// records, the exponentially decayed rate counters of the reference's stats
// pages, and the /stats (HTML) and /jsonstats (JSON) handlers that render a
// role's snapshot.
package obs
