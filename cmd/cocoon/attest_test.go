package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

// referenceImageHash is SHA-256 over the reference quote's MRTD,
// MRCONFIGID, MROWNER, MROWNERCONFIG, RTMR0-3 and 64 zero bytes.
const referenceImageHash = "04b3afd931d28680af91a15b09d672c40ad6b141f7f9089a8d67d595220f7436"

// pemBlock reads the PEM file at path and returns its first block's bytes.
func pemBlock(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s holds no PEM block", path)
	}
	return block.Bytes
}

func TestAttestInspectReferenceQuote(t *testing.T) {
	path := sharedtest.Path(t, "testdata/tdx/quote.dat")
	out, err := runCmd(t, "attest", "inspect", path)
	if err != nil {
		t.Fatalf("inspect: %v\n%s", err, out)
	}
	for _, want := range []string{"TDX quote version 4", "MRTD:          7357a10d", "image hash:    " + referenceImageHash} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestAttestVerifyReferenceQuoteWithoutCollateral(t *testing.T) {
	path := sharedtest.Path(t, "testdata/tdx/quote.dat")
	out, err := runCmd(t, "attest", "inspect", "--verify", "--at", "2025-12-01T00:00:00Z", "--insecure-skip-collateral", path)
	if err == nil {
		t.Fatalf("got success, want policy tdx to reject an unevaluated TCB:\n%s", out)
	}
	for _, want := range []string{"verified (report data not bound to any key), TCB NotEvaluated", "46e403bd", "REJECTED"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, err = runCmd(t, "attest", "inspect", "--verify", "--at", "2025-12-01T00:00:00Z", "--insecure-skip-collateral", "--allow-tcb", "NotEvaluated", path)
	if err != nil || !strings.Contains(out, "verdict:       OK (policy tdx)") {
		t.Errorf("tolerating an unevaluated TCB: got %v, want OK:\n%s", err, out)
	}
	out, err = runCmd(t, "attest", "inspect", "--verify", "--offline-collateral", t.TempDir(), path)
	if err == nil || !strings.Contains(out, "collateral unavailable") {
		t.Errorf("without collateral: got %v, want rejection for unavailable collateral:\n%s", err, out)
	}
}

func TestAttestGenCertFake(t *testing.T) {
	dir := t.TempDir()
	out, err := runCmd(t, "attest", "gen-cert", "--tdx", "fake", "--out", dir)
	if err != nil {
		t.Fatalf("gen-cert: %v\n%s", err, out)
	}
	hash, err := os.ReadFile(filepath.Join(dir, "image_hash"))
	if err != nil {
		t.Fatal(err)
	}
	zero := sha256.Sum256(make([]byte, 448))
	if got, want := strings.TrimSpace(string(hash)), hex.EncodeToString(zero[:]); got != want {
		t.Errorf("got image hash %s, want the fake constant %s", got, want)
	}
	key, err := x509.ParsePKCS8PrivateKey(pemBlock(t, filepath.Join(dir, "key.pem")))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(pemBlock(t, filepath.Join(dir, "cert.pem")))
	if err != nil {
		t.Fatal(err)
	}
	if !key.(ed25519.PrivateKey).Public().(ed25519.PublicKey).Equal(cert.PublicKey) {
		t.Error("key.pem does not match cert.pem")
	}
	out, err = runCmd(t, "attest", "inspect", "--verify", "--insecure-fake-tdx", filepath.Join(dir, "cert.pem"))
	if err != nil || !strings.Contains(out, "verdict:       OK (policy fake_tdx)") {
		t.Errorf("verify fake certificate: got %v:\n%s", err, out)
	}
	out, err = runCmd(t, "attest", "inspect", "--verify", filepath.Join(dir, "cert.pem"))
	if err == nil || !strings.Contains(out, "REJECTED") {
		t.Errorf("verify a fake certificate as tdx: got %v, want rejection:\n%s", err, out)
	}
}

func TestAttestUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no subcommand", []string{"attest"}, 2},
		{"unknown subcommand", []string{"attest", "frob"}, 2},
		{"bad tdx kind", []string{"attest", "gen-cert", "--tdx", "sgx", "--out", "x"}, 2},
		{"no out", []string{"attest", "gen-cert", "--tdx", "fake"}, 2},
		{"inspect without file", []string{"attest", "inspect"}, 2},
		{"missing file", []string{"attest", "inspect", filepath.Join(t.TempDir(), "absent")}, 1},
		{"not a quote", []string{"attest", "inspect", writeTemp(t, []byte("hello"))}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCmd(t, tc.args...)
			if err == nil {
				t.Fatalf("got success, want exit code %d:\n%s", tc.code, out)
			}
			if got := exitCode(err); got != tc.code {
				t.Errorf("got exit code %d (%v), want %d", got, err, tc.code)
			}
		})
	}
}

func TestAttestGenCertOutsideTD(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/config/tsm/report"); err == nil {
		t.Skip("this machine has configfs-tsm")
	}
	out, err := runCmd(t, "attest", "gen-cert", "--tdx", "tdx", "--out", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "not running inside a TDX trust domain") {
		t.Errorf("got %v, want a clear error outside a TD:\n%s", err, out)
	}
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAttestInspectCertificateWithReferenceQuote(t *testing.T) {
	quote, err := os.ReadFile(sharedtest.Path(t, "testdata/tdx/quote.dat"))
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	der, err := ratls.CreateCertificate(key, quote, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	path := writeTemp(t, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	out, err := runCmd(t, "attest", "inspect", path)
	if err != nil || !strings.Contains(out, "TDX quote version 4") || !strings.Contains(out, "image hash:    "+referenceImageHash) {
		t.Errorf("inspect: got %v:\n%s", err, out)
	}
	// The quote is bound to the reference's key, not to this certificate's.
	out, err = runCmd(t, "attest", "inspect", "--verify", "--at", "2025-12-01T12:00:00Z", "--insecure-skip-collateral", path)
	if err == nil || !strings.Contains(out, "not bound to the peer's key") {
		t.Errorf("verify: got %v, want the report-data binding refused:\n%s", err, out)
	}
}

// snpFixture is a real AMD SEV-SNP report (Milan, version 2) with the real
// VCEK that signed it, from go-sev-guest's test suite; see its README.
const snpFixture = "../../internal/attest/sevsnp/testdata/milan-v2-evidence.bin"

// The fixture's launch measurement and SEV-SNP image hash.
const (
	snpFixtureMeasurement = "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01"
	snpFixtureImageHash   = "be4fa572c3afd4632df0898e3ebfa15bfc37c39a6e91b0f418950d2caa07f39d"
)

func TestAttestInspectRealSEVSNPReport(t *testing.T) {
	out, err := runCmd(t, "attest", "inspect", snpFixture)
	if err != nil {
		t.Fatalf("inspect: %v\n%s", err, out)
	}
	for _, want := range []string{"AMD SEV-SNP report version 2 (2592 bytes; certificates: VCEK)", "measurement:   " + snpFixtureMeasurement,
		"guest policy:  0xb0000", "reported TCB:  fmc=0,bl=2,tee=0,snp=5,ucode=68", "image hash:    " + snpFixtureImageHash} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// At a date when its VCEK is valid, signature and chain to AMD's Milan
	// root verify; the guest allows debugging, which policy sev_snp's
	// validator refuses unless told it is only inspecting. No AMD CRL of
	// that date is published with the fixture, so the CRL is skipped.
	args := []string{"attest", "inspect", "--verify", "--at", "2023-06-01T00:00:00Z", "--insecure-skip-crl"}
	out, err = runCmd(t, append(args, snpFixture)...)
	if err == nil || !strings.Contains(out, "REJECTED") || !strings.Contains(out, "guest policy allows debugging") {
		t.Errorf("default rules: got %v, want the debug policy refused:\n%s", err, out)
	}
	out, err = runCmd(t, append(args, "--insecure-allow-debug", snpFixture)...)
	if err != nil {
		t.Fatalf("verify with debug allowed: %v\n%s", err, out)
	}
	for _, want := range []string{"report:        verified (report data not bound to any key), TCB fmc=0,bl=2,tee=0,snp=5,ucode=68",
		"verdict:       OK (policy sev_snp): image hash " + snpFixtureImageHash} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, err = runCmd(t, append(args, "--insecure-allow-debug", "--snp-min-tcb", "bl=2,snp=6", snpFixture)...)
	if err == nil || !strings.Contains(out, "below the minimum") {
		t.Errorf("TCB minimum above the report's: got %v, want refusal:\n%s", err, out)
	}
	// The guest's policy (0xb0000) allows firmware of any ABI, from 0.0,
	// and no migration agent.
	out, err = runCmd(t, append(args, "--insecure-allow-debug", "--snp-min-abi", "1.51", snpFixture)...)
	if err == nil || !strings.Contains(out, "guest allows ABI 0.0, minimum 1.51") {
		t.Errorf("ABI minimum above the policy's: got %v, want refusal:\n%s", err, out)
	}
	out, err = runCmd(t, append(args, "--insecure-allow-debug", "--snp-min-abi", "0.0", "--snp-allow-migration-agent", snpFixture)...)
	if err != nil || !strings.Contains(out, "verdict:       OK (policy sev_snp)") {
		t.Errorf("ABI minimum 0.0 and a migration agent allowed: got %v, want OK:\n%s", err, out)
	}
	out, err = runCmd(t, "attest", "inspect", "--verify", "--at", "2030-06-01T00:00:00Z", "--insecure-skip-crl", "--insecure-allow-debug", snpFixture)
	if err == nil || !strings.Contains(out, "not valid at this time") {
		t.Errorf("after the VCEK's expiry: got %v, want refusal:\n%s", err, out)
	}
	out, err = runCmd(t, "attest", "inspect", "--verify", "--at", "2023-06-01T00:00:00Z", "--insecure-allow-debug", "--offline-kds", t.TempDir(), snpFixture)
	if err == nil || !strings.Contains(out, "CRL unavailable") {
		t.Errorf("without a CRL: got %v, want refusal for the unavailable CRL:\n%s", err, out)
	}
}

func TestAttestGenCertFakeSEVSNP(t *testing.T) {
	dir := t.TempDir()
	out, err := runCmd(t, "attest", "gen-cert", "--tee", "fake-sev-snp", "--out", dir)
	if err != nil || !strings.Contains(out, "fake SEV-SNP attestation proves nothing") {
		t.Fatalf("gen-cert: %v\n%s", err, out)
	}
	hash, err := os.ReadFile(filepath.Join(dir, "image_hash"))
	if err != nil {
		t.Fatal(err)
	}
	zero := sha256.Sum256(make([]byte, 448))
	if got := strings.TrimSpace(string(hash)); got == hex.EncodeToString(zero[:]) || len(got) != 64 {
		t.Errorf("got image hash %s, want the SEV-SNP hash of zero measurements, not fake TDX's", got)
	}
	cert := filepath.Join(dir, "cert.pem")
	out, err = runCmd(t, "attest", "inspect", cert)
	if err != nil || !strings.Contains(out, "fake SEV-SNP") || !strings.Contains(out, "image hash:    "+strings.TrimSpace(string(hash))) {
		t.Errorf("inspect: got %v:\n%s", err, out)
	}
	out, err = runCmd(t, "attest", "inspect", "--verify", "--insecure-fake-sev-snp", cert)
	if err != nil || !strings.Contains(out, "verdict:       OK (policy fake_sev_snp)") {
		t.Errorf("verify fake SEV-SNP certificate: got %v:\n%s", err, out)
	}
	for _, args := range [][]string{{"--verify"}, {"--verify", "--insecure-fake-tdx", "--policy", "fake_tdx"}} {
		out, err = runCmd(t, append(append([]string{"attest", "inspect"}, args...), cert)...)
		if err == nil || !strings.Contains(out, "REJECTED") {
			t.Errorf("verify a fake SEV-SNP certificate with %v: got %v, want rejection:\n%s", args, err, out)
		}
	}
}

func TestAttestTEEFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"bad tee", []string{"attest", "gen-cert", "--tee", "sgx", "--out", "x"}, 2},
		{"tee and tdx", []string{"attest", "gen-cert", "--tee", "fake-tdx", "--tdx", "fake", "--out", "x"}, 2},
		{"neither", []string{"attest", "gen-cert", "--out", "x"}, 2},
		{"bad TCB minimum", []string{"attest", "inspect", "--verify", "--snp-min-tcb", "bl", snpFixture}, 2},
		{"bad ABI minimum", []string{"attest", "inspect", "--verify", "--snp-min-abi", "1.300", snpFixture}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCmd(t, tc.args...)
			if got := exitCode(err); err == nil || got != tc.code {
				t.Errorf("got exit code %d (%v), want %d:\n%s", got, err, tc.code, out)
			}
		})
	}
	dir := t.TempDir()
	if out, err := runCmd(t, "attest", "gen-cert", "--tee", "fake-tdx", "--out", dir); err != nil || !strings.Contains(out, "fake TDX") {
		t.Errorf("--tee fake-tdx: got %v:\n%s", err, out)
	}
}

func TestAttestGenCertOutsideSNPGuest(t *testing.T) {
	for _, p := range []string{"/sys/kernel/config/tsm/report", "/dev/sev-guest"} {
		if _, err := os.Stat(p); err == nil {
			t.Skipf("this machine has %s", p)
		}
	}
	out, err := runCmd(t, "attest", "gen-cert", "--tee", "sev-snp", "--out", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "not running inside an AMD SEV-SNP guest") {
		t.Errorf("got %v, want a clear error outside an SNP guest:\n%s", err, out)
	}
}
