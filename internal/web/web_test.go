package web

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// TestVendoredUPlot checks each vendored uPlot file against the digest
// its README records, so that a changed file cannot pass for the release.
func TestVendoredUPlot(t *testing.T) {
	dir := filepath.Join("static", "uplot")
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile(`(?m)^\| (\S+) \| ([0-9a-f]{64}) \|$`).FindAllStringSubmatch(string(readme), -1)
	if len(rows) != 3 {
		t.Fatalf("README lists %d digests, want 3 (the script, the style sheet, the licence)", len(rows))
	}
	for _, r := range rows {
		b, err := os.ReadFile(filepath.Join(dir, r[1]))
		if err != nil {
			t.Fatal(err)
		}
		if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != r[2] {
			t.Errorf("%s has sha256 %x, the README says %s", r[1], got, r[2])
		}
	}
	if !strings.Contains(string(readme), "version **1.6.32**") {
		t.Error("README does not name the vendored version")
	}
}

// fakeCounters is a node's running totals that a test moves.
type fakeCounters struct {
	mu sync.Mutex // guards c
	c  counters
}

func (f *fakeCounters) read() counters {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.c
}

func (f *fakeCounters) add(d counters) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.c.requests += d.requests
	f.c.tokens += d.tokens
	f.c.answers += d.answers
	f.c.answerSeconds += d.answerSeconds
}

func TestSeriesRing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var f fakeCounters
		s := newSeries(f.read, time.Now, SampleEvery)
		_, stop := sharedtest.Go(func(ctx context.Context) { s.run(ctx) })
		synctest.Wait()
		// Each interval: 5 requests, 100 tokens, 2 first answers taking 0.5 s.
		for range SeriesLen + 10 {
			f.add(counters{requests: 5, tokens: 100, answers: 2, answerSeconds: 0.5})
			time.Sleep(SampleEvery)
			synctest.Wait()
		}
		stop()
		list := s.samples()
		if len(list) != SeriesLen {
			t.Fatalf("ring holds %d samples, want its bound %d", len(list), SeriesLen)
		}
		if span := list[len(list)-1].at.Sub(list[0].at); span != (SeriesLen-1)*SampleEvery {
			t.Errorf("samples span %v, want %v (one hour less one interval)", span, (SeriesLen-1)*SampleEvery)
		}
		c := chart(list)
		if len(c.Times) != SeriesLen-1 {
			t.Fatalf("chart has %d points, want %d", len(c.Times), SeriesLen-1)
		}
		last := len(c.Times) - 1
		if c.RequestsPerSec[last] != 0.5 || c.TokensPerSec[last] != 10 {
			t.Errorf("last interval %v requests/s, %v tokens/s; want 0.5 and 10", c.RequestsPerSec[last], c.TokensPerSec[last])
		}
		if ms := c.FirstAnswerMsec[last]; ms == nil || *ms != 250 {
			t.Errorf("last interval's time to first token %v ms, want 250", ms)
		}
		n, secs, ok := tokenRate(list, estimateWindow)
		if !ok || n != 6000 || secs != 600 {
			t.Errorf("token rate over %v = %d tokens in %d s (%v), want 6000 in 600", estimateWindow, n, secs, ok)
		}
	})
}

func TestChartRestartAndQuiet(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := chart([]sample{
		{at: t0, c: counters{requests: 10, tokens: 100}},
		{at: t0.Add(10 * time.Second), c: counters{requests: 10, tokens: 100}},
		{at: t0.Add(20 * time.Second), c: counters{requests: 2, tokens: 30}}, // the source restarted
	})
	if c.RequestsPerSec[0] != 0 || c.FirstAnswerMsec[0] != nil {
		t.Errorf("a quiet interval gives %v requests/s and time to first token %v; want 0 and none", c.RequestsPerSec[0], c.FirstAnswerMsec[0])
	}
	if c.RequestsPerSec[1] != 0.2 || c.TokensPerSec[1] != 3 {
		t.Errorf("after a restart %v requests/s, %v tokens/s; want the new totals over the interval, 0.2 and 3", c.RequestsPerSec[1], c.TokensPerSec[1])
	}
}

func TestTopUp(t *testing.T) {
	contract := address.NewAddress(0, 0, make([]byte, 32))
	owner := address.NewAddress(0, 0, []byte(strings.Repeat("o", 32)))
	now := time.Unix(1_800_000_000, 0)
	tu, err := newTopUp(contract, owner, 3*billing.TON/2, 42, now)
	if err != nil {
		t.Fatal(err)
	}
	if tu.Value != 3*billing.TON/2+TopUpGas {
		t.Errorf("value %s TON, want 1.5 TON and the gas", tu.Value)
	}
	u, err := url.Parse(tu.Link)
	if err != nil || u.Scheme != "ton" || u.Host != "transfer" || u.Path != "/"+contract.String() {
		t.Fatalf("link %q: want ton://transfer/%s (%v)", tu.Link, contract, err)
	}
	if got := u.Query().Get("amount"); got != "2200000000" {
		t.Errorf("link amount %q, want 2200000000 nanoTON", got)
	}
	if got := u.Query().Get("bin"); got != tu.Payload {
		t.Errorf("link bin %q, want the payload %q", got, tu.Payload)
	}
	boc, err := base64.StdEncoding.DecodeString(tu.Payload)
	if err != nil {
		t.Fatal(err)
	}
	body, err := cell.FromBOC(boc)
	if err != nil {
		t.Fatal(err)
	}
	want, err := contracts.ClientTopUpBody(42, 3*billing.TON/2, owner)
	if err != nil {
		t.Fatal(err)
	}
	if string(body.Hash()) != string(want.Hash()) {
		t.Error("the payload is not the client contract's ext_client_top_up body")
	}
	var tc struct {
		ValidUntil int64 `json:"validUntil"`
		Messages   []struct{ Address, Amount, Payload string }
	}
	if err := json.Unmarshal([]byte(tu.TonConnect), &tc); err != nil {
		t.Fatalf("TON Connect request %q: %v", tu.TonConnect, err)
	}
	if len(tc.Messages) != 1 || tc.Messages[0].Address != contract.String() || tc.Messages[0].Amount != "2200000000" || tc.Messages[0].Payload != tu.Payload {
		t.Errorf("TON Connect request %+v, want one message with the link's address, amount and payload", tc)
	}
	if tc.ValidUntil != now.Add(tonConnectValidity).Unix() {
		t.Errorf("TON Connect request valid until %d, want %d", tc.ValidUntil, now.Add(tonConnectValidity).Unix())
	}
	if !strings.HasPrefix(tu.QR, "data:image/png;base64,") {
		t.Errorf("QR %.40q is not a PNG data URL", tu.QR)
	}
	for _, bad := range []billing.NanoTON{0, -1} {
		if _, err := newTopUp(contract, owner, bad, 1, now); err == nil {
			t.Errorf("a top-up of %s TON was built", bad)
		}
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in      string
		want    billing.NanoTON
		wantErr bool
	}{
		{"", 0, false},
		{"2.5", 2500000000, false},
		{"0.000000001", 1, false},
		{"0", 0, true},
		{"-1", 0, true},
		{"1e9", 0, true},
		{"0.0000000001", 0, true},
	}
	for _, tt := range tests {
		got, err := parseAmount(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseAmount(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestTakingRequests(t *testing.T) {
	tests := []struct {
		name            string
		enabled, health bool
		barred          string
		uplinks         int
		active          int64
		max             int
		want            bool
		reason          string
	}{
		{"serving", true, true, "", 1, 0, 4, true, "it takes requests"},
		{"full", true, true, "", 1, 4, 4, true, "all 4 of its request slots are busy"},
		{"disabled", false, true, "", 1, 0, 4, false, "disabled by its operator"},
		{"engine down", true, false, "", 1, 0, 4, false, "health check"},
		{"no proxy", true, true, "", 0, 0, 4, false, "connected to no proxy"},
		{"not admitted", true, true, "worker image hash 5c55… is not in the root's worker_hashes", 1, 0, 4, false, "the root contract does not admit it: worker image hash 5c55"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := takingRequests(tt.enabled, tt.health, tt.barred, tt.uplinks, tt.active, tt.max)
			if got != tt.want || !strings.Contains(strings.Join(why, "; "), tt.reason) {
				t.Errorf("got %v %q, want %v and a reason with %q", got, why, tt.want, tt.reason)
			}
		})
	}
}

// fakeWorker is a worker as its pages see it.
type fakeWorker struct {
	mu   sync.Mutex // guards snap
	snap worker.Snapshot
}

func (f *fakeWorker) Snapshot() worker.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

func TestEstimateWithoutChain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &fakeWorker{}
		w.snap.Status = worker.StatusSnapshot{Enabled: true, EngineHealthy: true, UplinkCount: 1}
		w.snap.LocalConf = worker.LocalConfSnapshot{Model: "m", MaxActive: 8, ActiveRequests: 2}
		s, err := NewWorkerSite(w, Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, stop := sharedtest.Go(func(ctx context.Context) { s.Run(ctx) })
		// 30 tokens every 10 s, earned at 3 nanoTON each.
		synctest.Wait()
		for range 6 {
			w.mu.Lock()
			w.snap.Earned.Tokens += 30
			w.snap.Earned.EarnedNano = 3 * w.snap.Earned.Tokens
			w.mu.Unlock()
			time.Sleep(SampleEvery)
			synctest.Wait()
		}
		e := s.earnings(t.Context())
		stop()
		est := e.Estimate
		// 180 tokens in 60 s = 3 tokens/s × 3 nanoTON × 86400 s.
		if !est.OK || est.PerSecond != "3.00" || est.Fee != 3 || est.PerDay != 3*3*86400 || est.PerMonth != 30*3*3*86400 {
			t.Errorf("estimate %+v, want 3.00 tokens/s at 3 nanoTON: %d a day, %d a month", est, 3*3*86400, 30*3*3*86400)
		}
		if !e.Taking || !e.NoChain {
			t.Errorf("earnings: taking %v, no chain %v; want both", e.Taking, e.NoChain)
		}
	})
}

// fakeClient is a client as its pages see it.
type fakeClient struct{ snap client.Snapshot }

func (f *fakeClient) Snapshot() client.Snapshot { return f.snap }

func TestPagesGuardedByAccessHash(t *testing.T) {
	s, err := NewClientSite(&fakeClient{}, Options{AccessHash: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	role := http.NewServeMux()
	role.Handle("GET /stats", obs.RequireAccessHash("s3cret", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "stats") })))
	srv := httptest.NewServer(s.Handler(role))
	defer srv.Close()
	tests := []struct {
		path string
		want int
	}{
		{"/explorer", 400},
		{"/explorer?access_hash=wrong", 400},
		{"/explorer?access_hash=s3cret", 200},
		{"/wallet", 400},
		{"/wallet?access_hash=s3cret", 200},
		{"/wallet.json?access_hash=s3cret", 200},
		{"/wallet?access_hash=s3cret&amount=-1", 400},
		{"/web/series.json", 400},
		{"/web/series.json?access_hash=s3cret", 200},
		{"/earnings?access_hash=s3cret", 404}, // a client has no earnings page
		{"/web/static/app.css", 200},          // assets are not guarded
		{"/web/static/uplot/uPlot.iife.min.js", 200},
		{"/stats?access_hash=s3cret", 200}, // the role's own pages still answer
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range tests {
		res, err := noRedirect.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tt.want {
			t.Errorf("GET %s = %d, want %d", tt.path, res.StatusCode, tt.want)
		}
	}
	res, err := noRedirect.Get(srv.URL + "/?access_hash=s3cret")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("Location"); got != "/wallet?access_hash=s3cret" {
		t.Errorf("/ redirects to %q, want the wallet page with the hash", got)
	}
	// Every link and request of a page carries the hash.
	res, err = http.Get(srv.URL + "/wallet?access_hash=s3cret")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		for _, m := range regexp.MustCompile(`href="(/(?:explorer|wallet|stats)[^"]*)"`).FindAllStringSubmatch(sc.Text(), -1) {
			if !strings.Contains(m[1], "access_hash=s3cret") {
				t.Errorf("link %q lacks the access hash", m[1])
			}
		}
	}
}

func TestExplorerNeedsChain(t *testing.T) {
	if _, err := NewExplorer(Options{}); err == nil {
		t.Error("an explorer without a chain was built")
	}
	if _, err := NewProxySite(nil, Options{Chain: struct{ Chain }{}}); err == nil {
		t.Error("pages on a chain without a root were built")
	}
}
