// Package client owns the client role: the OpenAI-compatible HTTP API a
// developer calls (chat and text completions, streamed or not, the model
// list, CORS, bearer keys, timing headers, OpenAI-style errors) and the
// connections to proxies that carry each request as client.runQueryEx and
// bring its answer back, checking each proxy's attestation and contracts,
// verifying the charges it signs and refusing a proxy whose figures go
// backwards, spreading requests over ready connections and failing over.
// With a chain it also keeps its contract at each proxy: deploys it,
// registers for the long authorisation, tops it up, submits the proxy's
// signed charges, and recovers its funds (withdraw, close, and the refund
// claimed by force when a proxy does not grant it), following each
// contract through a persisted state machine.
package client
