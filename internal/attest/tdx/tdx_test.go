package tdx

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tdxtesting "github.com/google/go-tdx-guest/testing"
	"github.com/google/go-tdx-guest/testing/testdata"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/attesttest"
	"github.com/cocoon-go/cocoon/internal/attest/vendorcache"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

// Pinned dates at which the fixtures' PCK chains are valid.
var (
	// referenceQuoteTime: the reference's quote.dat PCK leaf is valid from 2025-07-20.
	referenceQuoteTime = time.Date(2025, time.December, 1, 0, 0, 0, 0, time.UTC)
	// v4Time: go-tdx-guest's v4 quote and its sample collateral (tcbInfo current until 2023-08).
	v4Time = time.Date(2023, time.July, 1, 1, 0, 0, 0, time.UTC)
	// v5Time: go-tdx-guest's v5 quote, whose PCK leaf is valid from 2026-01-27.
	v5Time = time.Date(2026, time.February, 3, 1, 0, 0, 0, time.UTC)
)

// referenceImageHash is the image hash of ../shared/testdata/tdx/quote.dat.
const referenceImageHash = "04b3afd931d28680af91a15b09d672c40ad6b141f7f9089a8d67d595220f7436"

func referenceQuote(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(sharedtest.Path(t, "testdata/tdx/quote.dat"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }

func reportDataOf(t testing.TB, quote []byte) [attest.ReportDataSize]byte {
	t.Helper()
	q, err := ParseQuote(quote)
	if err != nil {
		t.Fatalf("ParseQuote: %v", err)
	}
	return q.Measurements.ReportData
}

func TestReferenceQuoteImageHash(t *testing.T) {
	raw := referenceQuote(t)
	q, err := ParseQuote(raw)
	if err != nil {
		t.Fatalf("ParseQuote: %v", err)
	}
	if q.Version != 4 {
		t.Errorf("got version %d, want 4", q.Version)
	}
	// The formula, spelled out independently of attest.ImageHash: the
	// TD quote body v4 starts at byte 48 (after the header); MRTD is at
	// body offset 136, then MRCONFIGID, MROWNER, MROWNERCONFIG and RTMR0-3,
	// eight 48-byte fields in a row.
	const mrtdOffset = 48 + 136
	h := sha256.New()
	h.Write(raw[mrtdOffset : mrtdOffset+8*48])
	h.Write(make([]byte, 64))
	want := hex.EncodeToString(h.Sum(nil))
	got := q.Measurements.ImageHash()
	if hex.EncodeToString(got[:]) != want {
		t.Errorf("got image hash %x, want %s", got, want)
	}
	if want != referenceImageHash {
		t.Errorf("got image hash %s, want the recorded %s", want, referenceImageHash)
	}
}

// realQuotes are every real quote we have: the reference's v4 and
// go-tdx-guest's v4 and v5, each with a date at which its PCK chain is
// valid.
var realQuotes = []struct {
	name    string
	raw     func(testing.TB) []byte
	at      time.Time
	version int
	flip    int // a byte inside the TD quote body, outside report data
	// stale is the verdict with go-tdx-guest's sample collateral.
	stale error
}{
	{"reference v4", referenceQuote, referenceQuoteTime, 4, 0x3C, ErrCollateralExpired},
	// Current, but no TCB level matches.
	{"go-tdx-guest v4", func(testing.TB) []byte { return v4Quote }, v4Time, 4, 0x3C, ErrCollateralInvalid},
	{"go-tdx-guest v5", func(testing.TB) []byte { return testdata.RawQuoteV5 }, v5Time, 5, 0x3C + 6, ErrCollateralExpired},
}

func TestValidateWithoutCollateral(t *testing.T) {
	for _, tc := range realQuotes {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.raw(t)
			v, err := NewValidator(fixed(tc.at), InsecureSkipCollateral())
			if err != nil {
				t.Fatal(err)
			}
			m, err := v.Validate(context.Background(), raw, reportDataOf(t, raw))
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if m.Kind != attest.KindTDX || m.TCBStatus != attest.TCBNotEvaluated || m.RootKeyID != attest.IntelRootKeyID {
				t.Errorf("got kind %s, TCB %s, root key %x; want tdx, NotEvaluated, Intel's", m.Kind, m.TCBStatus, m.RootKeyID)
			}
			q, _ := ParseQuote(raw)
			if q.Version != tc.version {
				t.Errorf("got version %d, want %d", q.Version, tc.version)
			}
			policy, _ := attest.NamedPolicy("tdx")
			if err := policy.Check(m); !errors.Is(err, attest.ErrTCBStatusNotAllowed) {
				t.Errorf("policy tdx on an unevaluated TCB: got %v, want %v", err, attest.ErrTCBStatusNotAllowed)
			}
		})
	}
}

// offlineCollateral writes go-tdx-guest's sample collateral into a
// directory in the cache format.
func offlineCollateral(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for url, r := range tdxtesting.TestGetter.Responses {
		if err := vendorcache.Write(dir, vendorcache.Response{URL: url, Header: r.Header, Body: r.Body, Expires: expiry(r.Body, v4Time)}); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func foreignRoot(t testing.TB) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Intel SGX Root CA"},
		NotBefore:             time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2049, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestValidateRejects(t *testing.T) {
	v4 := v4Quote
	rd := reportDataOf(t, v4)
	flipped := append([]byte(nil), v4...)
	flipped[0x3C] ^= 0x01 // inside the TD quote body, outside report data
	tests := []struct {
		name    string
		quote   []byte
		rd      [attest.ReportDataSize]byte
		at      time.Time
		opts    []Option
		wantErr error
	}{
		{"no quote", nil, rd, v4Time, nil, attest.ErrNoQuote},
		{"truncated", v4[:1000], rd, v4Time, nil, ErrMalformedQuote},
		{"text after the signed data", testdata.RawQuote, rd, v4Time, nil, ErrMalformedQuote},
		{"zeros after the signed data", append(append([]byte(nil), v4...), 0, 0, 0), rd, v4Time, []Option{InsecureSkipCollateral()}, nil},
		{"wrong report data", v4, attest.ReportData([]byte("another key")), v4Time, nil, attest.ErrReportDataMismatch},
		{"flipped byte", flipped, rd, v4Time, []Option{InsecureSkipCollateral()}, ErrBadSignature},
		{"foreign root", v4, rd, v4Time, []Option{WithTrustedRoots(foreignRoot(t)), InsecureSkipCollateral()}, ErrUntrustedRoot},
		{"PCK chain expired", v4, rd, time.Date(2053, 7, 1, 0, 0, 0, 0, time.UTC), []Option{InsecureSkipCollateral()}, ErrPCKCertificateInvalid},
		{"collateral missing", v4, rd, v4Time, []Option{WithOfflineCollateral(t.TempDir())}, ErrCollateralUnavailable},
		{"collateral expired", v4, rd, time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), []Option{WithOfflineCollateral(offlineCollateral(t))}, ErrCollateralExpired},
		// go-tdx-guest's sample TCB info has no level matching its sample
		// quote (its own tests zero the SVNs to get past this).
		{"no matching TCB level", v4, rd, v4Time, []Option{WithOfflineCollateral(offlineCollateral(t))}, ErrCollateralInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewValidator(fixed(tc.at), tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Validate(context.Background(), tc.quote, tc.rd)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			}
			for _, other := range []error{attest.ErrNoQuote, ErrMalformedQuote, attest.ErrReportDataMismatch, ErrBadSignature, ErrUntrustedRoot, ErrPCKCertificateInvalid, ErrCollateralUnavailable, ErrCollateralExpired, ErrCollateralInvalid, ErrTCBRevoked} {
				if other != tc.wantErr && errors.Is(err, other) {
					t.Errorf("error %v also matches %v; causes must be distinct", err, other)
				}
			}
		})
	}
}

func TestReferenceQuoteRejectsOtherKey(t *testing.T) {
	v, err := NewValidator(fixed(referenceQuoteTime), InsecureSkipCollateral())
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Validate(context.Background(), referenceQuote(t), attest.ReportData(make([]byte, 32)))
	if !errors.Is(err, attest.ErrReportDataMismatch) {
		t.Errorf("got %v, want %v", err, attest.ErrReportDataMismatch)
	}
}

func TestJudgeCollateral(t *testing.T) {
	statusErr := errors.New("TDX TCB info reported by Intel PCS failed TCB status check: unable to find latest status of TDX TCB, it is now OutOfDate")
	qeStatusErr := errors.New("QE Identity reported by Intel PCS failed TCB status check: QE TCB Status is not \"UpToDate\", found \"SWHardeningNeeded\"")
	other := errors.New("FMSPC from PCK Certificate does not match")
	qeOK := func() error { return nil }
	qeBad := func() error { return errors.New("QE report MRSIGNER does not match QE identity") }
	tests := []struct {
		name       string
		verr, lerr error
		tdx, qe    string
		checkQE    func() error
		want       attest.TCBStatus
		wantErr    error
	}{
		{"verified", nil, nil, "UpToDate", "UpToDate", qeOK, attest.TCBUpToDate, nil},
		{"unavailable", other, errCollateralNil, "", "", qeOK, "", ErrCollateralUnavailable},
		{"expired", other, libErrTcbInfoExpired(), "", "", qeOK, "", ErrCollateralExpired},
		{"TDX out of date", statusErr, nil, "OutOfDate", "UpToDate", qeOK, attest.TCBOutOfDate, nil},
		{"TDX out of date, QE identity mismatch", statusErr, nil, "OutOfDate", "UpToDate", qeBad, "", ErrCollateralInvalid},
		{"QE needs hardening", qeStatusErr, nil, "UpToDate", "SWHardeningNeeded", qeBad, attest.TCBSWHardeningNeeded, nil},
		{"worst of both", statusErr, nil, "SWHardeningNeeded", "OutOfDate", qeOK, attest.TCBOutOfDate, nil},
		{"revoked", statusErr, nil, "Revoked", "UpToDate", qeOK, "", ErrTCBRevoked},
		{"other failure with stale levels", other, nil, "OutOfDate", "UpToDate", qeOK, "", ErrCollateralInvalid},
		{"status message but levels up to date", statusErr, nil, "UpToDate", "UpToDate", qeOK, "", ErrCollateralInvalid},
		{"no matching level", statusErr, errors.New("no matching TCB level found"), "", "", qeOK, "", ErrCollateralInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := judgeCollateral(tc.verr, tc.lerr, statusOf(tc.tdx), statusOf(tc.qe), tc.checkQE)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) || got != tc.want {
				t.Errorf("got %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestCheckQEReport(t *testing.T) {
	rec := &recordingGetter{inner: &collateralGetter{dir: offlineCollateral(t), offline: true, clock: fixed(v4Time)}}
	if _, _, err := rec.GetContext(context.Background(), intelPCS+"/tdx/certification/v4/qe/identity"); err != nil {
		t.Fatal(err)
	}
	q, err := ParseQuote(v4Quote)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.checkQE(q.proto); err != nil {
		t.Errorf("sample QE report against sample QE identity: %v", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(rec.qeIdentity, &raw); err != nil {
		t.Fatal(err)
	}
	raw["enclaveIdentity"].(map[string]any)["mrsigner"] = strings.Repeat("00", 32)
	if rec.qeIdentity, err = json.Marshal(raw); err != nil {
		t.Fatal(err)
	}
	if err := rec.checkQE(q.proto); err == nil {
		t.Error("QE identity with another MRSIGNER: got nil, want an error")
	}
}

// fakePCCS serves go-tdx-guest's sample collateral on the paths a PCCS
// serves, counting requests.
func fakePCCS(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	docs := map[string]attesttest.Document{}
	for url, resp := range tdxtesting.TestGetter.Responses {
		rest, ok := strings.CutPrefix(url, intelPCS)
		if url == intelRootCRL {
			rest, ok = pccsRootCRL, true
		}
		if ok {
			docs[rest] = attesttest.Document{Header: resp.Header, Body: resp.Body}
		}
	}
	return attesttest.VendorServer(t, docs)
}

func TestCollateralCache(t *testing.T) {
	srv, hits := fakePCCS(t)
	dir := t.TempDir()
	now := v4Time
	clock := func() time.Time { return now }
	g := &collateralGetter{pccs: srv.URL, dir: dir, client: srv.Client(), clock: clock}
	url := intelPCS + "/tdx/certification/v4/qe/identity"
	for range 2 {
		if _, body, err := g.GetContext(context.Background(), url); err != nil || len(body) == 0 {
			t.Fatalf("GetContext: %d bytes, %v", len(body), err)
		}
	}
	if got := hits.Load(); got != 1 {
		t.Errorf("got %d fetches for two gets within expiry, want 1", got)
	}
	c, err := vendorcache.Read(dir, url)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Expires.After(v4Time) {
		t.Errorf("got expiry %s, want the QE identity's nextUpdate after %s", c.Expires, v4Time)
	}
	now = c.Expires.Add(time.Second)
	if _, _, err := g.GetContext(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	if got := hits.Load(); got != 2 {
		t.Errorf("got %d fetches after expiry, want 2", got)
	}
	offline := &collateralGetter{dir: dir, offline: true, clock: clock}
	if _, _, err := offline.GetContext(context.Background(), url); err != nil {
		t.Errorf("offline read of a cached response: %v", err)
	}
	if _, _, err := offline.GetContext(context.Background(), intelPCS+"/absent"); !errors.Is(err, ErrCollateralUnavailable) {
		t.Errorf("offline read of an absent response: got %v, want %v", err, ErrCollateralUnavailable)
	}
}

func TestValidateThroughPCCS(t *testing.T) {
	srv, hits := fakePCCS(t)
	v, err := NewValidator(fixed(v4Time), WithPCCS(srv.URL), WithHTTPClient(srv.Client()), WithCollateralCache(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	// The sample collateral verifies (signatures, CRLs, expiry) but has no
	// TCB level for the sample quote: the verdict comes from collateral
	// that was fetched and checked.
	_, err = v.Validate(context.Background(), v4Quote, reportDataOf(t, v4Quote))
	if !errors.Is(err, ErrCollateralInvalid) {
		t.Errorf("got %v, want %v", err, ErrCollateralInvalid)
	}
	if hits.Load() == 0 {
		t.Error("got no requests to the PCCS, want collateral fetched from it")
	}
}

func TestCollateralMemoryCache(t *testing.T) {
	srv, hits := fakePCCS(t)
	g := &collateralGetter{pccs: srv.URL, client: srv.Client(), clock: fixed(v4Time)}
	url := intelPCS + "/tdx/certification/v4/qe/identity"
	for range 3 {
		if _, _, err := g.GetContext(context.Background(), url); err != nil {
			t.Fatal(err)
		}
	}
	if got := hits.Load(); got != 1 {
		t.Errorf("got %d fetches for three gets without a cache directory, want 1", got)
	}
}

func BenchmarkValidateSignatureAndChain(b *testing.B) {
	benchmarkValidate(b, nil, InsecureSkipCollateral())
}

func BenchmarkValidateWithOfflineCollateral(b *testing.B) {
	// Ends at the TCB level match, after all signature, chain, CRL and
	// collateral checks.
	benchmarkValidate(b, ErrCollateralInvalid, WithOfflineCollateral(offlineCollateral(b)))
}

// benchmarkValidate measures the validation of go-tdx-guest's v4 quote at
// v4Time with opts, which must end in wantErr (nil: accepted).
func benchmarkValidate(b *testing.B, wantErr error, opts ...Option) {
	v, err := NewValidator(fixed(v4Time), opts...)
	if err != nil {
		b.Fatal(err)
	}
	rd := reportDataOf(b, v4Quote)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Validate(ctx, v4Quote, rd); !errors.Is(err, wantErr) {
			b.Fatalf("got %v, want %v", err, wantErr)
		}
	}
}

// TestRejectsEachQuote applies the quote-level attacks to every real
// quote we have: the reference's v4, go-tdx-guest's v4 and v5.
func TestRejectsEachQuote(t *testing.T) {
	for _, q := range realQuotes {
		raw := q.raw(t)
		rd := reportDataOf(t, raw)
		flipped := append([]byte(nil), raw...)
		flipped[q.flip] ^= 0x01
		cases := []struct {
			name    string
			quote   []byte
			rd      [attest.ReportDataSize]byte
			opts    []Option
			wantErr error
		}{
			{"flipped byte", flipped, rd, []Option{InsecureSkipCollateral()}, ErrBadSignature},
			{"wrong report data", raw, attest.ReportData([]byte("our key")), []Option{InsecureSkipCollateral()}, attest.ErrReportDataMismatch},
			{"foreign root", raw, rd, []Option{WithTrustedRoots(foreignRoot(t)), InsecureSkipCollateral()}, ErrUntrustedRoot},
			// go-tdx-guest's sample collateral covers all three platforms
			// (FMSPC 50806f000000 and 90c06f000000) and is stale at the
			// dates at which the v5 and the reference PCK chains are valid.
			{"sample collateral", raw, rd, []Option{WithOfflineCollateral(offlineCollateral(t))}, q.stale},
		}
		for _, tc := range cases {
			t.Run(q.name+"/"+tc.name, func(t *testing.T) {
				v, err := NewValidator(fixed(q.at), tc.opts...)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := v.Validate(context.Background(), tc.quote, tc.rd); !errors.Is(err, tc.wantErr) {
					t.Errorf("got %v, want %v", err, tc.wantErr)
				}
			})
		}
	}
}

func TestConformance(t *testing.T) {
	v, err := NewValidator(fixed(v4Time), InsecureSkipCollateral())
	if err != nil {
		t.Fatal(err)
	}
	raw := v4Quote
	// Header, TD quote body (MRTD, RTMR3), signature, attestation key, QE
	// report, PCK chain.
	attesttest.TestValidator(t, v, raw, reportDataOf(t, raw), []int{0x1E, 48 + 136, 48 + 136 + 7*48, 640, 720, 800, 0xB77})
}

func TestDERCRL(t *testing.T) {
	der := testdata.RootCrlBody
	tests := []struct {
		name string
		body []byte
	}{
		{"DER", der},
		{"hex", []byte(hex.EncodeToString(der))},
		{"hex with newline", []byte(hex.EncodeToString(der) + "\n")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := derCRL(tc.body); !bytes.Equal(got, der) {
				t.Errorf("got %d bytes, want the %d-byte DER CRL", len(got), len(der))
			}
		})
	}
	if got := derCRL([]byte("garbage")); string(got) != "garbage" {
		t.Errorf("got %q for garbage, want it passed through for the verifier to refuse", got)
	}
}

func TestValidateConcurrently(t *testing.T) {
	srv, _ := fakePCCS(t)
	v, err := NewValidator(fixed(v4Time), WithPCCS(srv.URL), WithHTTPClient(srv.Client()), WithCollateralCache(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	rd := reportDataOf(t, v4Quote)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, errs[i] = v.Validate(context.Background(), v4Quote, rd) })
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, ErrCollateralInvalid) {
			t.Errorf("validation %d: got %v, want %v", i, err, ErrCollateralInvalid)
		}
	}
}

// WithHTTPClient sets the client that fetches collateral.
func WithHTTPClient(c *http.Client) Option { return func(v *Validator) { v.getter.client = c } }
