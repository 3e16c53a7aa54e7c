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

	"github.com/cocoon-go/cocoon/internal/attest"
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
	// Quote is the raw TDX (or fake TDX) quote of the reference's quote
	// extension; nil when the certificate carries none.
	Quote []byte
	// SEVSNP is the AMD SEV-SNP (or fake SEV-SNP) evidence of the CMW
	// extension; nil when the certificate carries none. A certificate
	// carries a quote or SEV-SNP evidence, never both.
	SEVSNP []byte
	// Claims is the user-claims extension; nil when absent.
	Claims []byte
}

// Kind returns the family of evidence the certificate carries: KindTDX
// for a quote (real or fake), KindSEVSNP for SEV-SNP evidence (real or
// fake), KindNone for neither.
func (ev Evidence) Kind() attest.Kind {
	switch {
	case ev.Quote != nil:
		return attest.KindTDX
	case ev.SEVSNP != nil:
		return attest.KindSEVSNP
	}
	return attest.KindNone
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

// CreateSEVSNPCertificate returns the DER of a certificate like
// CreateCertificate's that carries AMD SEV-SNP evidence in the OIDCMW
// extension instead of a quote.
func CreateSEVSNPCertificate(key ed25519.PrivateKey, evidence []byte, notBefore time.Time) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("creating RA-TLS certificate: Ed25519 private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	if len(evidence) == 0 {
		return nil, errors.New("creating RA-TLS certificate: no SEV-SNP evidence")
	}
	if len(evidence) > MaxQuoteSize {
		return nil, fmt.Errorf("creating RA-TLS certificate: SEV-SNP evidence is %d bytes, more than %d", len(evidence), MaxQuoteSize)
	}
	pub := key.Public().(ed25519.PublicKey)
	return buildCertificate(key, Evidence{SEVSNP: evidence, Claims: pub}, notBefore)
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
	if len(ev.SEVSNP) > 0 {
		v, err := encodeCMW(ev.SEVSNP)
		if err != nil {
			return nil, fmt.Errorf("creating RA-TLS certificate: %w", err)
		}
		exts = append(exts, pkix.Extension{Id: OIDCMW, Critical: true, Value: v})
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

// ParseEvidence extracts the quote, SEV-SNP evidence and claims
// extensions of a certificate, of version 3 or, as the reference writes
// them, version 1 carrying extensions. Each must be critical when
// present, a certificate may carry a quote or SEV-SNP evidence but not
// both, and neither may be larger than MaxQuoteSize.
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
	var cmw []byte
	for _, ext := range cert.Extensions {
		var dst *[]byte
		switch {
		case ext.Id.Equal(OIDQuote):
			dst = &ev.Quote
		case ext.Id.Equal(OIDCMW):
			dst = &cmw
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
	if cmw != nil {
		e, err := decodeCMW(cmw)
		if err != nil {
			return Evidence{}, fmt.Errorf("%w: extension %s: %w", ErrMalformedExtension, OIDCMW, err)
		}
		if len(e) == 0 {
			return Evidence{}, fmt.Errorf("%w: extension %s carries no evidence", ErrMalformedExtension, OIDCMW)
		}
		ev.SEVSNP = e
	}
	if ev.Quote != nil && ev.SEVSNP != nil {
		return Evidence{}, fmt.Errorf("%w: both a TDX quote and SEV-SNP evidence", ErrMalformedExtension)
	}
	if n := max(len(ev.Quote), len(ev.SEVSNP)); n > MaxQuoteSize {
		return Evidence{}, fmt.Errorf("%w: %d bytes, more than %d", ErrQuoteTooLarge, n, MaxQuoteSize)
	}
	return ev, nil
}
