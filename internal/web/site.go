package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/obs"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// readTimeout bounds the chain reads of one page.
const readTimeout = 20 * time.Second

// freshFor is how long one read of the network serves the explorer's
// pages, so that reloads do not read the chain again and again.
const freshFor = 2 * time.Second

// Options configure a Site.
type Options struct {
	// Chain and Root are the chain and the root contract the pages read;
	// a nil Chain is a node without one (fake TON), whose pages show what
	// the node knows and say that nothing is on chain.
	Chain Chain
	Root  *address.Address
	// ProxyContracts are proxy contracts to show besides those the node
	// knows or the Locator finds.
	ProxyContracts []*address.Address
	// Locator, if set, asks each proxy the root registers for its
	// contract (the explorer alone, which knows no node).
	Locator Locator
	// AccessHash guards the pages as it guards the role's stats pages
	// (obs.RequireAccessHash); empty lets every request through.
	AccessHash string
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// Clock is the time source; nil means time.Now.
	Clock func() time.Time
	// SampleEvery is how often the charts sample the node; zero means
	// SampleEvery (the package constant).
	SampleEvery time.Duration
}

// Site serves the pages of one node (or of the explorer alone) in front
// of the node's own handler. Build it with a New… function, run its
// sampler with Run, serve Handler.
type Site struct {
	kind     string // "proxy", "client", "worker" or "explorer"
	node     node   // nil for the explorer alone
	client   ClientSource
	worker   WorkerSource
	chain    Chain
	explorer *explorer
	series   *series
	hash     string
	log      *slog.Logger
	now      func() time.Time
	pages    *template.Template
	// reopen is whether the client serves POST /control/open.
	reopen bool

	// mu guards cached and cachedAt, and serialises reads of the network.
	mu       sync.Mutex
	cached   Network
	cachedAt time.Time
}

func newSite(kind string, n node, opts Options) (*Site, error) {
	if opts.Chain != nil && opts.Root == nil {
		return nil, errors.New("building the pages: a chain needs the root contract's address")
	}
	s := &Site{kind: kind, node: n, chain: opts.Chain, hash: opts.AccessHash, log: opts.Logger, now: opts.Clock}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "web")
	if s.now == nil {
		s.now = time.Now
	}
	if n != nil {
		every := opts.SampleEvery
		if every <= 0 {
			every = SampleEvery
		}
		s.series = newSeries(n.counters, s.now, every)
	}
	if opts.Chain != nil {
		s.explorer = &explorer{chain: opts.Chain, root: opts.Root, locator: opts.Locator, fixed: opts.ProxyContracts,
			ledger: &ledger{chain: opts.Chain}, now: s.now}
	}
	t, err := template.New("pages").Funcs(template.FuncMap{
		"ton":   func(n billing.NanoTON) string { return n.String() },
		"nano":  func(n billing.NanoTON) int64 { return int64(n) },
		"short": short,
		"state": stateName,
		"q":     s.query,
		"qr":    qrHTML,
		"link":  tonLink,
		"time":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"unix":  func(t uint32) string { return time.Unix(int64(t), 0).UTC().Format("2006-01-02 15:04:05 UTC") },
		"gas":   func(t TopUp) billing.NanoTON { return t.Value - t.Amount },
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("building the pages: %w", err)
	}
	s.pages = t
	return s, nil
}

// NewProxySite builds the pages of a proxy's HTTP port: the explorer.
func NewProxySite(p ProxySource, opts Options) (*Site, error) {
	return newSite("proxy", proxyNode{p}, opts)
}

// NewClientSite builds the pages of a client's HTTP port: the explorer
// and the wallet page.
func NewClientSite(c ClientSource, opts Options) (*Site, error) {
	s, err := newSite("client", clientNode{c}, opts)
	if err != nil {
		return nil, err
	}
	s.client = c
	return s, nil
}

// NewWorkerSite builds the pages of a worker's HTTP port: the explorer
// and the earnings page.
func NewWorkerSite(w WorkerSource, opts Options) (*Site, error) {
	s, err := newSite("worker", workerNode{w}, opts)
	if err != nil {
		return nil, err
	}
	s.worker = w
	return s, nil
}

// NewExplorer builds the explorer alone, which needs a chain.
func NewExplorer(opts Options) (*Site, error) {
	if opts.Chain == nil {
		return nil, errors.New("building the explorer: it needs a chain")
	}
	return newSite("explorer", nil, opts)
}

// Run samples the node's counters for the charts until ctx ends; the
// explorer alone has nothing to sample and returns at once.
func (s *Site) Run(ctx context.Context) {
	if s.series != nil {
		s.series.run(ctx)
	}
}

// home is the page "/" leads to.
func (s *Site) home() string {
	switch s.kind {
	case "client":
		return "/wallet"
	case "worker":
		return "/earnings"
	}
	return "/explorer"
}

// Handler serves the pages, guarded by the access hash, and passes every
// other request to role (nil: none, as for the explorer alone). The
// static assets (the chart library, the style sheet and the script) are
// not guarded: they are the same for every node and reveal nothing.
func (s *Site) Handler(role http.Handler) http.Handler {
	mux := http.NewServeMux()
	if m, ok := role.(interface {
		Handler(*http.Request) (http.Handler, string)
	}); ok {
		probe, _ := http.NewRequest(http.MethodPost, "/control/open", nil)
		_, pattern := m.Handler(probe)
		s.reopen = pattern != "" && pattern != "/"
	}
	guard := func(h func(http.ResponseWriter, *http.Request) error) http.Handler {
		return obs.RequireAccessHash(s.hash, s.serve(h))
	}
	static, _ := fs.Sub(staticFS, "static") // the embedded tree has it
	mux.Handle("GET /web/static/", http.StripPrefix("/web/static/", http.FileServerFS(static)))
	mux.Handle("GET /{$}", obs.RequireAccessHash(s.hash, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, s.home()+s.query(), http.StatusFound)
	})))
	mux.Handle("GET /explorer", guard(s.explorerPage))
	mux.Handle("GET /explorer.json", guard(s.explorerJSON))
	if s.series != nil {
		mux.Handle("GET /web/series.json", guard(s.seriesJSON))
	}
	if s.client != nil {
		mux.Handle("GET /wallet", guard(s.walletPage))
		mux.Handle("GET /wallet.json", guard(s.walletJSON))
	}
	if s.worker != nil {
		mux.Handle("GET /earnings", guard(s.earningsPage))
		mux.Handle("GET /earnings.json", guard(s.earningsJSON))
	}
	if role != nil {
		mux.Handle("/", role)
	} else {
		mux.Handle("/", http.NotFoundHandler())
	}
	return mux
}

// query is the query string that carries the access hash to the pages'
// links and requests; empty without one.
func (s *Site) query() string {
	if s.hash == "" {
		return ""
	}
	return "?access_hash=" + url.QueryEscape(s.hash)
}

// httpError is an error with the status it answers.
type httpError struct {
	status int
	err    error
}

func (e httpError) Error() string { return e.err.Error() }

// serve turns a page handler's error into a response: its status and a
// short text, logged.
func (s *Site) serve(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		status := http.StatusInternalServerError
		var he httpError
		if errors.As(err, &he) {
			status = he.status
		}
		s.log.Warn("page failed", "path", r.URL.Path, "status", status, "err", err)
		http.Error(w, err.Error(), status)
	})
}

// render writes the page named name with data.
func (s *Site) render(w http.ResponseWriter, name string, data any) error {
	var b bytes.Buffer
	if err := s.pages.ExecuteTemplate(&b, name, data); err != nil {
		return fmt.Errorf("rendering %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
	return nil
}

func writeJSON(w http.ResponseWriter, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding JSON: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(b, '\n'))
	return nil
}

// page is what every page's layout reads.
type page struct {
	Title string
	Kind  string // the node's kind, or "explorer"
	Nav   string // the page shown: explorer, wallet or earnings
	Query string // the access hash's query string
	Hash  string // the access hash, for forms
	// Charts is whether the node's charts are shown; Every is how often
	// they are sampled and Kept how much time the samples cover.
	Charts      bool
	Every, Kept time.Duration
	Data        any
}

func (s *Site) page(title, nav string, data any) page {
	every := s.sampleEvery()
	return page{Title: title, Kind: s.kind, Nav: nav, Query: s.query(), Hash: s.hash, Charts: s.series != nil,
		Every: every, Kept: every * SeriesLen, Data: data}
}

// network returns the network as read at most freshFor ago.
func (s *Site) network(ctx context.Context) (Network, error) {
	if s.explorer == nil {
		return Network{}, errNoChain
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.cachedAt.IsZero() && s.now().Sub(s.cachedAt) < freshFor {
		return s.cached, nil
	}
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	s.cached, s.cachedAt = s.explorer.read(ctx, s.node), s.now()
	return s.cached, nil
}

// explorerView is the explorer page's model.
type explorerView struct {
	Network
	NoChain bool
}

func (s *Site) explorerPage(w http.ResponseWriter, r *http.Request) error {
	net, err := s.network(r.Context())
	v := explorerView{Network: net, NoChain: errors.Is(err, errNoChain)}
	return s.render(w, "explorer.html", s.page("COCOON explorer", "explorer", v))
}

func (s *Site) explorerJSON(w http.ResponseWriter, r *http.Request) error {
	net, err := s.network(r.Context())
	if err != nil {
		return httpError{http.StatusConflict, err}
	}
	return writeJSON(w, net)
}

func (s *Site) seriesJSON(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, chart(s.series.samples()))
}

func (s *Site) walletModel(r *http.Request) (walletPage, error) {
	in := strings.TrimSpace(r.URL.Query().Get("amount"))
	amount, err := parseAmount(in)
	if err != nil {
		return walletPage{}, httpError{http.StatusBadRequest, fmt.Errorf("reading the top-up amount: %w", err)}
	}
	ctx, cancel := context.WithTimeout(r.Context(), readTimeout)
	defer cancel()
	return walletPage{Wallet: s.wallet(ctx, amount), Amount: in}, nil
}

func (s *Site) walletPage(w http.ResponseWriter, r *http.Request) error {
	m, err := s.walletModel(r)
	if err != nil {
		return err
	}
	return s.render(w, "wallet.html", s.page("COCOON wallet", "wallet", m))
}

func (s *Site) walletJSON(w http.ResponseWriter, r *http.Request) error {
	m, err := s.walletModel(r)
	if err != nil {
		return err
	}
	return writeJSON(w, m.Wallet)
}

func (s *Site) earningsPage(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), readTimeout)
	defer cancel()
	return s.render(w, "earnings.html", s.page("COCOON worker earnings", "earnings", s.earnings(ctx)))
}

func (s *Site) earningsJSON(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), readTimeout)
	defer cancel()
	return writeJSON(w, s.earnings(ctx))
}

// short abbreviates an address for a narrow screen; the page keeps the
// whole one in a title.
func short(s string) string {
	if len(s) <= 14 {
		return s
	}
	return s[:6] + "…" + s[len(s)-6:]
}

// stateName names a contract state.
func stateName(st int) string {
	switch st {
	case -1:
		return "—"
	case 0:
		return "normal"
	case 1:
		return "closing"
	case 2:
		return "closed"
	}
	return fmt.Sprint(st)
}
