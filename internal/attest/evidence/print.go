package evidence

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/sevsnp"
	"github.com/cocoon-go/cocoon/internal/attest/tdx"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/trust"
)

// Print prints the measurements m read from ev.
func Print(w io.Writer, ev ratls.Evidence, m attest.Measurements) {
	switch m.Kind {
	case attest.KindNone:
		fmt.Fprintln(w, "quote:         none")
		return
	case attest.KindFakeTDX:
		fmt.Fprintln(w, "quote:         fake TDX (64-byte report data; proves nothing, all measurements zero)")
	case attest.KindTDX:
		q, _ := tdx.ParseQuote(ev.Quote)
		fmt.Fprintf(w, "quote:         TDX quote version %d (%d bytes)\n", q.Version, len(ev.Quote))
	case attest.KindFakeSEVSNP:
		fmt.Fprintln(w, "evidence:      fake SEV-SNP (64-byte report data; proves nothing, all measurements zero)")
	case attest.KindSEVSNP:
		printSNP(w, ev.SEVSNP, m)
		return
	}
	fmt.Fprintf(w, "MRTD:          %x\n", m.MRTD)
	fmt.Fprintf(w, "MRCONFIGID:    %x\n", m.MRConfigID)
	fmt.Fprintf(w, "MROWNER:       %x\n", m.MROwner)
	fmt.Fprintf(w, "MROWNERCONFIG: %x\n", m.MROwnerConfig)
	for i, r := range m.RTMR {
		fmt.Fprintf(w, "RTMR%d:         %x\n", i, r)
	}
	fmt.Fprintf(w, "report data:   %x\n", m.ReportData)
	h := m.ImageHash()
	fmt.Fprintf(w, "image hash:    %x\n", h)
}

func printSNP(w io.Writer, raw []byte, m attest.Measurements) {
	e, _ := sevsnp.ParseEvidence(raw)
	var certs []string
	for _, c := range []struct {
		name string
		der  []byte
	}{{"VCEK", e.Certs.VCEK}, {"VLEK", e.Certs.VLEK}, {"ASK", e.Certs.ASK}, {"ARK", e.Certs.ARK}} {
		if c.der != nil {
			certs = append(certs, c.name)
		}
	}
	if certs == nil {
		certs = []string{"none"}
	}
	s := m.SNP
	product := s.Product
	if product == "" {
		product = "not named (version 2 report; its VCEK names it)"
	}
	fmt.Fprintf(w, "evidence:      AMD SEV-SNP report version %d (%d bytes; certificates: %s)\n", e.Version(), len(raw), strings.Join(certs, ", "))
	fmt.Fprintf(w, "product:       %s, signed by %s\n", product, s.Signer)
	fmt.Fprintf(w, "measurement:   %x\n", s.Measurement)
	fmt.Fprintf(w, "host data:     %x\n", s.HostData)
	fmt.Fprintf(w, "ID key:        %x\n", s.IDKeyDigest)
	fmt.Fprintf(w, "author key:    %x\n", s.AuthorKeyDigest)
	fmt.Fprintf(w, "family id:     %x\n", s.FamilyID)
	fmt.Fprintf(w, "image id:      %x\n", s.ImageID)
	fmt.Fprintf(w, "VMPL:          %d\n", s.VMPL)
	fmt.Fprintf(w, "guest SVN:     %d\n", s.GuestSVN)
	fmt.Fprintf(w, "guest policy:  %#x\n", s.Policy)
	fmt.Fprintf(w, "reported TCB:  %s\n", s.ReportedTCB)
	fmt.Fprintf(w, "report data:   %x\n", m.ReportData)
	h := m.ImageHash()
	fmt.Fprintf(w, "image hash:    %x\n", h)
}

// PrintRoot prints the root whose lists a verdict applies.
func PrintRoot(w io.Writer, l *trust.Lists, now time.Time) {
	fmt.Fprintf(w, "root:          %s version %d, read at chain time %s (%v old): %d proxy, %d worker and %d model hashes, %d proxies\n",
		l.Root, l.Version, l.AsOf.UTC().Format(time.RFC3339), max(now.Sub(l.AsOf), 0).Truncate(time.Second),
		len(l.ProxyHashes), len(l.WorkerHashes), len(l.ModelHashes), len(l.Proxies))
}

// ErrRejected is what a verdict that rejects its peer returns, after
// printing why.
var ErrRejected = errors.New("verification failed")

// PrintVerdict prints the verdict on a peer that policy verified, or err,
// and returns ErrRejected for err.
func PrintVerdict(w io.Writer, policy string, peer *ratls.Peer, err error) error {
	if err != nil {
		fmt.Fprintf(w, "verdict:       REJECTED: %v\n", err)
		return ErrRejected
	}
	fmt.Fprintf(w, "verdict:       OK (policy %s): peer key %x, image hash %x, TCB %s\n", policy, []byte(peer.PublicKey), peer.ImageHash, Status(peer.Measurements))
	return nil
}

// BindRoot keeps v at the root's list of peers l, as a role's gate does.
// It fails with a Misuse when v's policy attests nothing, so that there is
// no image to check.
func BindRoot(v *ratls.Verifier, l *trust.Lists, peers trust.Peers) error {
	g := trust.New(trust.Config{})
	if err := g.Bind(peers, v); err != nil {
		return Misuse{err}
	}
	return g.Update(*l)
}

// Misuse is a mistake in what was asked (a root to judge bare evidence
// by, a policy that binds no image to a root's list), not in the
// evidence: commands report it as a usage error.
type Misuse struct{ error }

func (m Misuse) Unwrap() error { return m.error }
