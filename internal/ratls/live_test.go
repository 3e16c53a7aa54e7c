package ratls

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
)

// fakeImage is the image hash every fake TDX peer has.
var fakeImage = attest.Measurements{Kind: attest.KindFakeTDX}.ImageHash()

// withList returns v's policy with a live list of hashes.
func withList(t *testing.T, v *Verifier, hashes ...[32]byte) {
	t.Helper()
	p := v.Policy()
	p.Allowed = &attest.AllowList{Peer: "worker", Source: "the root's worker_hashes (root EQx, version 2)", Hashes: hashes}
	if err := v.SetPolicy(p); err != nil {
		t.Fatal(err)
	}
}

// TestLiveListDialerAndAcceptor: a dialler refuses a server its live list
// lacks in the handshake, with the list's message; an acceptor completes
// the handshake and leaves the list to Recheck, which names the cause.
func TestLiveListDialerAndAcceptor(t *testing.T) {
	sv := mustVerifier(t, faketdx.NewValidator(), "fake_tdx")
	cv := mustVerifier(t, faketdx.NewValidator(), "fake_tdx")
	withList(t, sv)
	withList(t, cv)
	srv, cli := handshake(t, ServerConfig(mustCertifier(t, faketdx.NewIssuer()), sv), ClientConfig(mustCertifier(t, faketdx.NewIssuer()), cv))
	if srv.err == nil || cli.err == nil {
		// The client refuses the server first; the server's error is the
		// client's alert.
		t.Fatalf("server %v, client %v: want the client to refuse the unlisted server", srv.err, cli.err)
	}
	want := "worker image hash 5c55c8f4db4010ba9203d83536d0609856af8c847ac039e37e7dde8fbd574b61 is not in the root's worker_hashes (root EQx, version 2)"
	if !errors.Is(cli.err, attest.ErrImageHashNotAllowed) || !strings.Contains(cli.err.Error(), want) {
		t.Errorf("client: got %v, want %q", cli.err, want)
	}

	open := mustVerifier(t, faketdx.NewValidator(), "fake_tdx")
	srv, cli = handshake(t, ServerConfig(mustCertifier(t, faketdx.NewIssuer()), sv), ClientConfig(mustCertifier(t, faketdx.NewIssuer()), open))
	if srv.err != nil || cli.err != nil {
		t.Fatalf("server %v, client %v: want the acceptor to defer its live list", srv.err, cli.err)
	}
	_, err := sv.Recheck(context.Background(), srv.state.PeerCertificates)
	if !errors.Is(err, attest.ErrImageHashNotAllowed) || !strings.Contains(err.Error(), want) {
		t.Errorf("Recheck: got %v, want %q", err, want)
	}
	withList(t, sv, fakeImage)
	p, err := sv.Recheck(context.Background(), srv.state.PeerCertificates)
	if err != nil || p.ImageHash != fakeImage {
		t.Errorf("Recheck once listed: got %v, %v; want the peer with its image hash", p, err)
	}
}

// TestRecheckKeepsTheHandshakeValidity: a connection may outlive its
// peer's certificate; Recheck judges the quote and the policy again, not
// the validity period.
func TestRecheckKeepsTheHandshakeValidity(t *testing.T) {
	key := newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	quote := fakeQuote(t, pub)
	old := certWith(t, key, Evidence{Quote: quote, Claims: pub}, now.Add(-2*Validity))
	v := mustVerifier(t, faketdx.NewValidator(), "fake_tdx")
	certs := []*x509.Certificate{old.Leaf}
	if _, err := v.VerifyCertificates(context.Background(), certs); !errors.Is(err, ErrExpired) {
		t.Errorf("VerifyCertificates: got %v, want %v", err, ErrExpired)
	}
	if _, err := v.Recheck(context.Background(), certs); err != nil {
		t.Errorf("Recheck: got %v, want the expired certificate's quote judged again and accepted", err)
	}
	withList(t, v)
	if _, err := v.Recheck(context.Background(), certs); !errors.Is(err, attest.ErrImageHashNotAllowed) {
		t.Errorf("Recheck after the list dropped the image: got %v, want %v", err, attest.ErrImageHashNotAllowed)
	}
}

// TestFakeQuoteUnderTDXPolicy: a fake quote under policy tdx is named
// as such, not as a malformed quote.
func TestFakeQuoteUnderTDXPolicy(t *testing.T) {
	c, err := mustCertifier(t, faketdx.NewIssuer()).Certificate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	counting := &countingValidator{Validator: faketdx.NewValidator()}
	v := mustVerifier(t, counting, "tdx")
	_, err = v.VerifyCertificates(context.Background(), []*x509.Certificate{c.Leaf})
	want := "fake TDX quote rejected: policy tdx requires a real quote"
	if !errors.Is(err, attest.ErrFakeQuote) || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("got %v, want %q", err, want)
	}
	if counting.n != 0 {
		t.Errorf("got %d validations, want the fake quote refused before the validator", counting.n)
	}
}

// TestRecheckRevalidatesAfterTTL: Recheck takes the quote from the cache
// while it is fresh and validates it again once the TTL has passed.
func TestRecheckRevalidatesAfterTTL(t *testing.T) {
	c, err := mustCertifier(t, faketdx.NewIssuer()).Certificate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	at := now
	counting := &countingValidator{Validator: faketdx.NewValidator()}
	v := mustVerifier(t, counting, "fake_tdx", WithClock(func() time.Time { return at }), WithCache(time.Second, 10))
	certs := []*x509.Certificate{c.Leaf}
	for range 3 {
		if _, err := v.Recheck(context.Background(), certs); err != nil {
			t.Fatal(err)
		}
	}
	if n := counting.n; n != 1 {
		t.Errorf("within the TTL: got %d validations, want 1", n)
	}
	at = at.Add(time.Second)
	if _, err := v.Recheck(context.Background(), certs); err != nil {
		t.Fatal(err)
	}
	if n := counting.n; n != 2 {
		t.Errorf("after the TTL: got %d validations, want 2", n)
	}
}

// tcbValidator accepts a fake quote and one padding byte (so that policy
// tdx does not take it for a fake one) as a real TDX quote under Intel's
// root, with the TCB status it is set to: a platform whose collateral
// changes.
type tcbValidator struct{ status attest.TCBStatus }

func (v *tcbValidator) Validate(ctx context.Context, quote []byte, rd [attest.ReportDataSize]byte) (attest.Measurements, error) {
	if len(quote) == 0 {
		return attest.Measurements{}, attest.ErrNoQuote
	}
	if _, err := faketdx.NewValidator().Validate(ctx, quote[:len(quote)-1], rd); err != nil {
		return attest.Measurements{}, err
	}
	return attest.Measurements{Kind: attest.KindTDX, ReportData: rd, TCBStatus: v.status, RootKeyID: attest.IntelRootKeyID}, nil
}

// TestRecheckJudgesTheTCBAgain: a platform whose TCB is revoked after its
// peer connected is refused at the first Recheck past the cache's TTL.
func TestRecheckJudgesTheTCBAgain(t *testing.T) {
	key := newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	quote := fakeQuote(t, pub)
	c := certWith(t, key, Evidence{Quote: append(quote, 0), Claims: pub}, now)
	tv := &tcbValidator{status: attest.TCBUpToDate}
	at := now
	v := mustVerifier(t, tv, "tdx", WithClock(func() time.Time { return at }), WithCache(time.Minute, 10))
	certs := []*x509.Certificate{c.Leaf}
	if _, err := v.Recheck(context.Background(), certs); err != nil {
		t.Fatal(err)
	}
	tv.status = attest.TCBRevoked
	if _, err := v.Recheck(context.Background(), certs); err != nil {
		t.Errorf("within the TTL: got %v, want the cached verdict", err)
	}
	at = at.Add(time.Minute)
	if _, err := v.Recheck(context.Background(), certs); !errors.Is(err, attest.ErrTCBStatusNotAllowed) {
		t.Errorf("past the TTL: got %v, want %v", err, attest.ErrTCBStatusNotAllowed)
	}
}
