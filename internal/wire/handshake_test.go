package wire

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math/big"
	"testing"
	"time"
)

// selfSigned returns a throwaway Ed25519 certificate, as RA-TLS uses.
func selfSigned(t testing.TB) tls.Certificate {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv}
}

func tlsConfigs(t testing.TB) (server, client *tls.Config) {
	server = &tls.Config{
		MinVersion:             tls.VersionTLS13,
		Certificates:           []tls.Certificate{selfSigned(t)},
		ClientAuth:             tls.RequireAnyClientCert,
		SessionTicketsDisabled: true,
	}
	client = &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{selfSigned(t)},
		// The tests check the handshake's composition, not certificates;
		// RA-TLS verification belongs to package ratls.
		InsecureSkipVerify: true,
		ServerName:         "127.0.0.1",
	}
	return server, client
}

func TestHandshakeThenSession(t *testing.T) {
	serverCfg, clientCfg := tlsConfigs(t)
	rawClient, rawServer := tcpPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type res struct {
		c   *Session
		err error
	}
	done := make(chan res, 1)
	go func() {
		c, err := ServerHandshake(ctx, rawServer, serverCfg, 10)
		if err != nil {
			done <- res{nil, err}
			return
		}
		s := NewSession(c, Config{Handler: &testHandler{}})
		done <- res{s, s.Start(ctx)}
	}()
	c, err := ClientHandshake(ctx, rawClient, clientCfg, DefaultMaxPoWDifficulty)
	if err != nil {
		t.Fatalf("ClientHandshake: %v", err)
	}
	out := NewSession(c, Config{Outbound: true})
	defer out.Close()
	if err := out.Start(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("server side: %v", r.err)
	}
	defer r.c.Close()
	got, err := out.Query(ctx, []byte("over tls"))
	if err != nil || string(got) != "echo:over tls" {
		t.Errorf("query over TLS: got %q, %v", got, err)
	}
}

func TestClientHandshakeRefusesHardPoW(t *testing.T) {
	serverCfg, clientCfg := tlsConfigs(t)
	rawClient, rawServer := tcpPair(t)
	defer rawServer.Close()
	go func() {
		_, err := ServerHandshake(context.Background(), rawServer, serverCfg, 30)
		_ = err // the client hangs up
	}()
	_, err := ClientHandshake(context.Background(), rawClient, clientCfg, 28)
	if !errors.Is(err, ErrPoWTooHard) {
		t.Errorf("got %v, want ErrPoWTooHard", err)
	}
	// The raw connection is closed on failure.
	if _, err := rawClient.Read(make([]byte, 1)); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("reading the failed connection: got %v, want use of a closed connection", err)
	}
}
