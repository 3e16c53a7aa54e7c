package sevsnp

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"testing"

	labi "github.com/google/go-sev-guest/client/linuxabi"
	sevtest "github.com/google/go-sev-guest/testing"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/attesttest"
)

func TestIssuerConfigfsTSM(t *testing.T) {
	c := newChain(t, "Milan", testTCB)
	rd := attest.ReportData([]byte("claims"))
	rep := c.report(t, reportOpts{reportData: rd, policy: defaultPolicy()})
	// The host's table as the kernel hands it over: go-sev-guest's test
	// layout (ARK, ASK, VCEK, VLEK, ASVK), padded.
	table, err := c.signer.CertTableBytes()
	if err != nil {
		t.Fatal(err)
	}
	tsm := &attesttest.FakeTSM{Provider: "sev_guest", OutBlob: rep, AuxBlob: append(table, make([]byte, 512)...)}
	i := &Issuer{tsm: tsm}
	ev, err := i.Issue(context.Background(), rd)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if !bytes.Equal(tsm.InBlob, rd[:]) {
		t.Errorf("got in blob %x, want the report data %x", tsm.InBlob, rd)
	}
	v, _ := NewValidator(fixed(testTime), WithTrustedRoots(c.roots()), InsecureSkipCRL())
	if _, err := v.Validate(context.Background(), ev, rd); err != nil {
		t.Errorf("validating the issued evidence: %v", err)
	}
	if i.Kind() != attest.KindSEVSNP || attest.IssuedKind(i) != attest.KindSEVSNP {
		t.Errorf("got kind %s, want sev_snp", i.Kind())
	}

	tdx := &Issuer{tsm: &attesttest.FakeTSM{Provider: "tdx_guest", OutBlob: rep}}
	if _, err := tdx.Issue(context.Background(), rd); !errors.Is(err, ErrNotInGuest) {
		t.Errorf("provider tdx_guest: got %v, want %v", err, ErrNotInGuest)
	}
}

// TestIssuerSevGuestDevice issues through go-sev-guest's test device,
// which stands for /dev/sev-guest: it signs the report it is programmed
// with and appends its certificate table.
func TestIssuerSevGuestDevice(t *testing.T) {
	c := newChain(t, "Milan", testTCB)
	rd := attest.ReportData([]byte("claims"))
	var out [labi.SnpReportRespReportSize]byte
	copy(out[:], c.report(t, reportOpts{reportData: rd, policy: defaultPolicy()}))
	qp, err := sevtest.TcQuoteProvider([]sevtest.TestCase{{Name: "ours", Input: rd, Output: out}},
		&sevtest.DeviceOptions{Now: testTime, Signer: c.signer, Product: mustProduct(t, "Milan")})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := (&Issuer{dev: qp}).Issue(context.Background(), rd)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	v, _ := NewValidator(fixed(testTime), WithTrustedRoots(c.roots()), InsecureSkipCRL())
	m, err := v.Validate(context.Background(), ev, rd)
	if err != nil {
		t.Fatalf("validating the issued evidence: %v", err)
	}
	if m.SNP.Measurement != (attest.Measurement{}) {
		t.Errorf("got measurement %s, want zero", hex.EncodeToString(m.SNP.Measurement[:]))
	}
	if _, err := (&Issuer{dev: qp}).Issue(context.Background(), attest.ReportData([]byte("unprogrammed"))); err == nil {
		t.Error("device without a response: got nil error, want it passed on")
	}
}

func TestIssuerOutsideGuest(t *testing.T) {
	for _, p := range []string{"/sys/kernel/config/tsm/report", "/dev/sev-guest"} {
		if _, err := os.Stat(p); err == nil {
			t.Skipf("this machine has %s", p)
		}
	}
	if _, err := NewIssuer(); !errors.Is(err, ErrNotInGuest) {
		t.Errorf("NewIssuer on a machine without SEV-SNP: got %v, want %v", err, ErrNotInGuest)
	}
}
