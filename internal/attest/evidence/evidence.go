// Package evidence reads the attestation evidence of an RA-TLS
// certificate, a raw TDX quote or raw SEV-SNP evidence, real or fake, for
// people: its measurements printed, its verification against a policy
// (and a root's lists) told as a verdict, and certificates generated with
// their image hash. `cocoon attest` and `cocoon probe` print with it; the
// composition (package node) reads each node's own image hash with it.
package evidence

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/fakesevsnp"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/attest/sevsnp"
	"github.com/cocoon-go/cocoon/internal/attest/tdx"
	"github.com/cocoon-go/cocoon/internal/ratls"
)

// Measurements reads the unverified measurements of a certificate's
// evidence: none for no evidence, zero for fake evidence, parsed for a TDX
// quote or SEV-SNP evidence.
func Measurements(ev ratls.Evidence) (attest.Measurements, error) {
	switch {
	case ev.SEVSNP != nil && len(ev.SEVSNP) == fakesevsnp.EvidenceSize:
		m := attest.Measurements{Kind: attest.KindFakeSEVSNP}
		copy(m.ReportData[:], ev.SEVSNP)
		return m, nil
	case ev.SEVSNP != nil:
		e, err := sevsnp.ParseEvidence(ev.SEVSNP)
		if err != nil {
			return attest.Measurements{}, err
		}
		return e.Measurements(""), nil
	}
	switch len(ev.Quote) {
	case 0:
		return attest.Measurements{Kind: attest.KindNone}, nil
	case faketdx.QuoteSize:
		var m attest.Measurements
		m.Kind = attest.KindFakeTDX
		copy(m.ReportData[:], ev.Quote)
		return m, nil
	}
	q, err := tdx.ParseQuote(ev.Quote)
	if err != nil {
		return attest.Measurements{}, err
	}
	return q.Measurements, nil
}

// Status is the TCB a peer's measurements report: the TDX TCB status or
// the SEV-SNP reported TCB; "n/a" for fake evidence.
func Status(m attest.Measurements) string {
	switch {
	case m.Kind.IsSEVSNP() && m.Kind != attest.KindFakeSEVSNP:
		return m.SNP.ReportedTCB.String()
	case m.TCBStatus == "":
		return "n/a"
	}
	return string(m.TCBStatus)
}

// Split recognises a PEM or DER certificate, or else takes the bytes as
// raw evidence: SEV-SNP evidence when they start as a report does (a
// 32-bit version of 2 to 5; a TDX quote's 16-bit version is followed by
// its attestation key type, never zero), or a fake SEV-SNP one when
// fakeSNP; otherwise a TDX quote, real or fake. A TDX quote never starts
// with a DER SEQUENCE tag; a fake quote that happens to is not a
// certificate.
func Split(raw []byte, fakeSNP bool) (*x509.Certificate, ratls.Evidence, error) {
	var cert *x509.Certificate
	switch {
	case bytes.HasPrefix(bytes.TrimSpace(raw), []byte("-----BEGIN")):
		b, _ := pem.Decode(raw)
		if b == nil || b.Type != "CERTIFICATE" {
			return nil, ratls.Evidence{}, errors.New("PEM input is not a certificate")
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, ratls.Evidence{}, fmt.Errorf("parsing certificate: %w", err)
		}
		cert = c
	case len(raw) > 0 && raw[0] == 0x30:
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return nil, rawEvidence(raw, fakeSNP), nil
		}
		cert = c
	default:
		return nil, rawEvidence(raw, fakeSNP), nil
	}
	ev, err := ratls.ParseEvidence(cert)
	if err != nil {
		return nil, ratls.Evidence{}, err
	}
	return cert, ev, nil
}

func rawEvidence(raw []byte, fakeSNP bool) ratls.Evidence {
	isReport := len(raw) >= sevsnp.ReportSize && raw[0] >= 2 && raw[0] <= 5 && raw[1] == 0 && raw[2] == 0 && raw[3] == 0
	if isReport || (fakeSNP && len(raw) == fakesevsnp.EvidenceSize) {
		return ratls.Evidence{SEVSNP: raw}
	}
	return ratls.Evidence{Quote: raw}
}
