package fakesevsnp

import (
	"context"
	"errors"
	"testing"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/attesttest"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
)

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	rd := attest.ReportData([]byte("claims"))
	e, err := NewIssuer().Issue(ctx, rd)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	m, err := NewValidator().Validate(ctx, e, rd)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if m.Kind != attest.KindFakeSEVSNP || m.ReportData != rd {
		t.Errorf("got kind %s report data %x, want fake_sev_snp and %x", m.Kind, m.ReportData, rd)
	}
	if got, want := m.ImageHash(), (attest.SNP{}).ImageHash(); got != want {
		t.Errorf("got image hash %x, want the SEV-SNP hash of zero measurements %x", got, want)
	}
	fakeTDX, err := faketdx.NewValidator().Validate(ctx, e, rd)
	if err != nil {
		t.Fatal(err)
	}
	if m.ImageHash() == fakeTDX.ImageHash() {
		t.Errorf("fake SEV-SNP and fake TDX peers share image hash %x, want them told apart", m.ImageHash())
	}
	if got := attest.IssuedKind(NewIssuer()); got != attest.KindFakeSEVSNP {
		t.Errorf("got issued kind %s, want fake_sev_snp", got)
	}
}

func TestRejects(t *testing.T) {
	rd := attest.ReportData([]byte("claims"))
	other := attest.ReportData([]byte("other"))
	tests := []struct {
		name    string
		quote   []byte
		wantErr error
	}{
		{"empty", nil, attest.ErrNoQuote},
		{"other key", other[:], attest.ErrReportDataMismatch},
		{"short", rd[:63], nil},
		{"long", append(rd[:], 0), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewValidator().Validate(context.Background(), tc.quote, rd)
			if err == nil {
				t.Fatal("got nil error, want rejection")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestConformance(t *testing.T) {
	rd := attest.ReportData([]byte("claims"))
	e, err := NewIssuer().Issue(context.Background(), rd)
	if err != nil {
		t.Fatal(err)
	}
	attesttest.TestValidator(t, NewValidator(), e, rd, []int{0, 31, 63})
}
