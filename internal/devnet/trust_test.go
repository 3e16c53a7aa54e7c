package devnet

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/engine/enginetest"
	"github.com/cocoon-go/cocoon/internal/node"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/trust"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// rootAdmin sends operations to the devnet's root from its admin wallet,
// as `cocoon root … --key DIR/admin.key` does, each waiting until the root
// shows a new version.
type rootAdmin struct {
	t     *testing.T
	n     *Network
	admin *ton.V5Wallet
}

func newRootAdmin(t *testing.T, n *Network, dir string) rootAdmin {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, AdminKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		t.Fatalf("admin key file: %v", err)
	}
	admin, err := ton.NewV5R1(ed25519.NewKeyFromSeed(seed), adminNetworkID)
	if err != nil {
		t.Fatal(err)
	}
	return rootAdmin{t: t, n: n, admin: admin}
}

// send sends body to the root and returns the root's new version.
func (a rootAdmin) send(body *cell.Cell, err error) uint32 {
	a.t.Helper()
	if err != nil {
		a.t.Fatal(err)
	}
	ctx := context.Background()
	before, err := ton.ReadRootConfig(ctx, a.n.Chain, a.n.Addresses.Root)
	if err != nil {
		a.t.Fatal(err)
	}
	if err := a.admin.Send(ctx, a.n.Chain, ton.Transfer{To: a.n.Addresses.Root, Amount: billing.TON / 10, Bounce: true, Body: body}); err != nil {
		a.t.Fatalf("sending to the root: %v", err)
	}
	var after contracts.RootConfig
	within(a.t, 10*time.Second, "the root's change", func() bool {
		after, err = ton.ReadRootConfig(ctx, a.n.Chain, a.n.Addresses.Root)
		return err == nil && after.Version > before.Version
	})
	return after.Version
}

func (a rootAdmin) hash(op contracts.Op, h contracts.Hash) uint32 {
	a.t.Helper()
	return a.send(contracts.RootHashBody(op, 1, h))
}

// ask posts one chat completion through the devnet's client and returns
// its status and body; transport errors fail the test.
func ask(t *testing.T, n *Network) (int, string) {
	t.Helper()
	res, body := post(t, context.Background(), n.ClientURL, `{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}`)
	return res.StatusCode, body
}

// served waits until a request succeeds again.
func served(t *testing.T, n *Network, what string) {
	t.Helper()
	within(t, 40*time.Second, what, func() bool {
		code, _ := ask(t, n)
		return code == http.StatusOK
	})
}

// refused waits until a request fails with 503 and a body naming want,
// and returns that body.
func refused(t *testing.T, n *Network, what string, want ...string) string {
	t.Helper()
	var last string
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := ask(t, n)
		last = fmt.Sprintf("%d %s", code, body)
		ok := code == http.StatusServiceUnavailable
		for _, w := range want {
			ok = ok && strings.Contains(body, w)
		}
		if ok {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the last answer was %s, want 503 naming %q", what, last, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var fakeHex = fmt.Sprintf("%x", FakeImageHash)

// TestRootIsLivePolicy runs a devnet on the emulated chain, over real
// RA-TLS on loopback, and changes its root while it serves: each hash or
// endpoint the root drops is refused within a poll with its own error, a
// stream running on a worker the root drops ends cleanly and is billed
// exactly the tokens the client received, which the worker is paid, and
// each hash put back is admitted again without a restart.
func TestRootIsLivePolicy(t *testing.T) {
	eng := &enginetest.Stream{ContinuousUsage: true}
	dir := t.TempDir()
	n := start(t, Options{Engine: func(int) http.Handler { return eng }, Chain: ChainEmulated, DataDir: dir})
	admin := newRootAdmin(t, n, dir)
	r := chainReader{tb: t, n: n}
	// A first request deploys the worker's contract, so that what follows
	// is paid out on chain.
	served(t, n, "the first request")
	within(t, 30*time.Second, "settlement of the first request", func() bool { _, _, ok := settled(r); return ok })
	before, _, _ := settled(r)

	t.Run("worker image removed while a stream runs", func(t *testing.T) {
		eng.Stall.Store(true)
		defer eng.Stall.Store(false)
		res, err := http.Post(n.ClientURL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}`))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		br := bufio.NewReader(res.Body)
		var received strings.Builder
		for !strings.Contains(received.String(), `"t1 "`) {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("reading the stream: %v after %q", err, received.String())
			}
			received.WriteString(line)
		}
		version := admin.hash(contracts.OpDelWorkerType, FakeImageHash)
		rest, err := io.ReadAll(br)
		if err != nil {
			t.Fatalf("the stream did not end cleanly: %v", err)
		}
		want := fmt.Sprintf("worker image hash %s is not in the root's worker_hashes (root %s, version %d)", fakeHex, n.Addresses.Root, version)
		if !strings.Contains(string(rest), `"error"`) || !strings.Contains(string(rest), want) || strings.Contains(string(rest), "t2 ") {
			t.Errorf("the stream's end %q: want an error event naming %q and no third chunk", rest, want)
		}
		// Billed exactly the tokens the client received: 3 prompt and 2
		// completion tokens, at the root's prices; the worker is paid them
		// on chain.
		got, err := billing.Adjust(billing.Usage{Prompt: 3, Completion: 2}, billing.CoefficientOne, billing.DefaultPrices(contracts.FakePricePerToken, contracts.FakeWorkerFeePerToken))
		if err != nil {
			t.Fatal(err)
		}
		var client billingAccount
		within(t, 30*time.Second, "settlement of the stopped stream", func() bool {
			c, ws, ok := settled(r)
			client = billingAccount{c.Tokens, ws}
			return ok && c.Tokens > before.Tokens
		})
		if client.tokens-before.Tokens != got.Total {
			t.Errorf("client billed %d tokens for the stopped stream, want %d", client.tokens-before.Tokens, got.Total)
		}
		if len(client.workers) != 1 || client.workers[0].Tokens != client.tokens {
			t.Errorf("workers paid %+v, want the one worker paid the client's %d tokens", client.workers, client.tokens)
		}
		if a := n.Client.Snapshot().Accounts; len(a) != 1 || a[0].Tokens != client.tokens {
			t.Errorf("the client's own account %+v, want the proxy's signed %d tokens", a, client.tokens)
		}

		body := refused(t, n, "a request after the eviction", "no worker may serve model m: "+want)
		if !strings.Contains(body, `"code":"not_ready"`) {
			t.Errorf("refusal %s, want code not_ready", body)
		}
		if a := n.Workers[0].Snapshot().Admission; a.Admitted || !strings.Contains(a.Reason, "is not in the root's worker_hashes") {
			t.Errorf("worker admission %+v, want it refused, saying why", a)
		}
		if a := n.Proxy.Snapshot().Admission; a.Evicted == 0 || !strings.Contains(a.LastRefusal, "worker_hashes") {
			t.Errorf("proxy admission %+v, want the eviction counted and named", a)
		}
	})

	t.Run("worker started with an unlisted image", func(t *testing.T) {
		// A worker that does not check itself connects, and the proxy
		// refuses it with the cause.
		var log sharedtest.Log
		cfg := worker.Config{
			IsTest: true, OwnerAddress: contracts.NewOwnerAddress().String(), Proxies: []string{n.ProxyWorkersAddr}, ProxyConnections: 1,
			ModelName: n.Model, Coefficient: billing.CoefficientOne, ForwardRequestsTo: n.EngineURLs[0],
			MaxActiveRequests: worker.DefaultMaxActiveRequests, ProxyPolicy: "fake_tdx", MaxPoWDifficulty: worker.DefaultMaxPoWDifficulty,
		}
		cfg.InsecureSkipHashChecks = true
		key, err := newKey()
		if err != nil {
			t.Fatal(err)
		}
		walletKey, err := newKey()
		if err != nil {
			t.Fatal(err)
		}
		o := n.nodeOptions("stray worker", TEEFakeTDX, key, walletKey)
		o.Logger = slog.New(slog.NewTextHandler(&log, nil))
		w, err := node.NewWorker(context.Background(), cfg, o)
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		defer func() {
			stop()
			<-done
		}()
		want := "proxy refuses this worker: worker image hash " + fakeHex + " is not in the root's worker_hashes (root " + n.Addresses.Root.String()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(log.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("the worker's log lacks %q:\n%s", want, log.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("worker image re-added", func(t *testing.T) {
		admin.hash(contracts.OpAddWorkerType, FakeImageHash)
		served(t, n, "a request once the root lists the worker again")
		if a := n.Workers[0].Snapshot().Admission; !a.Admitted {
			t.Errorf("worker admission %+v, want admitted again", a)
		}
	})

	// Each of these takes from the root what the request needs, waits
	// for the refusal naming it and the root's version, then restores it.
	model := contracts.Hash(trust.ModelHash("m"))
	desc := n.ProxyWorkersAddr + " " + n.ProxyClientsAddr
	for _, tt := range []struct {
		name            string
		drop            func() uint32
		restore         func() uint32
		dropped, served string
		want            func(version uint32) string
	}{
		{
			name:    "unregistered model",
			drop:    func() uint32 { return admin.hash(contracts.OpDelModelType, model) },
			restore: func() uint32 { return admin.hash(contracts.OpAddModelType, model) },
			dropped: "a request once the root drops the model", served: "a request once the root registers the model again",
			want: func(version uint32) string {
				return fmt.Sprintf("model m is not registered: its hash %x is not in the root's model_hashes (root %s, version %d)", model, n.Addresses.Root, version)
			},
		},
		{
			name:    "unregistered proxy image",
			drop:    func() uint32 { return admin.hash(contracts.OpDelProxyType, FakeImageHash) },
			restore: func() uint32 { return admin.hash(contracts.OpAddProxyType, FakeImageHash) },
			dropped: "a request once the root drops the proxy's image", served: "a request once the root lists the proxy again",
			want: func(version uint32) string {
				return fmt.Sprintf("proxy image hash %s is not in the root's proxy_hashes (root %s, version %d)", fakeHex, n.Addresses.Root, version)
			},
		},
		{
			name: "proxy endpoint not on the root",
			drop: func() uint32 {
				return admin.send(contracts.RootUpdateProxyBody(1, rootProxySeqno, "127.0.0.1:1 127.0.0.1:2"))
			},
			restore: func() uint32 { return admin.send(contracts.RootUpdateProxyBody(1, rootProxySeqno, desc)) },
			dropped: "a request once the root moves the proxy elsewhere", served: "a request once the root registers the proxy again",
			want: func(version uint32) string {
				return fmt.Sprintf("proxy endpoint %s is not registered on the root (root %s, version %d)", n.ProxyClientsAddr, n.Addresses.Root, version)
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			refused(t, n, tt.dropped, tt.want(tt.drop()))
			tt.restore()
			served(t, n, tt.served)
		})
	}
}

// billingAccount is a client's billed tokens and the workers' accounts.
type billingAccount struct {
	tokens  int64
	workers []proxy.AccountSnapshot
}

// TestStaleRootStopsNewWork runs a devnet whose chain falls behind the
// nodes' clocks by more than max_root_age: the roles take no new work,
// saying why, until the chain catches up.
func TestStaleRootStopsNewWork(t *testing.T) {
	var lag atomic.Int64
	n := start(t, Options{Engine: func(int) http.Handler { return &enginetest.Stream{ContinuousUsage: true} }, Chain: ChainEmulated,
		ChainClock: func() time.Time { return time.Now().Add(-time.Duration(lag.Load())) }})
	served(t, n, "a request on a fresh root")
	lag.Store(int64(3 * time.Hour))
	refused(t, n, "a request once the root's state is 3 h old", "the root contract's state is 3h0m", "more than max_root_age 2h0m0s: no new work until it is read again")
	// The worker reads the root on its own poll, which may come after the
	// node that refused the request above.
	within(t, 30*time.Second, "the worker refusing work on the old root", func() bool {
		a := n.Workers[0].Snapshot().Admission
		return !a.Admitted && strings.Contains(a.Reason, "max_root_age")
	})
	lag.Store(0)
	served(t, n, "a request once the chain caught up")
}

// TestExtraModelsOnChain: the root of a devnet on the emulated chain
// registers every worker's model, the extra workers' too, so that all of
// them are admitted (Start waits for every worker).
func TestExtraModelsOnChain(t *testing.T) {
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 1}), Chain: ChainEmulated, Extra: []ExtraWorker{FakeSpeechWorker()}})
	root, err := ton.ReadRootConfig(context.Background(), n.Chain, n.Addresses.Root)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{n.Model, FakeSpeechModel} {
		if !root.HasModelHash(contracts.Hash(trust.ModelHash(m))) {
			t.Errorf("the root does not register model %s: %x", m, root.ModelHashes)
		}
	}
	if ws := n.Proxy.Snapshot().WorkerConnections; len(ws) != 2 {
		t.Errorf("worker connections %+v, want both workers admitted", ws)
	}
}
