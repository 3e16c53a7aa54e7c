package worker

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/trust"
)

var fakeImage = attest.Measurements{Kind: attest.KindFakeTDX}.ImageHash()

// verifierOf is the proxies' RA-TLS verifier under the named policy,
// for peers that attest with fake TDX.
func verifierOf(t *testing.T, policy string) *ratls.Verifier {
	t.Helper()
	p, err := attest.NamedPolicy(policy)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ratls.NewVerifier(faketdx.NewValidator(), p)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestWorkerFollowsTheRoot: a worker on a root takes requests (and dials
// its proxy) only while the root lists its image and model and its
// reading is fresh; otherwise it says why, in its log and stats, and
// comes back when the root lists it again, without a restart.
func TestWorkerFollowsTheRoot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg, err := ParseConfig([]byte(`{"is_test":true,"model_name":"m@c:v","forward_requests_to":"127.0.0.1:1","proxies":["127.0.0.1:2"],
			"proxy_policy":"fake_tdx","root_poll_every":"1s","max_root_age":"1h"}`))
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		lists := trust.Lists{Root: "EQr", Version: 1, AsOf: time.Now(), WorkerHashes: [][32]byte{fakeImage}, ModelHashes: [][32]byte{trust.ModelHash("m@c:v")}}
		setLists := func(f func(l *trust.Lists)) {
			mu.Lock()
			defer mu.Unlock()
			lists.Version++
			lists.AsOf = time.Now()
			f(&lists)
		}
		dials := 0
		eng, _ := NewEngine(cfg.ForwardRequestsTo, nil)
		// log is read once Run, which waits for every goroutine it
		// started, has returned.
		var log strings.Builder
		peers := verifierOf(t, "fake_tdx")
		w, err := New(cfg, Deps{Mode: chainconf.FakeTON, TLS: &tls.Config{}, Engine: eng, ImageHash: fakeImage, ProxyPeers: peers,
			Logger: slog.New(slog.NewTextHandler(&log, nil)),
			Root: func(context.Context) (trust.Lists, error) {
				mu.Lock()
				defer mu.Unlock()
				return lists, nil
			},
			Dial: func(context.Context, string, string) (net.Conn, error) {
				mu.Lock()
				defer mu.Unlock()
				dials++
				return nil, errors.New("connection refused")
			}})
		if err != nil {
			t.Fatal(err)
		}
		w.health = func(context.Context) error { return nil }
		if err := w.admitted(); !errors.Is(err, trust.ErrNotRead) {
			t.Errorf("before the first reading: got %v, want %v", err, trust.ErrNotRead)
		}
		_, stop := sharedtest.Go(func(ctx context.Context) { w.Run(ctx) })
		dialsNow := func() int {
			mu.Lock()
			defer mu.Unlock()
			return dials
		}
		synctest.Wait()
		if a := w.Snapshot().Admission; !a.Admitted || a.ImageHash != "5c55c8f4db4010ba9203d83536d0609856af8c847ac039e37e7dde8fbd574b61" {
			t.Fatalf("admission %+v after the first reading, want admitted with the fake image", a)
		}
		if w.disabled() || dialsNow() == 0 {
			t.Fatalf("disabled %v, %d dials: want an admitted worker enabled and dialling", w.disabled(), dialsNow())
		}

		cases := []struct {
			name string
			drop func(l *trust.Lists)
			want string
		}{
			{"image", func(l *trust.Lists) { l.WorkerHashes = nil },
				"worker image hash 5c55c8f4db4010ba9203d83536d0609856af8c847ac039e37e7dde8fbd574b61 is not in the root's worker_hashes (root EQr, version "},
			{"model", func(l *trust.Lists) { l.ModelHashes = nil }, "model m@c:v is not registered: its hash "},
			{"stale", func(l *trust.Lists) { l.AsOf = time.Now().Add(-2 * time.Hour) }, "the root contract's state is 2h0m1s old (root EQr"},
		}
		for _, tc := range cases {
			setLists(tc.drop)
			time.Sleep(time.Second)
			synctest.Wait()
			a := w.Snapshot().Admission
			if a.Admitted || !strings.HasPrefix(a.Reason, tc.want) || !w.disabled() {
				t.Errorf("%s dropped: admission %+v, disabled %v; want refused with %q", tc.name, a, w.disabled(), tc.want)
			}
			if err := w.admitted(); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("%s dropped: requests are refused with %v, want %q", tc.name, err, tc.want)
			}
			before := dialsNow()
			time.Sleep(30 * time.Second)
			synctest.Wait()
			if n := dialsNow(); n != before {
				t.Errorf("%s dropped: %d dials while the root does not admit the worker, want none", tc.name, n-before)
			}
			setLists(func(l *trust.Lists) {
				l.WorkerHashes, l.ModelHashes = [][32]byte{fakeImage}, [][32]byte{trust.ModelHash("m@c:v")}
			})
			time.Sleep(time.Second)
			synctest.Wait()
			if a := w.Snapshot().Admission; !a.Admitted || w.disabled() {
				t.Errorf("%s listed again: admission %+v, disabled %v; want admitted and enabled", tc.name, a, w.disabled())
			}
			if n := dialsNow(); n == before {
				t.Errorf("%s listed again: no dial, want the worker connecting again", tc.name)
			}
		}
		stop()
		for _, want := range []string{"the root does not admit this worker: taking no requests until it does", "the root admits this worker: taking requests", "not connecting to a proxy"} {
			if !strings.Contains(log.String(), want) {
				t.Errorf("log lacks %q", want)
			}
		}
	})
}

// TestWorkerTrustSetUp refuses a root without the means to check it.
func TestWorkerTrustSetUp(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"is_test":true,"model_name":"m","forward_requests_to":"127.0.0.1:1","proxies":["127.0.0.1:2"],"proxy_policy":"fake_tdx","image_hash":"5c55c8f4db4010ba9203d83536d0609856af8c847ac039e37e7dde8fbd574b61"}`))
	if err != nil {
		t.Fatal(err)
	}
	eng, _ := NewEngine(cfg.ForwardRequestsTo, nil)
	root := func(context.Context) (trust.Lists, error) { return trust.Lists{}, nil }
	peers, anyPeers := verifierOf(t, "fake_tdx"), verifierOf(t, "any")
	tests := []struct {
		name string
		deps Deps
		want string
	}{
		{"no verifier", Deps{Mode: chainconf.FakeTON, Root: root}, "needs ProxyPeers"},
		{"another image", Deps{Mode: chainconf.FakeTON, Root: root, ProxyPeers: peers, ImageHash: [32]byte{1}}, "is not the image hash the worker attests"},
		{"policy any", Deps{Mode: chainconf.FakeTON, Root: root, ProxyPeers: anyPeers}, "attests nothing"},
	}
	for _, tc := range tests {
		tc.deps.TLS, tc.deps.Engine = &tls.Config{}, eng
		if _, err := New(cfg, tc.deps); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	// The image stated in the config stands for the attested one.
	if _, err := New(cfg, Deps{Mode: chainconf.FakeTON, TLS: &tls.Config{}, Engine: eng, Root: root, ProxyPeers: peers}); err != nil {
		t.Errorf("stated image: %v", err)
	}
	for _, bad := range []string{`"insecure_skip_hash_checks":true`, `"image_hash":"zz"`} {
		if _, err := ParseConfig([]byte(`{"model_name":"m","forward_requests_to":"x:1","proxies":["x:2"],` + bad + `}`)); err == nil {
			t.Errorf("%s outside a test network: got nil error, want one", bad)
		}
	}
}
