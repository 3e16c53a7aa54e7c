package sevsnp

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/ratls"
)

// chainIssuer issues evidence signed by a test chain, as an SEV-SNP guest
// on that chain's platform would.
type chainIssuer struct {
	t testing.TB
	c *chain
}

func (i chainIssuer) Kind() attest.Kind { return attest.KindSEVSNP }

func (i chainIssuer) Issue(_ context.Context, rd [attest.ReportDataSize]byte) ([]byte, error) {
	return i.c.evidence(i.t, reportOpts{reportData: rd, policy: defaultPolicy(), measurement: 0xAA}), nil
}

// TestRATLS verifies real-format SEV-SNP evidence in an RA-TLS
// certificate through ratls's Verifier, as a peer's certificate is
// verified in VerifyConnection: bound to the certificate's key, cached,
// under the policy tdx_or_sev_snp.
func TestRATLS(t *testing.T) {
	c := newChain(t, "Genoa", testTCB)
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ratls.NewCertifier(context.Background(), key, chainIssuer{t, c}, fixed(testTime), nil)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := cert.Certificate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewValidator(fixed(testTime), WithTrustedRoots(c.roots()), InsecureSkipCRL())
	if err != nil {
		t.Fatal(err)
	}
	p, err := attest.NamedPolicy("tdx_or_sev_snp")
	if err != nil {
		t.Fatal(err)
	}
	ver, err := ratls.NewVerifier(faketdx.NewValidator(), p, ratls.WithSEVSNP(v), ratls.WithClock(fixed(testTime)))
	if err != nil {
		t.Fatal(err)
	}
	peer, err := ver.VerifyCertificates(context.Background(), []*x509.Certificate{tc.Leaf})
	if err != nil {
		t.Fatalf("VerifyCertificates: %v", err)
	}
	if peer.Measurements.Kind != attest.KindSEVSNP || peer.ImageHash != peer.Measurements.SNP.ImageHash() || peer.Measurements.SNP.Product != "Genoa" {
		t.Errorf("got kind %s product %q image hash %x, want sev_snp Genoa and the SEV-SNP image hash", peer.Measurements.Kind, peer.Measurements.SNP.Product, peer.ImageHash)
	}
	// The same evidence in another key's certificate is a replay.
	_, other, _ := ed25519.GenerateKey(nil)
	ev, err := ratls.ParseEvidence(tc.Leaf)
	if err != nil {
		t.Fatal(err)
	}
	der, err := ratls.CreateSEVSNPCertificate(other, ev.SEVSNP, testTime)
	if err != nil {
		t.Fatal(err)
	}
	replayed, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ver.VerifyCertificates(context.Background(), []*x509.Certificate{replayed}); !errors.Is(err, attest.ErrReportDataMismatch) {
		t.Errorf("evidence replayed under another key: got %v, want %v", err, attest.ErrReportDataMismatch)
	}
	// Under AMD's roots, the test chain is foreign.
	strict, _ := NewValidator(fixed(testTime), InsecureSkipCRL())
	ver2, _ := ratls.NewVerifier(faketdx.NewValidator(), p, ratls.WithSEVSNP(strict), ratls.WithClock(fixed(testTime)))
	if _, err := ver2.VerifyCertificates(context.Background(), []*x509.Certificate{tc.Leaf}); !errors.Is(err, ErrUntrustedRoot) {
		t.Errorf("test chain under AMD's roots: got %v, want %v", err, ErrUntrustedRoot)
	}
}
