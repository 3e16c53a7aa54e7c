package evidence

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/fakesevsnp"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/attest/sevsnp"
	"github.com/cocoon-go/cocoon/internal/attest/tdx"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/trust"
)

// WriteCert generates an RA-TLS certificate for a fresh key, attested by
// issuer, and writes into dir cert.pem, key.pem (readable by the owner
// only) and image_hash, the hex image hash of its evidence, which it
// returns.
func WriteCert(ctx context.Context, issuer attest.Issuer, dir string) ([32]byte, error) {
	hash, files, err := newCert(ctx, issuer)
	if err != nil {
		return [32]byte{}, fmt.Errorf("generating certificate: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return [32]byte{}, fmt.Errorf("generating certificate: %w", err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return [32]byte{}, fmt.Errorf("generating certificate: %w", err)
		}
	}
	return hash, nil
}

type certFile struct {
	name string
	data []byte
	mode os.FileMode
}

func newCert(ctx context.Context, issuer attest.Issuer) ([32]byte, []certFile, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return [32]byte{}, nil, err
	}
	c, err := ratls.NewCertifier(ctx, key, issuer, time.Now, nil)
	if err != nil {
		return [32]byte{}, nil, err
	}
	cert, err := c.Certificate(ctx)
	if err != nil {
		return [32]byte{}, nil, err
	}
	ev, err := ratls.ParseEvidence(cert.Leaf)
	if err != nil {
		return [32]byte{}, nil, err
	}
	m, err := Measurements(ev)
	if err != nil {
		return [32]byte{}, nil, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return [32]byte{}, nil, err
	}
	hash := m.ImageHash()
	return hash, []certFile{
		{"key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600},
		{"cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o644},
		{"image_hash", []byte(hex.EncodeToString(hash[:]) + "\n"), 0o644},
	}, nil
}

// Inspection says how Inspect judges evidence.
type Inspection struct {
	// Verify verifies the evidence (and a certificate) and prints the
	// verdict; without it Inspect only prints.
	Verify bool
	// InsecureFakeTDX and InsecureFakeSEVSNP verify fake evidence of each
	// TEE, which proves nothing, instead of real evidence; the second also
	// reads a raw 64-byte input as fake SEV-SNP evidence.
	InsecureFakeTDX, InsecureFakeSEVSNP bool
	// Policy is what the evidence must meet; its zero value (no Name)
	// means tdx, sev_snp, fake_tdx or fake_sev_snp, after the evidence.
	Policy attest.Policy
	// At is when validity is judged; zero means now.
	At time.Time
	// The real TDX validator's collateral: fetched from the PCCS at
	// PCCS instead of Intel PCS, cached in CollateralCache, read only from
	// OfflineCollateral; InsecureSkipCollateral checks only signatures and
	// the PCK chain, leaving the TCB status unevaluated.
	PCCS, CollateralCache, OfflineCollateral string
	InsecureSkipCollateral                   bool
	// The real SEV-SNP validator's VCEKs and CRLs: fetched from KDS
	// instead of AMD's, cached in KDSCache, read only from OfflineKDS;
	// InsecureSkipCRL consults no CRL, InsecureAllowDebug accepts a guest
	// the host may debug. AllowMigrationAgent accepts a guest whose
	// policy allows a migration agent; SNPMinABI ("MAJOR.MINOR") refuses
	// one whose policy allows firmware older than that ABI.
	KDS, KDSCache, OfflineKDS, SNPMinABI                     string
	InsecureSkipCRL, InsecureAllowDebug, AllowMigrationAgent bool
	// Root, if set, is the root whose list of Peers a certificate's image
	// must be in, as a role on that chain judges it.
	Root  *trust.Lists
	Peers trust.Peers
}

// SetFlags reads what the command line gives in words: policy, "type[:hash,…]"
// (default: tdx, sev_snp, fake_tdx or fake_sev_snp, after the evidence);
// at, an RFC 3339 time; allowTCB, the TDX TCB statuses the policy
// accepts; snpMinTCB, the lowest SEV-SNP TCB it accepts; peer, the list
// of a root the image must be in: proxy or worker. Each is left as it is
// when empty; a word that does not read is a Misuse.
func (in *Inspection) SetFlags(policy, at, allowTCB, snpMinTCB, peer string) error {
	var err error
	switch in.Peers = trust.Proxies; peer {
	case "proxy":
	case "worker":
		in.Peers = trust.Workers
	default:
		return Misuse{fmt.Errorf("--peer %q: want proxy or worker", peer)}
	}
	if at != "" {
		if in.At, err = time.Parse(time.RFC3339, at); err != nil {
			return Misuse{fmt.Errorf("--at: %w", err)}
		}
	}
	if policy != "" {
		if in.Policy, err = attest.ParsePolicy(policy); err != nil {
			return Misuse{err}
		}
	}
	if allowTCB != "" {
		if in.Policy.TCBStatuses, err = attest.ParseTCBStatuses(allowTCB); err != nil {
			return Misuse{err}
		}
	}
	if snpMinTCB != "" {
		if in.Policy.SNPMinTCB, err = attest.ParseSNPTCB(snpMinTCB); err != nil {
			return Misuse{err}
		}
	}
	return nil
}

// Inspect prints what raw (a certificate or bare evidence) carries and,
// when asked, verifies it and prints the verdict; a rejection returns
// ErrRejected. name names raw in errors.
func Inspect(ctx context.Context, w io.Writer, name string, raw []byte, in Inspection) error {
	now := in.At
	if now.IsZero() {
		now = time.Now()
	}
	cert, ev, err := Split(raw, in.InsecureFakeSEVSNP)
	if err != nil {
		return fmt.Errorf("inspecting %s: %w", name, err)
	}
	if cert != nil {
		pub, _ := cert.PublicKey.(ed25519.PublicKey)
		fmt.Fprintf(w, "certificate:   serial %x, valid %s to %s\n", cert.SerialNumber, cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
		fmt.Fprintf(w, "public key:    %x\n", []byte(pub))
	}
	m, err := Measurements(ev)
	if err != nil {
		return fmt.Errorf("inspecting %s: %w", name, err)
	}
	Print(w, ev, m)
	if !in.Verify {
		return nil
	}
	clock := func() time.Time { return now }
	var validator, snpValidator attest.Validator
	if in.InsecureFakeTDX {
		validator = faketdx.NewValidator()
	} else if validator, err = tdx.NewValidator(clock, in.tdxOptions()...); err != nil {
		return fmt.Errorf("inspecting: %w", err)
	}
	snpOptions, err := in.sevsnpOptions()
	if err != nil {
		return err
	}
	if in.InsecureFakeSEVSNP {
		snpValidator = fakesevsnp.NewValidator()
	} else if snpValidator, err = sevsnp.NewValidator(clock, snpOptions...); err != nil {
		return fmt.Errorf("inspecting: %w", err)
	}
	policy := in.Policy
	if policy.Name == "" {
		name := map[bool]map[bool]string{false: {false: "tdx", true: "fake_tdx"}, true: {false: "sev_snp", true: "fake_sev_snp"}}[ev.SEVSNP != nil][in.InsecureFakeTDX || in.InsecureFakeSEVSNP]
		if policy, err = attest.ParsePolicy(name); err != nil {
			return err
		}
		policy.TCBStatuses, policy.SNPMinTCB = in.Policy.TCBStatuses, in.Policy.SNPMinTCB
	}
	if cert != nil {
		v, err := ratls.NewVerifier(validator, policy, ratls.WithSEVSNP(snpValidator), ratls.WithClock(clock), ratls.WithClockSkew(0))
		if err != nil {
			return fmt.Errorf("verifying: %w", err)
		}
		if in.Root != nil {
			PrintRoot(w, in.Root, now)
			if err := BindRoot(v, in.Root, in.Peers); err != nil {
				return err
			}
		}
		peer, err := v.VerifyCertificates(ctx, []*x509.Certificate{cert})
		return PrintVerdict(w, policy.Name, peer, err)
	}
	if in.Root != nil {
		return Misuse{errors.New("--root judges a certificate; bare evidence binds no key")}
	}
	// Bare evidence has no key to bind; it is checked against its own
	// report data.
	quote := ev.Quote
	if ev.SEVSNP != nil {
		validator, quote = snpValidator, ev.SEVSNP
	}
	vm, err := validator.Validate(ctx, quote, m.ReportData)
	if err != nil {
		fmt.Fprintf(w, "verdict:       REJECTED: %v\n", err)
		return ErrRejected
	}
	what := "quote:        "
	if ev.SEVSNP != nil {
		what = "report:       "
	}
	fmt.Fprintf(w, "%s verified (report data not bound to any key), TCB %s, root key id %x\n", what, Status(vm), vm.RootKeyID)
	if err := policy.Check(vm); err != nil {
		fmt.Fprintf(w, "verdict:       REJECTED: %v\n", err)
		return ErrRejected
	}
	h := vm.ImageHash()
	fmt.Fprintf(w, "verdict:       OK (policy %s): image hash %x\n", policy.Name, h)
	return nil
}

// option is a validator's option, chosen when set.
type option[O any] struct {
	set bool
	opt O
}

// chosen returns the options that are set, in order.
func chosen[O any](options []option[O]) []O {
	var opts []O
	for _, o := range options {
		if o.set {
			opts = append(opts, o.opt)
		}
	}
	return opts
}

func (in Inspection) tdxOptions() []tdx.Option {
	return chosen([]option[tdx.Option]{
		{in.PCCS != "", tdx.WithPCCS(in.PCCS)}, {in.CollateralCache != "", tdx.WithCollateralCache(in.CollateralCache)},
		{in.OfflineCollateral != "", tdx.WithOfflineCollateral(in.OfflineCollateral)}, {in.InsecureSkipCollateral, tdx.InsecureSkipCollateral()},
	})
}

func (in Inspection) sevsnpOptions() ([]sevsnp.Option, error) {
	var major, minor uint8
	if in.SNPMinABI != "" {
		if _, err := fmt.Sscanf(in.SNPMinABI, "%d.%d", &major, &minor); err != nil || fmt.Sprintf("%d.%d", major, minor) != in.SNPMinABI {
			return nil, Misuse{fmt.Errorf("SEV-SNP minimum ABI %q: want MAJOR.MINOR, each 0 to 255, such as 1.51", in.SNPMinABI)}
		}
	}
	return chosen([]option[sevsnp.Option]{
		{in.KDS != "", sevsnp.WithKDS(in.KDS)}, {in.KDSCache != "", sevsnp.WithKDSCache(in.KDSCache)},
		{in.OfflineKDS != "", sevsnp.WithOfflineKDS(in.OfflineKDS)}, {in.InsecureSkipCRL, sevsnp.InsecureSkipCRL()},
		{in.InsecureAllowDebug, sevsnp.InsecureAllowDebug()}, {in.AllowMigrationAgent, sevsnp.AllowMigrationAgent()},
		{in.SNPMinABI != "", sevsnp.WithMinimumABI(major, minor)},
	}), nil
}
