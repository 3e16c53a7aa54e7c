// Package worker owns the worker role: it keeps connections to its proxies
// (proof of work, RA-TLS, the handshake with the proxy's contracts checked
// and the balance comparison that refuses a proxy that forgot earnings),
// validates each proxy.runQueryEx, forwards it to an OpenAI-compatible
// engine with the max-token cap and forced usage reporting, and streams
// the answer back with the tokens used; it verifies the payouts the proxy
// signs and keeps the highest; with a chain it submits the highest to its
// worker contract at each proxy once it is worth a payout. Cancelling a request or losing the proxy
// connection aborts the engine request.
package worker
