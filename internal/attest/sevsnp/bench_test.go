package sevsnp

import (
	"context"
	"testing"

	"github.com/cocoon-go/cocoon/internal/attest"
)

func BenchmarkValidateSignatureAndChain(b *testing.B) {
	benchmarkValidate(b, newChain(b, "Milan", testTCB), InsecureSkipCRL())
}

func BenchmarkValidateWithOfflineCRL(b *testing.B) {
	c := newChain(b, "Milan", testTCB)
	benchmarkValidate(b, c, WithOfflineKDS(c.offlineKDS(b, c.crl(b, testTime.AddDate(0, 0, -1)))))
}

// benchmarkValidate measures the validation of evidence from c at
// testTime, trusting c's roots, with opts.
func benchmarkValidate(b *testing.B, c *chain, opts ...Option) {
	rd := attest.ReportData([]byte("key"))
	ev := c.evidence(b, reportOpts{reportData: rd, policy: defaultPolicy()})
	v, err := NewValidator(fixed(testTime), append([]Option{WithTrustedRoots(c.roots())}, opts...)...)
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
