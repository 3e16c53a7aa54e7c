package ratls

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
)

// RenewAfter is the age at which a Certifier replaces its certificate, as
// the reference's hourly timer does; the certificate stays valid for
// Validity, so a failed renewal leaves a long margin.
const RenewAfter = time.Hour

// Certifier holds this node's current RA-TLS certificate and renews it on
// demand, during the first handshake after it is RenewAfter old, so that
// servers never restart to rotate certificates.
type Certifier struct {
	key    ed25519.PrivateKey
	issuer attest.Issuer
	clock  func() time.Time
	log    *slog.Logger

	current atomic.Pointer[issued]
	// renewing is held by the one caller renewing the certificate.
	renewing sync.Mutex
}

type issued struct {
	cert      *tls.Certificate
	notBefore time.Time
	notAfter  time.Time
}

// NewCertifier issues a first certificate for key with a quote from issuer
// (attest.NoEvidence for none), dated by clock. The quote goes where its
// kind's verifiers look: a TDX quote in the reference's quote extension,
// the evidence of an SEV-SNP attest.KindIssuer in the CMW extension. Failed renewals are logged
// to log (nil discards them).
func NewCertifier(ctx context.Context, key ed25519.PrivateKey, issuer attest.Issuer, clock func() time.Time, log *slog.Logger) (*Certifier, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("creating RA-TLS certifier: Ed25519 private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	if issuer == nil {
		return nil, errors.New("creating RA-TLS certifier: nil issuer (use attest.NoEvidence for a certificate without a quote)")
	}
	if clock == nil {
		return nil, errors.New("creating RA-TLS certifier: nil clock")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Certifier{key: key, issuer: issuer, clock: clock, log: log.With("component", "ratls")}
	if err := c.Renew(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Renew issues a fresh quote and certificate now and makes it current.
func (c *Certifier) Renew(ctx context.Context) error {
	c.renewing.Lock()
	defer c.renewing.Unlock()
	return c.renewLocked(ctx)
}

func (c *Certifier) renewLocked(ctx context.Context) error {
	now := c.clock()
	pub := c.key.Public().(ed25519.PublicKey)
	quote, err := c.issuer.Issue(ctx, attest.ReportData(pub))
	if err != nil {
		return fmt.Errorf("renewing RA-TLS certificate: issuing quote: %w", err)
	}
	create := CreateCertificate
	if attest.IssuedKind(c.issuer).IsSEVSNP() && len(quote) > 0 {
		create = CreateSEVSNPCertificate
	}
	der, err := create(c.key, quote, now)
	if err != nil {
		return fmt.Errorf("renewing RA-TLS certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("renewing RA-TLS certificate: parsing our own certificate: %w", err)
	}
	c.current.Store(&issued{
		cert:      &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: c.key, Leaf: leaf},
		notBefore: leaf.NotBefore,
		notAfter:  leaf.NotAfter,
	})
	return nil
}

// Certificate returns the current certificate, renewing it first when it
// is RenewAfter old. When renewal fails, the old certificate is returned
// (and the failure logged) while it is still valid.
func (c *Certifier) Certificate(ctx context.Context) (*tls.Certificate, error) {
	cur := c.current.Load()
	now := c.clock()
	valid := !now.After(cur.notAfter)
	if valid && now.Sub(cur.notBefore) < RenewAfter {
		return cur.cert, nil
	}
	if valid {
		if !c.renewing.TryLock() {
			return cur.cert, nil // another handshake is renewing it
		}
	} else {
		c.renewing.Lock()
	}
	defer c.renewing.Unlock()
	if latest := c.current.Load(); latest != cur {
		return latest.cert, nil
	}
	if err := c.renewLocked(ctx); err != nil {
		if !valid {
			return nil, err
		}
		c.log.Warn("RA-TLS certificate renewal failed; keeping the current certificate", "error", err, "valid_until", cur.notAfter)
		return cur.cert, nil
	}
	return c.current.Load().cert, nil
}

// GetCertificate serves tls.Config.GetCertificate.
func (c *Certifier) GetCertificate(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.Certificate(hi.Context())
}

// GetClientCertificate serves tls.Config.GetClientCertificate.
func (c *Certifier) GetClientCertificate(ri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return c.Certificate(ri.Context())
}

// ServerConfig returns the tls.Config of the accepting side: TLS 1.3 only,
// no session tickets, a client certificate required and verified by v.
// Each handshake runs on a copy of the returned config (taken when the
// client hello arrives, so later changes to its fields count) whose
// VerifyConnection runs v under the handshake's context
// (tls.Conn.HandshakeContext): cancelling it stops a quote validation in
// progress.
//
// The handshake checks everything but the policy's live list
// (attest.Policy.Allowed): a TLS alert cannot say why a peer was
// refused, so the accepting role applies the list with Recheck when the
// peer first asks to be admitted, where its refusal can name the cause.
// Until then the peer is attested but admitted to nothing.
func ServerConfig(c *Certifier, v *Verifier) *tls.Config {
	deferred := checks{validity: true}
	cfg := &tls.Config{
		MinVersion:             tls.VersionTLS13,
		MaxVersion:             tls.VersionTLS13,
		GetCertificate:         c.GetCertificate,
		ClientAuth:             tls.RequireAnyClientCert,
		SessionTicketsDisabled: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return v.verifyConnection(context.Background(), cs, deferred)
		},
	}
	cfg.GetConfigForClient = func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
		per := cfg.Clone()
		per.GetConfigForClient = nil
		ctx := hi.Context()
		per.VerifyConnection = func(cs tls.ConnectionState) error { return v.verifyConnection(ctx, cs, deferred) }
		return per, nil
	}
	return cfg
}

// ClientConfig returns the tls.Config of the connecting side: TLS 1.3
// only, no session resumption, our certificate presented, the server's
// verified by v. Go's own chain verification is off because our
// certificates are self-signed with critical extensions Go does not know;
// v.VerifyConnection does all of it instead.
func ClientConfig(c *Certifier, v *Verifier) *tls.Config {
	return &tls.Config{
		MinVersion:             tls.VersionTLS13,
		MaxVersion:             tls.VersionTLS13,
		GetClientCertificate:   c.GetClientCertificate,
		InsecureSkipVerify:     true,
		SessionTicketsDisabled: true,
		ServerName:             "127.0.0.1",
		VerifyConnection:       v.VerifyConnection,
	}
}
