package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/trust"
	"github.com/cocoon-go/cocoon/internal/wire"
)

func init() {
	commands["probe"] = command{summary: "connect to a proxy as a client would and print its attestation and params", run: runProbe}
}

// probeExtFlag is the cocoon-go extension bit of params flags words (see
// the roles' ext.go); probe reports whether a proxy sets it.
const probeExtFlag = 1 << 30

func runProbe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("probe", stdout, stderr)
	fs.SetOutput(stderr)
	policy := fs.String("policy", "tdx", "attestation the proxy must present: tdx, fake_tdx or any, with optional :imagehash,…")
	fakeTDX := fs.Bool("insecure-fake-tdx", false, "present a fake TDX quote (for a proxy's worker port on a test network) and accept fake quotes")
	skip := fs.Bool("insecure-skip-attestation", false, "print the proxy's attestation without verifying it")
	maxPoW := fs.Int("max-pow-difficulty", wire.DefaultMaxPoWDifficulty, "hardest proof of work to solve")
	isTest := fs.Bool("test", false, "claim to be a test-network client (is_test)")
	timeout := fs.Duration("timeout", 30*time.Second, "time allowed for the whole probe")
	dataDir := fs.String("data-dir", defaultDevnetDir(), "a devnet's data directory: a HOST:PORT its proxy.json names is probed as that devnet's clients connect")
	rootf := newRootFlags(fs)
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
	if devnetProxy(*dataDir, addr) {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["policy"] && !set["insecure-fake-tdx"] && !set["test"] {
			*policy, *fakeTDX, *isTest = "fake_tdx", true, true
			fmt.Fprintf(stdout, "devnet proxy (%s): INSECURE fake TDX accepted, as a test-network client, as the devnet's clients connect; for development only\n",
				filepath.Join(*dataDir, "proxy.json"))
		}
	}
	log, _ := obs.NewLogger(stderr, "text", "warn")
	rf := &roleFlags{fakeTDX: fakeTDX, skipAttestation: skip}
	v, err := rf.verifier(*policy, 0, log)
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
	// With a root, the proxy is judged as a client on its chain judges
	// it: its endpoint registered, its image in proxy_hashes, its
	// attested key the one it signs with.
	lists, err := rootf.lists(ctx, log)
	if err != nil {
		return err
	}
	var refused error
	if lists != nil {
		printRoot(stdout, lists, time.Now())
		if err := bindRoot(v, lists, trust.Proxies); err != nil {
			return err
		}
		if refused = lists.CheckClientEndpoint(addr); refused != nil {
			fmt.Fprintf(stdout, "endpoint:      REJECTED: %v\n", refused)
		} else {
			fmt.Fprintf(stdout, "endpoint:      %s is registered on the root\n", addr)
		}
	}

	fmt.Fprintf(stdout, "connecting to %s\n", addr)
	// Read the certificate whether or not it verifies, to print it and
	// the verifier's verdict.
	cfg := ratls.ClientConfig(cert, v)
	var state tls.ConnectionState
	var verifyErr error
	verify := cfg.VerifyConnection
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		state = cs
		verifyErr = verify(cs)
		return verifyErr
	}
	connected, err := probeProxy(ctx, addr, cfg, *maxPoW, *isTest, log, func() {
		if len(state.PeerCertificates) > 0 {
			printPeer(stdout, state.PeerCertificates[0].Raw)
		}
	})
	if verifyErr != nil {
		return fmt.Errorf("probe: %s: %w", addr, printVerdict(stdout, *policy, nil, verifyErr))
	}
	if err != nil {
		return err
	}
	verdict := "verified against policy " + *policy
	if *skip {
		verdict = "NOT verified (--insecure-skip-attestation)"
	}
	fmt.Fprintf(stdout, "attestation:   %s\n", verdict)
	peer, err := v.VerifyCertificates(ctx, state.PeerCertificates)
	printVerdict(stdout, *policy, peer, err)
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
	if lists != nil && peer != nil {
		if err := trust.CheckProxyKey(p.Flags&probeExtFlag != 0, peer.PublicKey, p.ProxyPublicKey); err != nil {
			fmt.Fprintf(stdout, "proxy key:     REJECTED: %v\n", err)
			refused = errors.Join(refused, err)
		} else {
			fmt.Fprintf(stdout, "proxy key:     the key it signs with is %s\n", keyNote(p.Flags&probeExtFlag != 0))
		}
	}
	if refused != nil {
		return fmt.Errorf("probe: a client on this root would refuse the proxy: %w", refused)
	}
	return nil
}

// devnetProxy reports whether addr is the clients endpoint of the devnet
// whose configs are in dir.
func devnetProxy(dir, addr string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "proxy.json"))
	if err != nil {
		return false
	}
	var cfg struct {
		ClientsListen string `json:"clients_listen"`
	}
	if json.Unmarshal(b, &cfg) != nil || cfg.ClientsListen == "" {
		return false
	}
	if cfg.ClientsListen == addr {
		return true
	}
	h1, p1, err1 := net.SplitHostPort(cfg.ClientsListen)
	h2, p2, err2 := net.SplitHostPort(addr)
	loopback := func(h string) bool { ip := net.ParseIP(h); return h == "localhost" || (ip != nil && ip.IsLoopback()) }
	return err1 == nil && err2 == nil && p1 == p2 && loopback(h1) && loopback(h2)
}

// keyNote says what stands behind a proxy's signing key.
func keyNote(ext bool) string {
	if ext {
		return "its attested key"
	}
	return "not its attested key: a reference proxy, trusted for its image as the reference trusts it"
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
