// Package fakesevsnp owns fake AMD SEV-SNP attestation, which proves
// nothing: the "evidence" is the 64-byte report data itself (SHA-512 of the
// claims) and every measurement is zero, as with the reference's fake TDX,
// but of kind fake_sev_snp, so that the peer's image hash is the SEV-SNP
// one. It exists for devnet, tests and explicit --insecure-* flags
// (`--tee fake-sev-snp`); nothing else may reach it.
package fakesevsnp

import (
	"context"
	"crypto/subtle"
	"fmt"

	"github.com/cocoon-go/cocoon/internal/attest"
)

// EvidenceSize is the size of fake evidence.
const EvidenceSize = attest.ReportDataSize

// Issuer produces fake SEV-SNP evidence.
type Issuer struct{}

var _ attest.KindIssuer = (*Issuer)(nil)

// NewIssuer returns an Issuer of fake SEV-SNP evidence that any peer can
// forge.
func NewIssuer() *Issuer { return &Issuer{} }

// Kind returns attest.KindFakeSEVSNP.
func (*Issuer) Kind() attest.Kind { return attest.KindFakeSEVSNP }

// Issue returns the report data as the evidence.
func (*Issuer) Issue(_ context.Context, reportData [attest.ReportDataSize]byte) ([]byte, error) {
	e := reportData
	return e[:], nil
}

// Validator accepts fake SEV-SNP evidence: it checks only that the
// evidence is the expected report data.
type Validator struct{}

var _ attest.Validator = (*Validator)(nil)

// NewValidator returns a Validator of fake SEV-SNP evidence. It
// authenticates nothing about the peer's image; it only binds the evidence
// to the peer's key.
func NewValidator() *Validator { return &Validator{} }

// Validate checks that evidence is exactly reportData and returns zero
// measurements of kind fake_sev_snp.
func (*Validator) Validate(_ context.Context, evidence []byte, reportData [attest.ReportDataSize]byte) (attest.Measurements, error) {
	if len(evidence) == 0 {
		return attest.Measurements{}, fmt.Errorf("validating fake SEV-SNP evidence: %w", attest.ErrNoQuote)
	}
	if len(evidence) != EvidenceSize {
		return attest.Measurements{}, fmt.Errorf("validating fake SEV-SNP evidence: got %d bytes, want %d", len(evidence), EvidenceSize)
	}
	if subtle.ConstantTimeCompare(evidence, reportData[:]) != 1 {
		return attest.Measurements{}, fmt.Errorf("validating fake SEV-SNP evidence: %w", attest.ErrReportDataMismatch)
	}
	return attest.Measurements{Kind: attest.KindFakeSEVSNP, ReportData: reportData}, nil
}
