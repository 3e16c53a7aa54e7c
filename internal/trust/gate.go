package trust

import (
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/chainconf"
)

// DefaultMaxAge bounds how old a node's reading of the root may be before
// it takes no new work: the reference's 7,200 s.
const DefaultMaxAge = 2 * time.Hour

// Verifier is the RA-TLS verifier whose live list a Gate keeps:
// ratls.Verifier.
type Verifier interface {
	Policy() attest.Policy
	SetPolicy(attest.Policy) error
}

// Config configures a Gate.
type Config struct {
	// InsecureSkipHashChecks admits every peer whatever its image and
	// model, and lets a node work on a root state of any age. Only test
	// networks may; the roles refuse it outside is_test.
	InsecureSkipHashChecks bool
	// MaxAge bounds how old the root's state may be; zero means
	// DefaultMaxAge.
	MaxAge time.Duration
	// Clock judges the state's age; nil means time.Now.
	Clock func() time.Time
	// Logger, the role's, receives the root's changes; nil discards
	// them.
	Logger *slog.Logger
}

// ForChain returns the gate of a role whose chain settings are c: it
// checks unless c.InsecureSkipHashChecks, and bounds the root's age by
// c.MaxRootAge.
func ForChain(c chainconf.Chain, clock func() time.Time, log *slog.Logger) *Gate {
	return New(Config{InsecureSkipHashChecks: c.InsecureSkipHashChecks, MaxAge: time.Duration(c.MaxRootAge), Clock: clock, Logger: log})
}

// Announce logs how the gate checks a role's peers (peers: "proxies" or
// "workers"): loudly, naming what goes unchecked (unchecked), when it
// skips the checks; otherwise, when the role's reference switch (check,
// named checkName; nil when absent) is false, that the switch changes
// nothing.
func (g *Gate) Announce(check *bool, checkName, peers, unchecked string) {
	if !g.enforce {
		g.log.Warn("INSECURE: " + unchecked + " (insecure_skip_hash_checks)")
	} else if check != nil && !*check {
		g.log.Info(checkName + " is false: " + peers + " are checked against the root anyway (only insecure_skip_hash_checks, on a test network, stops it)")
	}
}

// Gate is a node's live view of the root: the lists it last read, which
// its checks apply and its bound verifiers enforce. One goroutine, the
// node's root poll, calls Update; the checks may run anywhere.
type Gate struct {
	enforce bool
	maxAge  time.Duration
	now     func() time.Time
	log     *slog.Logger

	// cur is the reading in force; nil before the first.
	cur atomic.Pointer[Lists]

	// mu guards bound and changed; changed is closed, and replaced, by
	// every Update.
	mu      sync.Mutex
	bound   []binding
	changed chan struct{}
}

// binding is a verifier kept at the root's list of peers, with the policy
// it had when bound.
type binding struct {
	peers Peers
	v     Verifier
	base  attest.Policy
}

// New returns a gate that has read nothing yet.
func New(cfg Config) *Gate {
	g := &Gate{enforce: !cfg.InsecureSkipHashChecks, maxAge: cfg.MaxAge, now: cfg.Clock, log: cfg.Logger, changed: make(chan struct{})}
	if g.maxAge <= 0 {
		g.maxAge = DefaultMaxAge
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	return g
}

// Enforcing reports whether the gate checks anything.
func (g *Gate) Enforcing() bool { return g.enforce }

// MaxAge is how old the root's state may be.
func (g *Gate) MaxAge() time.Duration { return g.maxAge }

// Bind keeps v's live list at the root's list of peers from now on (until
// the first reading, a list that admits nobody); the policy v has now is
// the rest. A gate that checks nothing leaves v as it is. A policy that
// attests nothing cannot be bound: there would be no image to check.
func (g *Gate) Bind(p Peers, v Verifier) error {
	if !g.enforce {
		return nil
	}
	base := v.Policy()
	if base.Require == attest.KindNone {
		return fmt.Errorf("checking %s against the root's %s: policy %q attests nothing, so there is no image hash to check (test networks may switch the check off with insecure_skip_hash_checks)", p.plural(), p.list(), base.Name)
	}
	base.Allowed = nil
	b := binding{peers: p, v: v, base: base}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.apply(b, g.cur.Load()); err != nil {
		return err
	}
	g.bound = append(g.bound, b)
	return nil
}

// apply sets b's verifier to b's policy with the list of l, or with an
// empty list before the first reading.
func (g *Gate) apply(b binding, l *Lists) error {
	p := b.base
	if l == nil {
		p.Allowed = &attest.AllowList{Peer: b.peers.String(), Source: "the root's " + b.peers.list() + " (the root contract has not been read yet)"}
	} else {
		p.Allowed = l.AllowList(b.peers)
	}
	if err := b.v.SetPolicy(p); err != nil {
		return fmt.Errorf("keeping the %s policy at the root's %s: %w", b.peers, b.peers.list(), err)
	}
	return nil
}

// Update installs a reading of the root and hands its image lists to the
// bound verifiers, so that the handshakes from now on use them. A reading
// of an older version of the same root than the one in force is refused
// (a lagging server); the same version refreshes the reading's time.
func (g *Gate) Update(l Lists) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	prev := g.cur.Load()
	if prev != nil && prev.Root == l.Root && l.Version < prev.Version {
		return fmt.Errorf("reading the root contract: version %d is older than version %d in force", l.Version, prev.Version)
	}
	g.cur.Store(&l)
	var errs []error
	for _, b := range g.bound {
		if err := g.apply(b, &l); err != nil {
			errs = append(errs, err)
		}
	}
	close(g.changed)
	g.changed = make(chan struct{})
	if prev == nil || prev.Version != l.Version || prev.Root != l.Root {
		g.log.Info("root contract read", "root", l.Root, "version", l.Version, "proxy_hashes", len(l.ProxyHashes),
			"worker_hashes", len(l.WorkerHashes), "model_hashes", len(l.ModelHashes), "registered_proxies", len(l.Proxies), "hash_checks", g.enforce)
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// Changed returns a channel closed by the next Update.
func (g *Gate) Changed() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.changed
}

// Current returns the reading in force; ok is false before the first.
func (g *Gate) Current() (l Lists, ok bool) {
	p := g.cur.Load()
	if p == nil {
		return Lists{}, false
	}
	return *p, true
}

// Ready reports whether the node may take new work: nil when the gate
// checks nothing; else ErrNotRead before the first reading and ErrStale
// once the reading is older than MaxAge.
func (g *Gate) Ready() error {
	if !g.enforce {
		return nil
	}
	_, err := g.ready()
	return err
}

func (g *Gate) ready() (*Lists, error) {
	l := g.cur.Load()
	if l == nil {
		return nil, refuse(ErrNotRead, "the root contract has not been read yet: no new work until it is")
	}
	if age := g.now().Sub(l.AsOf); age > g.maxAge {
		return nil, refuse(ErrStale, "the root contract's state is %v old (root %s, version %d, as of %s), more than max_root_age %v: no new work until it is read again",
			age.Truncate(time.Second), l.Root, l.Version, l.AsOf.UTC().Format(time.RFC3339), g.maxAge)
	}
	return l, nil
}

// CheckImage reports whether image is on the root's list of peers.
func (g *Gate) CheckImage(p Peers, image [32]byte) error {
	return g.check(func(l *Lists) error { return l.AllowList(p).Check(image) }, "no %s can be admitted until it is", p)
}

// CheckModel reports whether a full model name is registered on the root.
func (g *Gate) CheckModel(fullName string) error {
	return g.check(func(l *Lists) error { return l.CheckModel(fullName) }, "no model can be admitted until it is")
}

// CheckClientEndpoint reports whether addr is a registered proxy's client
// endpoint.
func (g *Gate) CheckClientEndpoint(addr string) error {
	return g.check(func(l *Lists) error { return l.CheckClientEndpoint(addr) }, "no proxy endpoint is known to be registered")
}

// check runs c on the reading in force when the gate checks; before the
// first reading it refuses with ErrNotRead, saying what cannot be until
// then (unknown, formatted with args).
func (g *Gate) check(c func(*Lists) error, unknown string, args ...any) error {
	if !g.enforce {
		return nil
	}
	l := g.cur.Load()
	if l == nil {
		return refuse(ErrNotRead, "the root contract has not been read yet: %s", fmt.Sprintf(unknown, args...))
	}
	return c(l)
}

// CheckProxyKey is CheckProxyKey when the gate checks, else nil.
func (g *Gate) CheckProxyKey(ext bool, attested ed25519.PublicKey, signing [32]byte) error {
	if !g.enforce {
		return nil
	}
	return CheckProxyKey(ext, attested, signing)
}

// Snapshot is what the stats show of a gate.
type Snapshot struct {
	// HashChecks is "enforced", or "off (insecure_skip_hash_checks)".
	HashChecks string `json:"hash_checks"`
	// Root, Version and AsOf are the reading in force: its root, version
	// and chain time; AgeSeconds its age, MaxAgeSeconds the bound.
	Root          string    `json:"root,omitempty"`
	Version       uint32    `json:"version,omitempty"`
	AsOf          time.Time `json:"as_of,omitzero"`
	AgeSeconds    int64     `json:"age_seconds"`
	MaxAgeSeconds int64     `json:"max_age_seconds"`
	// The sizes of the root's lists.
	ProxyHashes       int `json:"proxy_hashes"`
	WorkerHashes      int `json:"worker_hashes"`
	ModelHashes       int `json:"model_hashes"`
	RegisteredProxies int `json:"registered_proxies"`
	// NotReady says why the node takes no new work; empty when it does.
	NotReady string `json:"not_ready,omitempty"`
}

// Snapshot reads the gate for the stats.
func (g *Gate) Snapshot() Snapshot {
	s := Snapshot{HashChecks: "enforced", MaxAgeSeconds: int64(g.maxAge / time.Second)}
	if !g.enforce {
		s.HashChecks = "off (insecure_skip_hash_checks)"
	}
	if l := g.cur.Load(); l != nil {
		s.Root, s.Version, s.AsOf = l.Root, l.Version, l.AsOf
		s.AgeSeconds = int64(max(g.now().Sub(l.AsOf), 0) / time.Second)
		s.ProxyHashes, s.WorkerHashes, s.ModelHashes, s.RegisteredProxies = len(l.ProxyHashes), len(l.WorkerHashes), len(l.ModelHashes), len(l.Proxies)
	}
	if err := g.Ready(); err != nil {
		s.NotReady = err.Error()
	}
	return s
}
