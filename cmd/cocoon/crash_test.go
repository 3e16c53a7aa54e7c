package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/engine/enginetest"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

// proc is a cocoon command run as a process of its own.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	out  *sharedtest.Log
}

func startProc(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), done: make(chan struct{}), out: &sharedtest.Log{}}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", args[0], err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("output of cocoon %s:\n%s", args[0], p.out.String())
		}
	})
	return p
}

// stop asks the process to end and kills it if it does not within 10 s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// kill ends the process at once, as a crash does.
func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// freePort returns a loopback port that was free a moment ago, for an
// address that must survive a restart.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// crashStats are the parts of the proxy's /jsonstats the crash test
// reads, its ledger's accounts and totals in the proxy's own types.
type crashStats struct {
	WorkerConnections []json.RawMessage       `json:"worker_connections"`
	Clients           []proxy.AccountSnapshot `json:"clients"`
	Workers           []proxy.AccountSnapshot `json:"workers"`
	Totals            proxy.TotalsSnapshot    `json:"totals"`
}

// holderStats are the parts of a client's or worker's /jsonstats the
// crash test reads: its accounts at the proxies.
type holderStats struct {
	Accounts []struct {
		SignedTokens int64 `json:"signed_tokens"`
		DBTokens     int64 `json:"tokens_committed_to_db"`
	} `json:"accounts"`
	ProxyConnections []json.RawMessage `json:"proxy_connections"`
}

func getJSON(url string, v any) error {
	c := http.Client{Timeout: 2 * time.Second}
	res, err := c.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, res.StatusCode)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestProxyCrash kills the proxy process under load, restarts it on its
// database, and checks that no committed figure went backwards, that no
// client or worker holds a payment for more than the proxy recorded, and
// that charged = earned + commission still holds.
func TestProxyCrash(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "cocoon")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building cocoon: %v\n%s", err, out)
	}
	// The engine streams a short answer, 3 prompt and 4 completion tokens,
	// slowly enough that requests are in flight whenever the proxy dies.
	engine := httptest.NewServer(&enginetest.Stream{Pause: 30 * time.Millisecond})
	defer engine.Close()

	var seed [32]byte
	rand.Read(seed[:])
	workersAddr, clientsAddr, proxyHTTP := freePort(t), freePort(t), freePort(t)
	workerHTTP, clientHTTP := freePort(t), freePort(t)
	proxyCfg, workerCfg, clientCfg := filepath.Join(dir, "proxy.json"), filepath.Join(dir, "worker.json"), filepath.Join(dir, "client.json")
	writeJSON(t, proxyCfg, map[string]any{
		"is_test": true, "workers_listen": workersAddr, "clients_listen": clientsAddr, "http_listen": proxyHTTP,
		"owner_address": contracts.NewOwnerAddress().String(), "machine_specific_private_key": base64.StdEncoding.EncodeToString(seed[:]),
		"db_path": filepath.Join(dir, "proxy.db"), "pow_difficulty": 1, "worker_policy": "fake_tdx", "client_policy": "any",
	})
	writeJSON(t, workerCfg, map[string]any{
		"is_test": true, "http_listen": workerHTTP, "owner_address": contracts.NewOwnerAddress().String(),
		"proxies": []string{workersAddr}, "proxy_connections": 1, "model_name": "m", "coefficient": 1000,
		"forward_requests_to": engine.URL, "max_active_requests": 20, "proxy_policy": "fake_tdx",
	})
	writeJSON(t, clientCfg, map[string]any{
		"is_test": true, "http_listen": clientHTTP, "owner_address": contracts.NewOwnerAddress().String(),
		"proxies": []string{clientsAddr}, "proxy_connections": 1, "proxy_policy": "fake_tdx",
	})
	pxy := startProc(t, bin, "proxy", "--config", proxyCfg, "--insecure-fake-tdx", "--log-level", "info")
	startProc(t, bin, "worker", "--config", workerCfg, "--insecure-fake-tdx", "--log-level", "info")
	startProc(t, bin, "client", "--config", clientCfg, "--insecure-fake-tdx", "--log-level", "info")

	proxyStats := func() (crashStats, error) {
		var s crashStats
		return s, getJSON("http://"+proxyHTTP+"/jsonstats", &s)
	}
	ready := func() bool {
		var c holderStats
		s, err := proxyStats()
		return err == nil && len(s.WorkerConnections) == 1 && getJSON("http://"+clientHTTP+"/jsonstats", &c) == nil && len(c.ProxyConnections) == 1
	}
	waitFor(t, "the network connects", 20*time.Second, ready)

	// Load: a few requests always in flight, at most maxRequests in all,
	// until stopLoad.
	const maxRequests, inFlight = 300, 6
	var sent, ok, running atomic.Int64
	stop := make(chan struct{})
	var load sync.WaitGroup
	for range inFlight {
		load.Go(func() {
			c := http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				if sent.Add(1) > maxRequests {
					return
				}
				running.Add(1)
				done := false
				res, err := c.Post("http://"+clientHTTP+"/v1/chat/completions", "application/json",
					strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"max_tokens":8}`))
				if err == nil {
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					done = res.StatusCode == http.StatusOK && bytes.Contains(b, []byte("[DONE]"))
				}
				running.Add(-1)
				if done {
					ok.Add(1)
					continue
				}
				// While the network recovers, requests fail fast; pause
				// so that they do not use up the load.
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		})
	}
	stopLoad := sync.OnceFunc(func() {
		close(stop)
		load.Wait()
	})
	defer stopLoad()

	// Under load, once the proxy has committed some usage, kill it and
	// restart it at once on its database; the last figures it showed
	// are the ones it must keep.
	waitFor(t, "the proxy commits usage", 10*time.Second, func() bool {
		s, err := proxyStats()
		return err == nil && len(s.Clients) == 1 && s.Clients[0].CommittedToDB > 0
	})
	before, err := proxyStats()
	if err != nil {
		t.Fatalf("reading the proxy's stats before the crash: %v", err)
	}
	beforeOK, inFlightAtKill := ok.Load(), running.Load()
	pxy.kill()
	// The restarted proxy is stopped by startProc's cleanup.
	startProc(t, bin, "proxy", "--config", proxyCfg, "--insecure-fake-tdx", "--log-level", "info")
	waitFor(t, "the worker and client reconnect to the restarted proxy", 30*time.Second, ready)
	after0, err := proxyStats()
	if err != nil {
		t.Fatal(err)
	}
	checkNotBackwards(t, "on restart", before, after0)
	okAtRestart := ok.Load()
	waitFor(t, "40 more requests complete", 20*time.Second, func() bool { return ok.Load() >= okAtRestart+40 })
	stopLoad()

	// Every request has settled; wait for them to be committed.
	var after crashStats
	waitFor(t, "the restarted proxy commits the usage", 10*time.Second, func() bool {
		s, err := proxyStats()
		after = s
		return err == nil && len(s.Clients) == 1 && s.Clients[0].CommittedToDB == s.Clients[0].Tokens && s.Totals.Tokens == s.Clients[0].Tokens
	})
	checkNotBackwards(t, "after more load", after0, after)
	tot := after.Totals
	if tot.Charged <= 0 || tot.Charged != tot.Earned+tot.Commission {
		t.Errorf("totals %+v: want charged > 0 and charged = earned + commission", tot)
	}
	if tot.Charged != 2*tot.Tokens || tot.Earned != tot.Tokens {
		t.Errorf("totals %+v: want 2 nanoTON per token charged and 1 earned", tot)
	}
	if len(after.Workers) != 1 || after.Workers[0].Tokens != tot.Tokens {
		t.Errorf("worker accounts %+v: want one with all %d tokens", after.Workers, tot.Tokens)
	}
	// The holders' signed payments are for tokens the proxy recorded.
	for name, url := range map[string]string{"client": clientHTTP, "worker": workerHTTP} {
		var h holderStats
		if err := getJSON("http://"+url+"/jsonstats", &h); err != nil {
			t.Fatalf("reading the %s's stats: %v", name, err)
		}
		if len(h.Accounts) != 1 || h.Accounts[0].SignedTokens <= 0 || h.Accounts[0].SignedTokens > tot.Tokens {
			t.Errorf("%s accounts %+v: want a signed payment for at most the %d tokens the proxy recorded", name, h.Accounts, tot.Tokens)
		}
		if len(h.ProxyConnections) != 1 {
			t.Errorf("%s has %d proxy connections, want 1: it refused the restarted proxy", name, len(h.ProxyConnections))
		}
	}
	t.Logf("%d requests sent, %d completed before the crash with %d in flight, %d in all; %d tokens billed, %d of them committed before the crash",
		min(sent.Load(), maxRequests), beforeOK, inFlightAtKill, ok.Load(), tot.Tokens, before.Clients[0].CommittedToDB)
}

// checkNotBackwards compares two readings of the proxy's stats: no
// account's committed figure and no committed total may fall.
func checkNotBackwards(t *testing.T, when string, before, after crashStats) {
	t.Helper()
	committed := func(as []proxy.AccountSnapshot) (map[string]int64, int64) {
		m, sum := map[string]int64{}, int64(0)
		for _, a := range as {
			m[a.Address] = a.CommittedToDB
			sum += a.CommittedToDB
		}
		return m, sum
	}
	for kind, pair := range map[string][2][]proxy.AccountSnapshot{"client": {before.Clients, after.Clients}, "worker": {before.Workers, after.Workers}} {
		b, _ := committed(pair[0])
		a, _ := committed(pair[1])
		for addr, v := range b {
			if a[addr] < v {
				t.Errorf("%s: %s %s has %d tokens committed, had %d", when, kind, addr, a[addr], v)
			}
		}
	}
	_, sum := committed(before.Clients)
	if after.Totals.Tokens < sum {
		t.Errorf("%s: totals count %d tokens, but %d were committed before", when, after.Totals.Tokens, sum)
	}
	if after.Totals.Charged != after.Totals.Earned+after.Totals.Commission {
		t.Errorf("%s: totals %+v break charged = earned + commission", when, after.Totals)
	}
}
