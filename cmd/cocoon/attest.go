package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/attest/tdx"
	"github.com/cocoon-go/cocoon/internal/ratls"
)

func init() {
	commands["attest"] = command{summary: "generate RA-TLS certificates and inspect or verify TDX quotes", run: runAttest}
}

const attestUsage = `Usage:
  cocoon attest gen-cert --tdx fake|tdx --out DIR
  cocoon attest inspect [--verify [flags]] FILE

FILE is a PEM (or DER) RA-TLS certificate or a raw quote.`

func runAttest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, attestUsage)
		return usageError{"attest needs a subcommand: gen-cert or inspect"}
	}
	switch args[0] {
	case "gen-cert":
		return runGenCert(ctx, args[1:], stdout, stderr)
	case "inspect":
		return runInspect(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, attestUsage)
		return nil
	}
	fmt.Fprintln(stderr, attestUsage)
	return usageError{fmt.Sprintf("unknown attest subcommand %q", args[0])}
}

func runGenCert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("attest gen-cert", stdout, stderr)
	fs.SetOutput(stderr)
	kind := fs.String("tdx", "", "attestation: tdx (a real quote from configfs-tsm) or fake (the reference's fake quote, which proves nothing)")
	out := fs.String("out", "", "directory for cert.pem, key.pem and image_hash")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() != 0 || *out == "" {
		return usageError{"gen-cert takes --tdx and --out and no arguments"}
	}
	var issuer attest.Issuer
	switch *kind {
	case "fake":
		fmt.Fprintln(stderr, "warning: fake TDX attestation proves nothing; use it only for tests and devnet")
		issuer = faketdx.NewIssuer()
	case "tdx":
		i, err := tdx.NewIssuer()
		if err != nil {
			return fmt.Errorf("generating certificate: %w", err)
		}
		issuer = i
	default:
		return usageError{fmt.Sprintf("--tdx must be fake or tdx, not %q", *kind)}
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("generating certificate: %w", err)
	}
	c, err := ratls.NewCertifier(ctx, key, issuer, time.Now, nil)
	if err != nil {
		return fmt.Errorf("generating certificate: %w", err)
	}
	cert, err := c.Certificate(ctx)
	if err != nil {
		return fmt.Errorf("generating certificate: %w", err)
	}
	ev, err := ratls.ParseEvidence(cert.Leaf)
	if err != nil {
		return fmt.Errorf("generating certificate: %w", err)
	}
	m, err := measurementsOf(ev.Quote)
	if err != nil {
		return fmt.Errorf("generating certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("generating certificate: %w", err)
	}
	hash := m.ImageHash()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("generating certificate: %w", err)
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{"key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600},
		{"cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o644},
		{"image_hash", []byte(hex.EncodeToString(hash[:]) + "\n"), 0o644},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(*out, f.name), f.data, f.mode); err != nil {
			return fmt.Errorf("generating certificate: %w", err)
		}
	}
	fmt.Fprintf(stdout, "wrote %s, %s and %s\nimage hash: %x\n", filepath.Join(*out, "cert.pem"), filepath.Join(*out, "key.pem"), filepath.Join(*out, "image_hash"), hash)
	return nil
}

// measurementsOf reads the unverified measurements of a quote: none for
// no quote, zero for a fake quote, parsed for a TDX quote.
func measurementsOf(quote []byte) (attest.Measurements, error) {
	switch len(quote) {
	case 0:
		return attest.Measurements{Kind: attest.KindNone}, nil
	case faketdx.QuoteSize:
		var m attest.Measurements
		m.Kind = attest.KindFakeTDX
		copy(m.ReportData[:], quote)
		return m, nil
	}
	q, err := tdx.ParseQuote(quote)
	if err != nil {
		return attest.Measurements{}, err
	}
	return q.Measurements, nil
}

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("attest inspect", stdout, stderr)
	fs.SetOutput(stderr)
	doVerify := fs.Bool("verify", false, "verify the quote (and, for a certificate, the certificate) and print the verdict")
	fake := fs.Bool("insecure-fake-tdx", false, "verify the reference's fake quotes, which prove nothing, instead of real TDX quotes")
	policySpec := fs.String("policy", "", "policy type[:hash,…] (default: tdx, or fake_tdx with --insecure-fake-tdx)")
	at := fs.String("at", "", "judge validity at this RFC 3339 time instead of now")
	pccs := fs.String("pccs", "", "fetch collateral from this PCCS base URL instead of Intel PCS")
	cacheDir := fs.String("collateral-cache", "", "cache fetched collateral in this directory")
	offlineDir := fs.String("offline-collateral", "", "read collateral only from this directory (written by --collateral-cache)")
	skipCollateral := fs.Bool("insecure-skip-collateral", false, "check only signatures and the PCK chain; the TCB status is then not evaluated")
	allowTCB := fs.String("allow-tcb", "", "comma-separated TCB statuses the policy accepts (default UpToDate only)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() != 1 {
		return usageError{"inspect takes one FILE"}
	}
	raw, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("inspecting: %w", err)
	}
	now := time.Now()
	if *at != "" {
		if now, err = time.Parse(time.RFC3339, *at); err != nil {
			return usageError{fmt.Sprintf("--at: %v", err)}
		}
	}
	cert, quote, err := splitInput(raw)
	if err != nil {
		return fmt.Errorf("inspecting %s: %w", fs.Arg(0), err)
	}
	if cert != nil {
		pub, _ := cert.PublicKey.(ed25519.PublicKey)
		fmt.Fprintf(stdout, "certificate:   serial %x, valid %s to %s\n", cert.SerialNumber, cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
		fmt.Fprintf(stdout, "public key:    %x\n", []byte(pub))
	}
	m, err := measurementsOf(quote)
	if err != nil {
		return fmt.Errorf("inspecting %s: %w", fs.Arg(0), err)
	}
	printMeasurements(stdout, quote, m)
	if !*doVerify {
		return nil
	}

	var validator attest.Validator
	policyName := "tdx"
	if *fake {
		validator, policyName = faketdx.NewValidator(), "fake_tdx"
	} else {
		var opts []tdx.Option
		if *pccs != "" {
			opts = append(opts, tdx.WithPCCS(*pccs))
		}
		if *cacheDir != "" {
			opts = append(opts, tdx.WithCollateralCache(*cacheDir))
		}
		if *offlineDir != "" {
			opts = append(opts, tdx.WithOfflineCollateral(*offlineDir))
		}
		if *skipCollateral {
			opts = append(opts, tdx.InsecureSkipCollateral())
		}
		v, err := tdx.NewValidator(func() time.Time { return now }, opts...)
		if err != nil {
			return fmt.Errorf("inspecting: %w", err)
		}
		validator = v
	}
	if *policySpec != "" {
		policyName = *policySpec
	}
	policy, err := attest.ParsePolicy(policyName)
	if err != nil {
		return usageError{err.Error()}
	}
	if *allowTCB != "" {
		if policy.TCBStatuses, err = attest.ParseTCBStatuses(*allowTCB); err != nil {
			return usageError{err.Error()}
		}
	}
	if cert != nil {
		v, err := ratls.NewVerifier(validator, policy, ratls.WithClock(func() time.Time { return now }), ratls.WithClockSkew(0))
		if err != nil {
			return fmt.Errorf("verifying: %w", err)
		}
		peer, err := v.VerifyCertificates(ctx, []*x509.Certificate{cert})
		if err != nil {
			fmt.Fprintf(stdout, "verdict:       REJECTED: %v\n", err)
			return errors.New("verification failed")
		}
		fmt.Fprintf(stdout, "verdict:       OK (policy %s): peer key %x, image hash %x, TCB %s\n", policy.Name, []byte(peer.PublicKey), peer.ImageHash, statusOf(peer.Measurements))
		return nil
	}
	// A bare quote has no key to bind; it is checked against its own
	// report data.
	vm, err := validator.Validate(ctx, quote, m.ReportData)
	if err != nil {
		fmt.Fprintf(stdout, "verdict:       REJECTED: %v\n", err)
		return errors.New("verification failed")
	}
	fmt.Fprintf(stdout, "quote:         verified (report data not bound to any key), TCB %s, root key id %x\n", statusOf(vm), vm.RootKeyID)
	if err := policy.Check(vm); err != nil {
		fmt.Fprintf(stdout, "verdict:       REJECTED: %v\n", err)
		return errors.New("verification failed")
	}
	fmt.Fprintf(stdout, "verdict:       OK (policy %s)\n", policy.Name)
	return nil
}

func statusOf(m attest.Measurements) string {
	if m.TCBStatus == "" {
		return "n/a"
	}
	return string(m.TCBStatus)
}

// splitInput recognises a PEM or DER certificate, or else takes the bytes
// as a raw quote (a TDX quote starts with its version, never with a DER
// SEQUENCE tag; a fake quote that happens to is not a certificate).
func splitInput(raw []byte) (*x509.Certificate, []byte, error) {
	var cert *x509.Certificate
	switch {
	case bytes.HasPrefix(bytes.TrimSpace(raw), []byte("-----BEGIN")):
		b, _ := pem.Decode(raw)
		if b == nil || b.Type != "CERTIFICATE" {
			return nil, nil, errors.New("PEM input is not a certificate")
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("parsing certificate: %w", err)
		}
		cert = c
	case len(raw) > 0 && raw[0] == 0x30:
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return nil, raw, nil
		}
		cert = c
	default:
		return nil, raw, nil
	}
	ev, err := ratls.ParseEvidence(cert)
	if err != nil {
		return nil, nil, err
	}
	return cert, ev.Quote, nil
}

func printMeasurements(w io.Writer, quote []byte, m attest.Measurements) {
	switch m.Kind {
	case attest.KindNone:
		fmt.Fprintln(w, "quote:         none")
		return
	case attest.KindFakeTDX:
		fmt.Fprintln(w, "quote:         fake TDX (64-byte report data; proves nothing, all measurements zero)")
	case attest.KindTDX:
		q, _ := tdx.ParseQuote(quote)
		fmt.Fprintf(w, "quote:         TDX quote version %d (%d bytes)\n", q.Version, len(quote))
	}
	fmt.Fprintf(w, "MRTD:          %x\n", m.MRTD)
	fmt.Fprintf(w, "MRCONFIGID:    %x\n", m.MRConfigID)
	fmt.Fprintf(w, "MROWNER:       %x\n", m.MROwner)
	fmt.Fprintf(w, "MROWNERCONFIG: %x\n", m.MROwnerConfig)
	for i, r := range m.RTMR {
		fmt.Fprintf(w, "RTMR%d:         %x\n", i, r)
	}
	fmt.Fprintf(w, "report data:   %x\n", m.ReportData)
	h := m.ImageHash()
	fmt.Fprintf(w, "image hash:    %x\n", h)
}

// usageErr passes -h through and marks other flag errors as usage errors.
func usageErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return usageError{err.Error()}
}
