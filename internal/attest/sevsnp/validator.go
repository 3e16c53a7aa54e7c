package sevsnp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/verify"

	"github.com/cocoon-go/cocoon/internal/attest"
)

// Errors of report verification, one per cause.
var (
	ErrUnknownProduct      = errors.New("SEV-SNP report of an unknown AMD product")
	ErrKDSUnavailable      = errors.New("AMD KDS certificate or CRL unavailable")
	ErrUntrustedRoot       = errors.New("SEV-SNP endorsement certificate does not chain to AMD's root for its product")
	ErrCertificateInvalid  = errors.New("SEV-SNP endorsement certificate is not valid at this time")
	ErrBadSignature        = errors.New("SEV-SNP report signature does not verify")
	ErrCertificateMismatch = errors.New("SEV-SNP endorsement certificate is not for this chip and TCB")
	ErrCRLInvalid          = errors.New("AMD CRL is malformed or not signed by AMD's root")
	ErrCRLExpired          = errors.New("AMD CRL has expired")
	ErrRevoked             = errors.New("SEV-SNP endorsement key is revoked")
	ErrDebugPolicy         = errors.New("SEV-SNP guest policy allows debugging")
	ErrMigrationAgent      = errors.New("SEV-SNP guest policy allows a migration agent")
	ErrABITooOld           = errors.New("SEV-SNP guest policy's minimum ABI is below the required one")
)

// Validator verifies AMD SEV-SNP evidence in cocoon's format.
type Validator struct {
	clock          func() time.Time
	roots          map[string]ProductRoots
	kds            *kdsGetter
	skipCRL        bool
	allowMigration bool
	allowDebug     bool
	minABIMajor    uint8
	minABIMinor    uint8
}

var _ attest.Validator = (*Validator)(nil)

// Option configures a Validator.
type Option func(*Validator)

// WithKDS fetches from a server at baseURL that serves AMD KDS's paths (a
// caching proxy) instead of AMD's KDS.
func WithKDS(baseURL string) Option { return func(v *Validator) { v.kds.base = baseURL } }

// WithKDSCache keeps fetched VCEK certificates and CRLs in dir until each
// one's own expiry.
func WithKDSCache(dir string) Option {
	return func(v *Validator) { v.kds.dir, v.kds.offline = dir, false }
}

// WithOfflineKDS never fetches: VCEK certificates and CRLs are read from
// dir, a directory written by WithKDSCache. Verification still judges
// their validity by the Validator's clock.
func WithOfflineKDS(dir string) Option {
	return func(v *Validator) { v.kds.dir, v.kds.offline = dir, true }
}

// AllowMigrationAgent accepts guests whose policy allows a migration
// agent, which can move the guest (and its memory) to another host.
func AllowMigrationAgent() Option { return func(v *Validator) { v.allowMigration = true } }

// WithMinimumABI refuses guests whose policy lets them run on firmware
// older than ABI major.minor.
func WithMinimumABI(major, minor uint8) Option {
	return func(v *Validator) { v.minABIMajor, v.minABIMinor = major, minor }
}

// InsecureSkipCRL does not consult AMD's CRL, so that a revoked ASK, ASVK
// or endorsement key goes unnoticed.
func InsecureSkipCRL() Option { return func(v *Validator) { v.skipCRL = true } }

// InsecureAllowDebug accepts guests whose policy allows debugging, whose
// memory the host can read and write: for inspecting test reports only.
func InsecureAllowDebug() Option { return func(v *Validator) { v.allowDebug = true } }

// NewValidator returns a Validator that judges validity at clock().
func NewValidator(clock func() time.Time, opts ...Option) (*Validator, error) {
	if clock == nil {
		return nil, errors.New("creating SEV-SNP validator: nil clock")
	}
	v := &Validator{
		clock: clock,
		roots: AMDRoots(),
		kds:   &kdsGetter{client: &http.Client{Timeout: 30 * time.Second}, clock: clock},
	}
	for _, o := range opts {
		o(v)
	}
	return v, nil
}

// Validate verifies evidence: its report data must equal reportData, its
// VCEK or VLEK (carried in the evidence or, for a VCEK, fetched from the
// KDS) must chain to AMD's root for the report's product, the report's
// signature must verify with it, the certificate must be for the report's
// chip and TCB and not revoked by AMD's CRL, and the guest policy must
// forbid debugging, a migration agent (unless allowed) and ABIs below the
// minimum. The reported TCB goes into the measurements for the policy to
// judge.
func (v *Validator) Validate(ctx context.Context, evidence []byte, reportData [attest.ReportDataSize]byte) (attest.Measurements, error) {
	m, err := v.validate(ctx, evidence, reportData)
	if err != nil {
		return attest.Measurements{}, fmt.Errorf("verifying SEV-SNP report: %w", err)
	}
	return m, nil
}

func (v *Validator) validate(ctx context.Context, evidence []byte, reportData [attest.ReportDataSize]byte) (attest.Measurements, error) {
	e, err := ParseEvidence(evidence)
	if err != nil {
		return attest.Measurements{}, err
	}
	claimed := e.Measurements("")
	if subtle.ConstantTimeCompare(claimed.ReportData[:], reportData[:]) != 1 {
		return attest.Measurements{}, attest.ErrReportDataMismatch
	}
	signer, err := e.Signer()
	if err != nil {
		return attest.Measurements{}, err
	}
	if signer != abi.VcekReportSigner && signer != abi.VlekReportSigner {
		return attest.Measurements{}, fmt.Errorf("%w: report signed by %v, not a VCEK or VLEK", ErrMalformedEvidence, signer)
	}
	product := e.ProductLine()
	now := v.clock()
	cert, err := v.endorsementCert(ctx, e, signer, product)
	if err != nil {
		return attest.Measurements{}, err
	}
	end, err := readEndorsement(cert, signer)
	if err != nil {
		return attest.Measurements{}, fmt.Errorf("%w: %w", ErrCertificateInvalid, err)
	}
	if product == "" {
		product = end.product // a version 2 report names no product
	}
	if end.product != product {
		return attest.Measurements{}, fmt.Errorf("%w: certificate of %s, report of %s", ErrCertificateMismatch, end.product, product)
	}
	roots, ok := v.roots[product]
	if !ok {
		return attest.Measurements{}, fmt.Errorf("%w: %q", ErrUnknownProduct, product)
	}
	if err := verifyChain(cert, roots, signer, now); err != nil {
		return attest.Measurements{}, err
	}
	if err := verify.SnpReportSignature(e.Report, cert); err != nil {
		return attest.Measurements{}, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	m := e.Measurements(product)
	if err := checkEndorsement(e, end, m.SNP.ReportedTCB, signer); err != nil {
		return attest.Measurements{}, err
	}
	if !v.skipCRL {
		if err := v.checkCRL(ctx, cert, roots, signer, product, now); err != nil {
			return attest.Measurements{}, err
		}
	}
	if err := v.checkGuestPolicy(m.SNP.Policy); err != nil {
		return attest.Measurements{}, err
	}
	m.RootKeyID = sha512.Sum384(roots.ARK.RawSubjectPublicKeyInfo)
	return m, nil
}

// endorsementCert returns the report's VCEK or VLEK: the one the evidence
// carries, or else the VCEK from the KDS (a VLEK is not public).
func (v *Validator) endorsementCert(ctx context.Context, e *Evidence, signer abi.ReportSigner, product string) (*x509.Certificate, error) {
	der := e.Certs.VCEK
	if signer == abi.VlekReportSigner {
		der = e.Certs.VLEK
	}
	if len(der) == 0 {
		if signer == abi.VlekReportSigner {
			return nil, fmt.Errorf("%w: the evidence carries no VLEK certificate", ErrKDSUnavailable)
		}
		chipID := e.proto.GetChipId()
		if product == "" {
			return nil, fmt.Errorf("%w: a version 2 report without its VCEK does not say which product to ask the KDS for", ErrKDSUnavailable)
		}
		if _, ok := v.roots[product]; !ok {
			return nil, fmt.Errorf("%w: %q", ErrUnknownProduct, product)
		}
		if isZero(chipID) {
			return nil, fmt.Errorf("%w: the chip id is masked and the evidence carries no VCEK", ErrKDSUnavailable)
		}
		var err error
		if der, err = v.kds.get(ctx, vcekURL(product, chipID, decomposeTCB(product, e.proto.GetReportedTcb()))); err != nil {
			return nil, err
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v certificate does not parse: %w", ErrCertificateInvalid, signer, err)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P384() {
		return nil, fmt.Errorf("%w: %v certificate key is not ECDSA P-384", ErrCertificateInvalid, signer)
	}
	return cert, nil
}

// verifyChain checks cert against the product's ARK through its ASK (a
// VCEK) or ASVK (a VLEK) at now.
func verifyChain(cert *x509.Certificate, roots ProductRoots, signer abi.ReportSigner, now time.Time) error {
	ica := roots.ASK
	if signer == abi.VlekReportSigner {
		ica = roots.ASVK
	}
	if roots.ARK == nil || ica == nil {
		return fmt.Errorf("%w: no trusted %v chain", ErrUntrustedRoot, signer)
	}
	rootPool, inter := x509.NewCertPool(), x509.NewCertPool()
	rootPool.AddCert(roots.ARK)
	inter.AddCert(ica)
	_, err := cert.Verify(x509.VerifyOptions{
		Roots:         rootPool,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err == nil {
		return nil
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return fmt.Errorf("%w: %w", ErrUntrustedRoot, err)
	}
	return fmt.Errorf("%w: %w", ErrCertificateInvalid, err)
}

// checkEndorsement checks that the certificate is for the report's TCB
// and, for a VCEK, its chip (unless the host masked the chip id).
func checkEndorsement(e *Evidence, end endorsement, reported attest.SNPTCB, signer abi.ReportSigner) error {
	if end.tcb != reported {
		return fmt.Errorf("%w: certificate for TCB %s, report at %s", ErrCertificateMismatch, end.tcb, reported)
	}
	if signer != abi.VcekReportSigner {
		return nil
	}
	chipID := e.proto.GetChipId()
	if !isZero(chipID) && subtle.ConstantTimeCompare(chipID[:len(end.hwid)], end.hwid) != 1 {
		return fmt.Errorf("%w: certificate for another chip", ErrCertificateMismatch)
	}
	return nil
}

// checkCRL fetches the product's CRL for the signer's keys and checks
// that AMD's root signed it, that it is current, and that it revokes
// neither the intermediate key nor the endorsement key.
func (v *Validator) checkCRL(ctx context.Context, cert *x509.Certificate, roots ProductRoots, signer abi.ReportSigner, product string, now time.Time) error {
	body, err := v.kds.get(ctx, crlURL(product, signer))
	if err != nil {
		return err
	}
	crl, err := x509.ParseRevocationList(body)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCRLInvalid, err)
	}
	if err := crl.CheckSignatureFrom(roots.ARK); err != nil {
		return fmt.Errorf("%w: %w", ErrCRLInvalid, err)
	}
	if !now.Before(crl.NextUpdate) {
		return fmt.Errorf("%w: next update was due %s", ErrCRLExpired, crl.NextUpdate.UTC().Format(time.RFC3339))
	}
	ica := roots.ASK
	if signer == abi.VlekReportSigner {
		ica = roots.ASVK
	}
	for _, r := range crl.RevokedCertificateEntries {
		if r.SerialNumber.Cmp(ica.SerialNumber) == 0 || r.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			return fmt.Errorf("%w: serial %x revoked on %s", ErrRevoked, r.SerialNumber, r.RevocationTime.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// checkGuestPolicy refuses a guest the host can debug, one with a
// migration agent unless allowed, and one that may run on firmware older
// than the minimum ABI.
func (v *Validator) checkGuestPolicy(policy uint64) error {
	p, err := abi.ParseSnpPolicy(policy)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedEvidence, err)
	}
	if p.Debug && !v.allowDebug {
		return ErrDebugPolicy
	}
	if p.MigrateMA && !v.allowMigration {
		return ErrMigrationAgent
	}
	if slices.Compare([]uint8{p.ABIMajor, p.ABIMinor}, []uint8{v.minABIMajor, v.minABIMinor}) < 0 {
		return fmt.Errorf("%w: guest allows ABI %d.%d, minimum %d.%d", ErrABITooOld, p.ABIMajor, p.ABIMinor, v.minABIMajor, v.minABIMinor)
	}
	return nil
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
