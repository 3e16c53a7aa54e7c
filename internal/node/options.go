package node

import (
	"crypto/ed25519"
	"log/slog"
	"net"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/store"
)

// Options are what a node is built from besides its role's config. The
// commands set Attestation and Logger; a composition of several nodes in
// one process (the devnet) also passes what they share, where the zero
// values take what the config names.
type Options struct {
	// Attestation is how the node attests and checks its peers.
	Attestation Attestation
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger

	// Chain, if set, is the chain the node runs on, instead of the one
	// its config names: an emulated chain several nodes share in memory.
	Chain *Shared
	// WalletKey, if set, is the key of the node's cocoon wallet instead
	// of its config's node_wallet_key.
	WalletKey ed25519.PrivateKey
	// Key, if set, is the node's RA-TLS key (a proxy's signing key)
	// instead of a fresh one or a proxy's machine_specific_private_key.
	Key ed25519.PrivateKey
	// Store, if set, is a proxy's ledger instead of the file of its
	// db_path (or none).
	Store store.Store
	// ClientStake is a proxy's fake-TON stake of every client contract;
	// zero means proxy.DefaultClientStake.
	ClientStake billing.NanoTON
	// HTTP, Workers and Clients, if set, are the listeners of the node's
	// HTTP server and of a proxy's worker and client ports, instead of
	// listening where the config says. The node closes them.
	HTTP, Workers, Clients net.Listener
	// NoHTTP serves no HTTP port: the node's handler is used in the
	// process itself (the Go library).
	NoHTTP bool
	// SampleEvery is how often the node's pages sample it for their
	// charts; zero means web.SampleEvery.
	SampleEvery time.Duration
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}
