package ratls

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// now is the pinned time of these tests.
var now = time.Date(2025, time.December, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustCertifier(t testing.TB, issuer attest.Issuer) *Certifier {
	t.Helper()
	c, err := NewCertifier(context.Background(), newKey(t), issuer, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustVerifier(t testing.TB, v attest.Validator, policy string, opts ...Option) *Verifier {
	t.Helper()
	p, err := attest.NamedPolicy(policy)
	if err != nil {
		t.Fatal(err)
	}
	ver, err := NewVerifier(v, p, append([]Option{WithClock(clock)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return ver
}

// result is what one side of a handshake saw.
type result struct {
	err   error
	state tls.ConnectionState
}

// handshake runs a real TLS handshake over loopback TCP and then one byte
// from server to client, so that a server-side rejection of the client's
// certificate reaches the client too.
func handshake(t testing.TB, server, client *tls.Config) (srv, cli result) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			srv.err = err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Server(c, server)
		if srv.err = tc.Handshake(); srv.err == nil {
			srv.state = tc.ConnectionState()
			_, srv.err = tc.Write([]byte{1})
		}
	})
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	tc := tls.Client(c, client)
	if cli.err = tc.Handshake(); cli.err == nil {
		cli.state = tc.ConnectionState()
		_, cli.err = io.ReadFull(tc, make([]byte, 1))
	}
	c.Close()
	wg.Wait()
	return srv, cli
}

func TestHandshakeAndPeer(t *testing.T) {
	srvCert, cliCert := mustCertifier(t, faketdx.NewIssuer()), mustCertifier(t, faketdx.NewIssuer())
	v := mustVerifier(t, faketdx.NewValidator(), "fake_tdx")
	srv, cli := handshake(t, ServerConfig(srvCert, v), ClientConfig(cliCert, v))
	if srv.err != nil || cli.err != nil {
		t.Fatalf("got server error %v, client error %v; want none", srv.err, cli.err)
	}
	for _, tc := range []struct {
		name  string
		state tls.ConnectionState
		want  *Certifier
	}{{"server sees client", srv.state, cliCert}, {"client sees server", cli.state, srvCert}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.state.Version != tls.VersionTLS13 || tc.state.DidResume {
				t.Errorf("got version %x resumed %v, want TLS 1.3 fresh", tc.state.Version, tc.state.DidResume)
			}
			if s := tc.state.CipherSuite; s != tls.TLS_AES_128_GCM_SHA256 && s != tls.TLS_AES_256_GCM_SHA384 {
				t.Errorf("got suite %s, want AES-GCM", tls.CipherSuiteName(s))
			}
			p, err := v.PeerFromState(context.Background(), tc.state)
			if err != nil {
				t.Fatalf("PeerFromState: %v", err)
			}
			if !p.PublicKey.Equal(tc.want.key.Public()) {
				t.Error("got another peer key, want the certifier's")
			}
			if p.Measurements.Kind != attest.KindFakeTDX || p.ImageHash != (attest.Measurements{}).ImageHash() {
				t.Errorf("got kind %s image hash %x, want fake_tdx and the zero image hash", p.Measurements.Kind, p.ImageHash)
			}
		})
	}
}

func TestNilValidatorIsAnError(t *testing.T) {
	if _, err := NewVerifier(nil, attest.Policy{}); err == nil {
		t.Error("got no error for a nil validator, want one")
	}
	if _, err := NewCertifier(context.Background(), newKey(t), nil, clock, nil); err == nil {
		t.Error("got no error for a nil issuer, want one")
	}
}

func TestCertificateFormat(t *testing.T) {
	key := newKey(t)
	quote := []byte("a quote")
	der, err := CreateCertificate(key, quote, now)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicKeyAlgorithm != x509.Ed25519 || c.SignatureAlgorithm != x509.PureEd25519 {
		t.Errorf("got %s/%s, want Ed25519", c.PublicKeyAlgorithm, c.SignatureAlgorithm)
	}
	if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 128 {
		t.Errorf("got serial of %d bits, want a positive 128-bit serial", c.SerialNumber.BitLen())
	}
	if !c.NotBefore.Equal(now) || c.NotAfter.Sub(c.NotBefore) != 24*time.Hour {
		t.Errorf("got validity %s..%s, want one day from %s", c.NotBefore, c.NotAfter, now)
	}
	if c.Subject.String() != "CN=localhost,OU=Security,O=TDLib Development,ST=DUBAI,C=AE" || c.Subject.String() != c.Issuer.String() {
		t.Errorf("got subject %q issuer %q, want the reference's name", c.Subject, c.Issuer)
	}
	if len(c.DNSNames) != 2 || c.DNSNames[0] != "localhost" || c.DNSNames[1] != "127.0.0.1" || len(c.IPAddresses) != 2 || !c.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) || !c.IPAddresses[1].Equal(net.IPv6loopback) {
		t.Errorf("got SAN %v %v, want DNS localhost, 127.0.0.1 and IP 127.0.0.1, ::1", c.DNSNames, c.IPAddresses)
	}
	if c.IsCA || c.KeyUsage != x509.KeyUsageDigitalSignature || len(c.SubjectKeyId) == 0 {
		t.Errorf("got CA %v key usage %v SKI %x, want CA:FALSE, digitalSignature, an SKI", c.IsCA, c.KeyUsage, c.SubjectKeyId)
	}
	if len(c.ExtKeyUsage) != 2 || c.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth || c.ExtKeyUsage[1] != x509.ExtKeyUsageClientAuth {
		t.Errorf("got EKU %v, want serverAuth, clientAuth", c.ExtKeyUsage)
	}
	critical := map[string]bool{}
	for _, e := range c.Extensions {
		critical[e.Id.String()] = e.Critical
	}
	for _, oid := range []asn1.ObjectIdentifier{{2, 5, 29, 19}, {2, 5, 29, 15}, {2, 5, 29, 37}, OIDQuote, OIDClaims} {
		if !critical[oid.String()] {
			t.Errorf("extension %s: got non-critical or absent, want critical", oid)
		}
	}
	ev, err := ParseEvidence(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(ev.Quote) != string(quote) || !key.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(ev.Claims)) {
		t.Errorf("got quote %q claims %x, want %q and the raw public key", ev.Quote, ev.Claims, quote)
	}
}

func TestVerifierCache(t *testing.T) {
	counting := &countingValidator{Validator: faketdx.NewValidator()}
	at := now
	v := mustVerifier(t, counting, "fake_tdx", WithCache(time.Minute, 2), WithClock(func() time.Time { return at }))
	certs := make([]*x509.Certificate, 3)
	for i := range certs {
		c := mustCertifier(t, faketdx.NewIssuer())
		cert, err := c.Certificate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		certs[i] = cert.Leaf
	}
	verify := func(i int) {
		t.Helper()
		if _, err := v.VerifyCertificates(context.Background(), certs[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	verify(0)
	verify(0)
	if counting.n != 1 {
		t.Errorf("got %d validations of one quote, want 1 (cached)", counting.n)
	}
	verify(1)
	verify(2) // evicts 0, the least recently used
	if got := v.cache.len(); got != 2 {
		t.Errorf("got %d cached quotes, want at most 2", got)
	}
	verify(0)
	if counting.n != 4 {
		t.Errorf("got %d validations, want 4 (quote 0 evicted)", counting.n)
	}
	at = at.Add(2 * time.Minute)
	verify(0)
	if counting.n != 5 {
		t.Errorf("got %d validations, want 5 (entry expired)", counting.n)
	}
}

// countingValidator counts the validations that reach it.
type countingValidator struct {
	attest.Validator
	n int
}

func (c *countingValidator) Validate(ctx context.Context, quote []byte, rd [attest.ReportDataSize]byte) (attest.Measurements, error) {
	c.n++
	return c.Validator.Validate(ctx, quote, rd)
}

// failingIssuer fails every quote after the first.
type failingIssuer struct{ issued int }

func (f *failingIssuer) Issue(ctx context.Context, rd [attest.ReportDataSize]byte) ([]byte, error) {
	f.issued++
	if f.issued > 1 {
		return nil, errors.New("quote service down")
	}
	return faketdx.NewIssuer().Issue(ctx, rd)
}

func TestCertifierRenewal(t *testing.T) {
	at := now
	c, err := NewCertifier(context.Background(), newKey(t), faketdx.NewIssuer(), func() time.Time { return at }, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := c.Certificate(context.Background())
	at = at.Add(RenewAfter - time.Second)
	if same, _ := c.Certificate(context.Background()); same != first {
		t.Error("got a new certificate before RenewAfter, want the same")
	}
	at = at.Add(2 * time.Second)
	second, err := c.Certificate(context.Background())
	if err != nil || second == first {
		t.Fatalf("got the same certificate (%v) after RenewAfter, want a renewed one", err)
	}
	if !second.Leaf.NotBefore.Equal(at.Truncate(time.Second)) {
		t.Errorf("got not-before %s, want %s", second.Leaf.NotBefore, at)
	}

	fi := &failingIssuer{}
	at = now
	c, err = NewCertifier(context.Background(), newKey(t), fi, func() time.Time { return at }, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, _ = c.Certificate(context.Background())
	at = at.Add(2 * RenewAfter)
	if kept, err := c.Certificate(context.Background()); err != nil || kept != first {
		t.Errorf("renewal failing while valid: got %v, want the old certificate", err)
	}
	at = now.Add(Validity + time.Second)
	if _, err := c.Certificate(context.Background()); err == nil {
		t.Error("renewal failing after expiry: got a certificate, want an error")
	}
}

// certWith builds a certificate the reference would not: ev and extra
// extensions chosen by the test.
func certWith(t testing.TB, key ed25519.PrivateKey, ev Evidence, notBefore time.Time, extra ...pkix.Extension) *tls.Certificate {
	t.Helper()
	der, err := buildCertificate(key, ev, notBefore, extra...)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// TestServerRenewsWithoutRestart keeps one server configuration across a
// renewal: the next handshake after RenewAfter sees a new certificate.
func TestServerRenewsWithoutRestart(t *testing.T) {
	at := now
	var mu sync.Mutex
	serverClock := func() time.Time { mu.Lock(); defer mu.Unlock(); return at }
	srvCert, err := NewCertifier(context.Background(), newKey(t), faketdx.NewIssuer(), serverClock, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := mustVerifier(t, faketdx.NewValidator(), "fake_tdx", WithClock(func() time.Time { return now.Add(3 * time.Hour) }))
	server := ServerConfig(srvCert, v)
	client := ClientConfig(mustCertifier(t, faketdx.NewIssuer()), v)
	serial := func() string {
		t.Helper()
		srv, cli := handshake(t, server, client)
		if srv.err != nil || cli.err != nil {
			t.Fatalf("got server error %v, client error %v", srv.err, cli.err)
		}
		return cli.state.PeerCertificates[0].SerialNumber.String()
	}
	first := serial()
	if again := serial(); again != first {
		t.Errorf("got a new certificate %s before RenewAfter, want %s", again, first)
	}
	mu.Lock()
	at = at.Add(RenewAfter + time.Minute)
	mu.Unlock()
	if renewed := serial(); renewed == first {
		t.Errorf("got the old certificate %s after RenewAfter, want a renewed one", first)
	}
}

func TestUnattestedPeerHasNoImageHash(t *testing.T) {
	c := mustCertifier(t, attest.NoEvidence)
	cert, err := c.Certificate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, err := mustVerifier(t, attest.NoVerification, "any").VerifyCertificates(context.Background(), []*x509.Certificate{cert.Leaf})
	if err != nil {
		t.Fatal(err)
	}
	if p.Measurements.Kind != attest.KindNone || p.ImageHash != ([32]byte{}) {
		t.Errorf("got kind %s image hash %x, want none and all zeros", p.Measurements.Kind, p.ImageHash)
	}
}

// blockingValidator waits inside Validate until its context ends.
type blockingValidator struct{ entered chan struct{} }

func (b blockingValidator) Validate(ctx context.Context, _ []byte, _ [attest.ReportDataSize]byte) (attest.Measurements, error) {
	close(b.entered)
	<-ctx.Done()
	return attest.Measurements{}, ctx.Err()
}

func TestServerVerificationFollowsHandshakeContext(t *testing.T) {
	bv := blockingValidator{entered: make(chan struct{})}
	server := ServerConfig(mustCertifier(t, faketdx.NewIssuer()), mustVerifier(t, bv, "fake_tdx"))
	client := ClientConfig(mustCertifier(t, faketdx.NewIssuer()), mustVerifier(t, faketdx.NewValidator(), "fake_tdx"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srvErr := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srvErr <- err
			return
		}
		defer c.Close()
		srvErr <- tls.Server(c, server).HandshakeContext(ctx)
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() {
		<-bv.entered
		cancel()
	}()
	tls.Client(c, client).Handshake()
	if err := <-srvErr; !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want the handshake's cancellation to end the validation", err)
	}
}

func TestVerifyConcurrently(t *testing.T) {
	v := mustVerifier(t, faketdx.NewValidator(), "fake_tdx", WithCache(time.Minute, 3))
	certs := make([]*x509.Certificate, 6)
	for i := range certs {
		c, err := mustCertifier(t, faketdx.NewIssuer()).Certificate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		certs[i] = c.Leaf
	}
	var wg sync.WaitGroup
	errs := make([]error, 4*len(certs))
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = v.VerifyCertificates(context.Background(), certs[i%len(certs):i%len(certs)+1])
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("verification %d: %v", i, err)
		}
	}
	if n := v.cache.len(); n > 3 {
		t.Errorf("got %d cached quotes, want at most 3", n)
	}
}

func TestSetPolicy(t *testing.T) {
	c, err := mustCertifier(t, faketdx.NewIssuer()).Certificate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v := mustVerifier(t, faketdx.NewValidator(), "fake_tdx")
	verify := func() error {
		_, err := v.VerifyCertificates(context.Background(), []*x509.Certificate{c.Leaf})
		return err
	}
	if err := verify(); err != nil {
		t.Fatal(err)
	}
	p, _ := attest.NamedPolicy("fake_tdx")
	p.ImageHashes = [][32]byte{{1}}
	if err := v.SetPolicy(p); err != nil {
		t.Fatal(err)
	}
	if err := verify(); !errors.Is(err, attest.ErrImageHashNotAllowed) {
		t.Errorf("after narrowing the policy: got %v, want %v", err, attest.ErrImageHashNotAllowed)
	}
	anyWithHashes, _ := attest.NamedPolicy("any")
	anyWithHashes.ImageHashes = p.ImageHashes
	if err := v.SetPolicy(anyWithHashes); err == nil {
		t.Error("got no error for an unenforceable policy, want one")
	}
}

func TestValidateTimeout(t *testing.T) {
	c, err := mustCertifier(t, faketdx.NewIssuer()).Certificate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v := mustVerifier(t, blockingValidator{entered: make(chan struct{})}, "fake_tdx", WithValidateTimeout(time.Millisecond))
	cs := tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256, PeerCertificates: []*x509.Certificate{c.Leaf}}
	if err := v.VerifyConnection(cs); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the validation cut off by its timeout", err)
	}
}

// WithValidateTimeout bounds one quote validation, including any
// collateral fetch (default 30 seconds).
func WithValidateTimeout(d time.Duration) Option { return func(v *Verifier) { v.timeout = d } }

func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
