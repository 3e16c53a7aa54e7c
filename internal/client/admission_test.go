package client

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/client/gateway"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/trust"
	"github.com/cocoon-go/cocoon/internal/wire"
)

var fakeImage = attest.Measurements{Kind: attest.KindFakeTDX}.ImageHash()

func fakeVerifier(t *testing.T) *ratls.Verifier {
	t.Helper()
	p, _ := attest.NamedPolicy("fake_tdx")
	v, err := ratls.NewVerifier(faketdx.NewValidator(), p)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func certifier(t *testing.T, key ed25519.PrivateKey) *ratls.Certifier {
	t.Helper()
	if key == nil {
		_, key, _ = ed25519.GenerateKey(nil)
	}
	c, err := ratls.NewCertifier(context.Background(), key, faketdx.NewIssuer(), time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// signingProxy is a far side that passes RA-TLS with one key and names
// another, signing, key in its params: a cocoon-go proxy whose payments
// its attestation does not vouch for.
type signingProxy struct{ signing ed25519.PublicKey }

func (s signingProxy) ServeQuery(_ context.Context, payload []byte) ([]byte, error) {
	obj, err := tl.Unmarshal(payload)
	if err != nil {
		return nil, err
	}
	if _, ok := obj.(*tl.ClientConnectToProxy); !ok {
		return nil, &wire.QueryError{Code: wire.CodeProtoViolation, Message: "unexpected"}
	}
	return tl.Marshal(&tl.ClientConnectedToProxy{
		Params: tl.ProxyParams{Flags: 1 | 2 | tl.ExtFlag, ProxyPublicKey: [32]byte(s.signing), IsTest: true, ProtoVersion: 2},
		Auth:   &tl.ClientProxyConnectionAuthLong{Nonce: 1},
	}), nil
}

func (signingProxy) ServePacket([]byte) {}

// TestClientRefusesUnboundProxyKey: a cocoon-go proxy must sign with the
// key its attestation binds; one that does not is not the proxy it claims
// to be.
func TestClientRefusesUnboundProxyKey(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, other, _ := ed25519.GenerateKey(nil)
	server := ratls.ServerConfig(certifier(t, nil), fakeVerifier(t))
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		raw, err := ln.Accept()
		if err != nil {
			return
		}
		conn, err := wire.ServerHandshake(context.Background(), raw, server, 0)
		if err != nil {
			return
		}
		s := wire.NewSession(conn, wire.Config{Handler: signingProxy{signing: other.Public().(ed25519.PublicKey)}})
		defer s.Close()
		if s.Start(context.Background()) == nil {
			<-s.Done()
		}
	})
	addr := ln.Addr().String()
	cfg, err := ParseConfig([]byte(`{"is_test":true,"proxies":["` + addr + `"],"proxy_policy":"fake_tdx"}`))
	if err != nil {
		t.Fatal(err)
	}
	v := fakeVerifier(t)
	c, err := New(cfg, Deps{Mode: chainconf.FakeTON, TLS: ratls.ClientConfig(certifier(t, nil), v), ProxyPeers: v, Logger: discard(),
		Root: func(context.Context) (trust.Lists, error) {
			return trust.Lists{Root: "EQr", Version: 1, AsOf: time.Now(), ProxyHashes: [][32]byte{fakeImage}, Proxies: []trust.Endpoint{{Clients: addr}}}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	c.readRoot(context.Background())
	err = c.serveProxy(context.Background(), addr, 0)
	if !errors.Is(err, trust.ErrKeyNotBound) || !strings.Contains(err.Error(), "not the proxy it claims to be") {
		t.Errorf("got %v, want the proxy refused for a key its attestation does not bind", err)
	}
}

// TestClientDialsOnlyRegisteredProxies: on a root, the client dials
// nothing before the root is read, then only the configured proxies the
// root registers; a request meanwhile names why there is no proxy.
func TestClientDialsOnlyRegisteredProxies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg, err := ParseConfig([]byte(`{"is_test":true,"proxies":["10.0.0.1:11002","10.0.0.2:11002"],"proxy_connections":2,"proxy_policy":"fake_tdx","root_poll_every":"1s"}`))
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var dialled []string
		read := make(chan struct{})
		v := fakeVerifier(t)
		c, err := New(cfg, Deps{Mode: chainconf.FakeTON, TLS: &tls.Config{}, ProxyPeers: v, Logger: discard(),
			Root: func(ctx context.Context) (trust.Lists, error) {
				select {
				case <-read:
				case <-ctx.Done():
					return trust.Lists{}, ctx.Err()
				}
				return trust.Lists{Root: "EQr", Version: 7, AsOf: time.Now(), ProxyHashes: [][32]byte{fakeImage},
					Proxies: []trust.Endpoint{{Clients: "10.0.0.2:11002"}, {Clients: "10.0.0.3:11002"}}}, nil
			},
			Dial: func(_ context.Context, _, addr string) (net.Conn, error) {
				mu.Lock()
				defer mu.Unlock()
				dialled = append(dialled, addr)
				return nil, errors.New("connection refused")
			}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := sharedtest.Go(func(ctx context.Context) { c.Run(ctx) })
		time.Sleep(5 * time.Second)
		synctest.Wait()
		mu.Lock()
		if len(dialled) != 0 {
			t.Errorf("dialled %v before the root was read, want nothing", dialled)
		}
		mu.Unlock()
		if _, err := c.ready(ctx); !errors.Is(err, trust.ErrNotRead) {
			t.Errorf("a request before the root was read: got %v, want %v", err, trust.ErrNotRead)
		}
		close(read)
		time.Sleep(30 * time.Second)
		synctest.Wait()
		mu.Lock()
		got := slices.Compact(slices.Sorted(slices.Values(dialled)))
		mu.Unlock()
		if !slices.Equal(got, []string{"10.0.0.2:11002"}) {
			t.Errorf("dialled %v, want only the registered one of the configured proxies", got)
		}
		_, err = c.ready(ctx)
		if !errors.Is(err, gateway.ErrNoProxy) || !strings.Contains(err.Error(), "proxy endpoint 10.0.0.1:11002 is not registered on the root (root EQr, version 7)") {
			t.Errorf("a request with no proxy: got %v, want it to name the unregistered one", err)
		}
		if s := c.Snapshot(); s.Root == nil || s.Root.Version != 7 || !strings.Contains(s.LastRefusal, "10.0.0.1:11002") {
			t.Errorf("stats root %+v, last refusal %q", s.Root, s.LastRefusal)
		}
		stop()
	})
}

// TestNoRequestToADroppedProxy: once a reading of the root drops a
// proxy's image or endpoint, no request goes to it, even on a connection
// the poll has not closed yet.
func TestNoRequestToADroppedProxy(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"is_test":true,"proxies":["10.0.0.1:11002"],"proxy_policy":"fake_tdx"}`))
	if err != nil {
		t.Fatal(err)
	}
	lists := trust.Lists{Root: "EQr", Version: 1, AsOf: time.Now(), ProxyHashes: [][32]byte{fakeImage}, Proxies: []trust.Endpoint{{Clients: "10.0.0.1:11002"}}}
	c, err := New(cfg, Deps{Mode: chainconf.FakeTON, TLS: &tls.Config{}, ProxyPeers: fakeVerifier(t), Logger: discard(),
		Root: func(context.Context) (trust.Lists, error) { return lists, nil }})
	if err != nil {
		t.Fatal(err)
	}
	// The connection has no session: a request that got past the check
	// would fail on it.
	pc := &proxyConn{c: c, addr: "10.0.0.1:11002", image: fakeImage, streams: map[[32]byte]*gateway.Stream{}}
	for _, tc := range []struct {
		name string
		drop func(l *trust.Lists)
		want error
	}{
		{"image", func(l *trust.Lists) { l.ProxyHashes = nil }, attest.ErrImageHashNotAllowed},
		{"endpoint", func(l *trust.Lists) { l.Proxies = nil }, trust.ErrEndpointNotRegistered},
	} {
		l := lists
		l.Version++
		tc.drop(&l)
		if err := c.trust.Update(l); err != nil {
			t.Fatal(err)
		}
		if _, err := pc.start(&gateway.Query{Model: "m"}); !errors.Is(err, tc.want) {
			t.Errorf("%s dropped: got %v, want %v", tc.name, err, tc.want)
		}
		lists.Version = l.Version
	}
}
