package ratls

import (
	"crypto/x509"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ErrMalformedV1 reports a version 1 certificate whose TBSCertificate
// cannot be read with its extensions.
var ErrMalformedV1 = errors.New("malformed version 1 certificate")

// extensionView returns the certificate whose Extensions and
// UnhandledCriticalExtensions describe cert's extensions: cert itself for
// version 3, and for version 1 a re-reading of it as version 3.
//
// The reference's certificates, gen-cert's and the router's alike, are
// X.509 version 1 (the TBSCertificate has no [0] version) that carry a [3]
// extensions block all the same, quote and claims included; OpenSSL reads
// them. crypto/x509 reads extensions of version 3 certificates only, so it
// parses these as having none. extensionView splices the [0] version 3
// into the TBSCertificate (cryptobyte) and has crypto/x509 parse the
// result, so that the extensions of a version 1 certificate go through
// exactly the parsing and checks of a version 3 one: malformed or
// duplicated extensions are refused and unknown critical ones are listed.
// The spliced copy's signature does not cover it and is never checked:
// the signature, key and validity are judged on cert itself.
func extensionView(cert *x509.Certificate) (*x509.Certificate, error) {
	if cert.Version != 1 {
		return cert, nil
	}
	raw := cryptobyte.String(cert.Raw)
	var outer, tbs, tbsContent cryptobyte.String
	if !raw.ReadASN1(&outer, cbasn1.SEQUENCE) || !raw.Empty() {
		return nil, fmt.Errorf("%w: not a certificate SEQUENCE", ErrMalformedV1)
	}
	if !outer.ReadASN1Element(&tbs, cbasn1.SEQUENCE) {
		return nil, fmt.Errorf("%w: no TBSCertificate", ErrMalformedV1)
	}
	rest := outer // signatureAlgorithm and signatureValue, as they are
	if !tbs.ReadASN1(&tbsContent, cbasn1.SEQUENCE) {
		return nil, fmt.Errorf("%w: TBSCertificate is not a SEQUENCE", ErrMalformedV1)
	}
	versionTag := cbasn1.Tag(0).Constructed().ContextSpecific()
	if tbsContent.PeekASN1Tag(versionTag) {
		return nil, fmt.Errorf("%w: it states a version", ErrMalformedV1)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(c *cryptobyte.Builder) {
		c.AddASN1(cbasn1.SEQUENCE, func(t *cryptobyte.Builder) {
			t.AddASN1(versionTag, func(v *cryptobyte.Builder) { v.AddASN1Int64(2) })
			t.AddBytes(tbsContent)
		})
		c.AddBytes(rest)
	})
	der, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedV1, err)
	}
	view, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: reading its extensions: %w", ErrMalformedV1, err)
	}
	return view, nil
}
