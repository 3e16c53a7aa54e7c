// Package proxy owns the proxy role: it accepts workers and clients on two
// RA-TLS listeners, runs both handshakes, keeps the table of worker
// connections, picks a worker for every client request, forwards the
// request and streams the answer back with a per-hop time budget, retrying
// on another worker when one fails before its first byte. It meters every
// request against a reservation held on the client's balance (enforced
// while the answer streams), settles it in the ledger it persists, and
// signs each client and worker contract a payment for the tokens
// committed to its database. On a chain (Deps.Chain) it commits its ledger
// seqno before serving and then periodically, authorises clients against
// their contracts, and itself charges clients, pays workers and grants
// refunds to closing clients with payments for the tokens committed to
// the chain.
package proxy
