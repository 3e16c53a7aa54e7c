package attest

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
)

func TestImageHashFormula(t *testing.T) {
	var m Measurements
	for i := range m.MRTD {
		m.MRTD[i] = 1
		m.MRConfigID[i] = 2
		m.MROwner[i] = 3
		m.MROwnerConfig[i] = 4
		for r := range m.RTMR {
			m.RTMR[r][i] = byte(5 + r)
		}
	}
	var buf []byte
	for v := byte(1); v <= 8; v++ {
		for range MeasurementSize {
			buf = append(buf, v)
		}
	}
	buf = append(buf, make([]byte, 64)...)
	if len(buf) != 448 {
		t.Fatalf("got %d hashed bytes, want 448", len(buf))
	}
	if got, want := m.ImageHash(), sha256.Sum256(buf); got != want {
		t.Errorf("got %x, want %x", got, want)
	}
}

func TestImageHashIgnoresReportDataNotMRTD(t *testing.T) {
	var a Measurements
	b := a
	b.ReportData[0], b.TCBStatus, b.RootKeyID[0] = 1, TCBOutOfDate, 1
	if a.ImageHash() != b.ImageHash() {
		t.Error("image hash changed with report data, TCB status or root key; want it not to")
	}
	c := a
	c.MRTD[47] = 1
	if a.ImageHash() == c.ImageHash() {
		t.Error("image hash did not change with MRTD; want it to")
	}
	// Every fake TDX peer has this hash: SHA-256 of 448 zero bytes.
	zero := a.ImageHash()
	if want := sha256.Sum256(make([]byte, 448)); zero != want {
		t.Errorf("got zero image hash %x, want %x", zero, want)
	}
}

func TestPolicyCheck(t *testing.T) {
	tdx := Measurements{Kind: KindTDX, TCBStatus: TCBUpToDate, RootKeyID: IntelRootKeyID}
	tdx.MRTD[0] = 7
	tdx.RTMR[3][0] = 9
	fake := Measurements{Kind: KindFakeTDX}
	otherMRTD := Measurement{1}
	tests := []struct {
		name    string
		policy  Policy
		m       Measurements
		wantErr error
	}{
		{"any accepts nothing attested", namedPolicy(t, "any"), Measurements{}, nil},
		{"any accepts tdx", namedPolicy(t, "any"), tdx, nil},
		{"fake_tdx accepts fake", namedPolicy(t, "fake_tdx"), fake, nil},
		{"fake_tdx refuses tdx", namedPolicy(t, "fake_tdx"), tdx, ErrKindMismatch},
		{"tdx accepts tdx", namedPolicy(t, "tdx"), tdx, nil},
		{"tdx refuses fake", namedPolicy(t, "tdx"), fake, ErrKindMismatch},
		{"tdx refuses unattested", namedPolicy(t, "tdx"), Measurements{}, ErrKindMismatch},
		{"MRTD allowed", with(namedPolicy(t, "tdx"), func(p *Policy) { p.MRTDs = []Measurement{otherMRTD, tdx.MRTD} }), tdx, nil},
		{"MRTD not allowed", with(namedPolicy(t, "tdx"), func(p *Policy) { p.MRTDs = []Measurement{otherMRTD} }), tdx, ErrMRTDNotAllowed},
		{"RTMR allowed", with(namedPolicy(t, "tdx"), func(p *Policy) { p.RTMRs = [][4]Measurement{tdx.RTMR} }), tdx, nil},
		{"RTMR not allowed", with(namedPolicy(t, "tdx"), func(p *Policy) { p.RTMRs = [][4]Measurement{{}} }), tdx, ErrRTMRNotAllowed},
		{"image hash allowed", with(namedPolicy(t, "fake_tdx"), func(p *Policy) { p.ImageHashes = [][32]byte{fake.ImageHash()} }), fake, nil},
		{"image hash not allowed", with(namedPolicy(t, "tdx"), func(p *Policy) { p.ImageHashes = [][32]byte{fake.ImageHash()} }), tdx, ErrImageHashNotAllowed},
		{"foreign root", namedPolicy(t, "tdx"), with2(tdx, func(m *Measurements) { m.RootKeyID = Measurement{1} }), ErrRootKeyNotAllowed},
		{"any root", with(namedPolicy(t, "tdx"), func(p *Policy) { p.RootKeyIDs = nil }), with2(tdx, func(m *Measurements) { m.RootKeyID = Measurement{1} }), nil},
		{"out of date", namedPolicy(t, "tdx"), with2(tdx, func(m *Measurements) { m.TCBStatus = TCBOutOfDate }), ErrTCBStatusNotAllowed},
		{"out of date tolerated", with(namedPolicy(t, "tdx"), func(p *Policy) { p.TCBStatuses = []TCBStatus{TCBUpToDate, TCBOutOfDate} }), with2(tdx, func(m *Measurements) { m.TCBStatus = TCBOutOfDate }), nil},
		{"not evaluated", namedPolicy(t, "tdx"), with2(tdx, func(m *Measurements) { m.TCBStatus = TCBNotEvaluated }), ErrTCBStatusNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.policy.Check(tc.m)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// namedPolicy returns the policy called name, failing t if there is none.
func namedPolicy(t *testing.T, name string) Policy {
	t.Helper()
	p, err := NamedPolicy(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// with returns p changed by f.
func with(p Policy, f func(*Policy)) Policy { f(&p); return p }

func with2(m Measurements, f func(*Measurements)) Measurements { f(&m); return m }

func TestParsePolicy(t *testing.T) {
	h := "04b3afd931d28680af91a15b09d672c40ad6b141f7f9089a8d67d595220f7436"
	tests := []struct {
		spec    string
		wantErr bool
		hashes  int
		require Kind
	}{
		{"any", false, 0, KindNone},
		{"fake_tdx", false, 0, KindFakeTDX},
		{"tdx", false, 0, KindTDX},
		{"tdx:" + h, false, 1, KindTDX},
		{"tdx:" + h + "," + h, false, 2, KindTDX},
		{"any:" + h, true, 0, 0},
		{"tdx:zz", true, 0, 0},
		{"tdx:" + h[:62], true, 0, 0},
		{"sgx", true, 0, 0},
		{"", true, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			p, err := ParsePolicy(tc.spec)
			if (err != nil) != tc.wantErr {
				t.Fatalf("got error %v, want error: %v", err, tc.wantErr)
			}
			if err == nil && (len(p.ImageHashes) != tc.hashes || p.Require != tc.require) {
				t.Errorf("got %d hashes requiring %s, want %d requiring %s", len(p.ImageHashes), p.Require, tc.hashes, tc.require)
			}
		})
	}
}

func TestNoVerificationAndNoEvidence(t *testing.T) {
	ctx := context.Background()
	q, err := NoEvidence.Issue(ctx, ReportData([]byte("k")))
	if err != nil || len(q) != 0 {
		t.Errorf("NoEvidence: got %d bytes, %v; want none", len(q), err)
	}
	m, err := NoVerification.Validate(ctx, []byte("anything"), [ReportDataSize]byte{})
	if err != nil || m.Kind != KindNone {
		t.Errorf("NoVerification: got kind %s, %v; want none, nil", m.Kind, err)
	}
}

func TestParseTCBStatuses(t *testing.T) {
	got, err := ParseTCBStatuses("UpToDate, SWHardeningNeeded,NotEvaluated")
	if err != nil || len(got) != 3 || got[1] != TCBSWHardeningNeeded {
		t.Errorf("got %v, %v; want three statuses", got, err)
	}
	for _, bad := range []string{"", "Revoked", "uptodate", "UpToDate,,OutOfDate"} {
		if _, err := ParseTCBStatuses(bad); err == nil {
			t.Errorf("%q: got nil error, want one", bad)
		}
	}
}

func TestAllowList(t *testing.T) {
	fake := Measurements{Kind: KindFakeTDX}
	tdx := Measurements{Kind: KindTDX, TCBStatus: TCBUpToDate, RootKeyID: IntelRootKeyID}
	tdx.MRTD[0] = 7
	list := &AllowList{Peer: "worker", Source: "the root's worker_hashes (root EQx, version 12)", Hashes: [][32]byte{tdx.ImageHash()}}
	if err := list.Check(tdx.ImageHash()); err != nil {
		t.Errorf("listed image: got %v, want nil", err)
	}
	err := list.Check(fake.ImageHash())
	want := "worker image hash 5c55c8f4db4010ba9203d83536d0609856af8c847ac039e37e7dde8fbd574b61 is not in the root's worker_hashes (root EQx, version 12)"
	if !errors.Is(err, ErrImageHashNotAllowed) || err == nil || err.Error() != want {
		t.Errorf("unlisted image: got %v, want %q", err, want)
	}
	if err := (&AllowList{Peer: "proxy"}).Check(tdx.ImageHash()); !errors.Is(err, ErrImageHashNotAllowed) {
		t.Errorf("empty list: got %v, want the image refused", err)
	}

	tests := []struct {
		name    string
		policy  Policy
		m       Measurements
		wantErr error
	}{
		{"fake listed", with3(namedPolicy(t, "fake_tdx"), &AllowList{Hashes: [][32]byte{fake.ImageHash()}}), fake, nil},
		{"fake not listed", with3(namedPolicy(t, "fake_tdx"), &AllowList{}), fake, ErrImageHashNotAllowed},
		{"tdx listed", with3(namedPolicy(t, "tdx"), list), tdx, nil},
		{"tdx not listed", with3(namedPolicy(t, "tdx"), &AllowList{Hashes: [][32]byte{fake.ImageHash()}}), tdx, ErrImageHashNotAllowed},
		// The list is checked last: a wrong kind says so, not that its
		// image is unlisted.
		{"kind first", with3(namedPolicy(t, "tdx"), &AllowList{}), fake, ErrKindMismatch},
		{"TCB first", with3(namedPolicy(t, "tdx"), list), with2(tdx, func(m *Measurements) { m.TCBStatus = TCBOutOfDate }), ErrTCBStatusNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.policy.Check(tc.m)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
			if err := tc.policy.CheckStatic(tc.m); errors.Is(err, ErrImageHashNotAllowed) {
				t.Errorf("CheckStatic: got %v, want the live list left out", err)
			}
		})
	}
	if err := with3(namedPolicy(t, "any"), list).Validate(); err == nil {
		t.Error("policy any with a live list: got nil error, want one (it attests nothing to check)")
	}
}

func with3(p Policy, a *AllowList) Policy { p.Allowed = a; return p }

func TestCheckQuoteShape(t *testing.T) {
	tdx, _ := NamedPolicy("tdx")
	fake, _ := NamedPolicy("fake_tdx")
	err := tdx.CheckQuoteShape(make([]byte, ReportDataSize))
	if !errors.Is(err, ErrFakeQuote) || err.Error() != "fake TDX quote rejected: policy tdx requires a real quote" {
		t.Errorf("fake quote under tdx: got %v", err)
	}
	for _, tc := range []struct {
		p     Policy
		quote []byte
	}{{tdx, make([]byte, 1000)}, {tdx, nil}, {fake, make([]byte, ReportDataSize)}} {
		if err := tc.p.CheckQuoteShape(tc.quote); err != nil {
			t.Errorf("policy %s, %d-byte quote: got %v, want nil", tc.p.Name, len(tc.quote), err)
		}
	}
}
