package ratls

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"testing"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/fakesevsnp"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
)

// TestMixedTEEHandshakes: one verifier, with a TDX and an SEV-SNP
// validator and the policy fake_tdx_or_fake_sev_snp, accepts a fake TDX
// and a fake SEV-SNP peer through the same VerifyConnection path, and
// tells them apart by kind and image hash.
func TestMixedTEEHandshakes(t *testing.T) {
	v := mustVerifier(t, faketdx.NewValidator(), "fake_tdx_or_fake_sev_snp", WithSEVSNP(fakesevsnp.NewValidator()))
	srvCert := mustCertifier(t, faketdx.NewIssuer())
	for _, tc := range []struct {
		name   string
		issuer attest.Issuer
		kind   attest.Kind
	}{{"fake TDX client", faketdx.NewIssuer(), attest.KindFakeTDX}, {"fake SEV-SNP client", fakesevsnp.NewIssuer(), attest.KindFakeSEVSNP}} {
		t.Run(tc.name, func(t *testing.T) {
			cliCert := mustCertifier(t, tc.issuer)
			srv, cli := handshake(t, ServerConfig(srvCert, v), ClientConfig(cliCert, v))
			if srv.err != nil || cli.err != nil {
				t.Fatalf("got server error %v, client error %v; want none", srv.err, cli.err)
			}
			p, err := v.PeerFromState(context.Background(), srv.state)
			if err != nil {
				t.Fatal(err)
			}
			if want := (attest.Measurements{Kind: tc.kind}).ImageHash(); p.Measurements.Kind != tc.kind || p.ImageHash != want {
				t.Errorf("got kind %s image hash %x, want %s and %x", p.Measurements.Kind, p.ImageHash, tc.kind, want)
			}
		})
	}
}

func TestSEVSNPCertificateFormat(t *testing.T) {
	c := mustCertifier(t, fakesevsnp.NewIssuer())
	cert, err := c.Certificate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	leaf := cert.Leaf
	var cmw *pkix.Extension
	for i, e := range leaf.Extensions {
		if e.Id.Equal(OIDQuote) {
			t.Error("SEV-SNP certificate carries the reference's quote extension")
		}
		if e.Id.Equal(OIDCMW) {
			cmw = &leaf.Extensions[i]
		}
	}
	if cmw == nil || !cmw.Critical {
		t.Fatalf("got CMW extension %+v, want a critical one", cmw)
	}
	// The value, byte by byte: OCTET STRING { CBOR [type, evidence, 4] }.
	rd := attest.ReportData(c.key.Public().(ed25519.PublicKey))
	rec := append([]byte{0x83, 0x78, byte(len(SEVSNPEvidenceType))}, SEVSNPEvidenceType...)
	rec = append(append(rec, 0x58, 64), rd[:]...)
	rec = append(rec, 0x04)
	want, _ := asn1.Marshal(rec)
	if !bytes.Equal(cmw.Value, want) {
		t.Errorf("got CMW value %x, want %x", cmw.Value, want)
	}
	ev, err := ParseEvidence(leaf)
	if err != nil || !bytes.Equal(ev.SEVSNP, rd[:]) || ev.Quote != nil || ev.Kind() != attest.KindSEVSNP {
		t.Errorf("ParseEvidence: got %+v, %v; want the report data as SEV-SNP evidence", ev, err)
	}
}

func TestSEVSNPEvidenceRefused(t *testing.T) {
	key := newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	rd := attestReportData(key)
	snpCert := certWith(t, key, Evidence{SEVSNP: rd[:], Claims: pub}, now).Leaf
	cmwValue := func(rec []byte) []byte { v, _ := asn1.Marshal(rec); return v }
	record := func(typ string, evidence []byte, tail ...byte) []byte {
		r := append([]byte{0x83, 0x78, byte(len(typ))}, typ...)
		r = append(append(r, 0x58, byte(len(evidence))), evidence...)
		return append(r, tail...)
	}
	withCMW := func(critical bool, value []byte, extra ...pkix.Extension) *x509.Certificate {
		ext := pkix.Extension{Id: OIDCMW, Critical: critical, Value: value}
		return certWith(t, key, Evidence{Claims: pub}, now, append([]pkix.Extension{ext}, extra...)...).Leaf
	}
	jsonChoice, _ := asn1.MarshalWithParams(`["application/x.cocoon.sev-snp-evidence","AA",4]`, "utf8")
	longHead := append([]byte{0x83, 0x79, 0, byte(len(SEVSNPEvidenceType))}, SEVSNPEvidenceType...)
	longHead = append(append(longHead, 0x58, 64), rd[:]...)
	longHead = append(longHead, 4)
	tests := []struct {
		name     string
		verifier *Verifier
		cert     *x509.Certificate
		wantErr  error
		wantKind attest.Kind
	}{
		{"accepted", mustVerifier(t, faketdx.NewValidator(), "fake_sev_snp", WithSEVSNP(fakesevsnp.NewValidator())), snpCert, nil, attest.KindFakeSEVSNP},
		{"no SEV-SNP validator", mustVerifier(t, faketdx.NewValidator(), "fake_tdx"), snpCert, ErrEvidenceNotAccepted, 0},
		{"no attestation accepts it unchecked", mustVerifier(t, attest.NoVerification, "any"), snpCert, nil, attest.KindNone},
		{"TDX validator in the SEV-SNP slot", mustVerifier(t, faketdx.NewValidator(), "fake_tdx", WithSEVSNP(faketdx.NewValidator())), snpCert, attest.ErrKindMismatch, 0},
		{"policy wants TDX", mustVerifier(t, faketdx.NewValidator(), "fake_tdx", WithSEVSNP(fakesevsnp.NewValidator())), snpCert, attest.ErrKindMismatch, 0},
		{"non-critical", mustVerifier(t, faketdx.NewValidator(), "fake_sev_snp", WithSEVSNP(fakesevsnp.NewValidator())), withCMW(false, cmwValue(record(SEVSNPEvidenceType, rd[:], 4))), ErrMalformedExtension, 0},
		{"json choice", mustVerifier(t, faketdx.NewValidator(), "fake_sev_snp", WithSEVSNP(fakesevsnp.NewValidator())), withCMW(true, jsonChoice), ErrMalformedExtension, 0},
		{"other type", mustVerifier(t, faketdx.NewValidator(), "fake_sev_snp", WithSEVSNP(fakesevsnp.NewValidator())), withCMW(true, cmwValue(record("application/eat+cwt", rd[:], 4))), ErrMalformedExtension, 0},
		{"no indicator", mustVerifier(t, faketdx.NewValidator(), "fake_sev_snp", WithSEVSNP(fakesevsnp.NewValidator())), withCMW(true, cmwValue(record(SEVSNPEvidenceType, rd[:]))), ErrMalformedExtension, 0},
		{"trailing bytes", mustVerifier(t, faketdx.NewValidator(), "fake_sev_snp", WithSEVSNP(fakesevsnp.NewValidator())), withCMW(true, cmwValue(record(SEVSNPEvidenceType, rd[:], 4, 0))), ErrMalformedExtension, 0},
		{"head not shortest", mustVerifier(t, faketdx.NewValidator(), "fake_sev_snp", WithSEVSNP(fakesevsnp.NewValidator())), withCMW(true, cmwValue(longHead)), ErrMalformedExtension, 0},
		{"empty evidence", mustVerifier(t, faketdx.NewValidator(), "fake_sev_snp", WithSEVSNP(fakesevsnp.NewValidator())), withCMW(true, cmwValue(record(SEVSNPEvidenceType, nil, 4))), ErrMalformedExtension, 0},
		{"quote and SEV-SNP evidence", mustVerifier(t, faketdx.NewValidator(), "fake_tdx_or_fake_sev_snp", WithSEVSNP(fakesevsnp.NewValidator())),
			certWith(t, key, Evidence{Quote: rd[:], SEVSNP: rd[:], Claims: pub}, now).Leaf, ErrMalformedExtension, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.verifier.VerifyCertificates(context.Background(), []*x509.Certificate{tc.cert})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			}
			if err == nil && p.Measurements.Kind != tc.wantKind {
				t.Errorf("got kind %s, want %s", p.Measurements.Kind, tc.wantKind)
			}
		})
	}
}

// TestCacheKeepsFamiliesApart: the same bytes as a TDX quote and as
// SEV-SNP evidence are validated once each, by their own validators.
func TestCacheKeepsFamiliesApart(t *testing.T) {
	tdx := &countingValidator{Validator: faketdx.NewValidator()}
	snp := &countingValidator{Validator: fakesevsnp.NewValidator()}
	v := mustVerifier(t, tdx, "fake_tdx_or_fake_sev_snp", WithSEVSNP(snp))
	key := newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	rd := attestReportData(key)
	for range 2 {
		for _, ev := range []Evidence{{Quote: rd[:], Claims: pub}, {SEVSNP: rd[:], Claims: pub}} {
			p, err := v.VerifyCertificates(context.Background(), []*x509.Certificate{certWith(t, key, ev, now).Leaf})
			if err != nil {
				t.Fatal(err)
			}
			if want := map[attest.Kind]attest.Kind{attest.KindTDX: attest.KindFakeTDX, attest.KindSEVSNP: attest.KindFakeSEVSNP}[ev.Kind()]; p.Measurements.Kind != want {
				t.Errorf("got kind %s, want %s", p.Measurements.Kind, want)
			}
		}
	}
	if tdx.n != 1 || snp.n != 1 {
		t.Errorf("got %d TDX and %d SEV-SNP validations, want one each", tdx.n, snp.n)
	}
}

func FuzzDecodeCMW(f *testing.F) {
	for _, e := range [][]byte{{1}, bytes.Repeat([]byte{7}, 300), bytes.Repeat([]byte{9}, 70000)} {
		v, err := encodeCMW(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v)
	}
	f.Add([]byte{0x04, 0x01, 0x83})
	f.Fuzz(func(t *testing.T, v []byte) {
		e, err := decodeCMW(v)
		if err != nil {
			return
		}
		enc, err := encodeCMW(e)
		if err != nil {
			t.Fatalf("encodeCMW of decoded evidence: %v", err)
		}
		if !bytes.Equal(enc, v) {
			t.Errorf("re-encoding gives %x, want the decoded %x", enc, v)
		}
		e2, err := decodeCMW(enc)
		if err != nil || !bytes.Equal(e2, e) {
			t.Errorf("decoding the re-encoding: %x, %v; want %x", e2, err, e)
		}
	})
}
