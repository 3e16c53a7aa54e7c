package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/fakesevsnp"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/trust"
)

// fakeCert is an RA-TLS certificate attested by issuer, as PEM.
func fakeCert(t testing.TB, issuer attest.Issuer) []byte {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ratls.NewCertifier(context.Background(), key, issuer, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := c.Certificate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
}

func TestInspectFakeCertificates(t *testing.T) {
	for _, tc := range []struct {
		name   string
		issuer attest.Issuer
		in     Inspection
		want   string
	}{
		{"fake TDX", faketdx.NewIssuer(), Inspection{Verify: true, InsecureFakeTDX: true}, "verdict:       OK (policy fake_tdx)"},
		{"fake SEV-SNP", fakesevsnp.NewIssuer(), Inspection{Verify: true, InsecureFakeSEVSNP: true}, "verdict:       OK (policy fake_sev_snp)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := Inspect(context.Background(), &out, "cert.pem", fakeCert(t, tc.issuer), tc.in); err != nil || !strings.Contains(out.String(), tc.want) {
				t.Errorf("got %v:\n%s\nwant %q", err, out.String(), tc.want)
			}
		})
	}
	var out bytes.Buffer
	err := Inspect(context.Background(), &out, "cert.pem", fakeCert(t, faketdx.NewIssuer()), Inspection{Verify: true, InsecureFakeTDX: true, Policy: attest.Policy{Name: "any", Require: attest.KindNone}, Root: &trust.Lists{Root: "EQroot", Version: 1, AsOf: time.Now()}, Peers: trust.Proxies})
	if !errors.As(err, new(Misuse)) {
		t.Errorf("a root with a policy that attests nothing: got %v, want a Misuse", err)
	}
}

func TestWriteCert(t *testing.T) {
	dir := t.TempDir()
	hash, err := WriteCert(context.Background(), faketdx.NewIssuer(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := (attest.Measurements{Kind: attest.KindFakeTDX}).ImageHash(); hash != want {
		t.Errorf("image hash %x, want fake TDX's %x", hash, want)
	}
	for name, mode := range map[string]os.FileMode{"cert.pem": 0o644, "key.pem": 0o600, "image_hash": 0o644} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: %v, mode %v; want %v", name, err, st.Mode().Perm(), mode)
		}
	}
}

// FuzzSplit reads arbitrary bytes as `cocoon attest inspect` and `cocoon
// probe` read a file or a proxy's certificate: no panic, and a
// certificate re-encoded reads back to the same evidence.
func FuzzSplit(f *testing.F) {
	f.Add(fakeCert(f, faketdx.NewIssuer()), false)
	f.Add(fakeCert(f, fakesevsnp.NewIssuer()), true)
	f.Add(make([]byte, faketdx.QuoteSize), false)
	f.Add(make([]byte, fakesevsnp.EvidenceSize), true)
	f.Add([]byte{0x30, 0x82, 0x01}, false)
	f.Fuzz(func(t *testing.T, raw []byte, fakeSNP bool) {
		cert, ev, err := Split(raw, fakeSNP)
		if err != nil {
			return
		}
		if m, err := Measurements(ev); err == nil {
			Print(io.Discard, ev, m)
		}
		if cert == nil {
			return
		}
		again, ev2, err := Split(cert.Raw, fakeSNP)
		if err != nil || again == nil || !bytes.Equal(ev2.Quote, ev.Quote) || !bytes.Equal(ev2.SEVSNP, ev.SEVSNP) {
			t.Fatalf("the certificate re-encoded reads back as %v, %v", ev2, err)
		}
	})
}
