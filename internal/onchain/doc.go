// Package onchain adapts package ton to the roles: it implements
// proxy.Chain, client.Chain and worker.Chain over any ton.Chain (the
// emulated chain or real TON through the liteclient), driving a node's
// cocoon wallet to deploy and operate the COCOON contracts, relay the
// proxy's signed payments and commit the proxy's ledger seqno, and reading
// the contracts' storage and transactions back for the roles.
package onchain
