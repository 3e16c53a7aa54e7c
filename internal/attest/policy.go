package attest

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// IntelRootKeyID is the root key id of Intel's SGX/TDX provisioning root CA
// (SHA-384 of its uncompressed P-256 public key), the reference's default
// for --collateral-hash.
var IntelRootKeyID = mustMeasurement("46e403bd34f05a3f2817ab9badcaacc7ffc98e0f261008cd30dae936cace18d5dcf58eef31463613de1570d516200993")

// Policy decides which measurements are accepted. An empty allow-list
// accepts any value; TCBStatuses empty accepts TCBUpToDate only.
// Allow-lists of one TEE's registers apply to peers of that TEE only (MRTDs
// and RTMRs to the TDX kinds, SNPMeasurements to the SEV-SNP kinds); image
// hashes, which say their TEE, apply to all.
// Allowed, set, is a live list that is checked last and admits nobody
// when empty.
type Policy struct {
	// Name is the policy's name, for messages.
	Name string
	// Require is the kind of attestation demanded; KindNone accepts any
	// peer without looking at measurements (and then no allow-list may be
	// set).
	Require Kind
	// OrRequire lists the kinds accepted instead of Require (the policy
	// tdx_or_sev_snp: Require KindTDX, OrRequire KindSEVSNP); each kind's
	// own checks apply to a peer of that kind.
	OrRequire   []Kind
	MRTDs       []Measurement
	RTMRs       [][4]Measurement
	ImageHashes [][32]byte
	// RootKeyIDs and TCBStatuses apply to KindTDX peers.
	RootKeyIDs  []Measurement
	TCBStatuses []TCBStatus
	// SNPMeasurements is the allow-list of SEV-SNP launch measurements.
	SNPMeasurements []Measurement
	// SNPMinTCB is the lowest SEV-SNP reported TCB accepted, component by
	// component (KindSEVSNP peers; zero accepts any). AMD publishes no TCB
	// status as Intel does: operators set it from AMD's security bulletins.
	SNPMinTCB SNPTCB
	// Allowed, if set, is the list of image hashes a live source allows
	// (the root contract's proxy_hashes or worker_hashes), checked after
	// everything else.
	Allowed *AllowList
}

// AllowList is a list of allowed image hashes from a named source, such as
// the root contract's worker_hashes as last read. Unlike
// Policy.ImageHashes, an empty AllowList admits nobody. Each entry is what
// Measurements.ImageHash computes for the peer's TEE kind, so one list can
// hold the images of several kinds.
type AllowList struct {
	// Peer names what the list admits ("worker", "proxy"), and Source
	// where it comes from ("the root's worker_hashes (root EQ…, version
	// 12)"), for messages.
	Peer, Source string
	Hashes       [][32]byte
}

// Check reports whether image is on the list: nil, or a
// *NotAllowedError.
func (a *AllowList) Check(image [32]byte) error {
	if slices.Contains(a.Hashes, image) {
		return nil
	}
	return &NotAllowedError{Peer: a.Peer, Image: image, Source: a.Source}
}

// NotAllowedError is a peer whose image hash an AllowList lacks; it is
// ErrImageHashNotAllowed.
type NotAllowedError struct {
	Peer   string
	Image  [32]byte
	Source string
}

func (e *NotAllowedError) Error() string {
	return fmt.Sprintf("%s image hash %x is not in %s", e.Peer, e.Image, e.Source)
}

// Unwrap makes the error ErrImageHashNotAllowed.
func (e *NotAllowedError) Unwrap() error { return ErrImageHashNotAllowed }

// singlePolicies are the named policies of one kind each.
var singlePolicies = map[string]Kind{
	"fake_tdx":     KindFakeTDX,
	"tdx":          KindTDX,
	"fake_sev_snp": KindFakeSEVSNP,
	"sev_snp":      KindSEVSNP,
}

// NamedPolicy returns a built-in policy: the reference's "any" (no
// attestation), "fake_tdx" (fake quotes, any measurements) and "tdx" (real
// quotes, Intel's root key, TCB up to date); "fake_sev_snp" and "sev_snp"
// (real AMD SEV-SNP reports verified to AMD's root for their product);
// and alternatives joined by "_or_", such as "tdx_or_sev_snp" or
// "fake_tdx_or_fake_sev_snp". Fake and real kinds never mix.
func NamedPolicy(name string) (Policy, error) {
	if name == "any" {
		return Policy{Name: name, Require: KindNone}, nil
	}
	p := Policy{Name: name}
	parts := strings.Split(name, "_or_")
	for i, part := range parts {
		k, ok := singlePolicies[part]
		if !ok {
			return Policy{}, fmt.Errorf("unknown policy %q: want any, fake_tdx, tdx, fake_sev_snp, sev_snp, or kinds joined by _or_ such as tdx_or_sev_snp", name)
		}
		if i == 0 {
			p.Require = k
		} else {
			if k == p.Require || slices.Contains(p.OrRequire, k) {
				return Policy{}, fmt.Errorf("policy %q names %s twice", name, part)
			}
			p.OrRequire = append(p.OrRequire, k)
		}
		if k == KindTDX {
			p.RootKeyIDs = []Measurement{IntelRootKeyID}
		}
	}
	return p, p.Validate()
}

// ParsePolicy reads the reference's router syntax "type[:hash,hash…]": a
// named policy and an optional allow-list of hex image hashes.
func ParsePolicy(spec string) (Policy, error) {
	name, hashes, hasHashes := strings.Cut(spec, ":")
	p, err := NamedPolicy(name)
	if err != nil {
		return Policy{}, fmt.Errorf("parsing policy %q: %w", spec, err)
	}
	if hasHashes {
		for h := range strings.SplitSeq(hashes, ",") {
			b, err := hex.DecodeString(h)
			if err != nil || len(b) != 32 {
				return Policy{}, fmt.Errorf("parsing policy %q: image hash %q is not 64 hex digits", spec, h)
			}
			p.ImageHashes = append(p.ImageHashes, [32]byte(b))
		}
	}
	return p, p.Validate()
}

// Kinds returns the kinds the policy accepts: Require, then OrRequire.
func (p Policy) Kinds() []Kind { return append([]Kind{p.Require}, p.OrRequire...) }

// Accepts reports whether the policy accepts peers of kind k (before
// looking at their measurements).
func (p Policy) Accepts(k Kind) bool { return k == p.Require || slices.Contains(p.OrRequire, k) }

// Validate reports a policy that cannot be enforced: allow-lists on a
// policy that attests nothing, an alternative to "any", or fake and real
// kinds mixed.
func (p Policy) Validate() error {
	if p.Require == KindNone && (len(p.OrRequire) > 0 || len(p.MRTDs) > 0 || len(p.RTMRs) > 0 || len(p.ImageHashes) > 0 || len(p.RootKeyIDs) > 0 || len(p.TCBStatuses) > 0 || len(p.SNPMeasurements) > 0 || p.SNPMinTCB != (SNPTCB{}) || p.Allowed != nil) {
		return fmt.Errorf("policy %q attests nothing, so it cannot check allow-lists or accept other kinds", p.Name)
	}
	for _, k := range p.OrRequire {
		if k == KindNone {
			return fmt.Errorf("policy %q: no attestation cannot be an alternative to attestation", p.Name)
		}
		if k.IsFake() != p.Require.IsFake() {
			return fmt.Errorf("policy %q mixes fake and real attestation", p.Name)
		}
	}
	return nil
}

// Check applies the policy to verified measurements, in the reference's
// order for TDX peers: kind, MRTD, RTMR tuple, image hash, root key id,
// then TCB status; for SEV-SNP peers: kind, launch measurement, image
// hash, then the TCB minimum. Then, whatever the kind, the live list
// Allowed.
func (p Policy) Check(m Measurements) error {
	if err := p.CheckStatic(m); err != nil {
		return err
	}
	if p.Allowed != nil {
		return p.Allowed.Check(m.ImageHash())
	}
	return nil
}

// CheckStatic applies the policy without its live list Allowed.
func (p Policy) CheckStatic(m Measurements) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if p.Require == KindNone {
		return nil
	}
	if !p.Accepts(m.Kind) {
		return fmt.Errorf("policy %q: %w: got %s, want %s", p.Name, ErrKindMismatch, m.Kind, kindList(p.Kinds()))
	}
	if m.Kind.IsTDX() {
		if len(p.MRTDs) > 0 && !slices.Contains(p.MRTDs, m.MRTD) {
			return fmt.Errorf("policy %q: %w: %x", p.Name, ErrMRTDNotAllowed, m.MRTD)
		}
		if len(p.RTMRs) > 0 && !slices.Contains(p.RTMRs, m.RTMR) {
			return fmt.Errorf("policy %q: %w", p.Name, ErrRTMRNotAllowed)
		}
	}
	if m.Kind.IsSEVSNP() && len(p.SNPMeasurements) > 0 && !slices.Contains(p.SNPMeasurements, m.SNP.Measurement) {
		return fmt.Errorf("policy %q: %w: %x", p.Name, ErrSNPMeasurementNotAllowed, m.SNP.Measurement)
	}
	if len(p.ImageHashes) > 0 {
		if h := m.ImageHash(); !slices.Contains(p.ImageHashes, h) {
			return fmt.Errorf("policy %q: %w: %x", p.Name, ErrImageHashNotAllowed, h)
		}
	}
	switch m.Kind {
	case KindTDX:
		return p.checkTDX(m)
	case KindSEVSNP:
		if !m.SNP.ReportedTCB.AtLeast(p.SNPMinTCB) {
			return fmt.Errorf("policy %q: %w: reported %s, minimum %s", p.Name, ErrTCBTooOld, m.SNP.ReportedTCB, p.SNPMinTCB)
		}
	}
	return nil
}

func (p Policy) checkTDX(m Measurements) error {
	if len(p.RootKeyIDs) > 0 && !slices.Contains(p.RootKeyIDs, m.RootKeyID) {
		return fmt.Errorf("policy %q: %w: %x", p.Name, ErrRootKeyNotAllowed, m.RootKeyID)
	}
	allowed := p.TCBStatuses
	if len(allowed) == 0 {
		allowed = []TCBStatus{TCBUpToDate}
	}
	if !slices.Contains(allowed, m.TCBStatus) {
		return fmt.Errorf("policy %q: %w: %s", p.Name, ErrTCBStatusNotAllowed, m.TCBStatus)
	}
	return nil
}

// CheckQuoteShape refuses, before any verification, a quote that cannot
// be of a kind the policy accepts: a fake TDX quote (exactly
// ReportDataSize bytes, far shorter than any real quote) under a policy
// that accepts real TDX and not fake. It names the cause instead of the
// real verifier's "malformed quote".
func (p Policy) CheckQuoteShape(quote []byte) error {
	if p.Accepts(KindTDX) && !p.Accepts(KindFakeTDX) && len(quote) == ReportDataSize {
		return fmt.Errorf("%w: policy %s requires a real quote", ErrFakeQuote, p.Name)
	}
	return nil
}

func kindList(ks []Kind) string {
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.String()
	}
	return strings.Join(names, " or ")
}

func mustMeasurement(s string) Measurement {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != MeasurementSize {
		panic("attest: bad built-in measurement " + s)
	}
	return Measurement(b)
}

// ParseTCBStatuses reads a comma-separated list of TCB status names, for
// Policy.TCBStatuses.
func ParseTCBStatuses(list string) ([]TCBStatus, error) {
	var out []TCBStatus
	for s := range strings.SplitSeq(list, ",") {
		st := TCBStatus(strings.TrimSpace(s))
		switch st {
		case TCBUpToDate, TCBSWHardeningNeeded, TCBConfigurationNeeded, TCBConfigurationAndSWHardeningNeeded,
			TCBOutOfDate, TCBOutOfDateConfigurationNeeded, TCBNotEvaluated:
			out = append(out, st)
		default:
			return nil, fmt.Errorf("parsing TCB statuses: unknown or unacceptable status %q", st)
		}
	}
	return out, nil
}
