// Package sevsnp owns real AMD SEV-SNP attestation: reports from the
// kernel inside an SNP guest (configfs-tsm, or the older /dev/sev-guest),
// cocoon's SEV-SNP evidence format (the report and its certificate table),
// and verification with go-sev-guest (report signature, VCEK or VLEK chain
// to AMD's root for the product — Milan, Genoa or Turin —, certificates
// and CRLs from AMD's KDS cached on disk until expiry or read from an
// offline directory, the guest policy, and the reported TCB for the policy
// to judge).
//
// It is the only package that imports go-sev-guest.
package sevsnp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-configfs-tsm/configfs/configfsi"
	"github.com/google/go-configfs-tsm/configfs/linuxtsm"
	"github.com/google/go-configfs-tsm/report"
	"github.com/google/go-sev-guest/client"

	"github.com/cocoon-go/cocoon/internal/attest"
)

// ErrNotInGuest reports that this machine offers no SEV-SNP report
// interface.
var ErrNotInGuest = errors.New("no SEV-SNP report interface: not running inside an AMD SEV-SNP guest with configfs-tsm or /dev/sev-guest")

// Issuer produces SEV-SNP evidence through configfs-tsm
// (/sys/kernel/config/tsm/report) or, on older kernels, /dev/sev-guest.
type Issuer struct {
	tsm configfsi.Client // nil when dev is used
	dev rawQuoter
}

// rawQuoter is go-sev-guest's /dev/sev-guest quote provider: a report
// followed by the host's certificate table.
type rawQuoter interface {
	GetRawQuote(reportData [64]byte) ([]byte, error)
}

var _ attest.KindIssuer = (*Issuer)(nil)

// NewIssuer returns an Issuer for this guest, or an error wrapping
// ErrNotInGuest when neither interface is available.
func NewIssuer() (*Issuer, error) {
	if c, err := linuxtsm.MakeClient(); err == nil {
		return &Issuer{tsm: c}, nil
	}
	d, err := client.OpenDevice()
	if err != nil {
		return nil, fmt.Errorf("opening configfs-tsm or /dev/sev-guest: %w: %w", ErrNotInGuest, err)
	}
	if err := d.Close(); err != nil {
		return nil, fmt.Errorf("opening /dev/sev-guest: %w", err)
	}
	return &Issuer{dev: &client.LinuxIoctlQuoteProvider{}}, nil
}

// Kind returns attest.KindSEVSNP.
func (*Issuer) Kind() attest.Kind { return attest.KindSEVSNP }

// Issue asks the AMD secure processor for a report over reportData and
// returns it with the certificates the host provides, in cocoon's SEV-SNP
// evidence format.
func (i *Issuer) Issue(_ context.Context, reportData [attest.ReportDataSize]byte) ([]byte, error) {
	var rep, certs []byte
	if i.tsm != nil {
		resp, err := report.Get(i.tsm, &report.Request{InBlob: reportData[:], GetAuxBlob: true})
		if err != nil {
			return nil, fmt.Errorf("getting SEV-SNP report from configfs-tsm: %w", err)
		}
		if p := strings.TrimSpace(resp.Provider); p != "sev_guest" {
			return nil, fmt.Errorf("getting SEV-SNP report from configfs-tsm: %w: report provider is %q, not sev_guest", ErrNotInGuest, p)
		}
		rep, certs = resp.OutBlob, resp.AuxBlob
	} else {
		raw, err := i.dev.GetRawQuote(reportData)
		if err != nil {
			return nil, fmt.Errorf("getting SEV-SNP report from /dev/sev-guest: %w", err)
		}
		if len(raw) < ReportSize {
			return nil, fmt.Errorf("getting SEV-SNP report from /dev/sev-guest: %w: %d bytes", ErrMalformedEvidence, len(raw))
		}
		rep, certs = raw[:ReportSize], raw[ReportSize:]
	}
	e, err := NewEvidence(rep, certs)
	if err != nil {
		return nil, fmt.Errorf("getting SEV-SNP report: %w", err)
	}
	return e.Marshal(), nil
}
