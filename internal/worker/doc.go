// Package worker owns the worker role: it keeps connections to its proxies
// (proof of work, RA-TLS, the handshake with the balance comparison),
// validates each proxy.runQueryEx, forwards it to an OpenAI-compatible
// engine with the max-token cap and forced usage reporting, and streams
// the answer back with the tokens used. Cancelling a request or losing the
// proxy connection aborts the engine request.
package worker
