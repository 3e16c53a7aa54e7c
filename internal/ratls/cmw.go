package ratls

import (
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
)

// OIDCMW marks the critical extension that carries evidence of TEEs the
// reference does not know (AMD SEV-SNP): RFC 9999's id-pe-cmw
// (1.3.6.1.5.5.7.1.35), the IETF's certificate extension for a Conceptual
// Message Wrapper. cocoon-go has no private enterprise number of its own,
// and the reference's 1.3.6.1.4.1.12345 arc is neither ours nor the
// reference's; id-pe-cmw is the registered home of exactly this. Inside it
// is the CMW's cbor choice, an OCTET STRING holding the CBOR record
// [SEVSNPEvidenceType, evidence, 4] (4: the indicator "evidence"). TDX
// quotes stay in the reference's OIDQuote, so TDX certificates are the
// reference's, byte for byte.
var OIDCMW = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 35}

// SEVSNPEvidenceType is the CMW type of cocoon's AMD SEV-SNP evidence (the
// attestation report, then its certificate table; see attest/sevsnp), a
// media type in RFC 6838's unregistered x. tree.
const SEVSNPEvidenceType = "application/x.cocoon.sev-snp-evidence"

// cmwIndicatorEvidence is the CMW indicator of evidence (bit 2).
const cmwIndicatorEvidence = 4

// encodeCMW returns the value of an OIDCMW extension carrying evidence.
func encodeCMW(evidence []byte) ([]byte, error) {
	rec := []byte{0x83} // CBOR array of 3
	rec = cborHead(rec, 3, uint64(len(SEVSNPEvidenceType)))
	rec = append(rec, SEVSNPEvidenceType...)
	rec = cborHead(rec, 2, uint64(len(evidence)))
	rec = append(rec, evidence...)
	rec = append(rec, cmwIndicatorEvidence) // CBOR unsigned 4
	v, err := asn1.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encoding CMW extension: %w", err)
	}
	return v, nil
}

// cborHead appends the shortest CBOR head of major type major and
// argument n.
func cborHead(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n <= 0xff:
		return append(b, m|24, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, m|25), uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, m|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, m|27), n)
}

var errCMW = errors.New("not a CMW record of cocoon SEV-SNP evidence")

// decodeCMW returns the evidence of an OIDCMW extension value, accepting
// only what encodeCMW writes: the cbor choice, a definite 3-element array
// of our type, the evidence and the indicator 4, every head in its
// shortest form, nothing after.
func decodeCMW(v []byte) ([]byte, error) {
	var rec []byte
	rest, err := asn1.Unmarshal(v, &rec)
	if err != nil || len(rest) != 0 || len(v) == 0 || v[0] != asn1.TagOctetString {
		return nil, fmt.Errorf("%w: not the cbor choice of a CMW", errCMW)
	}
	if len(rec) == 0 || rec[0] != 0x83 {
		return nil, fmt.Errorf("%w: not a 3-element CBOR array", errCMW)
	}
	rec = rec[1:]
	typ, rec, err := cborItem(rec, 3)
	if err != nil || string(typ) != SEVSNPEvidenceType {
		return nil, fmt.Errorf("%w: type is not %s", errCMW, SEVSNPEvidenceType)
	}
	evidence, rec, err := cborItem(rec, 2)
	if err != nil {
		return nil, fmt.Errorf("%w: value: %w", errCMW, err)
	}
	if len(rec) != 1 || rec[0] != cmwIndicatorEvidence {
		return nil, fmt.Errorf("%w: indicator is not evidence alone", errCMW)
	}
	return evidence, nil
}

// cborItem reads a definite-length string of major type major in
// shortest form.
func cborItem(b []byte, major byte) (item, rest []byte, err error) {
	if len(b) == 0 || b[0]>>5 != major {
		return nil, nil, errors.New("unexpected CBOR item")
	}
	info := b[0] & 0x1f
	b = b[1:]
	var n uint64
	switch {
	case info < 24:
		n = uint64(info)
	case info <= 27:
		size := 1 << (info - 24)
		if len(b) < size {
			return nil, nil, errors.New("truncated CBOR head")
		}
		for _, x := range b[:size] {
			n = n<<8 | uint64(x)
		}
		b = b[size:]
		if len(cborHead(nil, major, n)) != 1+size {
			return nil, nil, errors.New("CBOR length not in shortest form")
		}
	default:
		return nil, nil, errors.New("indefinite or reserved CBOR length")
	}
	if n > uint64(len(b)) {
		return nil, nil, errors.New("CBOR string longer than its record")
	}
	return b[:n], b[n:], nil
}
