package trust

import (
	"crypto/ed25519"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/config"
)

var (
	t0    = time.Date(2025, time.December, 1, 12, 0, 0, 0, time.UTC)
	image = [32]byte{0xab, 0xcd}
	other = [32]byte{0x12}
)

func lists(version uint32) Lists {
	return Lists{
		Root: "EQroot", Version: version, AsOf: t0,
		ProxyHashes: [][32]byte{image}, WorkerHashes: [][32]byte{image}, ModelHashes: [][32]byte{ModelHash("Org/M@abc:def")},
		Proxies: []Endpoint{{Workers: "10.0.0.1:11001", Clients: "10.0.0.1:11002"}},
	}
}

func TestListsRefusals(t *testing.T) {
	l := lists(12)
	tests := []struct {
		name string
		err  error
		kind error
		want string
	}{
		{"worker image", l.AllowList(Workers).Check(other), attest.ErrImageHashNotAllowed,
			"worker image hash 1200000000000000000000000000000000000000000000000000000000000000 is not in the root's worker_hashes (root EQroot, version 12)"},
		{"proxy image", l.AllowList(Proxies).Check(other), attest.ErrImageHashNotAllowed,
			"proxy image hash 1200000000000000000000000000000000000000000000000000000000000000 is not in the root's proxy_hashes (root EQroot, version 12)"},
		{"model", l.CheckModel("Org/M@abc:xyz"), ErrModelNotRegistered, "model Org/M@abc:xyz is not registered: its hash "},
		{"endpoint", l.CheckClientEndpoint("10.0.0.2:11002"), ErrEndpointNotRegistered,
			"proxy endpoint 10.0.0.2:11002 is not registered on the root (root EQroot, version 12)"},
		{"key", CheckProxyKey(true, ed25519.PublicKey(other[:]), image), ErrKeyNotBound, "proxy attests key 12"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.kind) || !strings.HasPrefix(tc.err.Error(), tc.want) {
				t.Errorf("got %v, want %v starting %q", tc.err, tc.kind, tc.want)
			}
			if !IsRefusal(tc.err) {
				t.Errorf("IsRefusal(%v) = false, want true", tc.err)
			}
		})
	}
	for name, err := range map[string]error{
		"listed worker":   l.AllowList(Workers).Check(image),
		"listed model":    l.CheckModel("Org/M@abc:def"),
		"endpoint":        l.CheckClientEndpoint("10.0.0.1:11002"),
		"reference proxy": CheckProxyKey(false, ed25519.PublicKey(other[:]), image),
		"bound key":       CheckProxyKey(true, ed25519.PublicKey(image[:]), image),
	} {
		if err != nil {
			t.Errorf("%s: got %v, want nil", name, err)
		}
	}
	if IsRefusal(errors.New("connection refused")) {
		t.Error("IsRefusal of another error = true, want false")
	}
}

// fakeVerifier records the policies a gate sets.
type fakeVerifier struct{ p attest.Policy }

func (f *fakeVerifier) Policy() attest.Policy { return f.p }
func (f *fakeVerifier) SetPolicy(p attest.Policy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	f.p = p
	return nil
}

func newVerifier(t *testing.T, name string) *fakeVerifier {
	p, err := attest.NamedPolicy(name)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeVerifier{p: p}
}

func TestGateKeepsVerifiersAtTheRoot(t *testing.T) {
	now := t0
	g := New(Config{Clock: func() time.Time { return now }, MaxAge: time.Hour})
	workers := newVerifier(t, "fake_tdx")
	if err := g.Bind(Workers, workers); err != nil {
		t.Fatal(err)
	}
	fake := attest.Measurements{Kind: attest.KindFakeTDX}
	if err := workers.p.Check(fake); !errors.Is(err, attest.ErrImageHashNotAllowed) || !strings.Contains(err.Error(), "has not been read yet") {
		t.Errorf("before the first reading: got %v, want every worker refused, naming why", err)
	}
	if err := g.Bind(Proxies, newVerifier(t, "any")); err == nil || !strings.Contains(err.Error(), "attests nothing") {
		t.Errorf("binding policy any: got %v, want a refusal", err)
	}
	changed := g.Changed()
	l := lists(3)
	l.WorkerHashes = append(l.WorkerHashes, fake.ImageHash())
	if err := g.Update(l); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Error("Changed not closed by Update")
	}
	if err := workers.p.Check(fake); err != nil {
		t.Errorf("after the root listed the image: got %v, want nil", err)
	}
	if workers.p.Name != "fake_tdx" || workers.p.Require != attest.KindFakeTDX {
		t.Errorf("verifier policy = %+v, want the bound policy kept", workers.p)
	}
	if err := g.Update(lists(4)); err != nil {
		t.Fatal(err)
	}
	if err := workers.p.Check(fake); !errors.Is(err, attest.ErrImageHashNotAllowed) || !strings.Contains(err.Error(), "version 4") {
		t.Errorf("after the root dropped the image: got %v, want the image refused by version 4", err)
	}
	if err := g.Update(lists(3)); err == nil {
		t.Error("an older version: got nil error, want it refused")
	}
	if cur, _ := g.Current(); cur.Version != 4 {
		t.Errorf("version in force = %d, want 4", cur.Version)
	}
}

func TestGateChecksAndAge(t *testing.T) {
	now := t0
	g := New(Config{Clock: func() time.Time { return now }, MaxAge: time.Hour})
	for name, err := range map[string]error{
		"ready": g.Ready(), "image": g.CheckImage(Workers, image), "model": g.CheckModel("Org/M@abc:def"), "endpoint": g.CheckClientEndpoint("10.0.0.1:11002"),
	} {
		if !errors.Is(err, ErrNotRead) {
			t.Errorf("%s before the first reading: got %v, want %v", name, err, ErrNotRead)
		}
	}
	if err := g.Update(lists(1)); err != nil {
		t.Fatal(err)
	}
	if err := g.Ready(); err != nil {
		t.Errorf("fresh: got %v, want nil", err)
	}
	if err := g.CheckImage(Proxies, other); !errors.Is(err, attest.ErrImageHashNotAllowed) {
		t.Errorf("unlisted proxy: got %v", err)
	}
	now = t0.Add(time.Hour + time.Second)
	err := g.Ready()
	want := "the root contract's state is 1h0m1s old (root EQroot, version 1, as of 2025-12-01T12:00:00Z), more than max_root_age 1h0m0s: no new work until it is read again"
	if !errors.Is(err, ErrStale) || err.Error() != want {
		t.Errorf("stale: got %v, want %q", err, want)
	}
	if s := g.Snapshot(); s.NotReady != want || s.AgeSeconds != 3601 || s.Version != 1 || s.HashChecks != "enforced" || s.WorkerHashes != 1 {
		t.Errorf("snapshot = %+v", s)
	}
	fresh := lists(1)
	fresh.AsOf = now
	if err := g.Update(fresh); err != nil || g.Ready() != nil {
		t.Errorf("a new reading of the same version: %v, %v; want the node ready again", err, g.Ready())
	}
}

func TestGateSkip(t *testing.T) {
	g := New(Config{InsecureSkipHashChecks: true})
	v := newVerifier(t, "any")
	if err := g.Bind(Workers, v); err != nil || v.p.Allowed != nil {
		t.Errorf("Bind: %v, policy %+v; want the verifier left alone", err, v.p)
	}
	for name, err := range map[string]error{
		"ready": g.Ready(), "image": g.CheckImage(Workers, other), "model": g.CheckModel("x"),
		"endpoint": g.CheckClientEndpoint("1.2.3.4:5"), "key": g.CheckProxyKey(true, ed25519.PublicKey(other[:]), image),
	} {
		if err != nil {
			t.Errorf("%s: got %v, want nil with checks off", name, err)
		}
	}
	if s := g.Snapshot(); s.HashChecks != "off (insecure_skip_hash_checks)" || s.NotReady != "" {
		t.Errorf("snapshot = %+v", s)
	}
}

func TestAnnounce(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		skip bool
		// check is the role's reference switch.
		check *bool
		want  string
	}{
		{"checking", false, nil, ""},
		{"checking, switch on", false, &yes, ""},
		{"checking, switch off", false, &no, "level=INFO msg=\"check_worker_hashes is false: workers are checked against the root anyway"},
		{"skipping", true, nil, "level=WARN msg=\"INSECURE: workers are not checked (insecure_skip_hash_checks)\""},
		{"skipping, switch off", true, &no, "level=WARN msg=\"INSECURE: workers are not checked (insecure_skip_hash_checks)\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log strings.Builder
			g := ForChain(chainconf.Chain{InsecureSkipHashChecks: tt.skip}, nil, slog.New(slog.NewTextHandler(&log, nil)))
			g.Announce(tt.check, "check_worker_hashes", "workers", "workers are not checked")
			if got := log.String(); tt.want == "" && got != "" || !strings.Contains(got, tt.want) || strings.Count(got, "\n") > 1 {
				t.Errorf("logged %q, want one line with %q", got, tt.want)
			}
		})
	}
}

func TestForChain(t *testing.T) {
	c := chainconf.Chain{MaxRootAge: config.Duration(time.Minute)}
	now := t0
	g := ForChain(c, func() time.Time { return now }, nil)
	if err := g.Update(lists(1)); err != nil {
		t.Fatal(err)
	}
	if err := g.Ready(); err != nil {
		t.Fatalf("a fresh reading: %v, want ready", err)
	}
	now = t0.Add(2 * time.Minute)
	if err := g.Ready(); !errors.Is(err, ErrStale) {
		t.Errorf("a reading older than max_root_age: %v, want %v", err, ErrStale)
	}
	if s := ForChain(chainconf.Chain{InsecureSkipHashChecks: true}, nil, nil).Snapshot(); s.HashChecks != "off (insecure_skip_hash_checks)" {
		t.Errorf("insecure_skip_hash_checks: snapshot %+v, want the checks off", s)
	}
}
