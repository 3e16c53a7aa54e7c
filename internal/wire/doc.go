// Package wire owns the COCOON connection below the roles: the
// proof-of-work exchange that precedes TLS, the framing of messages
// (uint32 length, int32 sequence number, payload) and the tcp.* session
// that multiplexes queries, answers, one-way packets and keepalive pings
// over one connection. It knows nothing of clients, proxies or workers:
// payloads are opaque boxed TL objects handed to a Handler.
package wire
