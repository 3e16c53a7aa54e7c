package ratls

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

// The reference's certificates in ../shared/testdata/reference: gen-cert's
// fake TDX certificate (presented by its router in every fake_tdx run)
// and the four router certificates of the policy-any runs. Their
// validity is 2026-12-06 23:09 to 2026-12-07 23:11 UTC.
var (
	refCertAt   = time.Date(2026, time.December, 7, 12, 0, 0, 0, time.UTC)
	refGenCert  = "testdata/reference/gen-cert-fake_tdx_cert.pem"
	refGenKey   = "testdata/reference/gen-cert-fake_tdx_key.pem"
	refRouterCs = []string{
		"testdata/reference/a-proxy-client-peer-cert.pem",
		"testdata/reference/b-client-proxy-peer-cert.pem",
		"testdata/reference/c-proxy-worker-peer-cert.pem",
		"testdata/reference/d-worker-proxy-peer-cert.pem",
	}
)

func readPEM(t *testing.T, rel, typ string) []byte {
	t.Helper()
	b, err := os.ReadFile(sharedtest.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != typ {
		t.Fatalf("%s: no %s PEM block", rel, typ)
	}
	return block.Bytes
}

func refCert(t *testing.T, rel string) *x509.Certificate {
	t.Helper()
	return parse(t, readPEM(t, rel, "CERTIFICATE"))
}

// TestInteropV1CertificateExtensions pins mismatch 2: the reference's
// certificates are X.509 version 1 carrying extensions, which crypto/x509
// reads as having none. Our verifier reads the quote and claims from them
// and verifies gen-cert's fake TDX certificate like one of ours.
func TestInteropV1CertificateExtensions(t *testing.T) {
	cert := refCert(t, refGenCert)
	if cert.Version != 1 || len(cert.Extensions) != 0 || len(cert.DNSNames) != 0 {
		t.Fatalf("crypto/x509 reads version %d with %d extensions and SAN %v; the fixture is a version 1 certificate whose extensions it ignores",
			cert.Version, len(cert.Extensions), cert.DNSNames)
	}
	pub := cert.PublicKey.(ed25519.PublicKey)
	ev, err := ParseEvidence(cert)
	if err != nil {
		t.Fatal(err)
	}
	want := attest.ReportData(pub)
	if !bytes.Equal(ev.Quote, want[:]) || !bytes.Equal(ev.Claims, pub) {
		t.Errorf("got quote %x claims %x, want SHA-512 of the key and the key", ev.Quote, ev.Claims)
	}
	v := mustVerifier(t, faketdx.NewValidator(), "fake_tdx", WithClock(func() time.Time { return refCertAt }))
	p, err := v.VerifyCertificates(context.Background(), []*x509.Certificate{cert})
	if err != nil {
		t.Fatalf("verifying gen-cert's certificate: %v", err)
	}
	if !p.PublicKey.Equal(pub) || p.Measurements.Kind != attest.KindFakeTDX {
		t.Errorf("got peer key %x kind %s, want the certificate's key and fake_tdx", p.PublicKey, p.Measurements.Kind)
	}
	// gen-cert's image hash is the fake TDX one, which every fake peer has.
	b64, err := os.ReadFile(sharedtest.Path(t, "testdata/reference/gen-cert-fake_tdx_image_hash.b64"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b64)))
	if err != nil || !bytes.Equal(img, p.ImageHash[:]) {
		t.Errorf("got image hash %x, want gen-cert's %x (%v)", p.ImageHash, img, err)
	}
	report, err := os.ReadFile(sharedtest.Path(t, "testdata/reference/gen-cert-fake_tdx.tdx_report"))
	if err != nil {
		t.Fatal(err)
	}
	if len(report) != 64 || !bytes.Equal(report, make([]byte, 64)) || p.Measurements.MRTD != [48]byte{} {
		t.Errorf("gen-cert's fake report is %x and our fake measurements %x: want both zero", report, p.Measurements.MRTD)
	}
	// The extensions as OpenSSL lists them, and no unknown critical one.
	view, err := extensionView(cert)
	if err != nil {
		t.Fatal(err)
	}
	critical := map[string]bool{}
	for _, e := range view.Extensions {
		critical[e.Id.String()] = e.Critical
	}
	for oid, crit := range map[string]bool{
		OIDQuote.String(): true, OIDClaims.String(): true, "2.5.29.19": true, "2.5.29.15": true, "2.5.29.37": true,
		"2.5.29.14": false, "2.5.29.17": false,
	} {
		if got, ok := critical[oid]; !ok || got != crit {
			t.Errorf("extension %s: got present %v critical %v, want critical %v", oid, ok, got, crit)
		}
	}
	// Every router certificate of the policy-any runs: version 1, no
	// quote, verified with NoVerification and refused by fake_tdx.
	anyV := mustVerifier(t, attest.NoVerification, "any", WithClock(func() time.Time { return refCertAt }))
	for _, rel := range refRouterCs {
		c := refCert(t, rel)
		if c.Version != 1 {
			t.Errorf("%s: version %d, want 1", filepath.Base(rel), c.Version)
		}
		ev, err := ParseEvidence(c)
		if err != nil || ev.Quote != nil || !bytes.Equal(ev.Claims, nil) {
			t.Errorf("%s: evidence %x/%x, %v; want none", filepath.Base(rel), ev.Quote, ev.Claims, err)
		}
		if _, err := anyV.VerifyCertificates(context.Background(), []*x509.Certificate{c}); err != nil {
			t.Errorf("%s under policy any: %v", filepath.Base(rel), err)
		}
		if _, err := v.VerifyCertificates(context.Background(), []*x509.Certificate{c}); !errors.Is(err, attest.ErrNoQuote) {
			t.Errorf("%s under fake_tdx: got %v, want %v", filepath.Base(rel), err, attest.ErrNoQuote)
		}
	}
}

// TestInteropV1CertificateHandshake completes a TLS handshake with
// gen-cert's certificate and key as the server, as the reference's router
// presents it, and our client's RA-TLS configuration verifying it.
func TestInteropV1CertificateHandshake(t *testing.T) {
	der := readPEM(t, refGenCert, "CERTIFICATE")
	k, err := x509.ParsePKCS8PrivateKey(readPEM(t, refGenKey, "PRIVATE KEY"))
	if err != nil {
		t.Fatal(err)
	}
	key := k.(ed25519.PrivateKey)
	server := &tls.Config{
		MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		ClientAuth: tls.RequireAnyClientCert,
	}
	v := mustVerifier(t, faketdx.NewValidator(), "fake_tdx", WithClock(func() time.Time { return refCertAt }))
	srv, cli := handshake(t, server, ClientConfig(mustCertifier(t, faketdx.NewIssuer()), v))
	if srv.err != nil || cli.err != nil {
		t.Fatalf("got server error %v, client error %v; want none", srv.err, cli.err)
	}
	p, err := v.PeerFromState(context.Background(), cli.state)
	if err != nil || !p.PublicKey.Equal(key.Public()) {
		t.Fatalf("peer %v, %v; want gen-cert's key", p, err)
	}
}

// v1Of returns a version 1 copy of the DER certificate der, its [0]
// version removed and the result signed with key, as the reference writes
// them.
func v1Of(t testing.TB, der []byte, key ed25519.PrivateKey) []byte {
	t.Helper()
	raw := cryptobyte.String(der)
	var outer, content, version cryptobyte.String
	if !raw.ReadASN1(&outer, cbasn1.SEQUENCE) || !outer.ReadASN1(&content, cbasn1.SEQUENCE) ||
		!content.ReadASN1(&version, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		t.Fatal("not a certificate with a version")
	}
	var tb cryptobyte.Builder
	tb.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(content) })
	newTBS := tb.BytesOrPanic()
	sigAlg, err := asn1.Marshal(pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 3, 101, 112}})
	if err != nil {
		t.Fatal(err)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(newTBS)
		b.AddBytes(sigAlg)
		b.AddASN1BitString(ed25519.Sign(key, newTBS))
	})
	return b.BytesOrPanic()
}

// TestV1CertificateChecks shows that a version 1 certificate meets every
// check a version 3 one does: its extensions are read, not skipped.
func TestV1CertificateChecks(t *testing.T) {
	key := newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	quote := fakeQuote(t, pub)
	other := newKey(t)
	otherQuote := fakeQuote(t, other.Public().(ed25519.PublicKey))
	v1 := func(ev Evidence, notBefore time.Time, extra ...pkix.Extension) *x509.Certificate {
		der, err := buildCertificate(key, ev, notBefore, extra...)
		if err != nil {
			t.Fatal(err)
		}
		c := parse(t, v1Of(t, der, key))
		if c.Version != 1 {
			t.Fatalf("built version %d, want 1", c.Version)
		}
		return c
	}
	good := v1(Evidence{Quote: quote, Claims: pub}, now)
	resigned := *good
	resigned.Signature = ed25519.Sign(other, good.RawTBSCertificate)
	unknown := pkix.Extension{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Critical: true, Value: []byte{5, 0}}
	tests := []struct {
		name    string
		cert    *x509.Certificate
		wantErr error
	}{
		{"good", good, nil},
		{"signed by another key", &resigned, ErrBadSelfSignature},
		{"expired", v1(Evidence{Quote: quote, Claims: pub}, now.Add(-48*time.Hour)), ErrExpired},
		{"unknown critical extension", v1(Evidence{Quote: quote, Claims: pub}, now, unknown), ErrUnknownCriticalExtension},
		{"claims of another key", v1(Evidence{Quote: quote, Claims: other.Public().(ed25519.PublicKey)}, now), ErrClaimsMismatch},
		{"quote of another key", v1(Evidence{Quote: otherQuote, Claims: pub}, now), attest.ErrReportDataMismatch},
		{"no quote", v1(Evidence{Claims: pub}, now), attest.ErrNoQuote},
		{"quote too large", v1(Evidence{Quote: bytes.Repeat([]byte{1}, MaxQuoteSize+1), Claims: pub}, now), ErrQuoteTooLarge},
	}
	v := mustVerifier(t, faketdx.NewValidator(), "fake_tdx")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.VerifyCertificates(context.Background(), []*x509.Certificate{tc.cert})
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
		})
	}
	t.Run("non-critical quote", func(t *testing.T) {
		der, err := buildCertificate(key, Evidence{Claims: pub}, now, pkix.Extension{Id: OIDQuote, Value: quote})
		if err != nil {
			t.Fatal(err)
		}
		c := parse(t, v1Of(t, der, key))
		if _, err := v.VerifyCertificates(context.Background(), []*x509.Certificate{c}); !errors.Is(err, ErrMalformedExtension) {
			t.Errorf("got %v, want %v", err, ErrMalformedExtension)
		}
	})
	t.Run("duplicated extension", func(t *testing.T) {
		der, err := buildCertificate(key, Evidence{Quote: quote, Claims: pub}, now, pkix.Extension{Id: OIDQuote, Critical: true, Value: quote})
		if err != nil {
			t.Fatal(err)
		}
		c := parse(t, v1Of(t, der, key))
		if _, err := v.VerifyCertificates(context.Background(), []*x509.Certificate{c}); !errors.Is(err, ErrMalformedV1) {
			t.Errorf("got %v, want %v", err, ErrMalformedV1)
		}
	})
}

// TestInteropCertDNSNames pins mismatch 1: the reference checks a peer's
// certificate against the host it dialled, 127.0.0.1, as a DNS name. Our
// certificates carry every name the reference's do (DNS:localhost,
// DNS:127.0.0.1, IP:::1), and IP:127.0.0.1 besides.
func TestInteropCertDNSNames(t *testing.T) {
	der, err := CreateCertificate(newKey(t), []byte("quote"), now)
	if err != nil {
		t.Fatal(err)
	}
	ours := parse(t, der)
	ref, err := extensionView(refCert(t, refGenCert))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ref.DNSNames, []string{"localhost", "127.0.0.1"}) {
		t.Fatalf("the reference's DNS names are %v: the fixture changed", ref.DNSNames)
	}
	for _, n := range ref.DNSNames {
		if !slices.Contains(ours.DNSNames, n) {
			t.Errorf("our DNS names %v lack the reference's %q", ours.DNSNames, n)
		}
	}
	for _, ip := range append(ref.IPAddresses, net.IPv4(127, 0, 0, 1)) {
		if !slices.ContainsFunc(ours.IPAddresses, ip.Equal) {
			t.Errorf("our IP names %v lack %s", ours.IPAddresses, ip)
		}
	}
	// OpenSSL's host check, the reference's, on our certificate.
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Log("openssl not installed: its host check not run")
		return
	}
	cmd := exec.Command(openssl, "x509", "-noout", "-checkhost", "127.0.0.1")
	cmd.Stdin = bytes.NewReader(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "does match certificate") || strings.Contains(string(out), "NOT") {
		t.Errorf("openssl -checkhost 127.0.0.1: %v\n%s", err, out)
	}
}

// TestInteropReferenceCertificateFingerprints ties the certificates to
// fake_tdx-verify.tsv: in every fake_tdx run the router presented
// gen-cert's certificate, a version 1 one, which our nodes then refused
// for want of a quote; our verifier now reads it.
func TestInteropReferenceCertificateFingerprints(t *testing.T) {
	b, err := os.ReadFile(sharedtest.Path(t, "testdata/reference/fake_tdx-verify.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(readPEM(t, refGenCert, "CERTIFICATE"))
	rows := 0
	for line := range strings.Lines(string(b)) {
		f := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if len(f) < 5 || f[0] == "scenario" {
			continue
		}
		rows++
		if f[2] != hex.EncodeToString(sum[:]) || f[3] != "x509v1" {
			t.Errorf("scenario %s: certificate %s %s, want gen-cert's %x, x509v1", f[0], f[2], f[3], sum)
		}
		if f[4] != "ok" && !strings.Contains(f[4], attest.ErrNoQuote.Error()) {
			t.Errorf("scenario %s: verdict %q, want ok or the no-quote refusal that mismatch 2 caused", f[0], f[4])
		}
	}
	if rows != 4 {
		t.Errorf("got %d scenarios, want 4", rows)
	}
}
