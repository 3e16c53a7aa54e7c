package sevsnp

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/verify/trust"

	"github.com/cocoon-go/cocoon/internal/attest"
)

// ProductRoots are AMD's keys for one product line: the root key (ARK)
// and the intermediate keys that certify VCEKs (ASK) and VLEKs (ASVK).
type ProductRoots struct {
	ARK, ASK, ASVK *x509.Certificate
}

// AMDRoots returns AMD's published ARK, ASK and ASVK certificates of each
// product line, as go-sev-guest embeds them (from AMD's KDS cert_chain
// endpoints).
func AMDRoots() map[string]ProductRoots { return maps.Clone(amdRoots()) }

var amdRoots = sync.OnceValue(func() map[string]ProductRoots {
	bundles := map[string][2][]byte{
		"Milan": {trust.AskArkMilanVcekBytes, trust.AskArkMilanVlekBytes},
		"Genoa": {trust.AskArkGenoaVcekBytes, trust.AskArkGenoaVlekBytes},
		"Turin": {trust.AskArkTurinVcekBytes, trust.AskArkTurinVlekBytes},
	}
	out := make(map[string]ProductRoots, len(bundles))
	for product, b := range bundles {
		ask, ark := mustChain(product, b[0])
		asvk, _ := mustChain(product, b[1])
		out[product] = ProductRoots{ARK: ark, ASK: ask, ASVK: asvk}
	}
	return out
})

// mustChain reads a KDS cert_chain: the intermediate key's certificate,
// then the ARK's, in PEM.
func mustChain(product string, pems []byte) (ica, ark *x509.Certificate) {
	var certs []*x509.Certificate
	for rest := pems; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			panic("sevsnp: built-in AMD certificates of " + product + " do not parse: " + err.Error())
		}
		certs = append(certs, c)
	}
	if len(certs) != 2 {
		panic(fmt.Sprintf("sevsnp: built-in AMD certificate chain of %s has %d certificates, want 2", product, len(certs)))
	}
	return certs[0], certs[1]
}

// The KDS extensions of VCEK and VLEK certificates (AMD publication 57230).
var (
	oidProductName = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 3704, 1, 2}
	oidBlSPL       = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 3704, 1, 3, 1}
	oidTeeSPL      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 3704, 1, 3, 2}
	oidSnpSPL      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 3704, 1, 3, 3}
	oidUcodeSPL    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 3704, 1, 3, 8}
	oidFmcSPL      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 3704, 1, 3, 9}
	oidHWID        = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 3704, 1, 4}
)

// endorsement is what a VCEK or VLEK certificate certifies.
type endorsement struct {
	product string // product line, from the product name extension
	tcb     attest.SNPTCB
	hwid    []byte // VCEK only
}

// readEndorsement reads the KDS extensions of a VCEK or VLEK certificate.
// Turin's certificates carry an FMC level; the others do not.
func readEndorsement(c *x509.Certificate, signer abi.ReportSigner) (endorsement, error) {
	var e endorsement
	exts := map[string][]byte{}
	for _, x := range c.Extensions {
		exts[x.Id.String()] = x.Value
	}
	name, ok := exts[oidProductName.String()]
	if !ok {
		return endorsement{}, fmt.Errorf("%v certificate has no product name", signer)
	}
	var product string
	if rest, err := asn1.UnmarshalWithParams(name, &product, "ia5"); err != nil || len(rest) != 0 {
		return endorsement{}, fmt.Errorf("%v certificate product name does not parse", signer)
	}
	e.product, _, _ = strings.Cut(product, "-")
	levels := []struct {
		oid asn1.ObjectIdentifier
		dst *uint8
	}{
		{oidBlSPL, &e.tcb.Bootloader}, {oidTeeSPL, &e.tcb.TEE}, {oidSnpSPL, &e.tcb.SNP}, {oidUcodeSPL, &e.tcb.Microcode},
	}
	if e.product == "Turin" {
		levels = append(levels, struct {
			oid asn1.ObjectIdentifier
			dst *uint8
		}{oidFmcSPL, &e.tcb.FMC})
	}
	for _, l := range levels {
		v, ok := exts[l.oid.String()]
		if !ok {
			return endorsement{}, fmt.Errorf("%v certificate has no TCB level %s", signer, l.oid)
		}
		var n int
		if rest, err := asn1.Unmarshal(v, &n); err != nil || len(rest) != 0 || n < 0 || n > 255 {
			return endorsement{}, fmt.Errorf("%v certificate TCB level %s is not a byte", signer, l.oid)
		}
		*l.dst = uint8(n)
	}
	if signer == abi.VcekReportSigner {
		v, ok := exts[oidHWID.String()]
		if !ok {
			return endorsement{}, fmt.Errorf("VCEK certificate has no hardware id")
		}
		// AMD's KDS writes the hardware id bare, without an OCTET STRING
		// header; accept the wrapped form too.
		var wrapped []byte
		if rest, err := asn1.Unmarshal(v, &wrapped); err == nil && len(rest) == 0 && len(wrapped) == hwidSize(e.product) {
			v = wrapped
		}
		if len(v) != hwidSize(e.product) {
			return endorsement{}, fmt.Errorf("VCEK certificate hardware id is %d bytes, want %d", len(v), hwidSize(e.product))
		}
		e.hwid = bytes.Clone(v)
	}
	return e, nil
}

// hwidSize is the size of a VCEK's hardware id: the report's CHIP_ID on
// Milan and Genoa, its first 8 bytes on Turin.
func hwidSize(product string) int {
	if product == "Turin" {
		return 8
	}
	return abi.ChipIDSize
}

// vcekURL is where AMD's KDS serves the VCEK of a chip at a TCB.
func vcekURL(product string, chipID []byte, tcb attest.SNPTCB) string {
	hwid := chipID[:hwidSize(product)]
	if product == "Turin" {
		return fmt.Sprintf("%s/vcek/v1/%s/%x?fmcSPL=%d&blSPL=%d&teeSPL=%d&snpSPL=%d&ucodeSPL=%d",
			amdKDS, product, hwid, tcb.FMC, tcb.Bootloader, tcb.TEE, tcb.SNP, tcb.Microcode)
	}
	return fmt.Sprintf("%s/vcek/v1/%s/%x?blSPL=%d&teeSPL=%d&snpSPL=%d&ucodeSPL=%d",
		amdKDS, product, hwid, tcb.Bootloader, tcb.TEE, tcb.SNP, tcb.Microcode)
}

// crlURL is where AMD's KDS serves the CRL of a product's VCEK or VLEK
// keys, signed by its ARK.
func crlURL(product string, signer abi.ReportSigner) string {
	if signer == abi.VlekReportSigner {
		return fmt.Sprintf("%s/vlek/v1/%s/crl", amdKDS, product)
	}
	return fmt.Sprintf("%s/vcek/v1/%s/crl", amdKDS, product)
}
