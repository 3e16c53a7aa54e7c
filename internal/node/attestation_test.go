package node

import (
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
)

func TestAttestationIssuer(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	noGuest := true
	for _, p := range []string{"/sys/kernel/config/tsm/report", "/dev/sev-guest"} {
		if _, err := os.Stat(p); err == nil {
			noGuest = false
		}
	}
	tests := []struct {
		name     string
		a        Attestation
		wantKind attest.Kind
		wantErr  string
	}{
		{"fake TDX", Attestation{InsecureFakeTDX: true}, attest.KindTDX, ""},
		{"fake SEV-SNP", Attestation{InsecureFakeSEVSNP: true}, attest.KindFakeSEVSNP, ""},
		{"both fakes need --tee", Attestation{InsecureFakeTDX: true, InsecureFakeSEVSNP: true}, 0, "pass --tee"},
		{"both fakes, SEV-SNP", Attestation{InsecureFakeTDX: true, InsecureFakeSEVSNP: true, TEE: TEEFakeSEVSNP}, attest.KindFakeSEVSNP, ""},
		{"fake tee without its flag", Attestation{TEE: TEEFakeSEVSNP}, 0, "needs --insecure-fake-sev-snp"},
		{"unknown tee", Attestation{TEE: "sgx"}, 0, "--tee must be"},
	}
	if noGuest {
		tests = append(tests, struct {
			name     string
			a        Attestation
			wantKind attest.Kind
			wantErr  string
		}{"real SEV-SNP outside a guest", Attestation{TEE: TEESEVSNP}, 0, "not running inside an AMD SEV-SNP guest"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i, err := tc.a.Issuer(log)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := attest.IssuedKind(i); got != tc.wantKind {
				t.Errorf("got issuer of kind %s, want %s", got, tc.wantKind)
			}
		})
	}
}

func TestAttestationVerifierPerTEE(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name    string
		a       Attestation
		policy  string
		wantErr string
	}{
		{"both fakes", Attestation{InsecureFakeTDX: true, InsecureFakeSEVSNP: true}, "fake_tdx_or_fake_sev_snp", ""},
		{"fake SEV-SNP without its flag", Attestation{InsecureFakeTDX: true}, "fake_tdx_or_fake_sev_snp", "--insecure-fake-sev-snp"},
		{"real SEV-SNP", Attestation{}, "sev_snp", ""},
		{"real TDX or SEV-SNP", Attestation{}, "tdx_or_sev_snp", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.a.Verifier(tc.policy, time.Minute, log)
			if (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("got %v, want error %q", err, tc.wantErr)
			}
		})
	}
}
