package devnet

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
)

// chaosEngine streams as many one-token chunks as a request's max_tokens
// asks for, chunkEvery apart, after a prompt of chaosPrompt tokens. With
// continuous it reports the usage so far in every chunk when the worker
// asks (as vLLM and SGLang do); without, only at the end (as engines that
// do not know continuous_usage_stats do). A request that does not stream
// gets one body with its usage.
type chaosEngine struct{ continuous bool }

const (
	chaosPrompt = 6
	chunkEvery  = 2 * time.Millisecond
)

func (e chaosEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v1/models" {
		fmt.Fprint(w, `{"object":"list","data":[]}`)
		return
	}
	var body struct {
		Stream        bool            `json:"stream"`
		MaxTokens     int             `json:"max_tokens"`
		StreamOptions map[string]bool `json:"stream_options"`
	}
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &body); err != nil || body.MaxTokens <= 0 {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	n := body.MaxTokens
	usage := func(done int) string {
		return fmt.Sprintf(`{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}`, chaosPrompt, done, chaosPrompt+done)
	}
	if !body.Stream {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"%s"},"finish_reason":"length"}],"usage":%s}`,
			strings.Repeat("w ", n), usage(n))
		return
	}
	continuous := e.continuous && body.StreamOptions["continuous_usage_stats"]
	w.Header().Set("Content-Type", "text/event-stream")
	for i := range n {
		u := ""
		if continuous {
			u = `,"usage":` + usage(i+1)
		}
		fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"w%d \"}}]%s}\n\n", i, u)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(chunkEvery):
		}
	}
	fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":%s}\n\ndata: [DONE]\n\n", usage(n))
}

// chaosSeed is the test's seed: COCOON_CHAOS_SEED when set, else the
// clock's. It is logged, so that a failing run can be replayed.
func chaosSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("COCOON_CHAOS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("COCOON_CHAOS_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("chaos seed %d (replay with COCOON_CHAOS_SEED=%d)", seed, seed)
	return seed
}

// load is many callers sending requests until stopped: streams read to
// their end, streams abandoned after a random number of chunks, and
// requests that do not stream. Failures are expected while a role
// restarts, and counted. delivered sums the tokens the callers saw: the
// usage of each answer read to its end, and the chunks of text of each
// stream left or cut short (one token each), which is the least the
// network must have billed.
type load struct {
	ok, abandoned, failed, delivered atomic.Int64
	stop                             context.CancelFunc
	wg                               sync.WaitGroup
}

func startLoad(n *Network, seed uint64, callers int) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{stop: cancel}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: callers}}
	for i := range callers {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		l.wg.Go(func() {
			defer hc.CloseIdleConnections()
			for ctx.Err() == nil {
				if !l.one(ctx, hc, n.ClientURL, rng) {
					// As a caller would, wait a little after a failure:
					// one that restarts refuses requests for a moment.
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	return l
}

// one sends one request of a random kind and reports whether it did not
// fail.
func (l *load) one(ctx context.Context, hc *http.Client, url string, rng *rand.Rand) bool {
	maxTokens := 4 + rng.IntN(40)
	kind := rng.IntN(10)
	stream := kind < 8
	options := ""
	if stream {
		// The usage at the end, as OpenAI sends it when asked.
		options = `,"stream_options":{"include_usage":true}`
	}
	body := fmt.Sprintf(`{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":%v,"max_tokens":%d%s}`, stream, maxTokens, options)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, _ := http.NewRequestWithContext(rctx, "POST", url+"/v1/chat/completions", strings.NewReader(body))
	res, err := hc.Do(req)
	if err != nil {
		l.failed.Add(1)
		return false
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		io.Copy(io.Discard, res.Body)
		l.failed.Add(1)
		return false
	}
	if !stream {
		var c struct {
			Usage struct {
				Total int64 `json:"total_tokens"`
			} `json:"usage"`
		}
		if err := json.NewDecoder(res.Body).Decode(&c); err != nil {
			l.failed.Add(1)
			return false
		}
		l.delivered.Add(c.Usage.Total)
		l.ok.Add(1)
		return true
	}
	// A stream: read to its end, or abandoned after a random number of
	// chunks, as a caller that reads a few KB and closes.
	left := maxTokens + 2
	if kind >= 5 {
		left = rng.IntN(maxTokens)
	}
	r := bufio.NewReader(res.Body)
	var chunks, total int64
	done := false
	for ; left > 0 && !done; left-- {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: ")
		switch {
		case !ok:
			left++
		case data == "[DONE]":
			done = true
		case strings.Contains(data, `"content":"w`):
			chunks++
		case strings.Contains(data, `"choices":[]`):
			var u struct {
				Usage struct {
					Total int64 `json:"total_tokens"`
				} `json:"usage"`
			}
			if json.Unmarshal([]byte(data), &u) == nil {
				total = u.Usage.Total
			}
		}
	}
	cancel()
	if done && total > 0 {
		l.delivered.Add(total)
		l.ok.Add(1)
		return true
	}
	l.delivered.Add(chunks)
	l.abandoned.Add(1)
	return true
}

func (l *load) end() {
	l.stop()
	l.wg.Wait()
}

// jsonStats fetches a role's /jsonstats as a stranger reads it, into a
// fresh v: a field the answer leaves out (omitempty) would keep what an
// earlier answer put there.
func jsonStats(tb testing.TB, url string, v any) {
	tb.Helper()
	res, err := http.Get(url + "/jsonstats")
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s/jsonstats: status %d", url, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		tb.Fatalf("decoding %s/jsonstats: %v", url, err)
	}
}

// The parts of the roles' /jsonstats the test compares with the chain;
// amounts are JSON strings of nanoTON.
type (
	proxyStats struct {
		Clients []ledgerAccount `json:"clients"`
		Workers []ledgerAccount `json:"workers"`
		Totals  struct {
			Tokens     int64 `json:"tokens"`
			Charged    int64 `json:"client_charged_nano,string"`
			Earned     int64 `json:"worker_earned_nano,string"`
			Commission int64 `json:"commission_nano,string"`
		} `json:"totals"`
	}
	ledgerAccount struct {
		Address          string `json:"address"`
		Tokens           int64  `json:"tokens"`
		CommittedToChain int64  `json:"tokens_committed_to_blockchain"`
		Reserved         int64  `json:"reserved_tokens"`
		Value            int64  `json:"value_nano,string"`
	}
	clientStats struct {
		Accounts []struct {
			Contract string `json:"client_sc_address"`
			Tokens   int64  `json:"tokens"`
			Paid     int64  `json:"paid_nano,string"`
		} `json:"accounts"`
		Paid struct {
			Tokens int64 `json:"tokens"`
			Paid   int64 `json:"paid_nano,string"`
		} `json:"paid"`
	}
	workerStats struct {
		Accounts []struct {
			Contract string `json:"worker_sc_address"`
			Tokens   int64  `json:"tokens"`
			Earned   int64  `json:"earned_nano,string"`
		} `json:"accounts"`
		Earned struct {
			Tokens int64 `json:"tokens"`
			Earned int64 `json:"earned_nano,string"`
		} `json:"earned"`
	}
)

// onChain is a proxy contract's clients and workers as the chain holds
// them: tokens charged and paid, at its params' price and fee.
type onChain struct {
	price, fee       billing.NanoTON
	charged, paid    int64 // tokens
	clients, workers map[string]int64
	// open is set while the proxy contract or one of its worker
	// contracts is not closed, openClients while a client contract is not.
	open, openClients bool
}

// chainView reads every client and worker contract the proxy's ledger
// names, grouped by the proxy contract each is under. ok is false while
// any is not settled: a client contract charged less than the ledger, a
// worker paid less, a contract not yet deployed, or a ledger figure not
// committed.
func chainView(t *testing.T, n *Network, ps proxyStats) (map[string]*onChain, bool) {
	t.Helper()
	r := chainReader{tb: t, n: n}
	out := map[string]*onChain{}
	group := func(proxyAddr *address.Address, p contracts.Params) *onChain {
		g := out[proxyAddr.String()]
		if g == nil {
			g = &onChain{price: p.PricePerToken, fee: p.WorkerFeePerToken, clients: map[string]int64{}, workers: map[string]int64{}}
			out[proxyAddr.String()] = g
		}
		return g
	}
	settled := true
	for _, a := range ps.Clients {
		addr := address.MustParseAddr(a.Address)
		d, ok := clientAt(r, addr)
		if !ok {
			if a.Tokens != 0 {
				settled = false
			}
			continue
		}
		g := group(d.Proxy, d.Params)
		g.clients[a.Address] = int64(d.TokensUsed)
		g.charged += int64(d.TokensUsed)
		if d.State != contracts.StateClosed {
			g.openClients = true
		}
		if int64(d.TokensUsed) != a.Tokens || a.CommittedToChain != a.Tokens || a.Reserved != 0 {
			settled = false
		}
	}
	for _, a := range ps.Workers {
		addr := address.MustParseAddr(a.Address)
		d, ok := workerAt(r, addr)
		if !ok {
			if a.Tokens != 0 {
				settled = false
			}
			continue
		}
		g := group(d.Proxy, d.Params)
		g.workers[a.Address] = int64(d.Tokens)
		g.paid += int64(d.Tokens)
		if d.State != contracts.StateClosed {
			g.open = true
		}
		if int64(d.Tokens) != a.Tokens || a.CommittedToChain != a.Tokens {
			settled = false
		}
	}
	for p, g := range out {
		acc, ok := r.account(address.MustParseAddr(p))
		if !ok {
			return nil, false
		}
		pd, err := contracts.ParseProxyData(acc.Data)
		if err != nil {
			t.Fatal(err)
		}
		if pd.State != contracts.StateClosed {
			g.open = true
		}
	}
	return out, settled
}

// TestMoneyChaos runs a devnet on the emulated chain under load from many
// callers, some abandoning their streams at random points, while, twice
// over in the seed's order, the proxy, the workers and the client
// restart, the root's prices change (the proxy rolls over to a new
// contract and winds the old one down) and the client closes its
// contract and carries on with a new one. Once the
// load stops and everything settles, for every proxy contract the tokens
// charged on chain equal the tokens paid on chain, and in nanoTON the
// charges equal the payouts plus the commission, each equal to the
// proxy's ledger; and every role's /jsonstats shows, for every contract,
// what the chain holds. The seed is logged and COCOON_CHAOS_SEED replays
// it; COCOON_CHAOS_LOG=1 prints the nodes' logs.
func TestMoneyChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("the money chaos test takes a minute")
	}
	seed := chaosSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed))
	began := time.Now()
	dir := t.TempDir()
	opts := Options{Workers: 2, Chain: ChainEmulated, DataDir: dir, Model: "m",
		Engine: func(i int) http.Handler { return chaosEngine{continuous: i == 0} },
		// An old proxy contract closes two seconds after its close
		// request; a closing client contract gives its proxy 30 s to
		// grant its refund before it may claim it by force (the
		// reference's 300 s), which the proxy's grant comes well within.
		Settlement: Settlement{ProxyCloseDelay: 2 * time.Second, ClientCloseDelay: 30 * time.Second}}
	if os.Getenv("COCOON_CHAOS_LOG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	n := start(t, opts)
	ctx := context.Background()
	l := startLoad(n, seed, 8)
	defer l.end()
	// pause lets the load run on for a while, and at least until the
	// network answers requests again after what came before.
	pause := func() {
		time.Sleep(time.Duration(300+rng.IntN(700)) * time.Millisecond)
		from := l.ok.Load()
		within(t, 30*time.Second, "the network answering again", func() bool { return l.ok.Load() >= from+10 })
	}
	type step struct {
		name string
		do   func() error
	}
	// Two rounds of every event, each round in the seed's order; the
	// round's price change moves to its own prices.
	for round, prices := range [][2]billing.NanoTON{{5, 2}, {7, 4}} {
		steps := []step{
			{"restart the proxy", func() error { return n.RestartProxy(ctx) }},
			{"restart worker 0", func() error { return n.RestartWorker(ctx, 0) }},
			{fmt.Sprintf("change the root's prices to %d and %d", prices[0], prices[1]), func() error {
				changeFees(t, n, dir, prices[0], prices[1])
				return nil
			}},
			{"close the client's contract", func() error {
				if status, ans := control(t, n, "/control/close"); status != http.StatusOK || !ans.OK {
					return fmt.Errorf("POST /control/close: %d %+v", status, ans)
				}
				return nil
			}},
			{"restart the client", func() error { return n.RestartClient(ctx) }},
			{"restart worker 1", func() error { return n.RestartWorker(ctx, 1) }},
		}
		rng.Shuffle(len(steps), func(i, j int) { steps[i], steps[j] = steps[j], steps[i] })
		for _, s := range steps {
			pause()
			t.Logf("%6.1fs: round %d: %s (%d answered, %d abandoned, %d failed so far)", time.Since(began).Seconds(), round+1, s.name, l.ok.Load(), l.abandoned.Load(), l.failed.Load())
			if err := s.do(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
	}
	pause()
	l.end()
	t.Logf("%6.1fs: load stopped: %d answered, %d abandoned, %d failed, %d tokens delivered", time.Since(began).Seconds(), l.ok.Load(), l.abandoned.Load(), l.failed.Load(), l.delivered.Load())
	if l.ok.Load() < 20 || l.abandoned.Load() < 10 {
		t.Fatalf("%d requests answered and %d abandoned: too few to judge", l.ok.Load(), l.abandoned.Load())
	}
	// Every role restarts once more, so that what follows is read after
	// a restart of each.
	for _, restart := range []func() error{
		func() error { return n.RestartProxy(ctx) },
		func() error { return n.RestartClient(ctx) },
		func() error { return n.RestartWorker(ctx, 0) },
		func() error { return n.RestartWorker(ctx, 1) },
	} {
		if err := restart(); err != nil {
			t.Fatalf("restarting after the load: %v", err)
		}
	}

	// Everything settles: every ledger figure committed and charged or
	// paid on chain, and the two older proxy contracts closed with every
	// client and worker contract under them.
	var ps proxyStats
	var groups map[string]*onChain
	settled := func() bool {
		ps = proxyStats{}
		jsonStats(t, n.ProxyURL, &ps)
		var ok bool
		if groups, ok = chainView(t, n, ps); !ok || len(groups) != 3 {
			return false
		}
		cur := address.MustParseAddr(n.Proxy.Snapshot().Chain.ProxyContract).String()
		for p, g := range groups {
			if p != cur && (g.open || g.openClients) {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(90 * time.Second); !settled(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			r := chainReader{tb: t, n: n}
			for _, a := range ps.Clients {
				d, _ := clientAt(r, address.MustParseAddr(a.Address))
				t.Logf("client %s: ledger %+v, chain state %d tokens %d proxy %v", a.Address, a, d.State, d.TokensUsed, d.Proxy)
			}
			for _, a := range ps.Workers {
				d, _ := workerAt(r, address.MustParseAddr(a.Address))
				t.Logf("worker %s: ledger %+v, chain state %d tokens %d proxy %v", a.Address, a, d.State, d.Tokens, d.Proxy)
			}
			for p, g := range groups {
				t.Logf("proxy contract %s: %+v", p, *g)
			}
			t.Logf("proxy chain stats %+v", n.Proxy.Snapshot().Chain)
			t.Fatal("every contract settled on chain: not within 90 s")
		}
	}
	t.Logf("%6.1fs: settled on chain", time.Since(began).Seconds())

	// The ledger: charged = earned + commission, each the sum of its
	// accounts' values, clients and workers billed the same tokens.
	tot := ps.Totals
	var clientTokens, workerTokens, clientValue, workerValue int64
	for _, a := range ps.Clients {
		clientTokens += a.Tokens
		clientValue += a.Value
	}
	for _, a := range ps.Workers {
		workerTokens += a.Tokens
		workerValue += a.Value
	}
	if tot.Charged != tot.Earned+tot.Commission || clientValue != tot.Charged || workerValue != tot.Earned || clientTokens != tot.Tokens || workerTokens != tot.Tokens {
		t.Errorf("ledger totals %+v, clients %d tokens worth %d, workers %d worth %d: want charged = earned + commission, each the accounts' sum",
			tot, clientTokens, clientValue, workerTokens, workerValue)
	}
	// Whatever ended a request, what reached its caller was billed.
	if tot.Tokens < l.delivered.Load() {
		t.Errorf("billed %d tokens, but the callers were delivered %d", tot.Tokens, l.delivered.Load())
	}

	// The chain, per proxy contract: tokens charged = tokens paid, and
	// charged in nanoTON = paid + commission, each equal to the ledger's
	// accounts there at the contract's price and fee.
	var charged, paid int64
	for p, g := range groups {
		if g.charged != g.paid {
			t.Errorf("proxy contract %s: clients charged %d tokens on chain, workers paid %d", p, g.charged, g.paid)
		}
		chargedNano, paidNano := int64(g.price)*g.charged, int64(g.fee)*g.paid
		commission := int64(g.price-g.fee) * g.paid
		if chargedNano != paidNano+commission {
			t.Errorf("proxy contract %s: charged %d nanoTON, paid %d + commission %d", p, chargedNano, paidNano, commission)
		}
		for _, a := range ps.Clients {
			if used, ok := g.clients[a.Address]; ok && (used != a.Tokens || a.Value != used*int64(g.price)) {
				t.Errorf("client contract %s: %d tokens charged on chain at %d, the ledger holds %d worth %d", a.Address, used, g.price, a.Tokens, a.Value)
			}
		}
		for _, a := range ps.Workers {
			if got, ok := g.workers[a.Address]; ok && (got != a.Tokens || a.Value != got*int64(g.fee)) {
				t.Errorf("worker contract %s: %d tokens paid on chain at %d, the ledger holds %d worth %d", a.Address, got, g.fee, a.Tokens, a.Value)
			}
		}
		charged += chargedNano
		paid += paidNano
		t.Logf("proxy contract %s: %d tokens charged at %d and paid at %d, %d client and %d worker contracts", p, g.charged, g.price, g.fee, len(g.clients), len(g.workers))
	}
	if charged != tot.Charged || paid != tot.Earned {
		t.Errorf("on chain %d nanoTON charged and %d paid, the ledger's totals %d and %d", charged, paid, tot.Charged, tot.Earned)
	}
	// The commission of the contract the proxy serves under, which is
	// not closed, on chain: its balance field plus what it paid its owner
	// (withdrawals only) is what its workers' payouts credited it.
	r := chainReader{tb: t, n: n}
	cur := address.MustParseAddr(n.Proxy.Snapshot().Chain.ProxyContract)
	if g := groups[cur.String()]; g != nil {
		want := billing.NanoTON(int64(g.price-g.fee) * g.paid)
		within(t, 30*time.Second, "the commission on chain", func() bool {
			acc, ok := r.account(cur)
			if !ok {
				return false
			}
			pd, err := contracts.ParseProxyData(acc.Data)
			if err != nil {
				t.Fatal(err)
			}
			return pd.Balance+r.flows(r.txs(pd.Owner, 0), cur).payouts == want
		})
	} else {
		t.Errorf("the proxy's contract %s holds no client or worker contract", cur)
	}

	// Every role's /jsonstats: each contract's tokens and value as the
	// chain holds them.
	price := map[string]billing.NanoTON{}
	fee := map[string]billing.NanoTON{}
	for _, g := range groups {
		for a := range g.clients {
			price[a] = g.price
		}
		for a := range g.workers {
			fee[a] = g.fee
		}
	}
	used := map[string]int64{}
	for _, g := range groups {
		for a, v := range g.clients {
			used[a] = v
		}
		for a, v := range g.workers {
			used[a] = v
		}
	}
	// agree says how a role's /jsonstats differs from the chain, "" when
	// it does not.
	agree := func() string {
		var cs clientStats
		jsonStats(t, n.ClientURL, &cs)
		var sumTokens, sumPaid int64
		for _, a := range cs.Accounts {
			c := address.MustParseAddr(a.Contract).String()
			if a.Tokens != used[c] || a.Paid != used[c]*int64(price[c]) {
				return fmt.Sprintf("the client shows contract %s with %d tokens worth %d, the chain %d at %d", c, a.Tokens, a.Paid, used[c], price[c])
			}
			sumTokens += a.Tokens
			sumPaid += a.Paid
		}
		if sumTokens != tot.Tokens || sumPaid != tot.Charged || cs.Paid.Tokens != sumTokens || cs.Paid.Paid != sumPaid {
			return fmt.Sprintf("the client paid %+v over accounts summing to %d tokens worth %d, the ledger %d worth %d", cs.Paid, sumTokens, sumPaid, tot.Tokens, tot.Charged)
		}
		var earnedTokens, earned int64
		for i, u := range n.WorkerURLs {
			var ws workerStats
			jsonStats(t, u, &ws)
			for _, a := range ws.Accounts {
				c := address.MustParseAddr(a.Contract).String()
				if a.Tokens != used[c] || a.Earned != used[c]*int64(fee[c]) {
					return fmt.Sprintf("worker %d shows contract %s with %d tokens worth %d, the chain %d at %d", i, c, a.Tokens, a.Earned, used[c], fee[c])
				}
			}
			earnedTokens += ws.Earned.Tokens
			earned += ws.Earned.Earned
		}
		if earnedTokens != tot.Tokens || earned != tot.Earned {
			return fmt.Sprintf("the workers earned %d tokens worth %d, the ledger %d worth %d", earnedTokens, earned, tot.Tokens, tot.Earned)
		}
		return ""
	}
	why := agree()
	for deadline := time.Now().Add(30 * time.Second); why != ""; why = agree() {
		if time.Now().After(deadline) {
			t.Fatalf("the client's and workers' /jsonstats equal to the chain: not within 30 s: %s", why)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%6.1fs: done: %d tokens, charged %d, earned %d, commission %d nanoTON", time.Since(began).Seconds(), tot.Tokens, tot.Charged, tot.Earned, tot.Commission)
}
