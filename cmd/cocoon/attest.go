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
	"strings"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/fakesevsnp"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/attest/sevsnp"
	"github.com/cocoon-go/cocoon/internal/attest/tdx"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/trust"
)

func init() {
	commands["attest"] = command{summary: "generate RA-TLS certificates and inspect or verify TDX quotes and SEV-SNP reports", run: runAttest}
}

const attestUsage = `Usage:
  cocoon attest gen-cert --tee tdx|sev-snp|fake-tdx|fake-sev-snp --out DIR
  cocoon attest inspect [--verify [flags]] FILE

FILE is a PEM (or DER) RA-TLS certificate, a raw TDX quote or raw SEV-SNP
evidence (a report, optionally followed by its certificate table).
gen-cert's older spelling --tdx fake|tdx still works.`

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
	tee := fs.String("tee", "", "attestation: tdx or sev-snp (real, from configfs-tsm), fake-tdx or fake-sev-snp (fake, which proves nothing)")
	kind := fs.String("tdx", "", "older spelling of --tee: tdx or fake (fake-tdx)")
	out := fs.String("out", "", "directory for cert.pem, key.pem and image_hash")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() != 0 || *out == "" || (*tee == "") == (*kind == "") {
		return usageError{"gen-cert takes one of --tee and --tdx, and --out, and no arguments"}
	}
	if *kind != "" {
		switch *kind {
		case "fake":
			*tee = "fake-tdx"
		case "tdx":
			*tee = "tdx"
		default:
			return usageError{fmt.Sprintf("--tdx must be fake or tdx, not %q", *kind)}
		}
	}
	var issuer attest.Issuer
	switch *tee {
	case "fake-tdx":
		fmt.Fprintln(stderr, "warning: fake TDX attestation proves nothing; use it only for tests and devnet")
		issuer = faketdx.NewIssuer()
	case "fake-sev-snp":
		fmt.Fprintln(stderr, "warning: fake SEV-SNP attestation proves nothing; use it only for tests and devnet")
		issuer = fakesevsnp.NewIssuer()
	case "tdx":
		i, err := tdx.NewIssuer()
		if err != nil {
			return fmt.Errorf("generating certificate: %w", err)
		}
		issuer = i
	case "sev-snp":
		i, err := sevsnp.NewIssuer()
		if err != nil {
			return fmt.Errorf("generating certificate: %w", err)
		}
		issuer = i
	default:
		return usageError{fmt.Sprintf("--tee must be tdx, sev-snp, fake-tdx or fake-sev-snp, not %q", *tee)}
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
	m, err := measurementsOf(ev)
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

// measurementsOf reads the unverified measurements of a certificate's
// evidence: none for no evidence, zero for fake evidence, parsed for a TDX
// quote or SEV-SNP evidence.
func measurementsOf(ev ratls.Evidence) (attest.Measurements, error) {
	switch {
	case ev.SEVSNP != nil && len(ev.SEVSNP) == fakesevsnp.EvidenceSize:
		m := attest.Measurements{Kind: attest.KindFakeSEVSNP}
		copy(m.ReportData[:], ev.SEVSNP)
		return m, nil
	case ev.SEVSNP != nil:
		e, err := sevsnp.ParseEvidence(ev.SEVSNP)
		if err != nil {
			return attest.Measurements{}, err
		}
		return e.Measurements(""), nil
	}
	switch len(ev.Quote) {
	case 0:
		return attest.Measurements{Kind: attest.KindNone}, nil
	case faketdx.QuoteSize:
		var m attest.Measurements
		m.Kind = attest.KindFakeTDX
		copy(m.ReportData[:], ev.Quote)
		return m, nil
	}
	q, err := tdx.ParseQuote(ev.Quote)
	if err != nil {
		return attest.Measurements{}, err
	}
	return q.Measurements, nil
}

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("attest inspect", stdout, stderr)
	fs.SetOutput(stderr)
	doVerify := fs.Bool("verify", false, "verify the evidence (and, for a certificate, the certificate) and print the verdict")
	fake := fs.Bool("insecure-fake-tdx", false, "verify the reference's fake quotes, which prove nothing, instead of real TDX quotes")
	fakeSNP := fs.Bool("insecure-fake-sev-snp", false, "verify fake SEV-SNP evidence, which proves nothing, instead of real SEV-SNP reports (a raw 64-byte FILE is then fake SEV-SNP evidence)")
	policySpec := fs.String("policy", "", "policy type[:hash,…] (default: tdx, sev_snp, fake_tdx or fake_sev_snp, after the evidence)")
	at := fs.String("at", "", "judge validity at this RFC 3339 time instead of now")
	pccs := fs.String("pccs", "", "TDX: fetch collateral from this PCCS base URL instead of Intel PCS")
	cacheDir := fs.String("collateral-cache", "", "TDX: cache fetched collateral in this directory")
	offlineDir := fs.String("offline-collateral", "", "TDX: read collateral only from this directory (written by --collateral-cache)")
	skipCollateral := fs.Bool("insecure-skip-collateral", false, "TDX: check only signatures and the PCK chain; the TCB status is then not evaluated")
	allowTCB := fs.String("allow-tcb", "", "TDX: comma-separated TCB statuses the policy accepts (default UpToDate only)")
	kdsURL := fs.String("kds", "", "SEV-SNP: fetch VCEKs and CRLs from this base URL (serving AMD KDS's paths) instead of AMD's KDS")
	kdsCache := fs.String("kds-cache", "", "SEV-SNP: cache fetched VCEKs and CRLs in this directory")
	offlineKDS := fs.String("offline-kds", "", "SEV-SNP: read VCEKs and CRLs only from this directory (written by --kds-cache)")
	skipCRL := fs.Bool("insecure-skip-crl", false, "SEV-SNP: do not consult AMD's CRL, so that revoked keys go unnoticed")
	allowDebug := fs.Bool("insecure-allow-debug", false, "SEV-SNP: accept a guest whose policy lets the host debug it (for inspecting test reports)")
	minTCB := fs.String("snp-min-tcb", "", "SEV-SNP: lowest reported TCB the policy accepts, e.g. bl=3,tee=0,snp=8,ucode=115")
	rootf := newRootFlags(fs)
	peerKind := fs.String("peer", "proxy", "with a root, the list the image must be in: proxy (proxy_hashes) or worker (worker_hashes)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	peers := trust.Proxies
	switch *peerKind {
	case "proxy":
	case "worker":
		peers = trust.Workers
	default:
		return usageError{fmt.Sprintf("--peer %q: want proxy or worker", *peerKind)}
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
	cert, ev, err := splitInput(raw, *fakeSNP)
	if err != nil {
		return fmt.Errorf("inspecting %s: %w", fs.Arg(0), err)
	}
	if cert != nil {
		pub, _ := cert.PublicKey.(ed25519.PublicKey)
		fmt.Fprintf(stdout, "certificate:   serial %x, valid %s to %s\n", cert.SerialNumber, cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
		fmt.Fprintf(stdout, "public key:    %x\n", []byte(pub))
	}
	m, err := measurementsOf(ev)
	if err != nil {
		return fmt.Errorf("inspecting %s: %w", fs.Arg(0), err)
	}
	printMeasurements(stdout, ev, m)
	if !*doVerify {
		return nil
	}

	clock := func() time.Time { return now }
	var validator, snpValidator attest.Validator
	if *fake {
		validator = faketdx.NewValidator()
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
		v, err := tdx.NewValidator(clock, opts...)
		if err != nil {
			return fmt.Errorf("inspecting: %w", err)
		}
		validator = v
	}
	if *fakeSNP {
		snpValidator = fakesevsnp.NewValidator()
	} else {
		var opts []sevsnp.Option
		for _, o := range []struct {
			set bool
			opt sevsnp.Option
		}{
			{*kdsURL != "", sevsnp.WithKDS(*kdsURL)}, {*kdsCache != "", sevsnp.WithKDSCache(*kdsCache)},
			{*offlineKDS != "", sevsnp.WithOfflineKDS(*offlineKDS)}, {*skipCRL, sevsnp.InsecureSkipCRL()},
			{*allowDebug, sevsnp.InsecureAllowDebug()},
		} {
			if o.set {
				opts = append(opts, o.opt)
			}
		}
		v, err := sevsnp.NewValidator(clock, opts...)
		if err != nil {
			return fmt.Errorf("inspecting: %w", err)
		}
		snpValidator = v
	}
	policyName := *policySpec
	if policyName == "" {
		policyName = map[bool]map[bool]string{false: {false: "tdx", true: "fake_tdx"}, true: {false: "sev_snp", true: "fake_sev_snp"}}[ev.SEVSNP != nil][*fake || *fakeSNP]
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
	if *minTCB != "" {
		if policy.SNPMinTCB, err = attest.ParseSNPTCB(*minTCB); err != nil {
			return usageError{err.Error()}
		}
	}
	log, _ := obs.NewLogger(stderr, "text", "warn")
	lists, err := rootf.lists(ctx, log)
	if err != nil {
		return err
	}
	if cert != nil {
		v, err := ratls.NewVerifier(validator, policy, ratls.WithSEVSNP(snpValidator), ratls.WithClock(clock), ratls.WithClockSkew(0))
		if err != nil {
			return fmt.Errorf("verifying: %w", err)
		}
		if lists != nil {
			printRoot(stdout, lists, now)
			if err := bindRoot(v, lists, peers); err != nil {
				return err
			}
		}
		peer, err := v.VerifyCertificates(ctx, []*x509.Certificate{cert})
		return printVerdict(stdout, policy.Name, peer, err)
	}
	if lists != nil {
		return usageError{"--root judges a certificate; bare evidence binds no key"}
	}
	// Bare evidence has no key to bind; it is checked against its own
	// report data.
	quote := ev.Quote
	if ev.SEVSNP != nil {
		validator, quote = snpValidator, ev.SEVSNP
	}
	vm, err := validator.Validate(ctx, quote, m.ReportData)
	if err != nil {
		fmt.Fprintf(stdout, "verdict:       REJECTED: %v\n", err)
		return errors.New("verification failed")
	}
	what := "quote:        "
	if ev.SEVSNP != nil {
		what = "report:       "
	}
	fmt.Fprintf(stdout, "%s verified (report data not bound to any key), TCB %s, root key id %x\n", what, statusOf(vm), vm.RootKeyID)
	if err := policy.Check(vm); err != nil {
		fmt.Fprintf(stdout, "verdict:       REJECTED: %v\n", err)
		return errors.New("verification failed")
	}
	h := vm.ImageHash()
	fmt.Fprintf(stdout, "verdict:       OK (policy %s): image hash %x\n", policy.Name, h)
	return nil
}

func statusOf(m attest.Measurements) string {
	switch {
	case m.Kind.IsSEVSNP() && m.Kind != attest.KindFakeSEVSNP:
		return m.SNP.ReportedTCB.String()
	case m.TCBStatus == "":
		return "n/a"
	}
	return string(m.TCBStatus)
}

// splitInput recognises a PEM or DER certificate, or else takes the bytes
// as raw evidence: SEV-SNP evidence when they start as a report does
// (a 32-bit version of 2 to 5; a TDX quote's 16-bit version is followed by
// its attestation key type, never zero), or a fake SEV-SNP one when
// fakeSNP; otherwise a TDX quote, real or fake. A TDX quote never starts
// with a DER SEQUENCE tag; a fake quote that happens to is not a
// certificate.
func splitInput(raw []byte, fakeSNP bool) (*x509.Certificate, ratls.Evidence, error) {
	var cert *x509.Certificate
	switch {
	case bytes.HasPrefix(bytes.TrimSpace(raw), []byte("-----BEGIN")):
		b, _ := pem.Decode(raw)
		if b == nil || b.Type != "CERTIFICATE" {
			return nil, ratls.Evidence{}, errors.New("PEM input is not a certificate")
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, ratls.Evidence{}, fmt.Errorf("parsing certificate: %w", err)
		}
		cert = c
	case len(raw) > 0 && raw[0] == 0x30:
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return nil, rawEvidence(raw, fakeSNP), nil
		}
		cert = c
	default:
		return nil, rawEvidence(raw, fakeSNP), nil
	}
	ev, err := ratls.ParseEvidence(cert)
	if err != nil {
		return nil, ratls.Evidence{}, err
	}
	return cert, ev, nil
}

func rawEvidence(raw []byte, fakeSNP bool) ratls.Evidence {
	isReport := len(raw) >= sevsnp.ReportSize && raw[0] >= 2 && raw[0] <= 5 && raw[1] == 0 && raw[2] == 0 && raw[3] == 0
	if isReport || (fakeSNP && len(raw) == fakesevsnp.EvidenceSize) {
		return ratls.Evidence{SEVSNP: raw}
	}
	return ratls.Evidence{Quote: raw}
}

func printMeasurements(w io.Writer, ev ratls.Evidence, m attest.Measurements) {
	switch m.Kind {
	case attest.KindNone:
		fmt.Fprintln(w, "quote:         none")
		return
	case attest.KindFakeTDX:
		fmt.Fprintln(w, "quote:         fake TDX (64-byte report data; proves nothing, all measurements zero)")
	case attest.KindTDX:
		q, _ := tdx.ParseQuote(ev.Quote)
		fmt.Fprintf(w, "quote:         TDX quote version %d (%d bytes)\n", q.Version, len(ev.Quote))
	case attest.KindFakeSEVSNP:
		fmt.Fprintln(w, "evidence:      fake SEV-SNP (64-byte report data; proves nothing, all measurements zero)")
	case attest.KindSEVSNP:
		printSNP(w, ev.SEVSNP, m)
		return
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

func printSNP(w io.Writer, raw []byte, m attest.Measurements) {
	e, _ := sevsnp.ParseEvidence(raw)
	var certs []string
	for _, c := range []struct {
		name string
		der  []byte
	}{{"VCEK", e.Certs.VCEK}, {"VLEK", e.Certs.VLEK}, {"ASK", e.Certs.ASK}, {"ARK", e.Certs.ARK}} {
		if c.der != nil {
			certs = append(certs, c.name)
		}
	}
	if certs == nil {
		certs = []string{"none"}
	}
	s := m.SNP
	product := s.Product
	if product == "" {
		product = "not named (version 2 report; its VCEK names it)"
	}
	fmt.Fprintf(w, "evidence:      AMD SEV-SNP report version %d (%d bytes; certificates: %s)\n", e.Version(), len(raw), strings.Join(certs, ", "))
	fmt.Fprintf(w, "product:       %s, signed by %s\n", product, s.Signer)
	fmt.Fprintf(w, "measurement:   %x\n", s.Measurement)
	fmt.Fprintf(w, "host data:     %x\n", s.HostData)
	fmt.Fprintf(w, "ID key:        %x\n", s.IDKeyDigest)
	fmt.Fprintf(w, "author key:    %x\n", s.AuthorKeyDigest)
	fmt.Fprintf(w, "family id:     %x\n", s.FamilyID)
	fmt.Fprintf(w, "image id:      %x\n", s.ImageID)
	fmt.Fprintf(w, "VMPL:          %d\n", s.VMPL)
	fmt.Fprintf(w, "guest SVN:     %d\n", s.GuestSVN)
	fmt.Fprintf(w, "guest policy:  %#x\n", s.Policy)
	fmt.Fprintf(w, "reported TCB:  %s\n", s.ReportedTCB)
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
