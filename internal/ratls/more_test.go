package ratls

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

// TestOpenSSLSeesCriticalExtensions shows the certificate to OpenSSL, the
// reference's TLS library.
func TestOpenSSLSeesCriticalExtensions(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	der, err := CreateCertificate(newKey(t), []byte("quote"), now)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(openssl, "x509", "-noout", "-text")
	cmd.Stdin = bytes.NewReader(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl x509: %v\n%s", err, out)
	}
	for _, want := range []string{
		`1\.3\.6\.1\.4\.1\.12345\.1: critical`,
		`1\.3\.6\.1\.4\.1\.12345\.2: critical`,
		`X509v3 Basic Constraints: critical\s+CA:FALSE`,
		`X509v3 Key Usage: critical\s+Digital Signature`,
		`X509v3 Extended Key Usage: critical\s+TLS Web Server Authentication, TLS Web Client Authentication`,
		`X509v3 Subject Key Identifier`,
		`DNS:localhost, DNS:127\.0\.0\.1, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1`,
		`Public Key Algorithm: ED25519`,
	} {
		if !regexp.MustCompile(want).Match(out) {
			t.Errorf("openssl output lacks %q:\n%s", want, out)
		}
	}
}

func FuzzParseEvidence(f *testing.F) {
	key := newKey(f)
	for _, q := range [][]byte{nil, []byte("q"), bytes.Repeat([]byte{7}, 5000)} {
		der, err := CreateCertificate(key, q, now)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
	}
	// Version 1 certificates with extensions, as the reference writes
	// them: one of ours rewritten, and gen-cert's when the shared
	// material is present.
	der, err := CreateCertificate(key, []byte("q"), now)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(v1Of(f, der, key))
	if d := sharedtest.Dir(); d != "" {
		if b, err := os.ReadFile(filepath.Join(d, refGenCert)); err == nil {
			if block, _ := pem.Decode(b); block != nil {
				f.Add(block.Bytes)
			}
		}
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return
		}
		ev, err := ParseEvidence(cert)
		if err != nil {
			return
		}
		// Encode the evidence into a new certificate and decode it again.
		der2, err := buildCertificate(key, ev, now)
		if err != nil {
			t.Fatalf("re-encoding evidence of %d+%d bytes: %v", len(ev.Quote), len(ev.Claims), err)
		}
		cert2, err := x509.ParseCertificate(der2)
		if err != nil {
			t.Fatal(err)
		}
		ev2, err := ParseEvidence(cert2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ev.Quote, ev2.Quote) || !bytes.Equal(ev.Claims, ev2.Claims) {
			t.Errorf("round trip changed the evidence: got %x/%x, want %x/%x", ev2.Quote, ev2.Claims, ev.Quote, ev.Claims)
		}
	})
}

func BenchmarkMutualHandshake(b *testing.B) {
	v := mustVerifier(b, faketdx.NewValidator(), "fake_tdx")
	server := ServerConfig(mustCertifier(b, faketdx.NewIssuer()), v)
	client := ClientConfig(mustCertifier(b, faketdx.NewIssuer()), v)
	b.ReportAllocs()
	for b.Loop() {
		srv, cli := handshake(b, server, client)
		if srv.err != nil || cli.err != nil {
			b.Fatal(srv.err, cli.err)
		}
	}
}

// BenchmarkVerifyCached measures the per-handshake verification of a
// peer whose quote is already in the cache.
func BenchmarkVerifyCached(b *testing.B) {
	v := mustVerifier(b, faketdx.NewValidator(), "fake_tdx")
	c := mustCertifier(b, faketdx.NewIssuer())
	cert, err := c.Certificate(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	certs := []*x509.Certificate{cert.Leaf}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.VerifyCertificates(ctx, certs); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPeerKeyIsCertificateKey(t *testing.T) {
	key := newKey(t)
	c, err := NewCertifier(context.Background(), key, faketdx.NewIssuer(), clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := c.Certificate(context.Background())
	p, err := mustVerifier(t, faketdx.NewValidator(), "fake_tdx").VerifyCertificates(context.Background(), []*x509.Certificate{cert.Leaf})
	if err != nil {
		t.Fatal(err)
	}
	if !p.PublicKey.Equal(key.Public().(ed25519.PublicKey)) || p.Measurements.ReportData != attest.ReportData(p.PublicKey) {
		t.Error("got a peer not bound to the certificate key")
	}
}

// fakeQuote returns the fake TDX quote that binds pub.
func fakeQuote(t testing.TB, pub ed25519.PublicKey) []byte {
	t.Helper()
	q, err := faketdx.NewIssuer().Issue(context.Background(), attest.ReportData(pub))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func attestReportData(k ed25519.PrivateKey) [64]byte {
	return attest.ReportData(k.Public().(ed25519.PublicKey))
}
