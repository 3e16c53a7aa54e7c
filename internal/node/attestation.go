package node

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/evidence"
	"github.com/cocoon-go/cocoon/internal/attest/fakesevsnp"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/attest/sevsnp"
	"github.com/cocoon-go/cocoon/internal/attest/tdx"
	"github.com/cocoon-go/cocoon/internal/ratls"
)

// The TEEs a node attests with (Attestation.TEE).
const (
	TEETDX        = "tdx"
	TEESEVSNP     = "sev-snp"
	TEEFakeTDX    = "fake-tdx"
	TEEFakeSEVSNP = "fake-sev-snp"
)

// Attestation is how a node attests and what it accepts from its peers:
// the flags --tee, --insecure-fake-tdx, --insecure-fake-sev-snp and
// --insecure-skip-attestation. The zero value attests with real TDX
// quotes and accepts only real evidence.
type Attestation struct {
	// TEE is what the node attests with: TEETDX, TEESEVSNP, TEEFakeTDX or
	// TEEFakeSEVSNP; empty means the fake that the one Insecure fake
	// allowed names, or TDX.
	TEE string
	// InsecureFakeTDX and InsecureFakeSEVSNP allow the fake evidence of
	// each TEE, which proves nothing: the node may attest with it, and
	// accepts it from peers where a policy names it. Test networks only.
	InsecureFakeTDX, InsecureFakeSEVSNP bool
	// InsecureSkipAttestation accepts peers without checking their
	// attestation or image hash: anyone can impersonate them.
	InsecureSkipAttestation bool
}

// ChoiceError is a mistake in how a node was asked to attest or what it
// was asked to accept (a fake TEE without its --insecure flag, a policy
// that does not parse or names a fake it was not allowed): the commands
// report it as a usage error.
type ChoiceError struct{ error }

func (e ChoiceError) Unwrap() error { return e.error }

// tee is the TEE the node attests with, its choice checked.
func (a Attestation) tee() (string, error) {
	tee, err := a.choose()
	if err != nil {
		return "", ChoiceError{err}
	}
	return tee, nil
}

func (a Attestation) choose() (string, error) {
	tee := a.TEE
	if tee == "" {
		switch {
		case a.InsecureFakeTDX && a.InsecureFakeSEVSNP:
			return "", errors.New("--insecure-fake-tdx and --insecure-fake-sev-snp: pass --tee fake-tdx or --tee fake-sev-snp to say which this node attests with")
		case a.InsecureFakeTDX:
			return TEEFakeTDX, nil
		case a.InsecureFakeSEVSNP:
			return TEEFakeSEVSNP, nil
		}
		return TEETDX, nil
	}
	switch {
	case tee == TEEFakeTDX && !a.InsecureFakeTDX:
		return "", errors.New("--tee fake-tdx needs --insecure-fake-tdx")
	case tee == TEEFakeSEVSNP && !a.InsecureFakeSEVSNP:
		return "", errors.New("--tee fake-sev-snp needs --insecure-fake-sev-snp")
	case tee != TEETDX && tee != TEESEVSNP && tee != TEEFakeTDX && tee != TEEFakeSEVSNP:
		return "", fmt.Errorf("--tee must be tdx, sev-snp, fake-tdx or fake-sev-snp, not %q", tee)
	}
	return tee, nil
}

// Check checks the choice of TEE: a mistake in how the node was asked to
// attest, before anything is set up.
func (a Attestation) Check() error {
	_, err := a.tee()
	return err
}

// Issuer is where the node's quotes come from. A fake one is logged as
// insecure.
func (a Attestation) Issuer(log *slog.Logger) (attest.Issuer, error) {
	tee, err := a.tee()
	if err != nil {
		return nil, err
	}
	switch tee {
	case TEEFakeTDX:
		log.Warn("INSECURE: attesting with fake TDX quotes, which prove nothing")
		return faketdx.NewIssuer(), nil
	case TEEFakeSEVSNP:
		log.Warn("INSECURE: attesting with fake SEV-SNP evidence, which proves nothing")
		return fakesevsnp.NewIssuer(), nil
	case TEESEVSNP:
		i, err := sevsnp.NewIssuer()
		if err != nil {
			return nil, fmt.Errorf("setting up SEV-SNP attestation (outside an SNP guest, test networks may use --insecure-fake-sev-snp): %w", err)
		}
		return i, nil
	}
	i, err := tdx.NewIssuer()
	if err != nil {
		return nil, fmt.Errorf("setting up TDX attestation (outside a TD, test networks may use --insecure-fake-tdx): %w", err)
	}
	return i, nil
}

// ClientIssuer is what a client attests with: proxies do not attest
// clients (their client port's policy is "any"), so a client presents no
// quote unless it is allowed a fake one.
func (a Attestation) ClientIssuer(log *slog.Logger) (attest.Issuer, error) {
	if !a.InsecureFakeTDX && !a.InsecureFakeSEVSNP {
		return attest.NoEvidence, nil
	}
	return a.Issuer(log)
}

// Verifier checks peers against a policy in the router's syntax, with a
// validator for each TEE the policy accepts. Evidence it validated is
// remembered for at most one root poll, rootPoll, so that a revoked
// collateral or a changed root is never served from its cache for longer.
func (a Attestation) Verifier(spec string, rootPoll time.Duration, log *slog.Logger) (*ratls.Verifier, error) {
	cache := ratls.WithCache(rootPoll, ratls.DefaultCacheSize)
	if a.InsecureSkipAttestation {
		log.Warn("INSECURE: peers' attestation is not checked (--insecure-skip-attestation)")
		return ratls.NewVerifier(attest.NoVerification, attest.Policy{Name: "any", Require: attest.KindNone}, cache)
	}
	p, err := attest.ParsePolicy(spec)
	if err != nil {
		return nil, ChoiceError{err}
	}
	if p.Require == attest.KindNone {
		return ratls.NewVerifier(attest.NoVerification, p, cache)
	}
	var tdxV, snpV attest.Validator = attest.NoVerification, nil
	for _, k := range p.Kinds() {
		switch k {
		case attest.KindFakeTDX:
			if !a.InsecureFakeTDX {
				return nil, ChoiceError{fmt.Errorf("policy %q accepts fake TDX quotes: pass --insecure-fake-tdx to allow it", spec)}
			}
			tdxV = faketdx.NewValidator()
		case attest.KindFakeSEVSNP:
			if !a.InsecureFakeSEVSNP {
				return nil, ChoiceError{fmt.Errorf("policy %q accepts fake SEV-SNP evidence: pass --insecure-fake-sev-snp to allow it", spec)}
			}
			snpV = fakesevsnp.NewValidator()
		case attest.KindTDX:
			if tdxV, err = tdx.NewValidator(time.Now); err != nil {
				return nil, fmt.Errorf("setting up TDX verification: %w", err)
			}
		case attest.KindSEVSNP:
			if snpV, err = sevsnp.NewValidator(time.Now); err != nil {
				return nil, fmt.Errorf("setting up SEV-SNP verification: %w", err)
			}
		}
	}
	var opts []ratls.Option
	if snpV != nil {
		opts = append(opts, ratls.WithSEVSNP(snpV))
	}
	return ratls.NewVerifier(tdxV, p, append(opts, cache)...)
}

// Certifier issues the node's RA-TLS certificate for key, or for a fresh
// key when key is nil, attested by issuer.
func Certifier(ctx context.Context, key ed25519.PrivateKey, issuer attest.Issuer, log *slog.Logger) (*ratls.Certifier, error) {
	if key == nil {
		var err error
		if _, key, err = ed25519.GenerateKey(rand.Reader); err != nil {
			return nil, fmt.Errorf("generating the TLS key: %w", err)
		}
	}
	return ratls.NewCertifier(ctx, key, issuer, time.Now, log)
}

// OwnImage is the image hash this node attests with c's certificate:
// zero when it attests nothing.
func OwnImage(ctx context.Context, c *ratls.Certifier) ([32]byte, error) {
	cert, err := c.Certificate(ctx)
	if err != nil {
		return [32]byte{}, err
	}
	ev, err := ratls.ParseEvidence(cert.Leaf)
	if err != nil {
		return [32]byte{}, fmt.Errorf("reading our own certificate: %w", err)
	}
	m, err := evidence.Measurements(ev)
	if err != nil {
		return [32]byte{}, fmt.Errorf("reading our own evidence: %w", err)
	}
	if m.Kind == attest.KindNone {
		return [32]byte{}, nil
	}
	return m.ImageHash(), nil
}
