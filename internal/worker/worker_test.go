package worker

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

func newTestWorker(t *testing.T) *Worker {
	t.Helper()
	cfg, err := ParseConfig([]byte(`{"is_test":true,"model_name":"m@c:v","forward_requests_to":"127.0.0.1:1","proxies":["127.0.0.1:2"],"proxy_policy":"fake_tdx"}`))
	if err != nil {
		t.Fatal(err)
	}
	eng, _ := NewEngine(cfg.ForwardRequestsTo, nil)
	w, err := New(cfg, Deps{Mode: chainconf.FakeTON, TLS: &tls.Config{}, Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestNewNamesItsMode: a worker built without a named mode, or with a
// mode its Chain contradicts, is refused: fake TON is chosen by name,
// never by a Chain left out.
func TestNewNamesItsMode(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"is_test":true,"model_name":"m@c:v","forward_requests_to":"127.0.0.1:1","proxies":["127.0.0.1:2"],"proxy_policy":"fake_tdx"}`))
	if err != nil {
		t.Fatal(err)
	}
	eng, _ := NewEngine(cfg.ForwardRequestsTo, nil)
	for _, mode := range []chainconf.Mode{0, chainconf.OnChain, chainconf.ReadOnly} {
		if _, err := New(cfg, Deps{Mode: mode, TLS: &tls.Config{}, Engine: eng}); err == nil || !strings.Contains(err.Error(), "Deps.") {
			t.Errorf("mode %v without a chain: got %v, want a refusal naming the mode", mode, err)
		}
	}
}

func TestControlEndpoints(t *testing.T) {
	w := newTestWorker(t)
	h := w.Handler()
	do := func(url string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
		return rec.Code
	}
	if got := do("/request/disable"); got != 200 || !w.disabled() {
		t.Errorf("disable: %d, disabled=%v", got, w.disabled())
	}
	if got := do("/request/enable"); got != 200 || w.disabled() {
		t.Errorf("enable: %d, disabled=%v", got, w.disabled())
	}
	if got := do("/request/change_coefficient?coefficient=1.25"); got != 200 || w.Snapshot().LocalConf.Coefficient != 1250 {
		t.Errorf("change coefficient: %d, coefficient %d; want 1250", got, w.Snapshot().LocalConf.Coefficient)
	}
	for _, bad := range []string{"/request/change_coefficient?coefficient=-1", "/request/change_coefficient", "/nope"} {
		if got := do(bad); got != 400 {
			t.Errorf("GET %s = %d, want 400", bad, got)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/jsonstats", nil))
	var s Snapshot
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil || s.LocalConf.Model != "m@c:v" {
		t.Errorf("jsonstats = %q, %v", rec.Body.String(), err)
	}
}

// FuzzPrepare validates arbitrary request bodies: never a panic, and a
// prepared body, decoded and prepared again, stays the same.
func FuzzPrepare(f *testing.F) {
	f.Add("/v1/chat/completions", []byte(`{"model":"m","messages":[],"stream":true}`))
	f.Add("/v1/completions", []byte(`{"model":"m","prompt":"x","max_tokens":5000}`))
	f.Add("/v1/chat/completions", []byte(`{"model":"m","messages":[],"stream_options":{"include_usage":false}}`))
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		_, out, err := prepare(&query{method: http.MethodPost, url: path, body: body}, "m")
		if err != nil {
			return
		}
		if _, err := openai.DecodeObject(out); err != nil {
			t.Fatalf("prepared body %q is not an object: %v", out, err)
		}
		_, again, err := prepare(&query{method: http.MethodPost, url: path, body: out}, "m")
		if err != nil || string(again) != string(out) {
			t.Fatalf("preparing %q again gave %q, %v", out, again, err)
		}
	})
}

func TestProbeEngineTogglesAvailability(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestWorker(t)
		var mu sync.Mutex
		healthy := true
		probes := 0
		w.health = func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			probes++
			if !healthy {
				return errors.New("engine down")
			}
			return nil
		}
		_, stop := sharedtest.Go(func(ctx context.Context) { w.probeEngine(ctx) })
		synctest.Wait()
		if w.disabled() {
			t.Fatal("disabled while the engine is healthy")
		}
		// setHealthy turns the engine up or down and lets one probe
		// period pass.
		setHealthy := func(v bool) {
			mu.Lock()
			healthy = v
			mu.Unlock()
			time.Sleep(w.healthEvery)
			synctest.Wait()
		}
		setHealthy(false)
		if !w.disabled() {
			t.Error("still enabled one probe period after the engine failed")
		}
		setHealthy(true)
		if w.disabled() {
			t.Error("still disabled one probe period after the engine recovered")
		}
		mu.Lock()
		if probes != 3 {
			t.Errorf("%d probes in two periods, want 3", probes)
		}
		mu.Unlock()
		stop()
	})
}

func TestReconnectBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestWorker(t)
		var mu sync.Mutex
		var dials []time.Time
		w.dial = func(context.Context, string, string) (net.Conn, error) {
			mu.Lock()
			defer mu.Unlock()
			dials = append(dials, time.Now())
			return nil, errors.New("connection refused")
		}
		_, stop := sharedtest.Go(func(ctx context.Context) { w.keepConnected(ctx, "127.0.0.1:2") })
		time.Sleep(2 * time.Minute)
		stop()
		mu.Lock()
		defer mu.Unlock()
		if len(dials) < 10 {
			t.Fatalf("%d dials in 2 minutes, want at least 10", len(dials))
		}
		for i := 1; i < len(dials); i++ {
			gap := dials[i].Sub(dials[i-1])
			if gap < minBackoff/2 || gap > maxBackoff {
				t.Errorf("gap %d = %v, want within [%v, %v]", i, gap, minBackoff/2, maxBackoff)
			}
		}
		if last := dials[len(dials)-1].Sub(dials[len(dials)-2]); last < maxBackoff/2 {
			t.Errorf("last gap %v, want the backoff grown to at least %v", last, maxBackoff/2)
		}
	})
}

// trackedConn is an engine connection that records its closing.
type trackedConn struct {
	net.Conn
	closed chan struct{}
	once   sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// TestRunClosesEngineConnections checks that a worker leaves no engine
// connection open once Run returns: a Go engine's graceful shutdown would
// wait for it (5 s for one that never carried a request).
func TestRunClosesEngineConnections(t *testing.T) {
	srv := httptest.NewServer(&fakeEngine{})
	defer srv.Close()
	var mu sync.Mutex
	var conns []*trackedConn
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: c, closed: make(chan struct{})}
		mu.Lock()
		conns = append(conns, tc)
		mu.Unlock()
		return tc, nil
	}}
	eng, err := NewEngine(srv.URL, &http.Client{Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	w := newTestWorker(t)
	w.eng = eng
	w.dial = func(context.Context, string, string) (net.Conn, error) { return nil, errors.New("connection refused") }
	probed := make(chan error, 1)
	w.health = func(ctx context.Context) error {
		err := eng.Health(ctx)
		select {
		case probed <- err:
		default:
		}
		return err
	}
	_, stop := sharedtest.Go(func(ctx context.Context) { w.Run(ctx) })
	if err := <-probed; err != nil {
		t.Fatalf("probing the engine: %v", err)
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	if len(conns) == 0 {
		t.Fatal("the engine probe dialled no connection")
	}
	for i, c := range conns {
		select {
		case <-c.closed:
		default:
			t.Errorf("engine connection %d of %d still open after Run returned", i+1, len(conns))
		}
	}
}
