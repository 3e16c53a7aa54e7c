package ratls

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/attest/tdx"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

// fixedIssuer issues the same captured quote whatever the report data, as
// an attacker replaying someone else's quote would.
type fixedIssuer struct{ quote []byte }

func (f fixedIssuer) Issue(context.Context, [attest.ReportDataSize]byte) ([]byte, error) {
	return f.quote, nil
}

// column is one kind of attestation in the matrix.
type column struct {
	name      string
	issuer    attest.Issuer
	validator attest.Validator
	policy    string
}

func columns(t *testing.T) []column {
	t.Helper()
	cols := []column{
		{"fake", faketdx.NewIssuer(), faketdx.NewValidator(), "fake_tdx"},
		{"none", attest.NoEvidence, attest.NoVerification, "any"},
	}
	path := sharedtest.Path(t, "testdata/tdx/quote.dat")
	quote, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Real verification of the reference's captured quote, offline: its
	// report data is bound to the reference's key, never to ours.
	v, err := tdx.NewValidator(clock, tdx.WithOfflineCollateral(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	return append(cols, column{"real-quote", fixedIssuer{quote}, v, "tdx"})
}

// variant makes the certificate of the side under test.
type variant struct {
	name string
	// cert returns the subject's certificate for key, given another
	// party's good certificate.
	cert func(t *testing.T, col column, key ed25519.PrivateKey, other *tls.Certificate) *tls.Certificate
	// imageHashes, when set, narrows the checker's policy.
	imageHashes [][32]byte
	// want is the checker's error for each column; absent means accepted.
	want map[string]error
}

var errPolicyRefused = errors.New("policy cannot be built")

func issue(t *testing.T, col column, key ed25519.PrivateKey) []byte {
	t.Helper()
	q, err := col.issuer.Issue(context.Background(), attest.ReportData(key.Public().(ed25519.PublicKey)))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func good(t *testing.T, col column, key ed25519.PrivateKey, _ *tls.Certificate) *tls.Certificate {
	pub := key.Public().(ed25519.PublicKey)
	return certWith(t, key, Evidence{Quote: issue(t, col, key), Claims: pub}, now)
}

var variants = []variant{
	{
		name: "good",
		cert: good,
		want: map[string]error{"real-quote": attest.ErrReportDataMismatch},
	},
	{
		name: "quote bound to another key",
		cert: func(t *testing.T, col column, key ed25519.PrivateKey, _ *tls.Certificate) *tls.Certificate {
			pub := key.Public().(ed25519.PublicKey)
			return certWith(t, key, Evidence{Quote: issue(t, col, newKey(t)), Claims: pub}, now)
		},
		// "none" attests nothing, so it has no quote to bind.
		want: map[string]error{"fake": attest.ErrReportDataMismatch, "real-quote": attest.ErrReportDataMismatch},
	},
	{
		name: "replayed quote",
		cert: func(t *testing.T, col column, key ed25519.PrivateKey, other *tls.Certificate) *tls.Certificate {
			ev, err := ParseEvidence(other.Leaf)
			if err != nil {
				t.Fatal(err)
			}
			return certWith(t, key, ev, now)
		},
		want: map[string]error{"fake": ErrClaimsMismatch, "none": ErrClaimsMismatch, "real-quote": ErrClaimsMismatch},
	},
	{
		name: "unknown critical extension",
		cert: func(t *testing.T, col column, key ed25519.PrivateKey, _ *tls.Certificate) *tls.Certificate {
			pub := key.Public().(ed25519.PublicKey)
			ext := pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 12345, 3}, Critical: true, Value: []byte{5, 0}}
			return certWith(t, key, Evidence{Quote: issue(t, col, key), Claims: pub}, now, ext)
		},
		want: map[string]error{"fake": ErrUnknownCriticalExtension, "none": ErrUnknownCriticalExtension, "real-quote": ErrUnknownCriticalExtension},
	},
	{
		name: "expired certificate",
		cert: func(t *testing.T, col column, key ed25519.PrivateKey, _ *tls.Certificate) *tls.Certificate {
			pub := key.Public().(ed25519.PublicKey)
			return certWith(t, key, Evidence{Quote: issue(t, col, key), Claims: pub}, now.Add(-Validity-time.Hour))
		},
		want: map[string]error{"fake": ErrExpired, "none": ErrExpired, "real-quote": ErrExpired},
	},
	{
		name:        "image hash not allowed",
		cert:        good,
		imageHashes: [][32]byte{{0xab}},
		want:        map[string]error{"fake": attest.ErrImageHashNotAllowed, "none": errPolicyRefused, "real-quote": attest.ErrReportDataMismatch},
	},
}

func TestMatrix(t *testing.T) {
	fakeVerifier := mustVerifier(t, faketdx.NewValidator(), "fake_tdx")
	for _, col := range columns(t) {
		for _, vr := range variants {
			for _, side := range []string{"server", "client", "mutual"} {
				t.Run(col.name+"/"+vr.name+"/"+side, func(t *testing.T) {
					want := vr.want[col.name]
					policy, err := attest.NamedPolicy(col.policy)
					if err != nil {
						t.Fatal(err)
					}
					policy.ImageHashes = vr.imageHashes
					checker, err := NewVerifier(col.validator, policy, WithClock(clock))
					if want == errPolicyRefused {
						if err == nil {
							t.Fatal("got a verifier, want the policy refused")
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					otherSubject := good(t, col, newKey(t), nil)
					subject := func() *tls.Certificate { return vr.cert(t, col, newKey(t), otherSubject) }
					bystander := mustCertifier(t, faketdx.NewIssuer())

					var server, client *tls.Config
					switch side {
					case "server": // the server checks the client's certificate
						server = ServerConfig(bystander, checker)
						client = ClientConfig(bystander, fakeVerifier)
						c := subject()
						client.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return c, nil }
					case "client": // the client checks the server's certificate
						server = ServerConfig(bystander, fakeVerifier)
						c := subject()
						server.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c, nil }
						client = ClientConfig(bystander, checker)
					case "mutual":
						server = ServerConfig(bystander, checker)
						client = ClientConfig(bystander, checker)
						sc, cc := subject(), subject()
						server.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return sc, nil }
						client.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cc, nil }
					}
					srv, cli := handshake(t, server, client)
					checkerErr, otherErr := srv.err, cli.err
					if side != "server" {
						// The client checks first in TLS 1.3.
						checkerErr, otherErr = cli.err, srv.err
					}
					if want == nil {
						if srv.err != nil || cli.err != nil {
							t.Fatalf("got server error %v, client error %v; want accepted", srv.err, cli.err)
						}
						return
					}
					if !errors.Is(checkerErr, want) {
						t.Errorf("checker got %v, want %v", checkerErr, want)
					}
					if otherErr == nil {
						t.Error("the other side got no error, want the handshake to fail there too")
					}
				})
			}
		}
	}
}
