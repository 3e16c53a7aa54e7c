package ratls

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
)

// Peer is a verified remote party.
type Peer struct {
	// PublicKey is the Ed25519 key of the peer's certificate, which the
	// TLS handshake proved the peer holds.
	PublicKey ed25519.PublicKey
	// Measurements are what the peer's quote proved (KindNone when the
	// verifier does not attest).
	Measurements attest.Measurements
	// ImageHash is Measurements.ImageHash(), or all zeros when nothing was
	// attested (KindNone), so that an unattested peer never carries the
	// image hash that every fake TDX peer shares.
	ImageHash [32]byte
}

// Errors of peer verification, each distinct so that callers and logs can
// tell the cause.
var (
	ErrCertificateCount         = errors.New("peer must present exactly one certificate")
	ErrNotEd25519               = errors.New("peer certificate key is not Ed25519")
	ErrBadSelfSignature         = errors.New("peer certificate is not validly self-signed")
	ErrNotYetValid              = errors.New("peer certificate is not yet valid")
	ErrExpired                  = errors.New("peer certificate has expired")
	ErrUnknownCriticalExtension = errors.New("peer certificate has an unknown critical extension")
	ErrClaimsMismatch           = errors.New("peer certificate claims another key")
	ErrCipherSuite              = errors.New("negotiated cipher suite is not AES-GCM")
	ErrTLSVersion               = errors.New("negotiated TLS version is not 1.3")
)

// ErrEvidenceNotAccepted reports a peer whose certificate carries evidence
// of a TEE for which the verifier has no validator.
var ErrEvidenceNotAccepted = errors.New("peer presents evidence of a TEE this verifier does not verify")

// Verifier checks RA-TLS peers against a Validator and a Policy. The
// validator given to NewVerifier verifies TDX quotes (the reference's quote
// extension); WithSEVSNP adds one for SEV-SNP evidence (the CMW extension).
// Both paths share the policy and the cache.
type Verifier struct {
	validator attest.Validator
	// snp verifies SEV-SNP evidence; nil when the verifier accepts none.
	snp attest.Validator
	// policy is replaced whole by SetPolicy while handshakes read it.
	policy  atomic.Pointer[attest.Policy]
	clock   func() time.Time
	skew    time.Duration
	timeout time.Duration
	cache   *cache
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithClock sets the clock that judges certificate validity and cache
// expiry (default time.Now).
func WithClock(clock func() time.Time) Option { return func(v *Verifier) { v.clock = clock } }

// WithClockSkew tolerates peers whose clocks differ from ours by up to d
// when judging certificate validity (default one minute).
func WithClockSkew(d time.Duration) Option { return func(v *Verifier) { v.skew = d } }

// DefaultCacheSize is how many validated quotes a verifier remembers
// unless WithCache says otherwise.
const DefaultCacheSize = 10000

// WithCache sets how long a validated quote is remembered and how many are
// remembered (default 10 minutes and DefaultCacheSize entries); size 0
// disables the cache.
func WithCache(ttl time.Duration, size int) Option {
	return func(v *Verifier) { v.cache = newCache(ttl, size) }
}

// WithSEVSNP verifies the SEV-SNP evidence of peers with v (a
// sevsnp.Validator, or a fakesevsnp.Validator for test networks). Without
// it, a peer presenting SEV-SNP evidence is refused with
// ErrEvidenceNotAccepted, unless the verifier attests nothing
// (attest.NoVerification).
func WithSEVSNP(v attest.Validator) Option { return func(ver *Verifier) { ver.snp = v } }

// NewVerifier returns a Verifier that accepts peers whose quotes validator
// verifies and whose measurements policy accepts. A nil validator is an
// error: pass attest.NoVerification to attest nothing.
func NewVerifier(validator attest.Validator, policy attest.Policy, opts ...Option) (*Verifier, error) {
	if validator == nil {
		return nil, errors.New("creating RA-TLS verifier: nil validator (use attest.NoVerification to skip attestation)")
	}
	if err := policy.Validate(); err != nil {
		return nil, fmt.Errorf("creating RA-TLS verifier: %w", err)
	}
	v := &Verifier{
		validator: validator,
		clock:     time.Now,
		skew:      time.Minute,
		timeout:   30 * time.Second,
		cache:     newCache(10*time.Minute, DefaultCacheSize),
	}
	v.policy.Store(&policy)
	for _, o := range opts {
		o(v)
	}
	return v, nil
}

// SetPolicy replaces the policy for verifications from now on, for example
// when the allowed image hashes in the root contract change. Established
// connections are not re-checked: Recheck does that.
func (v *Verifier) SetPolicy(policy attest.Policy) error {
	if err := policy.Validate(); err != nil {
		return fmt.Errorf("setting RA-TLS policy: %w", err)
	}
	v.policy.Store(&policy)
	return nil
}

// Policy returns the policy in force.
func (v *Verifier) Policy() attest.Policy { return *v.policy.Load() }

// checks says which parts of a verification run.
type checks struct {
	// validity judges the certificate's validity period at the clock.
	validity bool
	// allowed applies the policy's live list (attest.Policy.Allowed).
	allowed bool
}

// VerifyConnection checks a completed handshake; it is the VerifyConnection
// of ClientConfig.
func (v *Verifier) VerifyConnection(cs tls.ConnectionState) error {
	return v.verifyConnection(context.Background(), cs, checks{validity: true, allowed: true})
}

func (v *Verifier) verifyConnection(ctx context.Context, cs tls.ConnectionState, c checks) error {
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	_, err := v.verifyState(ctx, cs, c)
	return err
}

// PeerFromState returns the verified peer of a completed handshake whose
// configuration used v. It verifies again, the live list included, which
// hits the quote cache.
func (v *Verifier) PeerFromState(ctx context.Context, cs tls.ConnectionState) (*Peer, error) {
	if !cs.HandshakeComplete {
		return nil, errors.New("getting RA-TLS peer: handshake not complete")
	}
	return v.verifyState(ctx, cs, checks{validity: true, allowed: true})
}

func (v *Verifier) verifyState(ctx context.Context, cs tls.ConnectionState, c checks) (*Peer, error) {
	if cs.Version != tls.VersionTLS13 {
		return nil, fmt.Errorf("verifying RA-TLS peer: %w", ErrTLSVersion)
	}
	if cs.CipherSuite != tls.TLS_AES_128_GCM_SHA256 && cs.CipherSuite != tls.TLS_AES_256_GCM_SHA384 {
		return nil, fmt.Errorf("verifying RA-TLS peer: %w: %s", ErrCipherSuite, tls.CipherSuiteName(cs.CipherSuite))
	}
	return v.verify(ctx, cs.PeerCertificates, c)
}

// VerifyCertificates checks a peer's certificate list: exactly one
// self-signed Ed25519 certificate, valid now, with no unknown critical
// extension, whose quote binds its key and passes the validator and the
// policy, its live list included.
func (v *Verifier) VerifyCertificates(ctx context.Context, certs []*x509.Certificate) (*Peer, error) {
	return v.verify(ctx, certs, checks{validity: true, allowed: true})
}

// Recheck verifies an established connection's peer again under the
// policy in force now: its quote through the cache, so that a validation
// older than the cache's TTL is redone (collateral and TCB status judged
// again), and the whole policy, its live list included. The certificate's
// validity period is not judged again: it was at the handshake, and a
// connection may outlive it.
func (v *Verifier) Recheck(ctx context.Context, certs []*x509.Certificate) (*Peer, error) {
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	return v.verify(ctx, certs, checks{allowed: true})
}

func (v *Verifier) verify(ctx context.Context, certs []*x509.Certificate, c checks) (*Peer, error) {
	if len(certs) != 1 {
		return nil, fmt.Errorf("verifying RA-TLS peer: %w: got %d", ErrCertificateCount, len(certs))
	}
	cert := certs[0]
	pub, ok := cert.PublicKey.(ed25519.PublicKey)
	if !ok || cert.SignatureAlgorithm != x509.PureEd25519 {
		return nil, fmt.Errorf("verifying RA-TLS peer: %w", ErrNotEd25519)
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		return nil, fmt.Errorf("verifying RA-TLS peer: %w: %w", ErrBadSelfSignature, err)
	}
	now := v.clock()
	if c.validity && now.Add(v.skew).Before(cert.NotBefore) {
		return nil, fmt.Errorf("verifying RA-TLS peer: %w: valid from %s, now %s", ErrNotYetValid, cert.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if c.validity && now.Add(-v.skew).After(cert.NotAfter) {
		return nil, fmt.Errorf("verifying RA-TLS peer: %w: valid until %s, now %s", ErrExpired, cert.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	// The reference's certificates are version 1 with extensions: their
	// extensions are judged as a version 3 certificate's.
	view, err := extensionView(cert)
	if err != nil {
		return nil, fmt.Errorf("verifying RA-TLS peer: %w", err)
	}
	for _, oid := range view.UnhandledCriticalExtensions {
		if !oid.Equal(OIDQuote) && !oid.Equal(OIDClaims) && !oid.Equal(OIDCMW) {
			return nil, fmt.Errorf("verifying RA-TLS peer: %w: %s", ErrUnknownCriticalExtension, oid)
		}
	}
	ev, err := parseEvidence(view)
	if err != nil {
		return nil, fmt.Errorf("verifying RA-TLS peer: %w", err)
	}
	if ev.Claims != nil && !pub.Equal(ed25519.PublicKey(ev.Claims)) {
		return nil, fmt.Errorf("verifying RA-TLS peer: %w", ErrClaimsMismatch)
	}
	policy := v.policy.Load()
	if err := policy.CheckQuoteShape(ev.Quote); err != nil {
		return nil, fmt.Errorf("verifying RA-TLS peer: %w", err)
	}
	reportData := attest.ReportData(pub)
	m, err := v.validate(ctx, ev, reportData, now)
	if err != nil {
		return nil, fmt.Errorf("verifying RA-TLS peer: %w", err)
	}
	if m.Kind != attest.KindNone && m.ReportData != reportData {
		return nil, fmt.Errorf("verifying RA-TLS peer: %w", attest.ErrReportDataMismatch)
	}
	check := policy.CheckStatic
	if c.allowed {
		check = policy.Check
	}
	if err := check(m); err != nil {
		return nil, fmt.Errorf("verifying RA-TLS peer: %w", err)
	}
	p := &Peer{PublicKey: pub, Measurements: m}
	if m.Kind != attest.KindNone {
		p.ImageHash = m.ImageHash()
	}
	return p, nil
}

// validate verifies the certificate's evidence with the validator of its
// family, through the cache, and checks that the validator vouched for a
// kind of that family.
func (v *Verifier) validate(ctx context.Context, ev Evidence, reportData [attest.ReportDataSize]byte, now time.Time) (attest.Measurements, error) {
	validator, quote, family := v.validator, ev.Quote, ev.Kind()
	if family == attest.KindSEVSNP {
		quote = ev.SEVSNP
		switch {
		case v.snp != nil:
			validator = v.snp
		case v.validator != attest.NoVerification:
			return attest.Measurements{}, fmt.Errorf("%w: AMD SEV-SNP", ErrEvidenceNotAccepted)
		}
	}
	if len(quote) == 0 {
		return validator.Validate(ctx, nil, reportData)
	}
	key := evidenceKey(family, quote)
	if m, ok := v.cache.get(key, now); ok {
		return m, nil
	}
	m, err := validator.Validate(ctx, quote, reportData)
	if err != nil {
		return attest.Measurements{}, err
	}
	if m.Kind != attest.KindNone && m.Kind.IsSEVSNP() != (family == attest.KindSEVSNP) {
		return attest.Measurements{}, fmt.Errorf("%w: %s measurements for evidence of the %s family", attest.ErrKindMismatch, m.Kind, family)
	}
	v.cache.put(key, m, now)
	return m, nil
}

// evidenceKey is the cache key of evidence: SHA-256 of a TDX quote as
// before, of SEV-SNP evidence after a prefix, so that the same bytes in
// the two extensions are two entries.
func evidenceKey(family attest.Kind, evidence []byte) [32]byte {
	if family != attest.KindSEVSNP {
		return quoteKey(evidence)
	}
	return quoteKey(append([]byte("sev-snp\x00"), evidence...))
}
