package sevsnp

import (
	"bytes"
	"os"
	"testing"
)

func FuzzParseEvidence(f *testing.F) {
	c := newChain(f, "Milan", testTCB)
	f.Add(c.evidence(f, reportOpts{policy: defaultPolicy()}))
	f.Add(c.report(f, reportOpts{policy: defaultPolicy()}))
	if b, err := os.ReadFile("testdata/milan-v2-evidence.bin"); err == nil {
		f.Add(b)
	}
	// An entry whose offset and length wrap around 32 bits.
	wrap := c.report(f, reportOpts{policy: defaultPolicy()})
	wrap = append(wrap, make([]byte, 2*certTableEntrySize)...)
	copy(wrap[ReportSize:], certGUIDs[2][:])
	copy(wrap[ReportSize+16:], []byte{0xf0, 0xff, 0xff, 0xff, 0x20, 0, 0, 0})
	f.Add(wrap)
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := ParseEvidence(raw)
		if err != nil {
			return
		}
		enc := e.Marshal()
		if !bytes.Equal(enc, raw) {
			t.Fatalf("Marshal of parsed evidence gives %d bytes, want the %d parsed", len(enc), len(raw))
		}
		e2, err := ParseEvidence(enc)
		if err != nil {
			t.Fatalf("ParseEvidence of re-encoded evidence: %v", err)
		}
		if !bytes.Equal(e2.Report, e.Report) || e2.Certs.VCEK == nil != (e.Certs.VCEK == nil) || e2.Measurements("") != e.Measurements("") {
			t.Error("round trip changed the evidence")
		}
	})
}
