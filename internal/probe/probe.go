// Package probe connects to a proxy's client endpoint as a client would
// (proof of work, RA-TLS, client.connectToProxy) without authorising, and
// reports what the proxy showed: its attestation, its params and the
// contract it names. `cocoon probe` prints it; the explorer's Locator
// learns each registered proxy's contract with it.
package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/attest/evidence"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/trust"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// Connect connects to a proxy's client endpoint as a client would (proof
// of work, RA-TLS checked by cfg, tcp.connect) and returns its answer to
// client.connectToProxy, which names its contract; handshaken, if set,
// runs once the TLS handshake ended, whether or not it verified. The
// owner it names is a throwaway one: the proxy derives a client contract
// from it, but the probe never authorises, so nothing is opened.
func Connect(ctx context.Context, addr string, cfg *tls.Config, maxPoW int, isTest bool, log *slog.Logger, handshaken func()) (tl.ClientConnectedToProxy, error) {
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return tl.ClientConnectedToProxy{}, fmt.Errorf("probe: dialling %s: %w", addr, err)
	}
	conn, err := wire.ClientHandshake(ctx, raw, cfg, maxPoW)
	if handshaken != nil {
		handshaken()
	}
	if err != nil {
		return tl.ClientConnectedToProxy{}, fmt.Errorf("probe: proof of work and RA-TLS with %s: %w", addr, err)
	}
	sess := wire.NewSession(conn, wire.Config{Outbound: true, Logger: log})
	defer sess.Close()
	if err := sess.Start(ctx); err != nil {
		return tl.ClientConnectedToProxy{}, fmt.Errorf("probe: tcp.connect: %w", err)
	}
	b, err := sess.Query(ctx, tl.Marshal(&tl.ClientConnectToProxy{Params: tl.ClientParams{
		Flags: 1 | 2, ClientOwnerAddress: contracts.NewOwnerAddress().String(), IsTest: isTest, MinProtoVersion: 1, MaxProtoVersion: 2,
	}}))
	if err != nil {
		return tl.ClientConnectedToProxy{}, fmt.Errorf("probe: client.connectToProxy: %w", err)
	}
	var connected tl.ClientConnectedToProxy
	if err := tl.UnmarshalAs(b, &connected); err != nil {
		return tl.ClientConnectedToProxy{}, fmt.Errorf("probe: client.connectToProxy answer: %w", err)
	}
	return connected, nil
}

// Options say how Run probes a proxy.
type Options struct {
	// Addr is the proxy's client endpoint, HOST:PORT.
	Addr string
	// Policy names the policy Verifier checks the proxy against;
	// Certifier is the probe's own certificate.
	Policy    string
	Verifier  *ratls.Verifier
	Certifier *ratls.Certifier
	// Skipped says the verifier checks nothing
	// (--insecure-skip-attestation).
	Skipped bool
	// MaxPoW is the hardest proof of work to solve; IsTest is claimed in
	// client.params.
	MaxPoW int
	IsTest bool
	// Root, if set, judges the proxy as a client on its chain does: its
	// endpoint registered, its image in proxy_hashes, its attested key the
	// one it signs with. Verifier is bound to its list.
	Root   *trust.Lists
	Logger *slog.Logger
}

// Run probes the proxy at o.Addr and prints what it shows to w: its
// certificate and evidence, the verdict of o.Verifier, its params and the
// contracts it names; with a root, whether a client on that root would
// accept it. It fails when the proxy cannot be reached, is rejected, or a
// client on the root would refuse it.
func Run(ctx context.Context, w io.Writer, o Options) error {
	var refused error
	if o.Root != nil {
		evidence.PrintRoot(w, o.Root, time.Now())
		if err := evidence.BindRoot(o.Verifier, o.Root, trust.Proxies); err != nil {
			return err
		}
		if refused = o.Root.CheckClientEndpoint(o.Addr); refused != nil {
			fmt.Fprintf(w, "endpoint:      REJECTED: %v\n", refused)
		} else {
			fmt.Fprintf(w, "endpoint:      %s is registered on the root\n", o.Addr)
		}
	}
	fmt.Fprintf(w, "connecting to %s\n", o.Addr)
	// Read the certificate whether or not it verifies, to print it and
	// the verifier's verdict.
	cfg := ratls.ClientConfig(o.Certifier, o.Verifier)
	var state tls.ConnectionState
	var verifyErr error
	verify := cfg.VerifyConnection
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		state = cs
		verifyErr = verify(cs)
		return verifyErr
	}
	connected, err := Connect(ctx, o.Addr, cfg, o.MaxPoW, o.IsTest, o.Logger, func() {
		if len(state.PeerCertificates) > 0 {
			printPeer(w, state.PeerCertificates[0].Raw)
		}
	})
	if verifyErr != nil {
		return fmt.Errorf("probe: %s: %w", o.Addr, evidence.PrintVerdict(w, o.Policy, nil, verifyErr))
	}
	if err != nil {
		return err
	}
	verdict := "verified against policy " + o.Policy
	if o.Skipped {
		verdict = "NOT verified (--insecure-skip-attestation)"
	}
	fmt.Fprintf(w, "attestation:   %s\n", verdict)
	peer, err := o.Verifier.VerifyCertificates(ctx, state.PeerCertificates)
	evidence.PrintVerdict(w, o.Policy, peer, err)
	p := connected.Params
	ext := p.Flags&tl.ExtFlag != 0
	fmt.Fprintf(w, "proxy params:\n")
	fmt.Fprintf(w, "  public key      %x\n", p.ProxyPublicKey)
	fmt.Fprintf(w, "  owner address   %s\n", p.ProxyOwnerAddress)
	fmt.Fprintf(w, "  contract        %s\n", p.ProxySCAddress)
	if p.Flags&1 != 0 {
		fmt.Fprintf(w, "  is_test         %v\n", p.IsTest)
	}
	if p.Flags&2 != 0 {
		fmt.Fprintf(w, "  protocol        %d\n", p.ProtoVersion)
	}
	fmt.Fprintf(w, "  cocoon-go       %v\n", ext)
	fmt.Fprintf(w, "  client contract %s\n", connected.ClientSCAddress)
	switch a := connected.Auth.(type) {
	case *tl.ClientProxyConnectionAuthShort:
		fmt.Fprintf(w, "  authentication  short (secret hash %x)\n", a.SecretHash)
	case *tl.ClientProxyConnectionAuthLong:
		fmt.Fprintf(w, "  authentication  long (on-chain registration)\n")
	}
	if o.Root != nil && peer != nil {
		if err := trust.CheckProxyKey(ext, peer.PublicKey, p.ProxyPublicKey); err != nil {
			fmt.Fprintf(w, "proxy key:     REJECTED: %v\n", err)
			refused = errors.Join(refused, err)
		} else {
			fmt.Fprintf(w, "proxy key:     the key it signs with is %s\n", keyNote(ext))
		}
	}
	if refused != nil {
		return fmt.Errorf("probe: a client on this root would refuse the proxy: %w", refused)
	}
	return nil
}

// keyNote says what stands behind a proxy's signing key.
func keyNote(ext bool) string {
	if ext {
		return "its attested key"
	}
	return "not its attested key: a reference proxy, trusted for its image as the reference trusts it"
}

// printPeer prints the measurements a proxy's certificate carries.
func printPeer(w io.Writer, der []byte) {
	c, ev, err := evidence.Split(der, false)
	if err != nil || c == nil {
		fmt.Fprintf(w, "certificate:   unreadable: %v\n", err)
		return
	}
	fmt.Fprintf(w, "certificate:   %s, valid %s to %s\n", c.Subject, c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
	m, err := evidence.Measurements(ev)
	if err != nil {
		fmt.Fprintf(w, "quote:         unreadable: %v\n", err)
		return
	}
	evidence.Print(w, ev, m)
}

// Locator learns a proxy's contract by connecting to its client endpoint
// as Run does: what the explorer asks of each proxy the root registers.
type Locator struct {
	tls    *tls.Config
	maxPoW int
	log    *slog.Logger
}

// locateTimeout bounds one question to a proxy.
const locateTimeout = 20 * time.Second

// NewLocator returns a Locator that connects with cfg (the RA-TLS client
// config that checks the proxies) and solves proofs of work up to maxPoW.
func NewLocator(cfg *tls.Config, maxPoW int, log *slog.Logger) *Locator {
	return &Locator{tls: cfg, maxPoW: maxPoW, log: log}
}

// Locate returns the contract of the proxy at endpoint, in the canonical
// form derived addresses have.
func (l *Locator) Locate(ctx context.Context, endpoint string, isTest bool) (*address.Address, error) {
	ctx, cancel := context.WithTimeout(ctx, locateTimeout)
	defer cancel()
	connected, err := Connect(ctx, endpoint, l.tls.Clone(), l.maxPoW, isTest, l.log, nil)
	if err != nil {
		return nil, err
	}
	a, err := contracts.ParseAddress(connected.Params.ProxySCAddress)
	if err != nil {
		return nil, fmt.Errorf("the proxy at %s names contract %q: %w", endpoint, connected.Params.ProxySCAddress, err)
	}
	// Proxies name it non-bounceable, as the reference does; the pages
	// key contracts in the one form derived addresses have.
	return payment.Canonical(a), nil
}
