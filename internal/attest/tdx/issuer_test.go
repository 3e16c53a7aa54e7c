package tdx

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/attesttest"
)

func TestIssuer(t *testing.T) {
	rd := attest.ReportData([]byte("claims"))
	tsm := &attesttest.FakeTSM{Provider: "tdx_guest", OutBlob: []byte("quote")}
	q, err := newIssuer(tsm).Issue(context.Background(), rd)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if string(q) != "quote" || !bytes.Equal(tsm.InBlob, rd[:]) {
		t.Errorf("got quote %q over in blob %x, want \"quote\" over %x", q, tsm.InBlob, rd)
	}
}

func TestIssuerOutsideTD(t *testing.T) {
	_, err := newIssuer(&attesttest.FakeTSM{Provider: "sev_guest", OutBlob: []byte("quote")}).Issue(context.Background(), [attest.ReportDataSize]byte{})
	if !errors.Is(err, ErrNotInTD) {
		t.Errorf("provider sev_guest: got %v, want %v", err, ErrNotInTD)
	}
	if _, err := os.Stat("/sys/kernel/config/tsm/report"); err == nil {
		t.Skip("this machine has configfs-tsm")
	}
	if _, err := NewIssuer(); !errors.Is(err, ErrNotInTD) {
		t.Errorf("NewIssuer on a machine without configfs-tsm: got %v, want %v", err, ErrNotInTD)
	}
}
