package faketdx

import (
	"context"
	"testing"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/attesttest"
)

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	rd := attest.ReportData([]byte("claims"))
	q, err := NewIssuer().Issue(ctx, rd)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	m, err := NewValidator().Validate(ctx, q, rd)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if m.Kind != attest.KindFakeTDX || m.ReportData != rd {
		t.Errorf("got kind %s report data %x, want fake_tdx and %x", m.Kind, m.ReportData, rd)
	}
	if got, want := m.ImageHash(), (attest.Measurements{}).ImageHash(); got != want {
		t.Errorf("got image hash %x, want the constant all-zero hash %x", got, want)
	}
}

func TestConformance(t *testing.T) {
	attesttest.TestFake(t, NewIssuer(), NewValidator())
}
