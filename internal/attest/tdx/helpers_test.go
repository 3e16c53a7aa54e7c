package tdx

import (
	"github.com/google/go-tdx-guest/testing/testdata"
	"testing"

	"github.com/google/go-tdx-guest/pcs"
	"github.com/google/go-tdx-guest/verify"
	"go.uber.org/goleak"
)

func libErrTcbInfoExpired() error { return verify.ErrTcbInfoExpired }

func statusOf(s string) pcs.TcbComponentStatus { return pcs.TcbComponentStatus(s) }

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// v4Quote is go-tdx-guest's v4 sample quote without the text it appends
// after the signed data ("extra bytes (only for testing purpose)"), which
// ParseQuote refuses.
var v4Quote = func() []byte {
	q := testdata.RawQuote
	return q[:len(q)-len("\nextra bytes(only for testing purpose)\n")]
}()
