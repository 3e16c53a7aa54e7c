package tdx

import (
	"testing"

	"github.com/google/go-tdx-guest/abi"
	"github.com/google/go-tdx-guest/testing/testdata"
)

func FuzzParseQuote(f *testing.F) {
	f.Add(v4Quote)
	f.Add(testdata.RawQuoteV5)
	f.Add([]byte{4, 0, 2, 0, 0x81, 0, 0, 0})
	// A QE authentication data size beyond the buffer, which makes
	// go-tdx-guest's decoder panic.
	bad := append([]byte(nil), v4Quote...)
	bad[1218], bad[1219] = 0x22, 0xff
	f.Add(bad)
	f.Fuzz(func(t *testing.T, raw []byte) {
		q, err := ParseQuote(raw)
		if err != nil {
			return
		}
		enc, err := abi.QuoteToAbiBytes(q.proto)
		if err != nil {
			t.Fatalf("encoding a parsed quote: %v", err)
		}
		q2, err := ParseQuote(enc)
		if err != nil {
			t.Fatalf("ParseQuote of a re-encoded quote: %v", err)
		}
		if q2.Version != q.Version || q2.Measurements != q.Measurements {
			t.Errorf("round trip changed the quote: got v%d %+v, want v%d %+v", q2.Version, q2.Measurements, q.Version, q.Measurements)
		}
	})
}
