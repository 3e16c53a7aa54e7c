// Package web owns the pages people look at rather than read: the network
// explorer (the root's configuration, every proxy with its workers and
// clients, each COCOON contract's balance and state as the chain holds
// it, the value they lock, and a node's requests/s, tokens/s and time to
// first token over the last hour), the client's wallet page (its
// contracts, spending over time, a top-up through any TON wallet, withdraw,
// close and reopen, a chat playground) and the worker's earnings page
// (earnings per proxy and per day, payouts on chain, an estimator, why it
// does or does not take requests).
//
// The pages are server-rendered HTML with a little JavaScript, served from
// the binary with their assets (the uPlot chart library, vendored under
// static/uplot). A Site serves them in front of a role's own HTTP handler,
// guarded by the role's http_access_hash like its stats pages; NewExplorer
// serves the explorer alone (`cocoon explorer`). The pages read the role
// through small interfaces declared here and the chain through Chain, which
// the emulated chain and the liteclient both implement. They only read,
// except the wallet page, whose buttons call the client's own control
// endpoints after a confirmation.
package web
