package sevsnp

import (
	"context"
	"testing"

	"github.com/cocoon-go/cocoon/internal/attest"
)

func BenchmarkValidateSignatureAndChain(b *testing.B) {
	c := newChain(b, "Milan", testTCB)
	rd := attest.ReportData([]byte("key"))
	ev := c.evidence(b, reportOpts{reportData: rd, policy: defaultPolicy()})
	v, err := NewValidator(fixed(testTime), WithTrustedRoots(c.roots()), InsecureSkipCRL())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Validate(ctx, ev, rd); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateWithOfflineCRL(b *testing.B) {
	c := newChain(b, "Milan", testTCB)
	rd := attest.ReportData([]byte("key"))
	ev := c.evidence(b, reportOpts{reportData: rd, policy: defaultPolicy()})
	v, err := NewValidator(fixed(testTime), WithTrustedRoots(c.roots()), WithOfflineKDS(c.offlineKDS(b, c.crl(b, testTime.AddDate(0, 0, -1)))))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Validate(ctx, ev, rd); err != nil {
			b.Fatal(err)
		}
	}
}
