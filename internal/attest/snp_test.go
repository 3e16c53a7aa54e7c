package attest

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
	"testing"
)

func TestSNPImageHashFormula(t *testing.T) {
	s := SNP{VMPL: 2, GuestSVN: 9, Policy: 0x30000, ReportedTCB: SNPTCB{SNP: 3}, Product: "Genoa", Signer: "VCEK"}
	for i := range s.Measurement {
		s.Measurement[i], s.IDKeyDigest[i], s.AuthorKeyDigest[i] = 1, 3, 4
	}
	for i := range s.HostData {
		s.HostData[i] = 2
	}
	for i := range s.FamilyID {
		s.FamilyID[i], s.ImageID[i] = 5, 6
	}
	buf := []byte("cocoon-go image hash: AMD SEV-SNP v1\x00")
	for _, f := range []struct {
		v byte
		n int
	}{{1, 48}, {2, 32}, {3, 48}, {4, 48}, {5, 16}, {6, 16}} {
		for range f.n {
			buf = append(buf, f.v)
		}
	}
	buf = binary.LittleEndian.AppendUint32(buf, 2)
	if len(buf) != 249 {
		t.Fatalf("got %d hashed bytes, want 249", len(buf))
	}
	if got, want := s.ImageHash(), sha256.Sum256(buf); got != want {
		t.Errorf("got %x, want %x", got, want)
	}
	m := Measurements{Kind: KindSEVSNP, SNP: s}
	if m.ImageHash() != s.ImageHash() {
		t.Error("Measurements.ImageHash of an SEV-SNP peer is not SNP.ImageHash")
	}
	// Neither the guest's SVN and policy nor the platform's TCB, product
	// or signing key are the image.
	other := s
	other.GuestSVN, other.Policy, other.ReportedTCB, other.Product, other.Signer = 1, 2, SNPTCB{}, "Milan", "VLEK"
	if other.ImageHash() != s.ImageHash() {
		t.Error("image hash changed with guest SVN, policy, TCB, product or signer; want it not to")
	}
	for name, change := range map[string]func(*SNP){
		"measurement": func(x *SNP) { x.Measurement[47] ^= 1 }, "host data": func(x *SNP) { x.HostData[0] ^= 1 },
		"ID key": func(x *SNP) { x.IDKeyDigest[0] ^= 1 }, "author key": func(x *SNP) { x.AuthorKeyDigest[0] ^= 1 },
		"family": func(x *SNP) { x.FamilyID[0] ^= 1 }, "image": func(x *SNP) { x.ImageID[0] ^= 1 }, "VMPL": func(x *SNP) { x.VMPL++ },
	} {
		c := s
		change(&c)
		if c.ImageHash() == s.ImageHash() {
			t.Errorf("image hash did not change with the %s; want it to", name)
		}
	}
}

func TestImageHashSaysItsTEE(t *testing.T) {
	// Zero measurements of either TEE (every fake peer's) hash apart:
	// the inputs differ in length and domain.
	tdx := Measurements{Kind: KindFakeTDX}.ImageHash()
	snp := Measurements{Kind: KindFakeSEVSNP}.ImageHash()
	if tdx == snp {
		t.Fatalf("fake TDX and fake SEV-SNP image hashes are both %x", tdx)
	}
	if real := (Measurements{Kind: KindSEVSNP}).ImageHash(); real != snp {
		t.Errorf("got %x for a zero SEV-SNP report, want the fake's %x (same formula)", real, snp)
	}
	p, err := ParsePolicy("fake_tdx_or_fake_sev_snp:" + hexOf(tdx))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Check(Measurements{Kind: KindFakeSEVSNP}); !errors.Is(err, ErrImageHashNotAllowed) {
		t.Errorf("SEV-SNP peer against a TDX image hash: got %v, want %v", err, ErrImageHashNotAllowed)
	}
	if err := p.Check(Measurements{Kind: KindFakeTDX}); err != nil {
		t.Errorf("TDX peer against its image hash: %v", err)
	}
}

func hexOf(h [32]byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 64)
	for _, b := range h {
		out = append(out, digits[b>>4], digits[b&15])
	}
	return string(out)
}

func TestNamedPolicyAlternatives(t *testing.T) {
	tests := []struct {
		name    string
		kinds   []Kind
		rootIDs bool
		wantErr bool
	}{
		{"sev_snp", []Kind{KindSEVSNP}, false, false},
		{"fake_sev_snp", []Kind{KindFakeSEVSNP}, false, false},
		{"tdx_or_sev_snp", []Kind{KindTDX, KindSEVSNP}, true, false},
		{"sev_snp_or_tdx", []Kind{KindSEVSNP, KindTDX}, true, false},
		{"fake_tdx_or_fake_sev_snp", []Kind{KindFakeTDX, KindFakeSEVSNP}, false, false},
		{"tdx_or_fake_sev_snp", nil, false, true},
		{"tdx_or_tdx", nil, false, true},
		{"any_or_tdx", nil, false, true},
		{"tdx_or_", nil, false, true},
		{"sgx", nil, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NamedPolicy(tc.name)
			if (err != nil) != tc.wantErr {
				t.Fatalf("got %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if !slices.Equal(p.Kinds(), tc.kinds) {
				t.Errorf("got kinds %v, want %v", p.Kinds(), tc.kinds)
			}
			if (len(p.RootKeyIDs) > 0) != tc.rootIDs {
				t.Errorf("got root key ids %x, want Intel's: %v", p.RootKeyIDs, tc.rootIDs)
			}
		})
	}
}

func TestPolicyCheckSEVSNP(t *testing.T) {
	snp := Measurements{Kind: KindSEVSNP, SNP: SNP{ReportedTCB: SNPTCB{Bootloader: 4, TEE: 1, SNP: 22, Microcode: 213}}}
	snp.SNP.Measurement[0] = 7
	tdx := Measurements{Kind: KindTDX, TCBStatus: TCBUpToDate, RootKeyID: IntelRootKeyID}
	tests := []struct {
		name    string
		policy  Policy
		m       Measurements
		wantErr error
	}{
		{"sev_snp accepts an SEV-SNP peer", namedPolicy(t, "sev_snp"), snp, nil},
		{"sev_snp refuses a TDX peer", namedPolicy(t, "sev_snp"), tdx, ErrKindMismatch},
		{"tdx refuses an SEV-SNP peer", namedPolicy(t, "tdx"), snp, ErrKindMismatch},
		{"tdx_or_sev_snp accepts both", namedPolicy(t, "tdx_or_sev_snp"), snp, nil},
		{"tdx_or_sev_snp keeps TDX's rules", namedPolicy(t, "tdx_or_sev_snp"), Measurements{Kind: KindTDX, TCBStatus: TCBOutOfDate, RootKeyID: IntelRootKeyID}, ErrTCBStatusNotAllowed},
		{"tdx_or_sev_snp accepts TDX", namedPolicy(t, "tdx_or_sev_snp"), tdx, nil},
		{"fake policy refuses a real peer", namedPolicy(t, "fake_sev_snp"), snp, ErrKindMismatch},
		{"measurement allowed", with(namedPolicy(t, "sev_snp"), func(p *Policy) { p.SNPMeasurements = []Measurement{snp.SNP.Measurement} }), snp, nil},
		{"measurement not allowed", with(namedPolicy(t, "sev_snp"), func(p *Policy) { p.SNPMeasurements = []Measurement{{1}} }), snp, ErrSNPMeasurementNotAllowed},
		{"MRTD list does not bind SEV-SNP peers", with(namedPolicy(t, "tdx_or_sev_snp"), func(p *Policy) { p.MRTDs = []Measurement{{1}} }), snp, nil},
		{"SEV-SNP list does not bind TDX peers", with(namedPolicy(t, "tdx_or_sev_snp"), func(p *Policy) { p.SNPMeasurements = []Measurement{{1}} }), tdx, nil},
		{"TCB at the minimum", with(namedPolicy(t, "sev_snp"), func(p *Policy) { p.SNPMinTCB = snp.SNP.ReportedTCB }), snp, nil},
		{"TCB below the minimum", with(namedPolicy(t, "sev_snp"), func(p *Policy) { p.SNPMinTCB = SNPTCB{Microcode: 214} }), snp, ErrTCBTooOld},
		{"TCB minimum on any", with(namedPolicy(t, "any"), func(p *Policy) { p.SNPMinTCB = SNPTCB{SNP: 1} }), snp, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.policy.Check(tc.m)
			if tc.name == "TCB minimum on any" {
				if err == nil {
					t.Error("got nil, want a policy that attests nothing refused for carrying a TCB minimum")
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestParseSNPTCB(t *testing.T) {
	got, err := ParseSNPTCB("bl=3, tee=0,snp=8,ucode=115,fmc=1")
	if want := (SNPTCB{FMC: 1, Bootloader: 3, SNP: 8, Microcode: 115}); err != nil || got != want {
		t.Errorf("got %s, %v; want %s", got, err, want)
	}
	if back, err := ParseSNPTCB(got.String()); err != nil || back != got {
		t.Errorf("String does not round-trip: %s, %v", back, err)
	}
	for _, bad := range []string{"", "bl", "bl=256", "bl=-1", "sgx=1", "bl=1,bl=2"} {
		if _, err := ParseSNPTCB(bad); err == nil {
			t.Errorf("%q: got nil error, want a refusal", bad)
		}
	}
	if !got.AtLeast(SNPTCB{Bootloader: 3}) || got.AtLeast(SNPTCB{TEE: 1}) {
		t.Error("AtLeast is not component-wise")
	}
}
