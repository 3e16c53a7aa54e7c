package web_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/devnet"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// chromiumPath is Debian's chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// screenshotsEnv names the directory the browser tests write their
// screenshots to (`make screenshots` sets docs/img); without it they go
// to a temporary directory.
const screenshotsEnv = "COCOON_SCREENSHOTS"

// chromium returns the browser's path, or skips the test without one
// (fails it under CI=true, where .ci/run installs it).
func chromium(t *testing.T) string {
	t.Helper()
	p := os.Getenv("COCOON_CHROMIUM")
	if p == "" {
		p = chromiumPath
	}
	if _, err := exec.LookPath(p); err != nil {
		msg := "no chromium at " + p + " (apt-get install chromium, or set COCOON_CHROMIUM)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + ": required under CI=true")
		}
		t.Skip(msg)
	}
	return p
}

// browser starts a headless Chromium with a fresh profile for the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// The first action starts the browser, which lives as long as this
	// context: it takes no timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// actionTimeout bounds each step of the browser tests.
const actionTimeout = 30 * time.Second

// run runs browser steps, bounded in time.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one browser action that reads a value, bounded in time.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// screenshot writes the whole page to name.png in the screenshots
// directory.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png := get(t, ctx, "taking a screenshot of "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// streamEngine streams three content deltas and a usage event.
type streamEngine struct{}

func (streamEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v1/models" {
		fmt.Fprint(w, `{"object":"list","data":[]}`)
		return
	}
	io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "text/event-stream")
	for _, word := range []string{"Once ", "upon ", "a time."} {
		fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q}}]}\n\n", word)
		w.(http.Flusher).Flush()
	}
	fmt.Fprint(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3,\"total_tokens\":8}}\n\ndata: [DONE]\n\n")
}

// funder is the emulated chain's faucet.
type funder interface {
	Fund(ctx context.Context, addr *address.Address, amount billing.NanoTON) error
}

// within polls cond until it holds or d passes.
func within(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
	}
}

// clientData reads the client contract as `cocoon chain state` decodes
// it.
func clientData(t *testing.T, n *devnet.Network) (ton.Account, contracts.ClientData) {
	t.Helper()
	acc, err := n.Chain.Account(context.Background(), n.Addresses.ClientContract)
	if err != nil {
		t.Fatal(err)
	}
	d, err := contracts.ParseClientData(acc.Data)
	if err != nil {
		t.Fatal(err)
	}
	return acc, d
}

// TestBrowser drives the pages of a devnet on the emulated chain in
// headless Chromium: the explorer shows the devnet's contracts with the
// balances the chain holds, a top-up sent with the wallet page's transfer
// shows on the page, the playground streams an answer, and every page
// fits a phone's screen. It writes a screenshot of each page.
func TestBrowser(t *testing.T) {
	bctx := browser(t)
	shots := os.Getenv(screenshotsEnv)
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	n, err := devnet.Start(context.Background(), devnet.Options{Model: "m", Engine: func(int) http.Handler { return streamEngine{} },
		Chain: devnet.ChainEmulated, SampleEvery: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	// Some traffic for the charts; a worker deploys its contract with its
	// first payout.
	for range 6 {
		res, err := http.Post(n.ClientURL+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}`))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		time.Sleep(400 * time.Millisecond)
	}
	within(t, 30*time.Second, "the requests settled on chain", func() bool {
		c := n.Proxy.Snapshot().Clients
		if len(c) != 1 || c[0].CommittedToChain != c[0].Tokens {
			return false
		}
		_, d := clientData(t, n)
		acc, err := n.Chain.Account(context.Background(), n.Addresses.WorkerContracts[0])
		return int64(d.TokensUsed) == c[0].Tokens && err == nil && acc.Status == ton.StatusActive
	})

	t.Run("explorer", func(t *testing.T) {
		type row struct {
			Kind, Address string
			Balance       string
		}
		var rows []row
		want := map[string]*address.Address{
			"proxy": n.Addresses.ProxyContract, "client": n.Addresses.ClientContract,
			"worker": n.Addresses.WorkerContracts[0], "root": n.Addresses.Root,
		}
		// The page and the chain agree once both are read between two
		// settlement rounds; reload until they do.
		matches := func() bool {
			run(t, bctx, "opening the explorer",
				chromedp.Navigate(n.ExplorerURL),
				chromedp.WaitVisible(chromedp.CSS(`tr.contract[data-kind="worker"]`)))
			rows = get(t, bctx, "reading the contracts", chromedp.Evaluate[[]row](`[...document.querySelectorAll("tr.contract")].map(r => ({Kind: r.dataset.kind, Address: r.dataset.address, Balance: r.dataset.balance}))`))
			credit := get(t, bctx, "reading the client's balance", chromedp.Text(chromedp.CSS(`tr.client td.credit`)))
			for kind, addr := range want {
				acc, err := n.Chain.Account(context.Background(), addr)
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, r := range rows {
					if r.Kind == kind && r.Address == addr.String() {
						found = r.Balance == strconv.FormatInt(int64(acc.Balance), 10)
					}
				}
				if !found {
					return false
				}
			}
			_, d := clientData(t, n)
			return strings.TrimSpace(credit) == d.Balance.String()
		}
		within(t, 20*time.Second, "the explorer shows the chain's balances", matches)
		if len(rows) != 4 {
			t.Errorf("explorer lists %d contracts, want root, proxy, worker and client: %+v", len(rows), rows)
		}
		tvl := get(t, bctx, "reading the value locked", chromedp.Text(chromedp.CSS(`#tvl`)))
		var sum billing.NanoTON
		for _, r := range rows {
			v, _ := strconv.ParseInt(r.Balance, 10, 64)
			sum += billing.NanoTON(v)
		}
		if got := strings.TrimSpace(tvl); got != sum.String()+" TON" {
			t.Errorf("value locked %q, want the contracts' sum %s TON", got, sum)
		}
		run(t, bctx, "waiting for the charts", chromedp.WaitVisible(chromedp.CSS(`#charts .chart .uplot`)))
		screenshot(t, bctx, shots, "explorer")
	})

	t.Run("top-up", func(t *testing.T) {
		run(t, bctx, "opening the wallet", chromedp.Navigate(n.ClientURL+"/wallet?amount=2.5"))
		link := get(t, bctx, "reading the top-up link", chromedp.AttributeValue(chromedp.CSS(`a[data-role="topup-link"]`), "href")).Value
		u, err := url.Parse(link)
		if err != nil || u.Scheme != "ton" || u.Host != "transfer" {
			t.Fatalf("top-up link %q is not a ton://transfer link: %v", link, err)
		}
		to, err := address.ParseAddr(strings.TrimPrefix(u.Path, "/"))
		if err != nil || !to.Equals(n.Addresses.ClientContract) {
			t.Fatalf("top-up link pays %q, want the client contract %s", u.Path, n.Addresses.ClientContract)
		}
		value, err := strconv.ParseInt(u.Query().Get("amount"), 10, 64)
		if err != nil {
			t.Fatalf("top-up link amount %q: %v", u.Query().Get("amount"), err)
		}
		if want := 2500*billing.NanoTON(1e6) + billing.NanoTON(7e8); billing.NanoTON(value) != want {
			t.Errorf("top-up link sends %d nanoTON, want 2.5 TON and 0.7 TON of gas", value)
		}
		boc, err := base64.StdEncoding.DecodeString(u.Query().Get("bin"))
		if err != nil {
			t.Fatalf("top-up link bin: %v", err)
		}
		body, err := cell.FromBOC(boc)
		if err != nil {
			t.Fatalf("top-up link bin: %v", err)
		}
		// The test's own wallet, funded by the faucet, sends the transfer.
		w, err := ton.NewV5R1(ed25519.NewKeyFromSeed(make([]byte, 32)), -239)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := n.Chain.(funder).Fund(ctx, w.Address(), 10*billing.TON); err != nil {
			t.Fatal(err)
		}
		_, before := clientData(t, n)
		if err := w.Send(ctx, n.Chain, ton.Transfer{To: to, Amount: billing.NanoTON(value), Bounce: true, Body: body, Mode: ton.ModePayFeesSeparately}); err != nil {
			t.Fatalf("sending the top-up: %v", err)
		}
		_, after := clientData(t, n)
		charged, _ := after.Params.PricePerToken.Mul(int64(after.TokensUsed - before.TokensUsed))
		if got, want := after.Balance, before.Balance+2500*billing.NanoTON(1e6)-charged; got != want {
			t.Fatalf("client contract balance %s TON after the top-up, want %s TON", got, want)
		}
		within(t, 10*time.Second, "the wallet page shows the top-up", func() bool {
			run(t, bctx, "reloading the wallet", chromedp.Navigate(n.ClientURL+"/wallet"))
			shown := get(t, bctx, "reading the balance", chromedp.AttributeValue(chromedp.CSS(`.contract .credit`), "data-nano")).Value
			_, now := clientData(t, n)
			return shown == strconv.FormatInt(int64(now.Balance), 10) && now.Balance >= after.Balance
		})
	})

	t.Run("playground", func(t *testing.T) {
		run(t, bctx, "streaming a chat completion",
			chromedp.Navigate(n.ClientURL+"/wallet"),
			chromedp.WaitReady(chromedp.CSS(`#model option[value="m"]`)),
			chromedp.Click(chromedp.CSS(`#send`)),
			chromedp.WaitReady(chromedp.CSS(`form#chat[data-done="1"]`)))
		answer := get(t, bctx, "reading the answer", chromedp.Text(chromedp.CSS(`#answer`)))
		if answer != "Once upon a time." {
			t.Errorf("playground answer %q, want %q", answer, "Once upon a time.")
		}
		run(t, bctx, "waiting for the history chart", chromedp.WaitVisible(chromedp.CSS(`.chart.history .uplot`)))
		screenshot(t, bctx, shots, "wallet")
	})

	t.Run("earnings", func(t *testing.T) {
		run(t, bctx, "opening the earnings page",
			chromedp.Navigate(n.WorkerURLs[0]+"/earnings"),
			chromedp.WaitVisible(chromedp.CSS(`tr.payout`)))
		status := get(t, bctx, "reading the status", chromedp.Text(chromedp.CSS(`#status h2`)))
		if status != "Taking requests" {
			t.Errorf("earnings page says %q, want %q", status, "Taking requests")
		}
		run(t, bctx, "waiting for the charts", chromedp.WaitVisible(chromedp.CSS(`#charts .chart .uplot`)))
		screenshot(t, bctx, shots, "earnings")
	})

	t.Run("phone", func(t *testing.T) {
		run(t, bctx, "emulating a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		pages := []struct{ name, url, ready string }{
			{"explorer", n.ExplorerURL, `tr.contract`},
			{"wallet", n.ClientURL + "/wallet", `.contract .credit`},
			{"earnings", n.WorkerURLs[0] + "/earnings", `#status`},
		}
		for _, p := range pages {
			run(t, bctx, "opening the "+p.name+" page on a phone",
				chromedp.Navigate(p.url),
				chromedp.WaitVisible(chromedp.CSS(p.ready)))
			fits := get(t, bctx, "measuring the page", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
			if !fits {
				t.Errorf("the %s page is wider than a phone's screen", p.name)
			}
			screenshot(t, bctx, shots, p.name+"-phone")
		}
	})
}
