package ratls

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
)

// opensslCertificate makes a certificate the way the reference does, with
// OpenSSL: an Ed25519 key and the two custom critical extensions carrying
// raw bytes (a fake quote and the public key).
func opensslCertificate(t *testing.T) (keyPath, certPath string, pub ed25519.PublicKey, cert *x509.Certificate) {
	t.Helper()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	keyPath, certPath = filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	sh := func(args ...string) []byte {
		t.Helper()
		out, err := exec.Command(openssl, args...).Output()
		if err != nil {
			t.Fatalf("openssl %v: %v", args, err)
		}
		return out
	}
	sh("genpkey", "-algorithm", "ed25519", "-out", keyPath)
	spki := sh("pkey", "-in", keyPath, "-pubout", "-outform", "DER")
	pub = ed25519.PublicKey(spki[len(spki)-ed25519.PublicKeySize:])
	quote := fakeQuote(t, pub)
	sh("req", "-x509", "-new", "-key", keyPath, "-out", certPath, "-days", "1",
		"-subj", "/C=AE/ST=DUBAI/O=TDLib Development/OU=Security/CN=localhost",
		"-addext", "basicConstraints=critical,CA:FALSE",
		"-addext", "keyUsage=critical,digitalSignature",
		"-addext", "extendedKeyUsage=critical,serverAuth,clientAuth",
		"-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
		"-addext", "1.3.6.1.4.1.12345.1=critical,DER:"+hex.EncodeToString(quote),
		"-addext", "1.3.6.1.4.1.12345.2=critical,DER:"+hex.EncodeToString(pub))
	b, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if cert, err = x509.ParseCertificate(block.Bytes); err != nil {
		t.Fatal(err)
	}
	return keyPath, certPath, pub, cert
}

func TestVerifiesOpenSSLCertificate(t *testing.T) {
	_, _, pub, cert := opensslCertificate(t)
	v, err := NewVerifier(faketdx.NewValidator(), attest.Policy{Name: "fake_tdx", Require: attest.KindFakeTDX}, WithClock(time.Now))
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.VerifyCertificates(context.Background(), []*x509.Certificate{cert})
	if err != nil {
		t.Fatalf("verifying an OpenSSL-made certificate: %v", err)
	}
	if !p.PublicKey.Equal(pub) {
		t.Error("got another peer key, want the OpenSSL key")
	}
}

// TestOpenSSLClientHandshake connects OpenSSL's s_client, configured as
// the reference's router is (TLS 1.3, AES-GCM only, no tickets, its
// certificate presented), to our server.
func TestOpenSSLClientHandshake(t *testing.T) {
	keyPath, certPath, pub, _ := opensslCertificate(t)
	v, err := NewVerifier(faketdx.NewValidator(), attest.Policy{Name: "fake_tdx", Require: attest.KindFakeTDX}, WithClock(time.Now))
	if err != nil {
		t.Fatal(err)
	}
	srvCert, err := NewCertifier(context.Background(), newKey(t), faketdx.NewIssuer(), time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		peer *Peer
		err  error
	}
	done := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Server(c, ServerConfig(srvCert, v))
		if err := tc.Handshake(); err != nil {
			done <- result{err: err}
			return
		}
		p, err := v.PeerFromState(context.Background(), tc.ConnectionState())
		tc.Write([]byte("ok\n"))
		done <- result{peer: p, err: err}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", "s_client", "-connect", ln.Addr().String(),
		"-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
		"-no_ticket", "-cert", certPath, "-key", keyPath, "-servername", "127.0.0.1")
	cmd.Stdin = strings.NewReader("")
	out, cmdErr := cmd.CombinedOutput()
	r := <-done
	if r.err != nil {
		t.Fatalf("server: %v (s_client: %v)\n%s", r.err, cmdErr, out)
	}
	if !r.peer.PublicKey.Equal(pub) || r.peer.Measurements.Kind != attest.KindFakeTDX {
		t.Errorf("got peer kind %s, want OpenSSL's key attested by a fake quote", r.peer.Measurements.Kind)
	}
	if !strings.Contains(string(out), "TLSv1.3") {
		t.Errorf("s_client did not report TLS 1.3:\n%s", out)
	}
}
