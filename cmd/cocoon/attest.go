package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/cocoon-go/cocoon/internal/attest/evidence"
	"github.com/cocoon-go/cocoon/internal/cli"
	"github.com/cocoon-go/cocoon/internal/node"
	"github.com/cocoon-go/cocoon/internal/obs"
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
	return cli.Group(ctx, "attest", attestUsage, ": gen-cert or inspect", map[string]cli.Command{"gen-cert": runGenCert, "inspect": runInspect}, args, stdout, stderr)
}

func runGenCert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("attest gen-cert", stdout, stderr)
	tee := fs.String("tee", "", "attestation: tdx or sev-snp (real, from configfs-tsm), fake-tdx or fake-sev-snp (fake, which proves nothing)")
	kind := fs.String("tdx", "", "older spelling of --tee: tdx or fake (fake-tdx)")
	out := fs.String("out", "", "directory for cert.pem, key.pem and image_hash")
	if err := fs.Parse(args); err != nil {
		return cli.FlagError(err)
	}
	if fs.NArg() != 0 || *out == "" || (*tee == "") == (*kind == "") {
		return cli.UsageError{Msg: "gen-cert takes one of --tee and --tdx, and --out, and no arguments"}
	}
	if *kind != "" {
		switch *kind {
		case "fake":
			*tee = node.TEEFakeTDX
		case "tdx":
			*tee = node.TEETDX
		default:
			return cli.Usagef("--tdx must be fake or tdx, not %q", *kind)
		}
	}
	a := node.Attestation{TEE: *tee, InsecureFakeTDX: true, InsecureFakeSEVSNP: true}
	if err := a.Check(); err != nil {
		return cli.UsageError{Msg: err.Error()}
	}
	switch *tee {
	case node.TEEFakeTDX:
		fmt.Fprintln(stderr, "warning: fake TDX attestation proves nothing; use it only for tests and devnet")
	case node.TEEFakeSEVSNP:
		fmt.Fprintln(stderr, "warning: fake SEV-SNP attestation proves nothing; use it only for tests and devnet")
	}
	issuer, err := a.Issuer(slog.New(slog.DiscardHandler))
	if err != nil {
		return fmt.Errorf("generating certificate: %w", err)
	}
	hash, err := evidence.WriteCert(ctx, issuer, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s, %s and %s\nimage hash: %x\n", filepath.Join(*out, "cert.pem"), filepath.Join(*out, "key.pem"), filepath.Join(*out, "image_hash"), hash)
	return nil
}

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("attest inspect", stdout, stderr)
	var in evidence.Inspection
	fs.BoolVar(&in.Verify, "verify", false, "verify the evidence (and, for a certificate, the certificate) and print the verdict")
	fs.BoolVar(&in.InsecureFakeTDX, "insecure-fake-tdx", false, "verify the reference's fake quotes, which prove nothing, instead of real TDX quotes")
	fs.BoolVar(&in.InsecureFakeSEVSNP, "insecure-fake-sev-snp", false, "verify fake SEV-SNP evidence, which proves nothing, instead of real SEV-SNP reports (a raw 64-byte FILE is then fake SEV-SNP evidence)")
	policySpec := fs.String("policy", "", "policy type[:hash,…] (default: tdx, sev_snp, fake_tdx or fake_sev_snp, after the evidence)")
	at := fs.String("at", "", "judge validity at this RFC 3339 time instead of now")
	fs.StringVar(&in.PCCS, "pccs", "", "TDX: fetch collateral from this PCCS base URL instead of Intel PCS")
	fs.StringVar(&in.CollateralCache, "collateral-cache", "", "TDX: cache fetched collateral in this directory")
	fs.StringVar(&in.OfflineCollateral, "offline-collateral", "", "TDX: read collateral only from this directory (written by --collateral-cache)")
	fs.BoolVar(&in.InsecureSkipCollateral, "insecure-skip-collateral", false, "TDX: check only signatures and the PCK chain; the TCB status is then not evaluated")
	allowTCB := fs.String("allow-tcb", "", "TDX: comma-separated TCB statuses the policy accepts (default UpToDate only)")
	fs.StringVar(&in.KDS, "kds", "", "SEV-SNP: fetch VCEKs and CRLs from this base URL (serving AMD KDS's paths) instead of AMD's KDS")
	fs.StringVar(&in.KDSCache, "kds-cache", "", "SEV-SNP: cache fetched VCEKs and CRLs in this directory")
	fs.StringVar(&in.OfflineKDS, "offline-kds", "", "SEV-SNP: read VCEKs and CRLs only from this directory (written by --kds-cache)")
	fs.BoolVar(&in.InsecureSkipCRL, "insecure-skip-crl", false, "SEV-SNP: do not consult AMD's CRL, so that revoked keys go unnoticed")
	fs.BoolVar(&in.InsecureAllowDebug, "insecure-allow-debug", false, "SEV-SNP: accept a guest whose policy lets the host debug it (for inspecting test reports)")
	fs.BoolVar(&in.AllowMigrationAgent, "snp-allow-migration-agent", false, "SEV-SNP: accept a guest whose policy allows a migration agent, which can move it and its memory to another host")
	fs.StringVar(&in.SNPMinABI, "snp-min-abi", "", "SEV-SNP: refuse a guest whose policy allows firmware older than this ABI, `MAJOR.MINOR` such as 1.51")
	minTCB := fs.String("snp-min-tcb", "", "SEV-SNP: lowest reported TCB the policy accepts, e.g. bl=3,tee=0,snp=8,ucode=115")
	rootf := cli.NewRootLists(fs)
	peerKind := fs.String("peer", "proxy", "with a root, the list the image must be in: proxy (proxy_hashes) or worker (worker_hashes)")
	if err := fs.Parse(args); err != nil {
		return cli.FlagError(err)
	}
	if err := in.SetFlags(*policySpec, *at, *allowTCB, *minTCB, *peerKind); err != nil {
		return cli.Misuse(err)
	}
	if fs.NArg() != 1 {
		return cli.UsageError{Msg: "inspect takes one FILE"}
	}
	raw, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("inspecting: %w", err)
	}
	if in.Verify {
		log, _ := obs.NewLogger(stderr, "text", "warn")
		if in.Root, err = rootf.Read(ctx, log); err != nil {
			return err
		}
	}
	return cli.Misuse(evidence.Inspect(ctx, stdout, fs.Arg(0), raw, in))
}
