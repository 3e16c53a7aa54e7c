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
	// KindFakeSEVSNP: fake AMD SEV-SNP attestation, which proves nothing.
	KindFakeSEVSNP
	// KindSEVSNP: a real AMD SEV-SNP attestation report, verified to
	// AMD's root key for its product.
	KindSEVSNP
)

// IsSEVSNP reports whether k is an AMD SEV-SNP kind, real or fake.
func (k Kind) IsSEVSNP() bool { return k == KindSEVSNP || k == KindFakeSEVSNP }

// IsTDX reports whether k is an Intel TDX kind, real or fake.
func (k Kind) IsTDX() bool { return k == KindTDX || k == KindFakeTDX }

// IsFake reports whether k is a fake kind, which proves nothing.
func (k Kind) IsFake() bool { return k == KindFakeTDX || k == KindFakeSEVSNP }

// String returns the reference's name of the kind.
func (k Kind) String() string {
	switch k {
	case KindNone:
		return "none"
	case KindFakeTDX:
		return "fake_tdx"
	case KindTDX:
		return "tdx"
	case KindFakeSEVSNP:
		return "fake_sev_snp"
	case KindSEVSNP:
		return "sev_snp"
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
	// RootKeyID is SHA-384 of the public key of the root CA the quote
	// chains to: for KindTDX the uncompressed P-256 point (DCAP's root key
	// id), for KindSEVSNP the DER SubjectPublicKeyInfo of AMD's root key
	// (ARK) for the product. Zero for the other kinds.
	RootKeyID Measurement
	// SNP holds what an AMD SEV-SNP report says (the SEV-SNP kinds only;
	// the TDX registers above are then zero).
	SNP SNP
}

// ImageHash returns the image hash that allow-lists (a policy's
// ImageHashes, the root contract's proxy_hashes and worker_hashes) name:
// for the TDX kinds the reference's
// SHA-256(MRTD‖MRCONFIGID‖MROWNER‖MROWNERCONFIG‖RTMR0‖RTMR1‖RTMR2‖RTMR3‖64 zero bytes),
// for the SEV-SNP kinds SNP.ImageHash. It does not depend on report data,
// TCB or root key.
func (m Measurements) ImageHash() [32]byte {
	if m.Kind.IsSEVSNP() {
		return m.SNP.ImageHash()
	}
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

// A KindIssuer is an Issuer that says which kind of quote it issues, so
// that the quote travels where that kind's verifier looks for it. An
// Issuer that does not implement it issues TDX quotes (real or fake), as
// the reference's do.
type KindIssuer interface {
	Issuer
	Kind() Kind
}

// IssuedKind returns the kind of quote i issues: i.Kind() for a
// KindIssuer, otherwise KindTDX (TDX and fake TDX quotes travel alike).
func IssuedKind(i Issuer) Kind {
	if k, ok := i.(KindIssuer); ok {
		return k.Kind()
	}
	return KindTDX
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
	// ErrSNPMeasurementNotAllowed: an SEV-SNP launch measurement outside
	// the policy's allow-list.
	ErrSNPMeasurementNotAllowed = errors.New("SEV-SNP launch measurement not in allow-list")
	// ErrTCBTooOld: an SEV-SNP reported TCB below the policy's minimum.
	ErrTCBTooOld = errors.New("SEV-SNP reported TCB below the minimum")
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
