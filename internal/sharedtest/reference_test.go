package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// referenceArtefacts says which test decodes each kind of file in
// testdata/reference, the bytes the running C++ reference sent
// (docs/INTEROP.md).
var referenceArtefacts = []struct{ glob, test string }{
	{"*.bin", "tl.TestReferenceFixturesRoundTrip, each object and what it nests; the role tests replay them"},
	{"*.boc", "payment.TestInteropReferencePayments, payment.TestInteropPaymentReports"},
	{"*-index.tsv", "wire.TestReferenceFrames"},
	{"*-peer-cert.pem", "ratls.TestInteropV1CertificateExtensions"},
	{"gen-cert-fake_tdx_cert.pem", "ratls.TestInteropV1CertificateExtensions, ratls.TestInteropCertDNSNames"},
	{"gen-cert-fake_tdx_key.pem", "ratls.TestInteropV1CertificateHandshake"},
	{"gen-cert-fake_tdx_image_hash.b64", "ratls.TestInteropV1CertificateExtensions"},
	{"gen-cert-fake_tdx.tdx_report", "ratls.TestInteropV1CertificateExtensions"},
	{"fake_tdx-verify.tsv", "ratls.TestInteropReferenceCertificateFingerprints"},
	{"fake-ton-config.json", "contracts.TestInteropFakeTONConfig, cmd TestInteropFakeTONRoles, devnet.TestInteropFakeTONDevnet"},
	{"README.md", "the captures' description"},
	{"DECODED.txt", "the captures decoded, as the tests check them"},
}

// TestReferenceArtefactsCovered fails for a file of testdata/reference
// that no test decodes, so that an artefact added there is not left
// unchecked.
func TestReferenceArtefactsCovered(t *testing.T) {
	dir := Path(t, "testdata/reference")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("testdata/reference is empty")
	}
	for _, e := range entries {
		covered := false
		for _, a := range referenceArtefacts {
			if ok, _ := filepath.Match(a.glob, e.Name()); ok {
				covered = true
				break
			}
		}
		if !covered {
			t.Errorf("%s: no test decodes it; add one and list it in referenceArtefacts", e.Name())
		}
	}
}
