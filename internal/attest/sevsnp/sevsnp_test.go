package sevsnp

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-sev-guest/abi"
	sevtestdata "github.com/google/go-sev-guest/verify/testdata"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/attesttest"
)

// fixtureTime is a date at which the real fixture's VCEK is valid.
var fixtureTime = time.Date(2023, time.June, 1, 0, 0, 0, 0, time.UTC)

// fixtureMeasurement and fixtureImageHash are the real fixture's launch
// measurement and SEV-SNP image hash.
const (
	fixtureMeasurement = "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01"
	fixtureImageHash   = "be4fa572c3afd4632df0898e3ebfa15bfc37c39a6e91b0f418950d2caa07f39d"
)

func readFixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/milan-v2-evidence.bin")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRealReportFixture(t *testing.T) {
	raw := readFixture(t)
	e, err := ParseEvidence(raw)
	if err != nil {
		t.Fatalf("ParseEvidence: %v", err)
	}
	if !bytes.Equal(e.Report, sevtestdata.AttestationBytes) || !bytes.Equal(e.Certs.VCEK, sevtestdata.VcekBytes) {
		t.Fatal("fixture is not go-sev-guest's published report and VCEK")
	}
	var rd [attest.ReportDataSize]byte
	copy(rd[:], []byte{1, 2, 3, 4, 5})
	v, err := NewValidator(fixed(fixtureTime), InsecureSkipCRL(), InsecureAllowDebug())
	if err != nil {
		t.Fatal(err)
	}
	m, err := v.Validate(context.Background(), raw, rd)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if m.Kind != attest.KindSEVSNP || m.SNP.Product != "Milan" || m.SNP.Signer != "VCEK" {
		t.Errorf("got kind %s product %q signer %q, want sev_snp Milan VCEK", m.Kind, m.SNP.Product, m.SNP.Signer)
	}
	if got := hex.EncodeToString(m.SNP.Measurement[:]); got != fixtureMeasurement {
		t.Errorf("got measurement %s, want %s", got, fixtureMeasurement)
	}
	if want := (attest.SNPTCB{Bootloader: 2, SNP: 5, Microcode: 68}); m.SNP.ReportedTCB != want {
		t.Errorf("got reported TCB %s, want %s", m.SNP.ReportedTCB, want)
	}
	if want := sha512Sum384(AMDRoots()["Milan"].ARK.RawSubjectPublicKeyInfo); m.RootKeyID != want {
		t.Errorf("got root key id %x, want the Milan ARK's %x", m.RootKeyID, want)
	}
	// The image hash, spelled out independently of attest.SNP.ImageHash:
	// the domain, then MEASUREMENT, HOST_DATA, ID_KEY_DIGEST and
	// AUTHOR_KEY_DIGEST (report bytes 0x90-0x140), FAMILY_ID and IMAGE_ID
	// (0x10-0x30), and VMPL (0x30-0x34).
	h := sha256.New()
	h.Write([]byte("cocoon-go image hash: AMD SEV-SNP v1\x00"))
	h.Write(raw[0x90:0x140])
	h.Write(raw[0x10:0x34])
	if got, want := m.ImageHash(), h.Sum(nil); !bytes.Equal(got[:], want) || hex.EncodeToString(want) != fixtureImageHash {
		t.Errorf("got image hash %x, formula gives %x, recorded %s", got, want, fixtureImageHash)
	}

	// By default, a guest the host can debug is refused; so is the
	// fixture bound to another key, or judged where its VCEK has expired.
	strict, _ := NewValidator(fixed(fixtureTime), InsecureSkipCRL())
	if _, err := strict.Validate(context.Background(), raw, rd); !errors.Is(err, ErrDebugPolicy) {
		t.Errorf("default rules: got %v, want %v", err, ErrDebugPolicy)
	}
	if _, err := v.Validate(context.Background(), raw, attest.ReportData([]byte("our key"))); !errors.Is(err, attest.ErrReportDataMismatch) {
		t.Errorf("another key: got %v, want %v", err, attest.ErrReportDataMismatch)
	}
	late, _ := NewValidator(fixed(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)), InsecureSkipCRL(), InsecureAllowDebug())
	if _, err := late.Validate(context.Background(), raw, rd); !errors.Is(err, ErrCertificateInvalid) {
		t.Errorf("after the VCEK's expiry: got %v, want %v", err, ErrCertificateInvalid)
	}
	// Without the VCEK in the evidence and offline with nothing, the
	// VCEK is unavailable; offline with it under its KDS URL, the report
	// verifies.
	bare := raw[:ReportSize]
	off, _ := NewValidator(fixed(fixtureTime), InsecureSkipCRL(), InsecureAllowDebug(), WithOfflineKDS(t.TempDir()))
	if _, err := off.Validate(context.Background(), bare, rd); !errors.Is(err, ErrKDSUnavailable) {
		t.Errorf("bare report, empty offline directory: got %v, want %v", err, ErrKDSUnavailable)
	}
}

func sha512Sum384(b []byte) attest.Measurement {
	var m attest.Measurement
	copy(m[:], sha384(b))
	return m
}

// matrixCase is one attack on evidence, and the error it must meet.
type matrixCase struct {
	name     string
	evidence func(t *testing.T, c *chain, rd [attest.ReportDataSize]byte) []byte
	rd       func(rd [attest.ReportDataSize]byte) [attest.ReportDataSize]byte
	opts     func(t *testing.T, c *chain) []Option
	policy   func(p *attest.Policy)
	wantErr  error
}

// TestNegativeMatrix is the SEV-SNP counterpart of the TDX rejections:
// every attack meets its own error, and no other.
func TestNegativeMatrix(t *testing.T) {
	same := func(rd [attest.ReportDataSize]byte) [attest.ReportDataSize]byte { return rd }
	good := func(t *testing.T, c *chain, rd [attest.ReportDataSize]byte) []byte {
		return c.evidence(t, reportOpts{reportData: rd, policy: defaultPolicy(), measurement: 0xAA})
	}
	trusted := func(t *testing.T, c *chain) []Option { return []Option{WithTrustedRoots(c.roots()), InsecureSkipCRL()} }
	withOpts := func(o reportOpts) func(t *testing.T, c *chain, rd [attest.ReportDataSize]byte) []byte {
		return func(t *testing.T, c *chain, rd [attest.ReportDataSize]byte) []byte {
			o.reportData = rd
			if o.policy == (abi.SnpPolicy{}) {
				o.policy = defaultPolicy()
			}
			return c.evidence(t, o)
		}
	}
	oldTCB := testTCB
	oldTCB.SNP--
	cases := []matrixCase{
		{"accepted", good, same, trusted, nil, nil},
		{"no evidence", func(*testing.T, *chain, [attest.ReportDataSize]byte) []byte { return nil }, same, trusted, nil, attest.ErrNoQuote},
		{"wrong key binding", good, func([attest.ReportDataSize]byte) [attest.ReportDataSize]byte {
			return attest.ReportData([]byte("the key of another certificate"))
		}, trusted, nil, attest.ErrReportDataMismatch},
		{"replayed report", func(t *testing.T, c *chain, _ [attest.ReportDataSize]byte) []byte {
			// A genuine report, captured from a handshake bound to
			// another key, presented again.
			return c.evidence(t, reportOpts{reportData: attest.ReportData([]byte("the victim's key")), policy: defaultPolicy()})
		}, same, trusted, nil, attest.ErrReportDataMismatch},
		{"debug policy", withOpts(reportOpts{policy: abi.SnpPolicy{ABIMajor: 1, ABIMinor: 55, Debug: true}}), same, trusted, nil, ErrDebugPolicy},
		{"migration agent", withOpts(reportOpts{policy: abi.SnpPolicy{ABIMajor: 1, ABIMinor: 55, MigrateMA: true}}), same, trusted, nil, ErrMigrationAgent},
		{"old ABI", good, same, func(t *testing.T, c *chain) []Option {
			return append(trusted(t, c), WithMinimumABI(1, 56))
		}, nil, ErrABITooOld},
		{"old TCB", good, same, trusted, func(p *attest.Policy) {
			p.SNPMinTCB = attest.SNPTCB{Bootloader: testTCB.Bootloader, SNP: testTCB.SNP + 1}
		}, attest.ErrTCBTooOld},
		{"TCB other than the VCEK's", withOpts(reportOpts{tcb: &oldTCB}), same, trusted, nil, ErrCertificateMismatch},
		{"foreign chain", good, same, func(*testing.T, *chain) []Option { return []Option{InsecureSkipCRL()} }, nil, ErrUntrustedRoot},
		{"measurement not allowed", good, same, trusted, func(p *attest.Policy) {
			p.SNPMeasurements = []attest.Measurement{{0xBB}}
		}, attest.ErrSNPMeasurementNotAllowed},
		{"image not allowed", good, same, trusted, func(p *attest.Policy) {
			p.ImageHashes = [][32]byte{{1}}
		}, attest.ErrImageHashNotAllowed},
		{"flipped signature", func(t *testing.T, c *chain, rd [attest.ReportDataSize]byte) []byte {
			e := good(t, c, rd)
			e[0x2A0] ^= 1
			return e
		}, same, trusted, nil, ErrBadSignature},
		{"flipped measurement", func(t *testing.T, c *chain, rd [attest.ReportDataSize]byte) []byte {
			e := good(t, c, rd)
			e[0x90] ^= 1
			return e
		}, same, trusted, nil, ErrBadSignature},
		{"chain expired", good, same, func(t *testing.T, c *chain) []Option {
			return []Option{WithTrustedRoots(c.roots()), InsecureSkipCRL()}
		}, nil, ErrCertificateInvalid},
		{"truncated", func(t *testing.T, c *chain, rd [attest.ReportDataSize]byte) []byte {
			return good(t, c, rd)[:ReportSize-1]
		}, same, trusted, nil, ErrMalformedEvidence},
		{"revoked VCEK", good, same, func(t *testing.T, c *chain) []Option {
			return []Option{WithTrustedRoots(c.roots()), WithOfflineKDS(c.offlineKDS(t, c.crl(t, testTime.AddDate(0, 0, -1), big.NewInt(0))))}
		}, nil, ErrRevoked},
		{"CRL expired", good, same, func(t *testing.T, c *chain) []Option {
			return []Option{WithTrustedRoots(c.roots()), WithOfflineKDS(c.offlineKDS(t, c.crl(t, testTime.AddDate(0, -2, 0))))}
		}, nil, ErrCRLExpired},
		{"CRL from another root", good, same, func(t *testing.T, c *chain) []Option {
			return []Option{WithTrustedRoots(c.roots()), WithOfflineKDS(c.offlineKDS(t, foreignCRL(t, c)))}
		}, nil, ErrCRLInvalid},
		{"CRL unavailable", good, same, func(t *testing.T, c *chain) []Option {
			return []Option{WithTrustedRoots(c.roots()), WithOfflineKDS(t.TempDir())}
		}, nil, ErrKDSUnavailable},
		{"current CRL", good, same, func(t *testing.T, c *chain) []Option {
			return []Option{WithTrustedRoots(c.roots()), WithOfflineKDS(c.offlineKDS(t, c.crl(t, testTime.AddDate(0, 0, -1), big.NewInt(12345))))}
		}, nil, nil},
	}
	all := []error{attest.ErrNoQuote, attest.ErrReportDataMismatch, ErrMalformedEvidence, ErrUnknownProduct, ErrKDSUnavailable,
		ErrUntrustedRoot, ErrCertificateInvalid, ErrBadSignature, ErrCertificateMismatch, ErrCRLInvalid, ErrCRLExpired, ErrRevoked,
		ErrDebugPolicy, ErrMigrationAgent, ErrABITooOld, attest.ErrTCBTooOld, attest.ErrSNPMeasurementNotAllowed, attest.ErrImageHashNotAllowed}
	for _, product := range []string{"Milan", "Genoa", "Turin"} {
		tcb := testTCB
		if product == "Turin" {
			tcb.FMC = 3
		}
		c := newChain(t, product, tcb)
		for _, tc := range cases {
			t.Run(product+"/"+tc.name, func(t *testing.T) {
				rd := attest.ReportData([]byte("our TLS key"))
				at := testTime
				if tc.name == "chain expired" {
					at = testTime.AddDate(30, 0, 0)
				}
				v, err := NewValidator(fixed(at), tc.opts(t, c)...)
				if err != nil {
					t.Fatal(err)
				}
				p, _ := attest.NamedPolicy("sev_snp")
				if tc.policy != nil {
					tc.policy(&p)
				}
				m, err := v.Validate(context.Background(), tc.evidence(t, c, rd), tc.rd(rd))
				if err == nil {
					err = p.Check(m)
				}
				if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
					t.Fatalf("got %v, want %v", err, tc.wantErr)
				}
				for _, other := range all {
					if other != tc.wantErr && errors.Is(err, other) {
						t.Errorf("error %v also matches %v; causes must be distinct", err, other)
					}
				}
				if err == nil && (m.SNP.Product != product || m.SNP.ReportedTCB != tcb || m.SNP.Measurement != attest.Measurement(bytes.Repeat([]byte{0xAA}, 48))) {
					t.Errorf("got product %q TCB %s measurement %x, want %s %s and 0xAA…", m.SNP.Product, m.SNP.ReportedTCB, m.SNP.Measurement, product, tcb)
				}
			})
		}
	}
}

// foreignCRL returns a CRL under the name of c's ARK, signed by another
// key.
func foreignCRL(t testing.TB, c *chain) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: c.signer.Ark.Subject, NotBefore: testTime.AddDate(-1, 0, 0), NotAfter: testTime.AddDate(1, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ark, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: testTime.AddDate(0, 0, -1), NextUpdate: testTime.AddDate(0, 1, 0),
	}, ark, key)
	if err != nil {
		t.Fatal(err)
	}
	return crl
}

func TestVersion2ReportNamesProductThroughVCEK(t *testing.T) {
	c := newChain(t, "Genoa", testTCB)
	rd := attest.ReportData([]byte("key"))
	ev := c.evidence(t, reportOpts{reportData: rd, policy: defaultPolicy(), version: 2})
	v, _ := NewValidator(fixed(testTime), WithTrustedRoots(c.roots()), InsecureSkipCRL())
	m, err := v.Validate(context.Background(), ev, rd)
	if err != nil || m.SNP.Product != "Genoa" {
		t.Fatalf("got product %q, %v; want Genoa from the VCEK", m.SNP.Product, err)
	}
}

// fakeKDS serves a chain's VCEK and CRL on AMD KDS's paths, counting
// requests.
func fakeKDS(t *testing.T, c *chain, crl []byte) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	return attesttest.VendorServer(t, map[string]attesttest.Document{
		strings.TrimPrefix(vcekURL(c.product, testChipID[:], c.tcb), amdKDS): {Body: c.signer.Vcek.Raw},
		strings.TrimPrefix(crlURL(c.product, abi.VcekReportSigner), amdKDS):  {Body: crl},
	})
}

func TestKDSFetchAndCache(t *testing.T) {
	c := newChain(t, "Milan", testTCB)
	crl := c.crl(t, testTime.AddDate(0, 0, -1))
	srv, hits := fakeKDS(t, c, crl)
	dir := t.TempDir()
	now := testTime
	clock := func() time.Time { return now }
	rd := attest.ReportData([]byte("key"))
	bare := c.report(t, reportOpts{reportData: rd, policy: defaultPolicy()})
	v, _ := NewValidator(clock, WithTrustedRoots(c.roots()), WithKDS(srv.URL), WithHTTPClient(srv.Client()), WithKDSCache(dir))
	for range 2 {
		if _, err := v.Validate(context.Background(), bare, rd); err != nil {
			t.Fatalf("Validate with the VCEK and CRL from the KDS: %v", err)
		}
	}
	if got := hits.Load(); got != 2 {
		t.Errorf("got %d KDS requests for two validations, want 2 (the VCEK and the CRL, once each)", got)
	}
	// A new validator on the same directory fetches nothing until the
	// CRL's next update, then fetches the CRL again.
	v2, _ := NewValidator(clock, WithTrustedRoots(c.roots()), WithKDS(srv.URL), WithHTTPClient(srv.Client()), WithKDSCache(dir))
	if _, err := v2.Validate(context.Background(), bare, rd); err != nil || hits.Load() != 2 {
		t.Errorf("from the cache directory: %v after %d requests, want success after 2", err, hits.Load())
	}
	now = testTime.AddDate(0, 1, 0)
	if _, err := v2.Validate(context.Background(), bare, rd); !errors.Is(err, ErrCRLExpired) || hits.Load() != 3 {
		t.Errorf("after the CRL's next update: %v after %d requests, want the CRL fetched again (3) and, being the same, expired", err, hits.Load())
	}
	// Offline, the directory written by the cache serves both.
	now = testTime
	off, _ := NewValidator(clock, WithTrustedRoots(c.roots()), WithOfflineKDS(dir))
	if _, err := off.Validate(context.Background(), bare, rd); err != nil {
		t.Errorf("offline from the cache directory: %v", err)
	}
	// A KDS that fails is unavailable, not a verdict on the report.
	down := httptest.NewServer(http.NotFoundHandler())
	defer down.Close()
	v3, _ := NewValidator(clock, WithTrustedRoots(c.roots()), WithKDS(down.URL), WithHTTPClient(down.Client()))
	if _, err := v3.Validate(context.Background(), bare, rd); !errors.Is(err, ErrKDSUnavailable) {
		t.Errorf("KDS answering 404: got %v, want %v", err, ErrKDSUnavailable)
	}
}

func TestConformance(t *testing.T) {
	c := newChain(t, "Milan", testTCB)
	rd := attest.ReportData([]byte("key"))
	ev := c.evidence(t, reportOpts{reportData: rd, policy: defaultPolicy()})
	v, _ := NewValidator(fixed(testTime), WithTrustedRoots(c.roots()), InsecureSkipCRL())
	// Version, policy, measurement, reported TCB, chip id, signature, the
	// certificate table's header and the VCEK.
	attesttest.TestValidator(t, v, ev, rd, []int{0, 0x09, 0x90, 0x180, 0x1A0, 0x2A0, ReportSize + 2, ReportSize + 30, len(ev) - 40})
}

func TestAMDRoots(t *testing.T) {
	for product, r := range AMDRoots() {
		for name, c := range map[string]any{"ARK": r.ARK, "ASK": r.ASK, "ASVK": r.ASVK} {
			if c == nil {
				t.Errorf("%s: no %s", product, name)
			}
		}
		if err := r.ASK.CheckSignatureFrom(r.ARK); err != nil {
			t.Errorf("%s: ASK not signed by ARK: %v", product, err)
		}
		if err := r.ASVK.CheckSignatureFrom(r.ARK); err != nil {
			t.Errorf("%s: ASVK not signed by ARK: %v", product, err)
		}
	}
}

// WithHTTPClient sets the client that fetches from the KDS.
func WithHTTPClient(c *http.Client) Option { return func(v *Validator) { v.kds.client = c } }

// WithTrustedRoots replaces AMD's roots by roots, by product line; tests
// use it to trust a test chain or to show that a foreign one is refused.
func WithTrustedRoots(roots map[string]ProductRoots) Option {
	return func(v *Validator) { v.roots = roots }
}
