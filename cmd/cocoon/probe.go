package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/devnet"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/wire"
)

func init() {
	commands["probe"] = command{summary: "connect to a proxy as a client would and print its attestation and params", run: runProbe}
}

// probeExtFlag is the cocoon-go extension bit of params flags words (see
// the roles' ext.go); probe reports whether a proxy sets it.
const probeExtFlag = 1 << 30

func runProbe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	policy := fs.String("policy", "tdx", "attestation the proxy must present: tdx, fake_tdx or any, with optional :imagehash,…")
	fakeTDX := fs.Bool("insecure-fake-tdx", false, "present a fake TDX quote (for a proxy's worker port on a test network) and accept fake quotes")
	skip := fs.Bool("insecure-skip-attestation", false, "print the proxy's attestation without verifying it")
	maxPoW := fs.Int("max-pow-difficulty", wire.DefaultMaxPoWDifficulty, "hardest proof of work to solve")
	isTest := fs.Bool("test", false, "claim to be a test-network client (is_test)")
	timeout := fs.Duration("timeout", 30*time.Second, "time allowed for the whole probe")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() != 1 {
		return usageError{"probe takes one argument: the proxy's HOST:PORT"}
	}
	addr := fs.Arg(0)
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return usageError{fmt.Sprintf("probe: %q is not HOST:PORT", addr)}
	}
	log, _ := obs.NewLogger(stderr, "text", "warn")
	rf := &roleFlags{fakeTDX: fakeTDX, skipAttestation: skip}
	v, err := rf.verifier(*policy, log)
	if err != nil {
		return usageError{err.Error()}
	}
	var issuer attest.Issuer = attest.NoEvidence
	if *fakeTDX {
		issuer = faketdx.NewIssuer()
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	cert, err := certifier(ctx, issuer, log)
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "connecting to %s\n", addr)
	// Read the certificate whether or not it verifies, to print it.
	cfg := ratls.ClientConfig(cert, v)
	var state tls.ConnectionState
	verify := cfg.VerifyConnection
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		state = cs
		return verify(cs)
	}
	connected, err := probeProxy(ctx, addr, cfg, *maxPoW, *isTest, log, func() {
		if len(state.PeerCertificates) > 0 {
			printPeer(stdout, state.PeerCertificates[0].Raw)
		}
	})
	if err != nil {
		return err
	}
	verdict := "verified against policy " + *policy
	if *skip {
		verdict = "NOT verified (--insecure-skip-attestation)"
	}
	fmt.Fprintf(stdout, "attestation:   %s\n", verdict)
	p := connected.Params
	fmt.Fprintf(stdout, "proxy params:\n")
	fmt.Fprintf(stdout, "  public key      %x\n", p.ProxyPublicKey)
	fmt.Fprintf(stdout, "  owner address   %s\n", p.ProxyOwnerAddress)
	fmt.Fprintf(stdout, "  contract        %s\n", p.ProxySCAddress)
	if p.Flags&1 != 0 {
		fmt.Fprintf(stdout, "  is_test         %v\n", p.IsTest)
	}
	if p.Flags&2 != 0 {
		fmt.Fprintf(stdout, "  protocol        %d\n", p.ProtoVersion)
	}
	fmt.Fprintf(stdout, "  cocoon-go       %v\n", p.Flags&probeExtFlag != 0)
	fmt.Fprintf(stdout, "  client contract %s\n", connected.ClientSCAddress)
	switch a := connected.Auth.(type) {
	case *tl.ClientProxyConnectionAuthShort:
		fmt.Fprintf(stdout, "  authentication  short (secret hash %x)\n", a.SecretHash)
	case *tl.ClientProxyConnectionAuthLong:
		fmt.Fprintf(stdout, "  authentication  long (on-chain registration)\n")
	}
	return nil
}

// probeProxy connects to a proxy's client endpoint as a client would
// (proof of work, RA-TLS checked by cfg, tcp.connect) and returns its
// answer to client.connectToProxy, which names its contract; handshaken,
// if set, runs once the TLS handshake ended, whether or not it verified.
// The owner it names is a throwaway one: the proxy derives a client
// contract from it, but the probe never authorises, so nothing is opened.
func probeProxy(ctx context.Context, addr string, cfg *tls.Config, maxPoW int, isTest bool, log *slog.Logger, handshaken func()) (tl.ClientConnectedToProxy, error) {
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
		Flags: 1 | 2, ClientOwnerAddress: devnet.NewOwnerAddress().String(), IsTest: isTest, MinProtoVersion: 1, MaxProtoVersion: 2,
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

// printPeer prints the measurements a proxy's certificate carries.
func printPeer(w io.Writer, der []byte) {
	c, ev, err := splitInput(der, false)
	if err != nil || c == nil {
		fmt.Fprintf(w, "certificate:   unreadable: %v\n", err)
		return
	}
	fmt.Fprintf(w, "certificate:   %s, valid %s to %s\n", c.Subject, c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
	m, err := measurementsOf(ev)
	if err != nil {
		fmt.Fprintf(w, "quote:         unreadable: %v\n", err)
		return
	}
	printMeasurements(w, ev, m)
}
