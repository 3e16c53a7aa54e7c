package main

import (
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
)

func TestRoleTEEFlags(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	noGuest := true
	for _, p := range []string{"/sys/kernel/config/tsm/report", "/dev/sev-guest"} {
		if _, err := os.Stat(p); err == nil {
			noGuest = false
		}
	}
	tests := []struct {
		name     string
		args     []string
		wantKind attest.Kind
		wantErr  string
	}{
		{"fake TDX", []string{"--insecure-fake-tdx"}, attest.KindTDX, ""},
		{"fake SEV-SNP", []string{"--insecure-fake-sev-snp"}, attest.KindFakeSEVSNP, ""},
		{"both fakes need --tee", []string{"--insecure-fake-tdx", "--insecure-fake-sev-snp"}, 0, "pass --tee"},
		{"both fakes, SEV-SNP", []string{"--insecure-fake-tdx", "--insecure-fake-sev-snp", "--tee", "fake-sev-snp"}, attest.KindFakeSEVSNP, ""},
		{"fake tee without its flag", []string{"--tee", "fake-sev-snp"}, 0, "needs --insecure-fake-sev-snp"},
		{"unknown tee", []string{"--tee", "sgx"}, 0, "--tee must be"},
	}
	if noGuest {
		tests = append(tests, struct {
			name     string
			args     []string
			wantKind attest.Kind
			wantErr  string
		}{"real SEV-SNP outside a guest", []string{"--tee", "sev-snp"}, 0, "not running inside an AMD SEV-SNP guest"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rf := newRoleFlags("worker", io.Discard, io.Discard, false)
			if err := rf.fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			i, err := rf.issuer(log)
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

func TestRoleVerifierPerTEE(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name    string
		args    []string
		policy  string
		wantErr string
	}{
		{"both fakes", []string{"--insecure-fake-tdx", "--insecure-fake-sev-snp"}, "fake_tdx_or_fake_sev_snp", ""},
		{"fake SEV-SNP without its flag", []string{"--insecure-fake-tdx"}, "fake_tdx_or_fake_sev_snp", "--insecure-fake-sev-snp"},
		{"real SEV-SNP", nil, "sev_snp", ""},
		{"real TDX or SEV-SNP", nil, "tdx_or_sev_snp", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rf := newRoleFlags("worker", io.Discard, io.Discard, false)
			if err := rf.fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			_, err := rf.verifier(tc.policy, time.Minute, log)
			if (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("got %v, want error %q", err, tc.wantErr)
			}
		})
	}
}
