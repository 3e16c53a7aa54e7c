package sevsnp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/kds"
	spb "github.com/google/go-sev-guest/proto/sevsnp"
	"github.com/google/uuid"

	"github.com/cocoon-go/cocoon/internal/attest"
)

// ReportSize is the size of an SEV-SNP attestation report.
const ReportSize = abi.ReportSize

// maxCertTableSize bounds a certificate table as the kernel returns it
// (the host may pad it to whole pages); a VCEK or VLEK, an ASK and an ARK
// take under 6 KiB.
const maxCertTableSize = 64 << 10

// ErrMalformedEvidence reports bytes that are not SEV-SNP evidence in
// cocoon's format.
var ErrMalformedEvidence = errors.New("malformed SEV-SNP evidence")

// certTableEntrySize is the size of one entry of a GHCB certificate table.
const certTableEntrySize = abi.CertTableEntrySize

// The certificate kinds evidence may carry, in the order they are laid out.
var certGUIDs = [...]uuid.UUID{
	uuid.MustParse(abi.ArkGUID),
	uuid.MustParse(abi.AskGUID),
	uuid.MustParse(abi.VcekGUID),
	uuid.MustParse(abi.VlekGUID),
}

// Certificates are the DER certificates evidence carries. Only the VCEK or
// VLEK is used by the Validator; ASK and ARK travel along as the guest got
// them but are never trusted: the Validator's own AMD roots are.
type Certificates struct {
	ARK, ASK, VCEK, VLEK []byte
}

func (c *Certificates) slots() [len(certGUIDs)]*[]byte {
	return [...]*[]byte{&c.ARK, &c.ASK, &c.VCEK, &c.VLEK}
}

// Evidence is a decoded, unverified SEV-SNP attestation: the report as
// the AMD secure processor signed it and the certificates the host
// provided with it.
//
// Its encoding, cocoon's SEV-SNP evidence format, is the 1184-byte
// ATTESTATION_REPORT followed, when there are certificates, by a
// certificate table in the GHCB format (entries of GUID ‖ offset ‖ length,
// little-endian, offsets from the table's start, ended by an all-zero
// entry) in canonical form: the ARK, ASK, VCEK and VLEK present, in that
// order, each laid out right after the previous one from the end of the
// header, nothing after the last.
type Evidence struct {
	// Report is the raw attestation report.
	Report []byte
	Certs  Certificates

	proto *spb.Report
}

// ParseEvidence decodes evidence in cocoon's SEV-SNP format without
// verifying anything. It accepts only the canonical encoding, so that one
// attestation has one encoding.
func ParseEvidence(raw []byte) (*Evidence, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("parsing SEV-SNP evidence: %w", attest.ErrNoQuote)
	}
	if len(raw) < ReportSize {
		return nil, fmt.Errorf("parsing SEV-SNP evidence: %w: %d bytes, shorter than a %d-byte report", ErrMalformedEvidence, len(raw), ReportSize)
	}
	e, err := NewEvidence(raw[:ReportSize], raw[ReportSize:])
	if err != nil {
		return nil, fmt.Errorf("parsing SEV-SNP evidence: %w", err)
	}
	if enc := e.Marshal(); !bytes.Equal(enc, raw) {
		return nil, fmt.Errorf("parsing SEV-SNP evidence: %w: certificate table of %d bytes is not in canonical form", ErrMalformedEvidence, len(raw)-ReportSize)
	}
	return e, nil
}

// NewEvidence builds evidence from a raw report and a certificate table
// as the kernel returns them (in any layout; entries of unknown kinds are
// dropped).
func NewEvidence(report, certTable []byte) (*Evidence, error) {
	p, err := parseReport(report)
	if err != nil {
		return nil, err
	}
	e := &Evidence{Report: bytes.Clone(report), proto: p}
	if err := parseCertTable(certTable, &e.Certs); err != nil {
		return nil, err
	}
	return e, nil
}

// parseReport decodes a report, refusing one that go-sev-guest would not
// encode to the same bytes (non-zero reserved fields among them).
func parseReport(report []byte) (*spb.Report, error) {
	if len(report) != ReportSize {
		return nil, fmt.Errorf("%w: report of %d bytes, want %d", ErrMalformedEvidence, len(report), ReportSize)
	}
	if err := abi.ValidateReportFormat(report); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedEvidence, err)
	}
	p, err := abi.ReportToProto(report)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedEvidence, err)
	}
	enc, err := abi.ReportToAbiBytes(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedEvidence, err)
	}
	if !bytes.Equal(enc, report) {
		return nil, fmt.Errorf("%w: report has non-zero reserved bytes", ErrMalformedEvidence)
	}
	return p, nil
}

// parseCertTable reads a GHCB certificate table into c, checking every
// offset and length against the table's size.
func parseCertTable(table []byte, c *Certificates) error {
	if len(table) == 0 {
		return nil
	}
	if len(table) > maxCertTableSize {
		return fmt.Errorf("%w: certificate table of %d bytes, more than %d", ErrMalformedEvidence, len(table), maxCertTableSize)
	}
	slots := c.slots()
	var header int
	for i := 0; ; i++ {
		off := i * certTableEntrySize
		if off+certTableEntrySize > len(table) {
			return fmt.Errorf("%w: certificate table has no terminating entry", ErrMalformedEvidence)
		}
		entry := table[off : off+certTableEntrySize]
		guid := uuid.UUID(entry[:16])
		start := uint64(binary.LittleEndian.Uint32(entry[16:20]))
		length := uint64(binary.LittleEndian.Uint32(entry[20:24]))
		if guid == (uuid.UUID{}) && start == 0 && length == 0 {
			header = off + certTableEntrySize
			break
		}
		if start+length > uint64(len(table)) {
			return fmt.Errorf("%w: certificate table entry %d reaches past the table", ErrMalformedEvidence, i)
		}
		for j, g := range certGUIDs {
			if g != guid {
				continue
			}
			if *slots[j] != nil {
				return fmt.Errorf("%w: certificate %s appears twice", ErrMalformedEvidence, guid)
			}
			if length == 0 {
				return fmt.Errorf("%w: certificate %s is empty", ErrMalformedEvidence, guid)
			}
			*slots[j] = bytes.Clone(table[start : start+length])
		}
	}
	return checkAfterHeader(table, header)
}

// checkAfterHeader refuses entries whose data starts inside the header.
func checkAfterHeader(table []byte, header int) error {
	for off := 0; off+certTableEntrySize <= header-certTableEntrySize; off += certTableEntrySize {
		start := binary.LittleEndian.Uint32(table[off+16 : off+20])
		if uint64(start) < uint64(header) {
			return fmt.Errorf("%w: certificate table entry at %d points into the header", ErrMalformedEvidence, off)
		}
	}
	return nil
}

// Marshal encodes the evidence in cocoon's SEV-SNP format.
func (e *Evidence) Marshal() []byte {
	slots := e.Certs.slots()
	n, size := 0, 0
	for _, s := range slots {
		if len(*s) > 0 {
			n++
			size += len(*s)
		}
	}
	out := bytes.Clone(e.Report)
	if n == 0 {
		return out
	}
	header := (n + 1) * certTableEntrySize
	table := make([]byte, header, header+size)
	cursor, i := header, 0
	for j, s := range slots {
		if len(*s) == 0 {
			continue
		}
		entry := table[i*certTableEntrySize:]
		copy(entry[:16], certGUIDs[j][:])
		binary.LittleEndian.PutUint32(entry[16:20], uint32(cursor))
		binary.LittleEndian.PutUint32(entry[20:24], uint32(len(*s)))
		table = append(table, *s...)
		cursor += len(*s)
		i++
	}
	return append(out, table...)
}

// Signer returns the key that signed the report.
func (e *Evidence) Signer() (abi.ReportSigner, error) {
	info, err := abi.ParseSignerInfo(e.proto.GetSignerInfo())
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrMalformedEvidence, err)
	}
	return info.SigningKey, nil
}

// ProductLine returns AMD's product line named in the report ("Milan",
// "Genoa", "Turin"), or "" for a version 2 report, which does not say.
func (e *Evidence) ProductLine() string {
	fms := e.proto.GetCpuid1EaxFms()
	if fms == 0 {
		return ""
	}
	return kds.ProductLine(abi.SevProductFromCpuid1Eax(fms))
}

// Version returns the report's format version.
func (e *Evidence) Version() uint32 { return e.proto.GetVersion() }

// Measurements returns what the report claims, not yet verified: Kind is
// KindSEVSNP, and the reported TCB is read in the layout of product (the
// report's own product line when product is "").
func (e *Evidence) Measurements(product string) attest.Measurements {
	p := e.proto
	if product == "" {
		product = e.ProductLine()
	}
	m := attest.Measurements{Kind: attest.KindSEVSNP}
	copy(m.ReportData[:], p.GetReportData())
	s := &m.SNP
	copy(s.Measurement[:], p.GetMeasurement())
	copy(s.HostData[:], p.GetHostData())
	copy(s.IDKeyDigest[:], p.GetIdKeyDigest())
	copy(s.AuthorKeyDigest[:], p.GetAuthorKeyDigest())
	copy(s.FamilyID[:], p.GetFamilyId())
	copy(s.ImageID[:], p.GetImageId())
	s.VMPL = p.GetVmpl()
	s.GuestSVN = p.GetGuestSvn()
	s.Policy = p.GetPolicy()
	s.ReportedTCB = decomposeTCB(product, p.GetReportedTcb())
	s.Product = product
	if k, err := e.Signer(); err == nil {
		s.Signer = k.String()
	}
	return m
}

// decomposeTCB reads a TCB_VERSION in the layout of product: on Turin
// (Zen 5) FMC, bootloader, TEE and SNP in bytes 0-3; on Milan and Genoa
// bootloader and TEE in bytes 0-1 and SNP in byte 6; microcode in byte 7
// on all.
func decomposeTCB(product string, tcb uint64) attest.SNPTCB {
	b := func(i int) uint8 { return uint8(tcb >> (8 * i)) }
	if product == "Turin" {
		return attest.SNPTCB{FMC: b(0), Bootloader: b(1), TEE: b(2), SNP: b(3), Microcode: b(7)}
	}
	return attest.SNPTCB{Bootloader: b(0), TEE: b(1), SNP: b(6), Microcode: b(7)}
}
