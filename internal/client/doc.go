// Package client owns the client role: the OpenAI-compatible HTTP API a
// developer calls (chat and text completions, streamed or not, the model
// list, CORS, bearer keys, timing headers, OpenAI-style errors) and the
// connections to proxies that carry each request as client.runQueryEx and
// bring its answer back, checking each proxy's attestation and contracts,
// verifying the charges it signs and refusing a proxy whose figures go
// backwards, spreading requests over ready connections and failing over.
package client
