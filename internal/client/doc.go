// Package client owns the client role: the connections to proxies that
// carry each request as client.runQueryEx and bring its answer back,
// checking each proxy's attestation and contracts, verifying the charges
// it signs and refusing a proxy whose figures go backwards, spreading
// requests over ready connections and failing over; and, with a chain,
// its contracts' lifecycle at each proxy: it deploys them, registers for
// the long authorisation, tops them up, submits the proxy's signed
// charges, recovers its funds (withdraw, close, and the refund claimed by
// force when a proxy does not grant it) and opens the next generation
// after a close, following each contract through a persisted state
// machine, with the control endpoints that drive it. Its OpenAI-compatible
// HTTP API is package client/gateway, which forwards to it.
package client
