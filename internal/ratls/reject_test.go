package ratls

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
)

func parse(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerifyCertificatesRejects(t *testing.T) {
	key := newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	quote := func(k ed25519.PrivateKey) []byte { return fakeQuote(t, k.Public().(ed25519.PublicKey)) }
	goodCert := certWith(t, key, Evidence{Quote: quote(key), Claims: pub}, now).Leaf

	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: now, NotAfter: now.Add(time.Hour)}
	ecDER, err := x509.CreateCertificate(rand.Reader, ecTmpl, ecTmpl, &ecKey.PublicKey, ecKey)
	if err != nil {
		t.Fatal(err)
	}
	// Signed by another key than the one it carries.
	signer := newKey(t)
	forged := &x509.Certificate{SerialNumber: big.NewInt(2), NotBefore: now, NotAfter: now.Add(time.Hour)}
	forgedDER, err := x509.CreateCertificate(rand.Reader, forged, forged, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	nonCritical := func() *x509.Certificate {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(3), NotBefore: now, NotAfter: now.Add(time.Hour),
			ExtraExtensions: []pkix.Extension{{Id: OIDQuote, Critical: false, Value: quote(key)}},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
		if err != nil {
			t.Fatal(err)
		}
		return parse(t, der)
	}()

	tests := []struct {
		name    string
		certs   []*x509.Certificate
		wantErr error
	}{
		{"good", []*x509.Certificate{goodCert}, nil},
		{"no certificate", nil, ErrCertificateCount},
		{"two certificates", []*x509.Certificate{goodCert, goodCert}, ErrCertificateCount},
		{"ECDSA key", []*x509.Certificate{parse(t, ecDER)}, ErrNotEd25519},
		{"signed by another key", []*x509.Certificate{parse(t, forgedDER)}, ErrBadSelfSignature},
		{"not yet valid", []*x509.Certificate{certWith(t, key, Evidence{Quote: quote(key), Claims: pub}, now.Add(2*time.Hour)).Leaf}, ErrNotYetValid},
		{"non-critical quote", []*x509.Certificate{nonCritical}, ErrMalformedExtension},
		{"quote too large", []*x509.Certificate{certWith(t, key, Evidence{Quote: bytes.Repeat([]byte{1}, MaxQuoteSize+1), Claims: pub}, now).Leaf}, ErrQuoteTooLarge},
	}
	v := mustVerifier(t, faketdx.NewValidator(), "fake_tdx")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.VerifyCertificates(context.Background(), tc.certs)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestVerifyStateRejectsProtocol(t *testing.T) {
	v := mustVerifier(t, faketdx.NewValidator(), "fake_tdx")
	tests := []struct {
		name    string
		state   tls.ConnectionState
		wantErr error
	}{
		{"TLS 1.2", tls.ConnectionState{Version: tls.VersionTLS12, CipherSuite: tls.TLS_AES_128_GCM_SHA256}, ErrTLSVersion},
		{"ChaCha20", tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_CHACHA20_POLY1305_SHA256}, ErrCipherSuite},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := v.VerifyConnection(tc.state); !errors.Is(err, tc.wantErr) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
		})
	}
}
