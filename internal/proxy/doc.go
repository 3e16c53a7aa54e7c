// Package proxy owns the proxy role: it accepts workers and clients on two
// RA-TLS listeners, runs both handshakes, keeps the table of worker
// connections, picks a worker for every client request, forwards the
// request and streams the answer back with a per-hop time budget, retrying
// on another worker when one fails before its first byte.
package proxy
