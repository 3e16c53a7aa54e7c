package proxy

import (
	"context"
	"crypto/x509"
	"sync"
	"testing"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/ratls"
)

// testModel is the full model name of the workers in these tests.
const testModel = "Org/M@abc:def"

// fakeImage is the image hash of every fake TDX peer.
var fakeImage = attest.Measurements{Kind: attest.KindFakeTDX}.ImageHash()

// fakePeers is the worker port's verifier in tests of other matters:
// every worker attests the fake TDX image, which the policy in force
// judges, its live list included.
type fakePeers struct {
	mu sync.Mutex
	p  attest.Policy
}

var _ PeerVerifier = (*fakePeers)(nil)

func newFakePeers(t testing.TB) *fakePeers {
	p, err := attest.NamedPolicy("fake_tdx")
	if err != nil {
		t.Fatal(err)
	}
	return &fakePeers{p: p}
}

func (f *fakePeers) Policy() attest.Policy {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.p
}

func (f *fakePeers) SetPolicy(p attest.Policy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.p = p
	return nil
}

func (f *fakePeers) Recheck(context.Context, []*x509.Certificate) (*ratls.Peer, error) {
	m := attest.Measurements{Kind: attest.KindFakeTDX}
	if err := f.Policy().Check(m); err != nil {
		return nil, err
	}
	return &ratls.Peer{Measurements: m, ImageHash: m.ImageHash()}, nil
}
