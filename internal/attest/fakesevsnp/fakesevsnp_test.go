package fakesevsnp

import (
	"context"
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

func TestConformance(t *testing.T) {
	attesttest.TestFake(t, NewIssuer(), NewValidator())
}
