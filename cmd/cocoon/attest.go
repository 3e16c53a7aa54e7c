package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/evidence"
	"github.com/cocoon-go/cocoon/internal/node"
	"github.com/cocoon-go/cocoon/internal/obs"
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
			*tee = node.TEEFakeTDX
		case "tdx":
			*tee = node.TEETDX
		default:
			return usageError{fmt.Sprintf("--tdx must be fake or tdx, not %q", *kind)}
		}
	}
	a := node.Attestation{TEE: *tee, InsecureFakeTDX: true, InsecureFakeSEVSNP: true}
	if err := a.Check(); err != nil {
		return usageError{err.Error()}
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
	fs.StringVar(&in.SNPMinABI, "snp-min-abi", "", "SEV-SNP: refuse a guest whose policy allows firmware older than this ABI, MAJOR.MINOR such as 1.51")
	minTCB := fs.String("snp-min-tcb", "", "SEV-SNP: lowest reported TCB the policy accepts, e.g. bl=3,tee=0,snp=8,ucode=115")
	rootf := newRootFlags(fs)
	peerKind := fs.String("peer", "proxy", "with a root, the list the image must be in: proxy (proxy_hashes) or worker (worker_hashes)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	switch in.Peers = trust.Proxies; *peerKind {
	case "proxy":
	case "worker":
		in.Peers = trust.Workers
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
	if *at != "" {
		if in.At, err = time.Parse(time.RFC3339, *at); err != nil {
			return usageError{fmt.Sprintf("--at: %v", err)}
		}
	}
	if *policySpec != "" {
		if in.Policy, err = attest.ParsePolicy(*policySpec); err != nil {
			return usageError{err.Error()}
		}
	}
	if *allowTCB != "" {
		if in.Policy.TCBStatuses, err = attest.ParseTCBStatuses(*allowTCB); err != nil {
			return usageError{err.Error()}
		}
	}
	if *minTCB != "" {
		if in.Policy.SNPMinTCB, err = attest.ParseSNPTCB(*minTCB); err != nil {
			return usageError{err.Error()}
		}
	}
	if in.Verify {
		log, _ := obs.NewLogger(stderr, "text", "warn")
		if in.Root, err = rootf.lists(ctx, log); err != nil {
			return err
		}
	}
	return misuse(evidence.Inspect(ctx, stdout, fs.Arg(0), raw, in))
}

// misuse reports evidence's Misuse, a mistake in what was asked, as a
// usage error.
func misuse(err error) error {
	var m evidence.Misuse
	if errors.As(err, &m) {
		return usageError{err.Error()}
	}
	return err
}

// rootFlags name a root contract whose lists a verdict applies, as a role
// on that chain applies them: its chain and its address.
type rootFlags struct {
	state, tonConfig, root *string
}

func newRootFlags(fs *flag.FlagSet) rootFlags {
	return rootFlags{
		state:     fs.String("chain-state", "", "judge by the root of the emulated chain kept in this state `file` (a devnet's)"),
		tonConfig: fs.String("ton-config", "", "judge by the root on real TON, through the liteservers of this global config `file`"),
		root:      fs.String("root", "", "`address` of the COCOON root contract whose lists the verdict applies"),
	}
}

// lists reads the root's lists; nil when no root is named.
func (f rootFlags) lists(ctx context.Context, log *slog.Logger) (*trust.Lists, error) {
	switch {
	case *f.state == "" && *f.tonConfig == "" && *f.root == "":
		return nil, nil
	case *f.root == "":
		return nil, usageError{"--chain-state and --ton-config need --root ADDRESS"}
	case *f.state == "" && *f.tonConfig == "":
		return nil, usageError{"--root needs a chain: --chain-state FILE or --ton-config FILE"}
	}
	l, err := node.ReadRootLists(ctx, *f.state, *f.tonConfig, *f.root, log)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// usageErr passes -h through and marks other flag errors as usage errors.
func usageErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return usageError{err.Error()}
}
