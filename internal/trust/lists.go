package trust

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
)

// Refusals, each distinct. A refusal of an image hash is
// attest.ErrImageHashNotAllowed (an *attest.NotAllowedError).
var (
	ErrModelNotRegistered    = errors.New("model not registered on the root")
	ErrEndpointNotRegistered = errors.New("proxy endpoint not registered on the root")
	ErrKeyNotBound           = errors.New("proxy key not bound to its attestation")
	ErrNotRead               = errors.New("root contract not read yet")
	ErrStale                 = errors.New("root contract state too old")
)

// IsRefusal reports whether err is one of the refusals of this package or
// an image hash a live list lacks: a cause a person can act on.
func IsRefusal(err error) bool {
	for _, e := range []error{attest.ErrImageHashNotAllowed, ErrModelNotRegistered, ErrEndpointNotRegistered, ErrKeyNotBound, ErrNotRead, ErrStale, attest.ErrFakeQuote} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// refusal is an error with a message of its own that is one of the
// sentinels above.
type refusal struct {
	kind error
	msg  string
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return r.kind }

func refuse(kind error, format string, args ...any) error {
	return &refusal{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Lists is the root contract's admission state as read at one time.
type Lists struct {
	// Root is the root contract's address; Version the version of its
	// state, which grows with every change.
	Root    string
	Version uint32
	// ProxyHashes and WorkerHashes are the allowed image hashes of
	// proxies and workers; ModelHashes the sha256 of each allowed full
	// model name.
	ProxyHashes, WorkerHashes, ModelHashes [][32]byte
	// Proxies are the registered proxies' endpoints.
	Proxies []Endpoint
	// AsOf is the chain's time when the state was read.
	AsOf time.Time
}

// Endpoint is one registered proxy: where workers and clients connect.
type Endpoint struct {
	Workers, Clients string
}

// Peers names whose images a list admits.
type Peers int

// The two lists of image hashes.
const (
	// Proxies are admitted by the root's proxy_hashes.
	Proxies Peers = iota
	// Workers are admitted by the root's worker_hashes.
	Workers
)

// String names the peers: "proxy" or "worker".
func (p Peers) String() string {
	if p == Workers {
		return "worker"
	}
	return "proxy"
}

func (p Peers) list() string { return p.String() + "_hashes" }

// plural names the peers in the plural: "proxies" or "workers".
func (p Peers) plural() string {
	if p == Workers {
		return "workers"
	}
	return "proxies"
}

// source names one of the lists: "the root's worker_hashes (root EQ…,
// version 12)".
func (l *Lists) source(list string) string {
	return fmt.Sprintf("the root's %s (root %s, version %d)", list, l.Root, l.Version)
}

// AllowList returns the root's list of the images admitted as peers.
func (l *Lists) AllowList(p Peers) *attest.AllowList {
	hashes := l.ProxyHashes
	if p == Workers {
		hashes = l.WorkerHashes
	}
	return &attest.AllowList{Peer: p.String(), Source: l.source(p.list()), Hashes: hashes}
}

// ModelHash is what the root's model_hashes lists for a full model name
// (Org/Model@commit:verity): its sha256.
func ModelHash(fullName string) [32]byte { return sha256.Sum256([]byte(fullName)) }

// CheckModel reports whether a full model name is registered on the root.
func (l *Lists) CheckModel(fullName string) error {
	h := ModelHash(fullName)
	if slices.Contains(l.ModelHashes, h) {
		return nil
	}
	return refuse(ErrModelNotRegistered, "model %s is not registered: its hash %x is not in %s", fullName, h, l.source("model_hashes"))
}

// CheckClientEndpoint reports whether addr is the client endpoint of a
// proxy registered on the root.
func (l *Lists) CheckClientEndpoint(addr string) error {
	want := canonical(addr)
	for _, p := range l.Proxies {
		if canonical(p.Clients) == want {
			return nil
		}
	}
	return refuse(ErrEndpointNotRegistered, "proxy endpoint %s is not registered on the root (root %s, version %d)", addr, l.Root, l.Version)
}

// ClientEndpoints lists the registered proxies' client endpoints.
func (l *Lists) ClientEndpoints() []string {
	out := make([]string, 0, len(l.Proxies))
	for _, p := range l.Proxies {
		out = append(out, p.Clients)
	}
	return out
}

// canonical writes host:port as net.JoinHostPort does, so that equal
// endpoints compare equal; anything else is compared as it is.
func canonical(addr string) string {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return net.JoinHostPort(h, p)
}

// CheckProxyKey reports whether a proxy signs with the key its
// attestation binds, so that the contract its key derives and the
// payments it signs come from the attested image: a cocoon-go proxy (ext)
// must. A reference proxy signs with its runner's key, not its router's
// attested one, and is trusted for its image, as the reference trusts it.
func CheckProxyKey(ext bool, attested ed25519.PublicKey, signing [32]byte) error {
	if !ext || attested.Equal(ed25519.PublicKey(signing[:])) {
		return nil
	}
	return refuse(ErrKeyNotBound, "proxy attests key %x but signs with key %x: not the proxy it claims to be", []byte(attested), signing)
}
