// Package tdx owns real Intel TDX attestation: quotes from the kernel's
// configfs-tsm interface inside a trust domain, and their verification with
// go-tdx-guest (quote signature, QE report, PCK chain to the Intel root,
// collateral from Intel PCS or a PCCS, cached on disk with its expiry or
// read from an offline directory, and the platform's TCB status).
//
// It is the only package that imports go-tdx-guest; go-configfs-tsm it
// shares with attest/sevsnp.
package tdx

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-configfs-tsm/configfs/configfsi"
	"github.com/google/go-configfs-tsm/configfs/linuxtsm"
	"github.com/google/go-configfs-tsm/report"

	"github.com/cocoon-go/cocoon/internal/attest"
)

// ErrNotInTD reports that this machine offers no TDX quote interface.
var ErrNotInTD = errors.New("no TDX quote interface: not running inside a TDX trust domain with configfs-tsm")

// Issuer produces TDX quotes through configfs-tsm
// (/sys/kernel/config/tsm/report).
type Issuer struct {
	client configfsi.Client
}

var _ attest.Issuer = (*Issuer)(nil)

// NewIssuer returns an Issuer for this trust domain, or an error wrapping
// ErrNotInTD when configfs-tsm is unavailable.
func NewIssuer() (*Issuer, error) {
	c, err := linuxtsm.MakeClient()
	if err != nil {
		return nil, fmt.Errorf("opening configfs-tsm: %w: %w", ErrNotInTD, err)
	}
	return newIssuer(c), nil
}

func newIssuer(c configfsi.Client) *Issuer { return &Issuer{client: c} }

// Issue asks the TDX module, through the quoting enclave, for a quote over
// reportData.
func (i *Issuer) Issue(_ context.Context, reportData [attest.ReportDataSize]byte) ([]byte, error) {
	resp, err := report.Get(i.client, &report.Request{InBlob: reportData[:]})
	if err != nil {
		return nil, fmt.Errorf("getting TDX quote from configfs-tsm: %w", err)
	}
	if p := strings.TrimSpace(resp.Provider); p != "tdx_guest" {
		return nil, fmt.Errorf("getting TDX quote from configfs-tsm: %w: report provider is %q, not tdx_guest", ErrNotInTD, p)
	}
	if len(resp.OutBlob) == 0 {
		return nil, errors.New("getting TDX quote from configfs-tsm: empty quote")
	}
	return resp.OutBlob, nil
}
