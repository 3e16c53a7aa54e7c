// Package attesttest owns the conformance suite that every attest.Validator
// which verifies something must pass, whatever the TEE behind it, and the
// fakes of the far sides that the TEE packages are tested against: the
// kernel's configfs-tsm report interface (the issuers) and a vendor's
// endorsement service (the validators' fetching).
package attesttest

import (
	"context"
	"errors"
	"testing"

	"github.com/cocoon-go/cocoon/internal/attest"
)

// TestValidator checks v against quote, a quote it accepts, bound to
// reportData: the quote is accepted with its report data; another report
// data, no quote, a truncated quote and every single flipped bit in
// flipAt are refused, none of them with a panic.
func TestValidator(t *testing.T, v attest.Validator, quote []byte, reportData [attest.ReportDataSize]byte, flipAt []int) {
	t.Helper()
	ctx := context.Background()
	t.Run("accepts", func(t *testing.T) {
		m, err := v.Validate(ctx, quote, reportData)
		if err != nil {
			t.Fatalf("got %v, want the quote accepted", err)
		}
		if m.ReportData != reportData {
			t.Errorf("got report data %x, want %x", m.ReportData, reportData)
		}
		if m.Kind == attest.KindNone {
			t.Error("got kind none, want a kind that attests something")
		}
	})
	t.Run("other report data", func(t *testing.T) {
		other := reportData
		other[0] ^= 1
		if _, err := v.Validate(ctx, quote, other); !errors.Is(err, attest.ErrReportDataMismatch) {
			t.Errorf("got %v, want %v", err, attest.ErrReportDataMismatch)
		}
	})
	t.Run("no quote", func(t *testing.T) {
		if _, err := v.Validate(ctx, nil, reportData); !errors.Is(err, attest.ErrNoQuote) {
			t.Errorf("got %v, want %v", err, attest.ErrNoQuote)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		for _, n := range []int{1, len(quote) / 2, len(quote) - 1} {
			if _, err := v.Validate(ctx, quote[:n], reportData); err == nil {
				t.Errorf("%d of %d bytes: got nil error, want a refusal", n, len(quote))
			}
		}
	})
	t.Run("flipped", func(t *testing.T) {
		for _, i := range flipAt {
			bad := append([]byte(nil), quote...)
			bad[i] ^= 0x01
			if _, err := v.Validate(ctx, bad, reportData); err == nil {
				t.Errorf("bit flipped at byte %d: got nil error, want a refusal", i)
			}
		}
	})
}

// TestFake checks a fake attestation, whose quote is the report data
// itself: iss issues a quote that v passes TestValidator with, and v
// refuses no quote, another key's report data, and a quote one byte short
// or one byte long, with the shared errors where the cause has one.
func TestFake(t *testing.T, iss attest.Issuer, v attest.Validator) {
	t.Helper()
	rd := attest.ReportData([]byte("claims"))
	q, err := iss.Issue(context.Background(), rd)
	if err != nil {
		t.Fatal(err)
	}
	TestValidator(t, v, q, rd, []int{0, 31, 63})
	other := attest.ReportData([]byte("other"))
	tests := []struct {
		name    string
		quote   []byte
		wantErr error
	}{
		{"empty", nil, attest.ErrNoQuote},
		{"other key", other[:], attest.ErrReportDataMismatch},
		{"short", rd[:63], nil},
		{"long", append(rd[:], 0), nil},
	}
	for _, tc := range tests {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			_, err := v.Validate(context.Background(), tc.quote, rd)
			if err == nil {
				t.Fatal("got nil error, want rejection")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
		})
	}
}
