package attest

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// SNP is what an AMD SEV-SNP attestation report says about a guest: its
// launch measurement and identity, and the platform's TCB. Its byte
// fields are the report's, in the report's order.
type SNP struct {
	// Measurement is the launch digest (MEASUREMENT): the guest's initial
	// memory and CPU state.
	Measurement Measurement
	// HostData is HOST_DATA, 32 bytes the host fixed at launch.
	HostData [32]byte
	// IDKeyDigest and AuthorKeyDigest are SHA-384 digests of the keys
	// that signed the guest's ID block and that key (zero without one).
	IDKeyDigest     Measurement
	AuthorKeyDigest Measurement
	// FamilyID and ImageID come from the ID block.
	FamilyID [16]byte
	ImageID  [16]byte
	// VMPL is the privilege level that requested the report (0 is the
	// most privileged).
	VMPL uint32
	// GuestSVN is the guest's security version from its ID block.
	GuestSVN uint32
	// Policy is the guest policy the guest was launched with.
	Policy uint64
	// ReportedTCB is the platform TCB the report vouches for, the one its
	// VCEK is certified at.
	ReportedTCB SNPTCB
	// Product is AMD's product line ("Milan", "Genoa", "Turin"); empty for
	// fake reports.
	Product string
	// Signer is the key that signed the report: "VCEK" or "VLEK"; empty
	// for fake reports.
	Signer string
}

// snpImageHashDomain starts the input of every SEV-SNP image hash.
const snpImageHashDomain = "cocoon-go image hash: AMD SEV-SNP v1\x00"

// ImageHash returns the image hash of an SEV-SNP guest:
//
//	SHA-256("cocoon-go image hash: AMD SEV-SNP v1" ‖ 0x00 ‖ MEASUREMENT (48) ‖ HOST_DATA (32) ‖
//	        ID_KEY_DIGEST (48) ‖ AUTHOR_KEY_DIGEST (48) ‖ FAMILY_ID (16) ‖ IMAGE_ID (16) ‖
//	        VMPL (4, little-endian))
//
// that is SHA-256 over 249 bytes. The TDX image hash is SHA-256 over 448
// bytes, so an SEV-SNP image hash equals a TDX one only through a SHA-256
// collision: an allow-list entry names an image of one TEE only.
func (s SNP) ImageHash() [32]byte {
	h := sha256.New()
	h.Write([]byte(snpImageHashDomain))
	h.Write(s.Measurement[:])
	h.Write(s.HostData[:])
	h.Write(s.IDKeyDigest[:])
	h.Write(s.AuthorKeyDigest[:])
	h.Write(s.FamilyID[:])
	h.Write(s.ImageID[:])
	var vmpl [4]byte
	binary.LittleEndian.PutUint32(vmpl[:], s.VMPL)
	h.Write(vmpl[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// SNPTCB is an SEV-SNP platform TCB: the security patch levels of the
// firmware components. FMC exists on Turin (Zen 5) only.
type SNPTCB struct {
	FMC        uint8
	Bootloader uint8
	TEE        uint8
	SNP        uint8
	Microcode  uint8
}

// AtLeast reports whether every component of t is at least min's.
func (t SNPTCB) AtLeast(min SNPTCB) bool {
	return t.FMC >= min.FMC && t.Bootloader >= min.Bootloader && t.TEE >= min.TEE && t.SNP >= min.SNP && t.Microcode >= min.Microcode
}

// String writes t as ParseSNPTCB reads it.
func (t SNPTCB) String() string {
	return fmt.Sprintf("fmc=%d,bl=%d,tee=%d,snp=%d,ucode=%d", t.FMC, t.Bootloader, t.TEE, t.SNP, t.Microcode)
}

// ParseSNPTCB reads a TCB minimum as comma-separated component=level
// pairs, for example "bl=3,tee=0,snp=8,ucode=115" (components: fmc, bl,
// tee, snp, ucode; an absent one is 0).
func ParseSNPTCB(s string) (SNPTCB, error) {
	var t SNPTCB
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return SNPTCB{}, fmt.Errorf("parsing SEV-SNP TCB %q: %q is not component=level", s, part)
		}
		n, err := strconv.ParseUint(val, 10, 8)
		if err != nil {
			return SNPTCB{}, fmt.Errorf("parsing SEV-SNP TCB %q: level of %s: %w", s, name, err)
		}
		var dst *uint8
		switch name {
		case "fmc":
			dst = &t.FMC
		case "bl":
			dst = &t.Bootloader
		case "tee":
			dst = &t.TEE
		case "snp":
			dst = &t.SNP
		case "ucode":
			dst = &t.Microcode
		default:
			return SNPTCB{}, fmt.Errorf("parsing SEV-SNP TCB %q: unknown component %q: want fmc, bl, tee, snp or ucode", s, name)
		}
		if seen[name] {
			return SNPTCB{}, fmt.Errorf("parsing SEV-SNP TCB %q: component %s given twice", s, name)
		}
		seen[name] = true
		*dst = uint8(n)
	}
	return t, nil
}
