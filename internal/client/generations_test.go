package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/client/gateway"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
)

// TestReopenWaitsForNeed follows one proxy endpoint through a close: its
// slot waits while the endpoint is parked, a need (a request finding no
// connection) moves it to the next generation once, whichever slot comes
// first, and a request meanwhile is told what happened and what to do.
func TestReopenWaitsForNeed(t *testing.T) {
	c := &Client{log: discard(), endpoints: map[string]*endpoint{}, needed: make(chan struct{}), changed: make(chan struct{}), stopped: make(chan struct{})}
	c.park("p:1", "closed by POST /control/close")
	err := c.noProxy()
	if !errors.Is(err, gateway.ErrNoProxy) || !strings.Contains(err.Error(), "closed by POST /control/close") || !strings.Contains(err.Error(), "next request or POST /control/open") {
		t.Errorf("a request while parked: %v, want why and what to do", err)
	}
	done := make(chan bool, 2)
	for range 2 {
		go func() { done <- c.reopen(context.Background(), "p:1", 0, 1) }()
	}
	select {
	case <-done:
		t.Fatal("a slot went on while the endpoint was parked")
	case <-time.After(50 * time.Millisecond):
	}
	if !c.wantOpen() {
		t.Error("wantOpen found nothing parked")
	}
	for range 2 {
		if !<-done {
			t.Error("a slot did not go on after the need")
		}
	}
	if got := c.generation("p:1"); got != 1 {
		t.Errorf("generation %d after one close, want 1 (moved once for both slots)", got)
	}
	if err := c.noProxy(); !strings.Contains(err.Error(), "opening a new client contract") {
		t.Errorf("a request while opening: %v, want it said", err)
	}
	c.mu.Lock()
	opening := c.openingLocked()
	c.mu.Unlock()
	if !opening {
		t.Error("the endpoint is not opening")
	}
	c.setStatus("p:1", "", false)
	if err := c.noProxy(); err != gateway.ErrNoProxy {
		t.Errorf("once connected: %v, want plain %v", err, gateway.ErrNoProxy)
	}
	if c.wantOpen() {
		t.Error("wantOpen found a parked endpoint after the need")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.park("p:1", "closed on chain, as by its owner")
	if c.reopen(ctx, "p:1", 1, 2) {
		t.Error("a parked slot went on after its context ended")
	}
}

// TestHandshakeClosedContractNamesNext checks the generation a handshake
// finding our contract closed sends the slot on to: the next, or the
// latest known at the proxy when that one runs.
func TestHandshakeClosedContractNamesNext(t *testing.T) {
	f := newChainFixture(t, nil)
	f.deployed(testStake, testSecret)
	for gen := range uint32(3) {
		id := f.id
		id.Generation = gen
		csc, _ := paymenttest.Contracts{}.ClientAddress(genOwner(gen), f.id.Owner, f.id.Key)
		ca, err := f.c.chainAccountFor(id, csc.String(), "proxy:1", nil)
		if err != nil {
			t.Fatal(err)
		}
		if gen < 2 {
			if err := f.c.setPhase(ca, PhaseClosed, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tt := range []struct {
		gen, want uint32
	}{{0, 2}, {1, 2}} {
		id := f.id
		id.Generation = tt.gen
		ce, ok := errors.AsType[*closedError](f.c.closed(id))
		if !ok || ce.next != tt.want {
			t.Errorf("generation %d closed: next %v, want %d, the latest, which runs", tt.gen, ce, tt.want)
		}
	}
	id := f.id
	id.Generation = 2
	for _, ca := range f.c.chainAccounts() {
		if ca.id.Generation == 2 {
			if err := f.c.setPhase(ca, PhaseRefundRequested, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ce, ok := errors.AsType[*closedError](f.c.closed(id)); !ok || ce.next != 3 {
		t.Errorf("every generation closing: %v, want the next, 3", fmt.Sprint(ce))
	}
}

// TestReadyFailsOnceStopped: a request that waits for a connection when
// the client stops fails at once, instead of holding the caller (and the
// HTTP server's shutdown) for the whole wait.
func TestReadyFailsOnceStopped(t *testing.T) {
	c, err := New(Config{IsTest: true, Proxies: []string{"127.0.0.1:1"}, ProxyConnections: 1, ProxyPolicy: "fake_tdx", MaxBodyBytes: 1},
		Deps{Mode: chainconf.FakeTON, TLS: &tls.Config{}, Logger: discard(), Dial: func(context.Context, string, string) (net.Conn, error) { return nil, errors.New("no network") }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.ready(context.Background())
		done <- err
	}()
	go c.Run(ctx)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, gateway.ErrStopped) || !errors.Is(err, gateway.ErrNoProxy) {
			t.Errorf("got %v, want %v", err, gateway.ErrStopped)
		}
	case <-time.After(readyWait / 2):
		t.Fatal("a request still waits after the client stopped")
	}
}

// TestNoProxyErrorSaysWhy: a request that finds no connection fails with
// gateway.ErrNoProxy, which the API answers 503, and when the wallet
// cannot fund the next contract with gateway.ErrUnfunded too, which it
// answers 402; the root's cause stays reachable.
func TestNoProxyErrorSaysWhy(t *testing.T) {
	cause := errors.New("proxy endpoint p:1 is not registered on the root")
	for _, tc := range []struct {
		err              *noProxyError
		unfunded, causal bool
	}{
		{&noProxyError{msg: "no working proxy connections: closed"}, false, false},
		{&noProxyError{msg: "no working proxy connections: top up", short: true}, true, false},
		{&noProxyError{msg: "no working proxy connections: " + cause.Error(), cause: cause}, false, true},
	} {
		if !errors.Is(tc.err, gateway.ErrNoProxy) || errors.Is(tc.err, gateway.ErrUnfunded) != tc.unfunded || errors.Is(tc.err, cause) != tc.causal {
			t.Errorf("%q: ErrNoProxy %v, ErrUnfunded %v, the root's cause %v; want true, %v, %v", tc.err, errors.Is(tc.err, gateway.ErrNoProxy),
				errors.Is(tc.err, gateway.ErrUnfunded), errors.Is(tc.err, cause), tc.unfunded, tc.causal)
		}
	}
}
