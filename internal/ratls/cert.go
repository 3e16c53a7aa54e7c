package ratls

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// The reference's certificate constants.
var (
	// OIDQuote marks the critical extension holding the raw quote.
	OIDQuote = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 12345, 1}
	// OIDClaims marks the critical extension holding the user claims: the
	// raw 32-byte Ed25519 public key of the certificate.
	OIDClaims = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 12345, 2}

	oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidServerAuth  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1}
	oidClientAuth  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 2}
)

// SANDNSNames are the DNS names of our certificates' subjectAltName, the
// reference's: its nodes check a peer's certificate against the host they
// dialled as a DNS name, so that a proxy reached at 127.0.0.1 needs
// DNS:127.0.0.1 (OpenSSL's hostname check reads DNS names only). The IP
// names 127.0.0.1 and ::1 stay beside them for verifiers that match an IP
// host against IP names, as RFC 6125 has it (crypto/x509 does); the
// reference carries IP:::1 too.
var SANDNSNames = []string{"localhost", "127.0.0.1"}

const (
	// Validity is how long a certificate is valid, as in the reference.
	Validity = 24 * time.Hour
	// MaxQuoteSize is the largest quote accepted in a certificate.
	MaxQuoteSize = 32 << 10
)

// Evidence is what a certificate carries besides its key.
type Evidence struct {
	// Quote is the raw quote; nil when the certificate carries none.
	Quote []byte
	// Claims is the user-claims extension; nil when absent.
	Claims []byte
}

// CreateCertificate returns the DER of a self-signed certificate for key in
// the reference's format, valid for Validity from notBefore, carrying quote
// (omitted when empty) and the key as claims.
func CreateCertificate(key ed25519.PrivateKey, quote []byte, notBefore time.Time) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("creating RA-TLS certificate: Ed25519 private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	if len(quote) > MaxQuoteSize {
		return nil, fmt.Errorf("creating RA-TLS certificate: quote is %d bytes, more than %d", len(quote), MaxQuoteSize)
	}
	pub := key.Public().(ed25519.PublicKey)
	return buildCertificate(key, Evidence{Quote: quote, Claims: pub}, notBefore)
}

// buildCertificate signs a certificate for key carrying ev and any extra
// extensions; tests use it to build certificates the reference would not.
func buildCertificate(key ed25519.PrivateKey, ev Evidence, notBefore time.Time, extra ...pkix.Extension) ([]byte, error) {
	pub := key.Public().(ed25519.PublicKey)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("creating RA-TLS certificate: drawing serial: %w", err)
	}
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{oidServerAuth, oidClientAuth})
	if err != nil {
		return nil, fmt.Errorf("creating RA-TLS certificate: encoding key usage: %w", err)
	}
	ski := sha1.Sum(pub)
	name := pkix.Name{
		Country:            []string{"AE"},
		Province:           []string{"DUBAI"},
		Organization:       []string{"TDLib Development"},
		OrganizationalUnit: []string{"Security"},
		CommonName:         "localhost",
	}
	exts := []pkix.Extension{{Id: oidExtKeyUsage, Critical: true, Value: eku}}
	if len(ev.Quote) > 0 {
		exts = append(exts, pkix.Extension{Id: OIDQuote, Critical: true, Value: bytes.Clone(ev.Quote)})
	}
	if len(ev.Claims) > 0 {
		exts = append(exts, pkix.Extension{Id: OIDClaims, Critical: true, Value: bytes.Clone(ev.Claims)})
	}
	exts = append(exts, extra...)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               name,
		Issuer:                name,
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(Validity),
		BasicConstraintsValid: true,
		IsCA:                  false,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		SubjectKeyId:          ski[:],
		DNSNames:              SANDNSNames,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtraExtensions:       exts,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		return nil, fmt.Errorf("creating RA-TLS certificate: %w", err)
	}
	return der, nil
}

// Errors of certificate parsing.
var (
	ErrMalformedExtension = errors.New("malformed RA-TLS extension")
	ErrQuoteTooLarge      = errors.New("quote too large")
)

// ParseEvidence extracts the quote and claims extensions of a certificate,
// of version 3 or, as the reference writes them, version 1 carrying
// extensions. Both must be critical when present, and the quote no larger
// than MaxQuoteSize.
func ParseEvidence(cert *x509.Certificate) (Evidence, error) {
	view, err := extensionView(cert)
	if err != nil {
		return Evidence{}, err
	}
	return parseEvidence(view)
}

// parseEvidence extracts the evidence of a certificate whose extensions
// crypto/x509 has read (extensionView).
func parseEvidence(cert *x509.Certificate) (Evidence, error) {
	var ev Evidence
	for _, ext := range cert.Extensions {
		var dst *[]byte
		switch {
		case ext.Id.Equal(OIDQuote):
			dst = &ev.Quote
		case ext.Id.Equal(OIDClaims):
			dst = &ev.Claims
		default:
			continue
		}
		if !ext.Critical {
			return Evidence{}, fmt.Errorf("%w: extension %s is not critical", ErrMalformedExtension, ext.Id)
		}
		if *dst != nil {
			return Evidence{}, fmt.Errorf("%w: extension %s appears twice", ErrMalformedExtension, ext.Id)
		}
		if len(ext.Value) == 0 {
			return Evidence{}, fmt.Errorf("%w: extension %s is empty", ErrMalformedExtension, ext.Id)
		}
		*dst = ext.Value
	}
	if len(ev.Quote) > MaxQuoteSize {
		return Evidence{}, fmt.Errorf("%w: %d bytes, more than %d", ErrQuoteTooLarge, len(ev.Quote), MaxQuoteSize)
	}
	return ev, nil
}
