// Package node composes each node of the network once, from its config:
// a proxy, a worker, a client or the built-in engine, with its
// attestation (the issuer of its quotes and the verifiers of its peers'),
// its chain (an emulated chain's state file, TON through a liteclient
// config, or fake TON: ours, or the reference's root config), its cocoon
// wallet and contracts, its ledger, its listeners, its HTTP server (stats,
// metrics, the pages of package web) and its run with a bounded shutdown.
//
// `cocoon proxy|worker|client|engine` parse their flags into a config and
// Options and call it; the devnet composes a whole network out of the
// same constructors (NewProxy, with the ledger file of its db_path;
// NewWorker; NewClient; NewEngine for the built-in engine), passing in
// what it shares in one process (the emulated chain, keys, listeners
// bound on loopback, a ledger in memory). Only this package opens a
// ledger file (store/boltstore), so only it links bbolt. Insecure choices
// are loud names here (Attestation's Insecure fields, FakeTON), never a
// nil that slips through.
package node
