package devnet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// totals is the "totals" object of the proxy's /jsonstats, read as a
// stranger would: amounts are strings or integers of nanoTON.
type totals struct {
	Charged    json.Number `json:"client_charged_nano"`
	Earned     json.Number `json:"worker_earned_nano"`
	Commission json.Number `json:"commission_nano"`
	Tokens     json.Number `json:"tokens"`
}

func (t totals) ints(tb testing.TB) (charged, earned, commission, tokens int64) {
	tb.Helper()
	var out [4]int64
	for i, s := range []json.Number{t.Charged, t.Earned, t.Commission, t.Tokens} {
		v, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			tb.Fatalf("totals field %d = %q: %v", i, s, err)
		}
		out[i] = v
	}
	return out[0], out[1], out[2], out[3]
}

// jsonTotals fetches the proxy's /jsonstats totals over HTTP.
func jsonTotals(tb testing.TB, proxyURL string) totals {
	tb.Helper()
	var s struct {
		Totals *totals `json:"totals"`
	}
	jsonStats(tb, proxyURL, &s)
	if s.Totals == nil {
		tb.Fatal("/jsonstats has no totals")
	}
	return *s.Totals
}

func TestJSONStatsTotals(t *testing.T) {
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 2})})
	const requests = 3
	for range requests {
		chat(t, context.Background(), n.ClientURL, chatStream, "a request")
	}
	// Each request is 7 tokens at coefficient 1.0; the fake-TON prices
	// charge 2 and pay the worker 1 nanoTON per token.
	eventually(t, "the proxy settles the requests", func() bool { return n.Proxy.Snapshot().Totals.Tokens == 7*requests })
	charged, earned, commission, tokens := jsonTotals(t, n.ProxyURL).ints(t)
	if charged <= 0 {
		t.Errorf("client_charged_nano = %d, want > 0", charged)
	}
	if charged != earned+commission {
		t.Errorf("charged %d != earned %d + commission %d", charged, earned, commission)
	}
	if charged != 2*7*requests || earned != 7*requests || tokens != 7*requests {
		t.Errorf("got charged %d, earned %d, tokens %d; want %d, %d, %d", charged, earned, tokens, 2*7*requests, 7*requests, 7*requests)
	}
}

func TestSignedPayments(t *testing.T) {
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 1})})
	if res, _ := post(t, context.Background(), n.ClientURL, chatStream); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	// The proxy signs what it has committed to its database, which it
	// flushes every 1–2 s; the next request's payment carries it.
	eventually(t, "the proxy commits the first request", func() bool {
		c := n.Proxy.Snapshot().Clients
		return len(c) == 1 && c[0].CommittedToDB == 7
	})
	if res, _ := post(t, context.Background(), n.ClientURL, chatStream); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	eventually(t, "the client and worker hold signed payments", func() bool {
		c, w := n.Client.Snapshot().Accounts, n.Workers[0].Snapshot().Accounts
		return len(c) == 1 && c[0].SignedTokens >= 7 && c[0].Requests == 2 && len(w) == 1 && w[0].SignedTokens >= 7 && w[0].Requests == 2
	})
	ps := n.Proxy.Snapshot()
	cs, ws := n.Client.Snapshot(), n.Workers[0].Snapshot()
	if got, want := cs.Accounts[0].ClientSCAddress, ps.Clients[0].Address; got != want {
		t.Errorf("client contract: client says %s, proxy %s", got, want)
	}
	if got, want := ws.Accounts[0].WorkerSCAddress, ps.Workers[0].Address; got != want {
		t.Errorf("worker contract: worker says %s, proxy %s", got, want)
	}
	if cs.Paid.Tokens != 14 || cs.Paid.PaidNano != 28 {
		t.Errorf("client paid %+v, want 14 tokens, 28 nanoTON", cs.Paid)
	}
	if ws.Earned.Tokens != 14 || ws.Earned.EarnedNano != 14 {
		t.Errorf("worker earned %+v, want 14 tokens, 14 nanoTON", ws.Earned)
	}
}

func TestLowBalanceIs402(t *testing.T) {
	// A stake of 10 nanoTON covers 5 tokens at 2 nanoTON each: less than
	// any request reserves.
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 1}), ClientStake: 10})
	for name, body := range map[string]string{"stream": chatStream, "plain": `{"model":"m","messages":[{"role":"user","content":"hi"}]}`} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, got := post(t, ctx, n.ClientURL, body)
			var e struct {
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(got), &e); err != nil {
				t.Fatalf("answer %q is not error JSON: %v", got, err)
			}
			if res.StatusCode != http.StatusPaymentRequired || e.Error.Code != "insufficient_balance" || !strings.Contains(e.Error.Message, "balance is too low") {
				t.Errorf("got %d %q, want 402 insufficient_balance saying the balance is too low", res.StatusCode, got)
			}
		})
	}
	if tot := n.Proxy.Snapshot().Totals; tot.Tokens != 0 || tot.Charged != 0 {
		t.Errorf("totals after refused requests = %+v, want nothing billed", tot)
	}
}

// overrunEngine streams a chunk, then one whose usage is far beyond any
// reservation, then holds the stream until the request ends, which it
// reports on gone.
type overrunEngine struct{ gone chan struct{} }

func (e overrunEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v1/models" {
		fmt.Fprint(w, `{"object":"list","data":[]}`)
		return
	}
	io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "text/event-stream")
	fmt.Fprint(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"within \"}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n")
	w.(http.Flusher).Flush()
	fmt.Fprint(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"beyond \"}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1000000,\"total_tokens\":1000003}}\n\n")
	w.(http.Flusher).Flush()
	<-r.Context().Done()
	e.gone <- struct{}{}
}

func TestReservationEnforcedMidStream(t *testing.T) {
	eng := overrunEngine{gone: make(chan struct{}, 1)}
	n := start(t, Options{Engine: func(int) http.Handler { return eng }})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, body := post(t, ctx, n.ClientURL, `{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"max_tokens":16}`)
	// The worker may pass both chunks on in one part, which the proxy
	// then drops whole.
	if strings.Contains(body, "beyond") {
		t.Errorf("answer %q carries the chunk beyond the reservation", body)
	}
	if !strings.Contains(body, "reservation_exceeded") {
		t.Errorf("answer %q does not say the request exceeded its reservation", body)
	}
	select {
	case <-eng.gone:
	case <-ctx.Done():
		t.Fatal("the engine request was not stopped")
	}
	eventually(t, "the proxy settles the request", func() bool { return n.Proxy.Snapshot().Totals.Tokens > 0 })
	ps := n.Proxy.Snapshot()
	tot := ps.Totals
	if tot.Tokens >= 1000003 || tot.Tokens < 16 {
		t.Errorf("billed %d tokens, want the reservation: at least max_tokens 16 and far below the 1000003 reported", tot.Tokens)
	}
	if tot.Charged != tot.Earned+tot.Commission || tot.Charged != 2*tot.Tokens {
		t.Errorf("totals %+v: want charged = 2 × tokens = earned + commission", tot)
	}
	if len(ps.Clients) != 1 || ps.Clients[0].Reserved != 0 || ps.Clients[0].Tokens != tot.Tokens {
		t.Errorf("client accounts %+v: want one billed %d tokens with nothing reserved", ps.Clients, tot.Tokens)
	}
}

// mixEngine answers by the mode the prompt names: "ok" streams an answer
// with usage at the end, "fail" streams a chunk with usage and breaks the
// connection, "stall" streams a chunk with usage and waits for the caller
// to leave.
var mixEngine = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v1/models" {
		fmt.Fprint(w, `{"object":"list","data":[]}`)
		return
	}
	b, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "text/event-stream")
	chunk := "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n"
	switch {
	case bytes.Contains(b, []byte(`"fail"`)):
		fmt.Fprint(w, chunk)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	case bytes.Contains(b, []byte(`"stall"`)):
		fmt.Fprint(w, chunk)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	default:
		fmt.Fprint(w, chunk+"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}\n\ndata: [DONE]\n\n")
	}
})

// TestMoneyInvariantUnderMixedOutcomes runs a random mix of requests that
// succeed, fail mid-answer and are cancelled by their caller, and checks
// that every nanoTON charged is earned or kept as commission, that clients
// and workers are billed the same tokens, and that nothing stays reserved.
func TestMoneyInvariantUnderMixedOutcomes(t *testing.T) {
	n := start(t, Options{Workers: 2, Engine: func(int) http.Handler { return mixEngine }})
	rng := rand.New(rand.NewPCG(1, 2))
	modes := []string{"ok", "fail", "stall"}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 6)
	var want int64 // tokens produced: 7 by a whole answer, 5 by one cut short
	for range 40 {
		mode := modes[rng.IntN(len(modes))]
		want += map[string]int64{"ok": 7, "fail": 5, "stall": 5}[mode]
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			body := `{"model":"m","messages":[{"role":"user","content":"` + mode + `"}],"stream":true}`
			req, _ := http.NewRequestWithContext(ctx, "POST", n.ClientURL+"/v1/chat/completions", strings.NewReader(body))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			defer res.Body.Close()
			if mode == "stall" {
				// Leave once the first chunk has arrived.
				buf := make([]byte, 1)
				res.Body.Read(buf)
				cancel()
			}
			io.Copy(io.Discard, res.Body)
		})
	}
	wg.Wait()
	eventually(t, "every request settles", func() bool {
		s := n.Proxy.Snapshot()
		return len(s.Clients) == 1 && s.Clients[0].Reserved == 0
	})
	s := n.Proxy.Snapshot()
	tot := s.Totals
	var workerTokens int64
	for _, w := range s.Workers {
		workerTokens += w.Tokens
	}
	if tot.Charged <= 0 || tot.Charged != tot.Earned+tot.Commission {
		t.Errorf("totals %+v: want charged > 0 and charged = earned + commission", tot)
	}
	if tot.Charged != 2*tot.Tokens || tot.Earned != tot.Tokens {
		t.Errorf("totals %+v: want 2 nanoTON per token charged, 1 earned", tot)
	}
	// Failed and cancelled requests pay for what they produced.
	if tot.Tokens != want {
		t.Errorf("billed %d tokens, want the %d produced", tot.Tokens, want)
	}
	if s.Clients[0].Tokens != tot.Tokens || workerTokens != tot.Tokens {
		t.Errorf("client billed %d tokens, workers credited %d, totals %d: want all equal", s.Clients[0].Tokens, workerTokens, tot.Tokens)
	}
}

// TestFirstAnswerRecorded checks that every role records the time to the
// first answer byte of each request, the figure behind the explorer's
// time-to-first-token chart.
func TestFirstAnswerRecorded(t *testing.T) {
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 2})})
	const requests = 2
	for range requests {
		chat(t, context.Background(), n.ClientURL, chatStream, "a request")
	}
	roles := map[string]func() float64{
		"client": func() float64 { return n.Client.Snapshot().Stats.FirstAnswers.Total },
		"proxy":  func() float64 { return n.Proxy.Snapshot().Stats.FirstAnswers.Total },
		"worker": func() float64 { return n.Workers[0].Snapshot().Stats.FirstAnswers.Total },
	}
	for role, got := range roles {
		eventually(t, role+" records every first answer", func() bool { return got() == requests })
	}
	if s := n.Client.Snapshot().Stats; s.FirstAnswerTime.Total <= 0 || s.FirstAnswerTime.Total > s.Time.Total {
		t.Errorf("client's first-answer time %v s, want positive and at most the requests' %v s", s.FirstAnswerTime.Total, s.Time.Total)
	}
	// One metric of it, by model and worker (the worker's address at the
	// proxy), on every role.
	for role, url := range map[string]string{"client": n.ClientURL, "proxy": n.ProxyURL, "worker": n.WorkerURLs[0]} {
		want := regexp.MustCompile(`cocoon_time_to_first_token_seconds_count\{model="` + regexp.QuoteMeta(n.Model) + `",role="` + role + `",worker="[^"]*"\} 2\n`)
		var body []byte
		eventually(t, role+" counts every first token in its metrics", func() bool {
			res, err := http.Get(url + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ = io.ReadAll(res.Body)
			return want.Match(body)
		})
		if bytes.Contains(body, []byte("time_to_first_answer_byte")) {
			t.Errorf("%s's metrics keep a second time to first token metric:\n%s", role, body)
		}
	}
}
