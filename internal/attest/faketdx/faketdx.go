// Package faketdx owns the reference's fake TDX attestation, which proves
// nothing: the "quote" is the 64-byte report data itself (SHA-512 of the
// claims) and every measurement is zero, so every fake peer has the same
// image hash. It exists for devnet, tests and explicit --insecure-* flags;
// nothing else may reach it.
package faketdx

import (
	"context"
	"crypto/subtle"
	"fmt"

	"github.com/cocoon-go/cocoon/internal/attest"
)

// QuoteSize is the size of a fake quote.
const QuoteSize = attest.ReportDataSize

// Issuer produces fake quotes.
type Issuer struct{}

var _ attest.Issuer = (*Issuer)(nil)

// NewIssuer returns an Issuer of fake quotes that any peer can forge.
func NewIssuer() *Issuer { return &Issuer{} }

// Issue returns the report data as the quote.
func (*Issuer) Issue(_ context.Context, reportData [attest.ReportDataSize]byte) ([]byte, error) {
	q := reportData
	return q[:], nil
}

// Validator accepts fake quotes: it checks only that the quote is the
// expected report data.
type Validator struct{}

var _ attest.Validator = (*Validator)(nil)

// NewValidator returns a Validator of fake quotes. It authenticates nothing
// about the peer's image; it only binds the quote to the peer's key.
func NewValidator() *Validator { return &Validator{} }

// Validate checks that quote is exactly reportData and returns zero
// measurements of kind fake_tdx.
func (*Validator) Validate(_ context.Context, quote []byte, reportData [attest.ReportDataSize]byte) (attest.Measurements, error) {
	if len(quote) == 0 {
		return attest.Measurements{}, fmt.Errorf("validating fake TDX quote: %w", attest.ErrNoQuote)
	}
	if len(quote) != QuoteSize {
		return attest.Measurements{}, fmt.Errorf("validating fake TDX quote: got %d bytes, want %d", len(quote), QuoteSize)
	}
	if subtle.ConstantTimeCompare(quote, reportData[:]) != 1 {
		return attest.Measurements{}, fmt.Errorf("validating fake TDX quote: %w", attest.ErrReportDataMismatch)
	}
	return attest.Measurements{Kind: attest.KindFakeTDX, ReportData: reportData}, nil
}
