package attest

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
)

// ReportDataSize is the size of a TDX quote's report data.
const ReportDataSize = 64

// MeasurementSize is the size of MRTD, MRCONFIGID, MROWNER, MROWNERCONFIG
// and each RTMR: a SHA-384 digest.
const MeasurementSize = 48

// Measurement is one 48-byte TDX measurement register.
type Measurement [MeasurementSize]byte

// Kind says what kind of evidence stands behind Measurements.
type Kind uint8

const (
	// KindNone: nothing was attested (the reference's policy "any").
	KindNone Kind = iota
	// KindFakeTDX: the reference's fake attestation, which proves nothing.
	KindFakeTDX
	// KindTDX: a real Intel TDX quote, verified to the Intel root.
	KindTDX
)

// String returns the reference's name of the kind.
func (k Kind) String() string {
	switch k {
	case KindNone:
		return "none"
	case KindFakeTDX:
		return "fake_tdx"
	case KindTDX:
		return "tdx"
	}
	return "unknown"
}

// TCBStatus is Intel's verdict on a platform's trusted computing base, as
// named in TCB info and QE identity collateral.
type TCBStatus string

// The TCB statuses Intel publishes, and TCBNotEvaluated for a quote whose
// collateral was not consulted.
const (
	TCBUpToDate                          TCBStatus = "UpToDate"
	TCBSWHardeningNeeded                 TCBStatus = "SWHardeningNeeded"
	TCBConfigurationNeeded               TCBStatus = "ConfigurationNeeded"
	TCBConfigurationAndSWHardeningNeeded TCBStatus = "ConfigurationAndSWHardeningNeeded"
	TCBOutOfDate                         TCBStatus = "OutOfDate"
	TCBOutOfDateConfigurationNeeded      TCBStatus = "OutOfDateConfigurationNeeded"
	TCBRevoked                           TCBStatus = "Revoked"
	TCBNotEvaluated                      TCBStatus = "NotEvaluated"
)

// Measurements are what a verified quote says about the peer's image.
type Measurements struct {
	Kind          Kind
	MRTD          Measurement
	MRConfigID    Measurement
	MROwner       Measurement
	MROwnerConfig Measurement
	RTMR          [4]Measurement
	ReportData    [ReportDataSize]byte
	// TCBStatus is the platform's TCB status (KindTDX only).
	TCBStatus TCBStatus
	// RootKeyID is SHA-384 of the uncompressed public key of the root CA
	// the quote chains to (KindTDX only).
	RootKeyID Measurement
}

// ImageHash returns the hash the root contract's proxy_hashes and
// worker_hashes list. For TDX, real or fake, it is the reference's:
// SHA-256(MRTD‖MRCONFIGID‖MROWNER‖MROWNERCONFIG‖RTMR0‖RTMR1‖RTMR2‖RTMR3‖64 zero bytes).
// It does not depend on report data, TCB status or root key. Another TEE
// kind defines its own formula here, one that cannot collide with this
// one, so that one list can hold the images of several kinds.
func (m Measurements) ImageHash() [32]byte {
	h := sha256.New()
	for _, r := range [...]*Measurement{&m.MRTD, &m.MRConfigID, &m.MROwner, &m.MROwnerConfig, &m.RTMR[0], &m.RTMR[1], &m.RTMR[2], &m.RTMR[3]} {
		h.Write(r[:])
	}
	var zero [ReportDataSize]byte
	h.Write(zero[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// ReportData binds claims (in COCOON, the raw 32-byte Ed25519 public key of
// the TLS certificate) into a quote: SHA-512(claims).
func ReportData(claims []byte) [ReportDataSize]byte {
	return sha512.Sum512(claims)
}

// Issuer produces a quote over 64 bytes of report data.
type Issuer interface {
	Issue(ctx context.Context, reportData [ReportDataSize]byte) ([]byte, error)
}

// Validator verifies a quote and returns its measurements. A Validator must
// fail with ErrReportDataMismatch unless the quote carries exactly
// reportData, and with ErrNoQuote when quote is empty and its kind needs one.
type Validator interface {
	Validate(ctx context.Context, quote []byte, reportData [ReportDataSize]byte) (Measurements, error)
}

// Errors shared by every Validator and by Policy.
var (
	ErrNoQuote             = errors.New("peer presented no quote")
	ErrReportDataMismatch  = errors.New("quote report data is not bound to the peer's key")
	ErrKindMismatch        = errors.New("attestation kind not accepted by policy")
	ErrMRTDNotAllowed      = errors.New("MRTD not in allow-list")
	ErrRTMRNotAllowed      = errors.New("RTMR tuple not in allow-list")
	ErrImageHashNotAllowed = errors.New("image hash not in allow-list")
	ErrRootKeyNotAllowed   = errors.New("root key id not in allow-list")
	ErrTCBStatusNotAllowed = errors.New("TCB status not accepted")
	// ErrFakeQuote is a fake TDX quote offered to a policy that requires
	// a real one.
	ErrFakeQuote = errors.New("fake TDX quote rejected")
)

// NoVerification is the reference's policy "any" as a Validator: it accepts
// every peer, with or without a quote, checks nothing and vouches for
// nothing (its measurements have KindNone). Use it only where the protocol
// deliberately does not attest the peer, as the proxy's client port does.
var NoVerification Validator = noVerification{}

type noVerification struct{}

func (noVerification) Validate(context.Context, []byte, [ReportDataSize]byte) (Measurements, error) {
	return Measurements{Kind: KindNone}, nil
}

// NoEvidence is an Issuer that produces no quote: a peer using it presents
// a certificate without attestation (the reference's quote-less test
// certificate), which only NoVerification accepts.
var NoEvidence Issuer = noEvidence{}

type noEvidence struct{}

func (noEvidence) Issue(context.Context, [ReportDataSize]byte) ([]byte, error) {
	return nil, nil
}
