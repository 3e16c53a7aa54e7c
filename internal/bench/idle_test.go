package bench

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// sessionsEnv sets how many idle sessions BenchmarkProxyIdleSessions
// holds; half are workers, half clients. The figure is 10000.
const sessionsEnv = "COCOON_BENCH_SESSIONS"

// defaultSessions keeps the benchmark short under -benchtime=1x while
// still averaging over enough sessions for a per-session figure.
const defaultSessions = 400

// heapProfileEnv names a file that receives the proxy's heap profile
// while it holds the sessions.
const heapProfileEnv = "COCOON_BENCH_HEAPPROFILE"

// peerEnv, when set in the environment of this test binary, makes it the
// peer process of BenchmarkProxyIdleSessions: "WORKERS_ADDR CLIENTS_ADDR N".
const peerEnv = "COCOON_BENCH_IDLE_PEER"

// idlePoW is the proxy's proof-of-work difficulty in the benchmark: the
// sessions are what is measured, not their admission.
const idlePoW = 1

func fakeCertifier(ctx context.Context) (*ratls.Certifier, ed25519.PrivateKey, error) {
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, nil, err
	}
	c, err := ratls.NewCertifier(ctx, key, faketdx.NewIssuer(), time.Now, nil)
	return c, key, err
}

func fakeVerifier(policy string) (*ratls.Verifier, error) {
	p, err := attest.ParsePolicy(policy)
	if err != nil {
		return nil, err
	}
	return ratls.NewVerifier(faketdx.NewValidator(), p)
}

// BenchmarkProxyIdleSessions measures the memory a proxy spends on idle
// sessions: workers and clients (fake attestation) that finished their
// handshakes and only keep the connection alive. The peers run in a
// child process, so the figures are the proxy's alone. Set
// COCOON_BENCH_SESSIONS=10000 for the figure, and
// COCOON_BENCH_HEAPPROFILE=FILE for a heap profile taken while the
// sessions are held.
func BenchmarkProxyIdleSessions(b *testing.B) {
	n := defaultSessions
	if s := os.Getenv(sessionsEnv); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 2 || v > 20000 {
			b.Fatalf("%s=%q: want a number of sessions in [2, 20000]", sessionsEnv, s)
		}
		n = v
	}
	var m idleFigures
	for range b.N {
		var err error
		if m, err = holdIdleSessions(b.Context(), n); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "sessions")
	b.ReportMetric(m.rssPerSession, "rss-B/session")
	b.ReportMetric(m.heapPerSession, "heap+stack-B/session")
	b.ReportMetric(m.rssTotal/(1<<20), "proxy-rss-MiB")
	b.ReportMetric(m.goroutinesPerSession, "goroutines/session")
}

type idleFigures struct {
	rssPerSession, heapPerSession, rssTotal, goroutinesPerSession float64
}

// holdIdleSessions starts a proxy, has a child process open n sessions to
// it, and measures the proxy process before and after.
func holdIdleSessions(ctx context.Context, n int) (idleFigures, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cert, key, err := fakeCertifier(ctx)
	if err != nil {
		return idleFigures{}, err
	}
	wv, err := fakeVerifier("fake_tdx")
	if err != nil {
		return idleFigures{}, err
	}
	cv, err := fakeVerifier("any")
	if err != nil {
		return idleFigures{}, err
	}
	wln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return idleFigures{}, err
	}
	cln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		wln.Close()
		return idleFigures{}, err
	}
	p, err := proxy.New(proxy.Config{
		IsTest: true, WorkersListen: wln.Addr().String(), ClientsListen: cln.Addr().String(),
		PoWDifficulty: idlePoW, WorkerPolicy: "fake_tdx", ClientPolicy: "any", OwnerAddress: "bench-proxy",
	}, proxy.Deps{Mode: chainconf.FakeTON, WorkerTLS: ratls.ServerConfig(cert, wv), ClientTLS: ratls.ServerConfig(cert, cv), SigningKey: key, RootVersion: contracts.FakeTONVersion})
	if err != nil {
		wln.Close()
		cln.Close()
		return idleFigures{}, err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { p.Run(ctx, wln, cln) })

	g0 := runtime.NumGoroutine()
	rss0, heap0, err := memory()
	if err != nil {
		return idleFigures{}, err
	}
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %d", peerEnv, wln.Addr(), cln.Addr(), n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return idleFigures{}, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return idleFigures{}, err
	}
	if err := cmd.Start(); err != nil {
		return idleFigures{}, fmt.Errorf("starting the peer process: %w", err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		return idleFigures{}, fmt.Errorf("waiting for the peer process: got %q, %v", line, err)
	}
	rss1, heap1, err := memory()
	if err != nil {
		return idleFigures{}, err
	}
	g1 := runtime.NumGoroutine()
	if name := os.Getenv(heapProfileEnv); name != "" {
		if err := writeHeapProfile(name); err != nil {
			return idleFigures{}, err
		}
	}
	return idleFigures{
		rssPerSession:        float64(rss1-rss0) / float64(n),
		heapPerSession:       float64(heap1-heap0) / float64(n),
		rssTotal:             float64(rss1),
		goroutinesPerSession: float64(g1-g0) / float64(n),
	}, nil
}

func writeHeapProfile(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("creating the heap profile: %w", err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("writing the heap profile: %w", err)
	}
	return f.Close()
}

// memory reports the process's resident set and its live heap and
// goroutine stacks after a collection.
func memory() (rss, heap uint64, err error) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, fmt.Errorf("reading the resident set size: %w", err)
	}
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("parsing VmRSS %q: %w", v, err)
			}
			return kb << 10, ms.HeapInuse + ms.StackInuse, nil
		}
	}
	return 0, 0, errors.New("reading the resident set size: no VmRSS line")
}

// runIdlePeer is the child process: it opens the sessions, says ready,
// and holds them until its standard input closes.
func runIdlePeer(spec string) error {
	f := strings.Fields(spec)
	if len(f) != 3 {
		return fmt.Errorf("peer spec %q: want WORKERS_ADDR CLIENTS_ADDR N", spec)
	}
	n, err := strconv.Atoi(f[2])
	if err != nil {
		return fmt.Errorf("peer spec %q: %w", spec, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	pv, err := fakeVerifier("fake_tdx")
	if err != nil {
		return err
	}
	sessions := make([]*wire.Session, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i := range n {
		g.Go(func() error {
			// Every peer is a node of its own, with its own key and
			// quote, as the proxy's verification cache would see them.
			cert, _, err := fakeCertifier(gctx)
			if err != nil {
				return err
			}
			tlsCfg := ratls.ClientConfig(cert, pv)
			if i%2 == 0 {
				sessions[i], err = idleWorker(gctx, f[0], tlsCfg, i)
			} else {
				sessions[i], err = idleClient(gctx, f[1], tlsCfg, i)
			}
			return err
		})
	}
	defer func() {
		for _, s := range sessions {
			if s != nil {
				s.Close()
			}
		}
	}()
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	return nil
}

func dialSession(ctx context.Context, addr string, cfg *tls.Config) (*wire.Session, error) {
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	conn, err := wire.ClientHandshake(ctx, raw, cfg, idlePoW)
	if err != nil {
		raw.Close()
		return nil, err
	}
	s := wire.NewSession(conn, wire.Config{Outbound: true})
	if err := s.Start(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func query(ctx context.Context, s *wire.Session, q, ans tl.Object) error {
	b, err := s.Query(ctx, tl.Marshal(q))
	if err != nil {
		return fmt.Errorf("%s: %w", tl.Name(q.TLID()), err)
	}
	return tl.UnmarshalAs(b, ans)
}

// idleWorker connects as a worker and completes the handshake.
func idleWorker(ctx context.Context, addr string, cfg *tls.Config, i int) (*wire.Session, error) {
	s, err := dialSession(ctx, addr, cfg)
	if err != nil {
		return nil, fmt.Errorf("worker %d: %w", i, err)
	}
	var connected tl.WorkerConnectedToProxy
	var cmp tl.WorkerCompareBalanceWithProxyResult
	var done tl.WorkerProxyHandshakeCompleted
	err = errors.Join(
		query(ctx, s, &tl.WorkerConnectToProxy{Params: tl.WorkerParams{
			Flags: 1 | 2, WorkerOwnerAddress: fmt.Sprintf("bench-worker-%d", i), Model: "m", Coefficient: 1000,
			IsTest: true, ProxyCnt: 1, MaxActiveRequests: 10, MinProtoVersion: 1, MaxProtoVersion: 2,
		}}, &connected),
	)
	if err == nil {
		err = query(ctx, s, &tl.WorkerCompareBalanceWithProxy{}, &cmp)
	}
	if err == nil {
		err = query(ctx, s, &tl.WorkerProxyHandshakeComplete{}, &done)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("worker %d handshake: %w", i, err)
	}
	return s, nil
}

// idleClient connects as a client and authorises the long way.
func idleClient(ctx context.Context, addr string, cfg *tls.Config, i int) (*wire.Session, error) {
	s, err := dialSession(ctx, addr, cfg)
	if err != nil {
		return nil, fmt.Errorf("client %d: %w", i, err)
	}
	var connected tl.ClientConnectedToProxy
	err = query(ctx, s, &tl.ClientConnectToProxy{Params: tl.ClientParams{
		Flags: 1 | 2, ClientOwnerAddress: fmt.Sprintf("bench-client-%d", i), IsTest: true, MinProtoVersion: 1, MaxProtoVersion: 2,
	}}, &connected)
	if err == nil {
		var ok tl.ClientAuthorizationWithProxySuccess
		err = query(ctx, s, &tl.ClientAuthorizeWithProxyLong{}, &ok)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("client %d handshake: %w", i, err)
	}
	return s, nil
}
