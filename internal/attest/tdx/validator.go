package tdx

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-tdx-guest/pcs"
	"github.com/google/go-tdx-guest/verify"

	"github.com/cocoon-go/cocoon/internal/attest"
)

// Errors of quote verification, one per cause.
var (
	ErrUntrustedRoot         = errors.New("PCK certificate chain does not lead to a trusted root")
	ErrPCKCertificateInvalid = errors.New("PCK certificate chain is not valid at this time")
	ErrBadSignature          = errors.New("TDX quote signature does not verify")
	ErrCollateralExpired     = errors.New("TDX collateral has expired")
	ErrCollateralInvalid     = errors.New("TDX quote does not match its collateral")
	ErrTCBRevoked            = errors.New("TDX platform TCB is revoked")

	errCollateralNil = verify.ErrCollateralNil
)

// intelRootPEM is Intel's SGX/TDX provisioning root CA, the default trust
// anchor for PCK chains and collateral.
const intelRootPEM = `-----BEGIN CERTIFICATE-----
MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw
aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv
cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ
BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG
A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0
aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT
AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7
1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB
uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ
MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50
ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV
Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI
KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg
AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=
-----END CERTIFICATE-----`

// IntelRoot returns Intel's SGX/TDX provisioning root CA certificate.
func IntelRoot() *x509.Certificate {
	b, _ := pem.Decode([]byte(intelRootPEM))
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		panic("tdx: built-in Intel root does not parse: " + err.Error())
	}
	return c
}

// Validator verifies real TDX quotes.
type Validator struct {
	clock          func() time.Time
	roots          *x509.CertPool
	getter         *collateralGetter
	skipCollateral bool
}

var _ attest.Validator = (*Validator)(nil)

// Option configures a Validator.
type Option func(*Validator)

// WithPCCS fetches collateral from a PCCS at baseURL (for example
// https://pccs.example:8081) instead of Intel PCS.
func WithPCCS(baseURL string) Option { return func(v *Validator) { v.getter.pccs = baseURL } }

// WithCollateralCache keeps fetched collateral in dir until each
// response's own expiry.
func WithCollateralCache(dir string) Option {
	return func(v *Validator) { v.getter.dir, v.getter.offline = dir, false }
}

// WithOfflineCollateral never fetches: collateral is read from dir, a
// directory written by WithCollateralCache. Verification still judges its
// expiry by the Validator's clock.
func WithOfflineCollateral(dir string) Option {
	return func(v *Validator) { v.getter.dir, v.getter.offline = dir, true }
}

// WithTrustedRoots replaces the Intel root as trust anchor; tests use it
// to show that a foreign root is refused.
func WithTrustedRoots(roots ...*x509.Certificate) Option {
	return func(v *Validator) {
		v.roots = x509.NewCertPool()
		for _, r := range roots {
			v.roots.AddCert(r)
		}
	}
}

// InsecureSkipCollateral verifies only the quote's signatures and its PCK
// chain, without TCB info, QE identity or CRLs. The platform's TCB status
// is then TCBNotEvaluated, which policies reject unless they list it.
func InsecureSkipCollateral() Option { return func(v *Validator) { v.skipCollateral = true } }

// NewValidator returns a Validator that judges validity at clock().
func NewValidator(clock func() time.Time, opts ...Option) (*Validator, error) {
	if clock == nil {
		return nil, errors.New("creating TDX validator: nil clock")
	}
	v := &Validator{
		clock:  clock,
		getter: &collateralGetter{client: &http.Client{Timeout: 30 * time.Second}, clock: clock},
	}
	WithTrustedRoots(IntelRoot())(v)
	for _, o := range opts {
		o(v)
	}
	return v, nil
}

// Validate verifies quote: its report data must equal reportData, its PCK
// chain must lead to a trusted root, its signatures must verify, and its
// collateral (unless skipped) must be current and match the quote. The
// platform's TCB status goes into the measurements for the policy to judge
// (only a revoked TCB is refused here).
func (v *Validator) Validate(ctx context.Context, quote []byte, reportData [attest.ReportDataSize]byte) (attest.Measurements, error) {
	q, err := ParseQuote(quote)
	if err != nil {
		return attest.Measurements{}, fmt.Errorf("verifying TDX quote: %w", err)
	}
	m := q.Measurements
	if m.ReportData != reportData {
		return attest.Measurements{}, fmt.Errorf("verifying TDX quote: %w", attest.ErrReportDataMismatch)
	}
	now := v.clock()
	root, err := v.verifyChain(q, now)
	if err != nil {
		return attest.Measurements{}, fmt.Errorf("verifying TDX quote: %w", err)
	}
	m.RootKeyID = rootKeyID(root)
	times := &verify.TimeSet{PckCertChain: now, TcbInfo: now, QeIdentity: now, PckCrl: now, RootCaCrl: now}
	if err := safely(func() error {
		return verify.TdxQuoteContext(ctx, q.proto, &verify.Options{Now: times, TrustedRoots: v.roots})
	}); err != nil {
		return attest.Measurements{}, fmt.Errorf("verifying TDX quote: %w: %w", ErrBadSignature, err)
	}
	if v.skipCollateral {
		return m, nil
	}
	rec := &recordingGetter{inner: v.getter}
	opts := &verify.Options{GetCollateral: true, CheckRevocations: true, Getter: rec, Now: times, TrustedRoots: v.roots}
	verr := safely(func() error { return verify.TdxQuoteContext(ctx, q.proto, opts) })
	var tdxLevel, qeLevel pcs.TcbLevel
	lerr := safely(func() (err error) {
		tdxLevel, qeLevel, err = verify.SupportedTcbLevelsFromCollateral(q.proto, opts)
		return err
	})
	status, err := judgeCollateral(verr, lerr, tdxLevel.TcbStatus, qeLevel.TcbStatus, func() error {
		return safely(func() error { return rec.checkQE(q.proto) })
	})
	if err != nil {
		return attest.Measurements{}, fmt.Errorf("verifying TDX quote: %w", err)
	}
	m.TCBStatus = status
	return m, nil
}

// safely runs a go-tdx-guest verification step, turning a panic on a
// malformed quote or collateral into an error.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("TDX verifier failed: %v", r)
		}
	}()
	return f()
}

func isExpiry(err error) bool {
	for _, e := range []error{
		verify.ErrTcbInfoExpired, verify.ErrQeIdentityExpired,
		verify.ErrTcbInfoSigningCertExpired, verify.ErrTcbInfoRootCertExpired,
		verify.ErrQeIdentitySigningCertExpired, verify.ErrQeIdentityRootCertExpired,
		verify.ErrRootCaCrlExpired, verify.ErrPCKCrlExpired,
		verify.ErrPCKCrlSigningCertExpired, verify.ErrPCKCrlRootCertExpired,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// verifyChain checks the quote's PCK chain against the trusted roots at now
// and returns the root it leads to.
func (v *Validator) verifyChain(q *Quote, now time.Time) (*x509.Certificate, error) {
	var chain *verify.PCKCertificateChain
	err := safely(func() (err error) {
		chain, err = verify.ExtractChainFromQuote(q.proto)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedQuote, err)
	}
	inter := x509.NewCertPool()
	inter.AddCert(chain.IntermediateCertificate)
	chains, err := chain.PCKCertificate.Verify(x509.VerifyOptions{
		Roots:         v.roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		var unknown x509.UnknownAuthorityError
		if errors.As(err, &unknown) {
			return nil, fmt.Errorf("%w: %w", ErrUntrustedRoot, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrPCKCertificateInvalid, err)
	}
	c := chains[0]
	return c[len(c)-1], nil
}

// rootKeyID is DCAP's root key id: SHA-384 of the root CA's uncompressed
// public key.
func rootKeyID(root *x509.Certificate) attest.Measurement {
	pub, ok := root.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return attest.Measurement{}
	}
	b, err := pub.Bytes()
	if err != nil {
		return attest.Measurement{}
	}
	return sha512.Sum384(b)
}
