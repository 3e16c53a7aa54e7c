package sevsnp

import (
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"math/big"
	"testing"
	"time"

	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/kds"
	spb "github.com/google/go-sev-guest/proto/sevsnp"
	sevtest "github.com/google/go-sev-guest/testing"
	"go.uber.org/goleak"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/vendorcache"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testTime is when the test chains are made and judged.
var testTime = time.Date(2025, time.March, 1, 0, 0, 0, 0, time.UTC)

func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }

// testChipID is the chip id of the test reports and VCEK.
var testChipID = func() (id [abi.ChipIDSize]byte) {
	for i := range id {
		id[i] = byte(i + 1)
	}
	return id
}()

// productFMS is the CPUID family/model/stepping a version 3 report
// carries for each product.
var productFMS = map[string]uint32{"Milan": 0x00a00f10, "Genoa": 0x00a10f10, "Turin": 0x00b00f20}

// testTCB is the TCB of the test reports and certificates.
var testTCB = attest.SNPTCB{Bootloader: 4, TEE: 1, SNP: 22, Microcode: 213}

// chain is a test-only AMD chain for one product: go-sev-guest's test
// keys, with a VCEK certified for tcb and testChipID.
type chain struct {
	product string
	signer  *sevtest.AmdSigner
	tcb     attest.SNPTCB
}

func newChain(t testing.TB, product string, tcb attest.SNPTCB) *chain {
	t.Helper()
	hwid := testChipID[:hwidSize(product)]
	exts := sevtest.CustomExtensions(kds.TCBParts{BlSpl: tcb.Bootloader, TeeSpl: tcb.TEE, SnpSpl: tcb.SNP, UcodeSpl: tcb.Microcode}, hwid, "", product+"-B0")
	if product == "Turin" {
		fmc, _ := asn1Int(int(tcb.FMC))
		exts = append(exts, pkixExt(oidFmcSPL, fmc))
	}
	b := &sevtest.AmdSignerBuilder{
		Keys:             sevtest.DefaultAmdKeys(),
		ProductName:      product + "-B0",
		CSPID:            "cocoon-test",
		ArkCreationTime:  testTime.AddDate(-1, 0, 0),
		AskCreationTime:  testTime.AddDate(-1, 0, 0),
		AsvkCreationTime: testTime.AddDate(-1, 0, 0),
		VcekCreationTime: testTime.AddDate(-1, 0, 0),
		VlekCreationTime: testTime.AddDate(-1, 0, 0),
		VcekCustom:       sevtest.CertOverride{Extensions: exts},
	}
	s, err := b.TestOnlyCertChain()
	if err != nil {
		t.Fatal(err)
	}
	return &chain{product: product, signer: s, tcb: tcb}
}

// roots returns the chain's ARK and ASK as a Validator's trusted roots.
func (c *chain) roots() map[string]ProductRoots {
	return map[string]ProductRoots{c.product: {ARK: c.signer.Ark, ASK: c.signer.Ask, ASVK: c.signer.Asvk}}
}

// reportOpts are the fields of a test report.
type reportOpts struct {
	reportData  [attest.ReportDataSize]byte
	policy      abi.SnpPolicy
	measurement byte // every byte of MEASUREMENT
	tcb         *attest.SNPTCB
	version     uint32
}

func defaultPolicy() abi.SnpPolicy { return abi.SnpPolicy{ABIMajor: 1, ABIMinor: 55, SMT: true} }

// composeTCB writes t in the layout of product.
func composeTCB(product string, t attest.SNPTCB) uint64 {
	var b [8]byte
	if product == "Turin" {
		b[0], b[1], b[2], b[3] = t.FMC, t.Bootloader, t.TEE, t.SNP
	} else {
		b[0], b[1], b[6] = t.Bootloader, t.TEE, t.SNP
	}
	b[7] = t.Microcode
	return binary.LittleEndian.Uint64(b[:])
}

// report returns a report with o's fields signed by the chain's VCEK.
func (c *chain) report(t testing.TB, o reportOpts) []byte {
	t.Helper()
	r := make([]byte, ReportSize)
	version := o.version
	if version == 0 {
		version = 3
	}
	tcb := c.tcb
	if o.tcb != nil {
		tcb = *o.tcb
	}
	raw := composeTCB(c.product, tcb)
	binary.LittleEndian.PutUint32(r[0x00:], version)
	binary.LittleEndian.PutUint64(r[0x08:], abi.SnpPolicyToBytes(o.policy))
	binary.LittleEndian.PutUint32(r[0x34:], abi.SignEcdsaP384Sha384)
	binary.LittleEndian.PutUint64(r[0x38:], raw) // CURRENT_TCB
	binary.LittleEndian.PutUint32(r[0x48:], abi.ComposeSignerInfo(abi.SignerInfo{SigningKey: abi.VcekReportSigner}))
	copy(r[0x50:0x90], o.reportData[:])
	for i := 0x90; i < 0xC0; i++ {
		r[i] = o.measurement
	}
	copy(r[0xC0:0xE0], "host data of the test guest")
	binary.LittleEndian.PutUint64(r[0x180:], raw) // REPORTED_TCB
	if version >= 3 {
		f, m, s := abi.FmsFromCpuid1Eax(productFMS[c.product])
		r[0x188], r[0x189], r[0x18A] = f, m, s
	}
	copy(r[0x1A0:0x1E0], testChipID[:])
	binary.LittleEndian.PutUint64(r[0x1E0:], raw) // COMMITTED_TCB
	binary.LittleEndian.PutUint64(r[0x1F0:], raw) // LAUNCH_TCB
	rs, ss, err := c.signer.Sign(abi.SignedComponent(r))
	if err != nil {
		t.Fatal(err)
	}
	if err := abi.SetSignature(rs, ss, r); err != nil {
		t.Fatal(err)
	}
	return r
}

// evidence returns the report with the chain's certificates.
func (c *chain) evidence(t testing.TB, o reportOpts) []byte {
	t.Helper()
	e, err := NewEvidence(c.report(t, o), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Certs = Certificates{ARK: c.signer.Ark.Raw, ASK: c.signer.Ask.Raw, VCEK: c.signer.Vcek.Raw}
	return e.Marshal()
}

// crl returns a CRL of the chain's ARK valid from thisUpdate for a
// month, revoking serials.
func (c *chain) crl(t testing.TB, thisUpdate time.Time, serials ...*big.Int) []byte {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, s := range serials {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: thisUpdate})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(1),
		ThisUpdate:                thisUpdate,
		NextUpdate:                thisUpdate.AddDate(0, 1, 0),
		RevokedCertificateEntries: entries,
		SignatureAlgorithm:        x509.SHA384WithRSAPSS,
	}, c.signer.Ark, c.signer.Keys.Ark)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// offlineKDS writes a directory for WithOfflineKDS holding the chain's
// VCEK and crl.
func (c *chain) offlineKDS(t testing.TB, crl []byte) string {
	t.Helper()
	dir := t.TempDir()
	for url, body := range map[string][]byte{
		vcekURL(c.product, testChipID[:], c.tcb): c.signer.Vcek.Raw,
		crlURL(c.product, abi.VcekReportSigner):  crl,
	} {
		if err := vendorcache.Write(dir, vendorcache.Response{URL: url, Body: body, Expires: expiry(body, testTime)}); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func asn1Int(n int) ([]byte, error) { return asn1.Marshal(n) }

func pkixExt(oid asn1.ObjectIdentifier, v []byte) pkix.Extension {
	return pkix.Extension{Id: oid, Value: v}
}

func sha384(b []byte) []byte {
	s := sha512.Sum384(b)
	return s[:]
}

func mustProduct(t testing.TB, line string) *spb.SevProduct {
	t.Helper()
	p, err := kds.ParseProductLine(line)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
