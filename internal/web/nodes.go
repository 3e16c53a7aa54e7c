package web

import (
	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// ProxySource is the proxy whose HTTP port serves the pages.
type ProxySource interface{ Snapshot() proxy.Snapshot }

// ClientSource is the client whose HTTP port serves the pages.
type ClientSource interface{ Snapshot() client.Snapshot }

// WorkerSource is the worker whose HTTP port serves the pages.
type WorkerSource interface{ Snapshot() worker.Snapshot }

// counters are a node's running totals, as the charts sample them.
type counters struct {
	requests      float64 // requests finished
	tokens        int64   // tokens settled (proxy), paid for (client) or earned (worker)
	answers       float64 // answers whose first byte went out
	answerSeconds float64 // the seconds those took to their first byte
}

// liveWorker is what a proxy knows of a connected worker beyond the chain.
type liveWorker struct {
	Model       string
	Coefficient int32
	Running     int
	Max         int
	SuccessRate float64
	AvgSeconds  float64
	// Served is the tokens the proxy's ledger holds for the worker.
	Served int64
}

// node is a role as the pages see it.
type node interface {
	counters() counters
	// proxies are the proxy contracts the node knows, children the
	// client and worker contracts.
	proxies() []*address.Address
	children() []*address.Address
	// live returns what the node knows of the workers at proxy contract
	// proxyRaw, keyed by worker contract (raw form); nil when nothing.
	live(proxyRaw string) map[string]liveWorker
}

// parseAddr reads a TON address in user-friendly or raw form; nil when it
// is neither (a node without contracts names accounts otherwise).
func parseAddr(s string) *address.Address {
	if a, err := address.ParseAddr(s); err == nil {
		return a
	}
	if a, err := address.ParseRawAddr(s); err == nil {
		return a
	}
	return nil
}

// addrsOf parses the address that field names in each of items, leaving
// out those that do not parse.
func addrsOf[T any](items []T, field func(T) string) []*address.Address {
	var out []*address.Address
	for _, it := range items {
		if a := parseAddr(field(it)); a != nil {
			out = append(out, a)
		}
	}
	return out
}

// countersOf are the counters of a role's request rates and its tokens.
func countersOf(st obs.RequestRatesSnapshot, tokens int64) counters {
	return counters{requests: st.Queries.Total, tokens: tokens,
		answers: st.FirstAnswers.Total, answerSeconds: st.FirstAnswerTime.Total}
}

type proxyNode struct{ src ProxySource }

func (n proxyNode) counters() counters {
	s := n.src.Snapshot()
	return countersOf(s.Stats, s.Totals.Tokens)
}

func (n proxyNode) proxies() []*address.Address {
	s := n.src.Snapshot()
	if s.Chain == nil {
		return nil
	}
	if a := parseAddr(s.Chain.ProxyContract); a != nil {
		return []*address.Address{a}
	}
	return nil
}

func (n proxyNode) children() []*address.Address {
	s := n.src.Snapshot()
	addr := func(a proxy.AccountSnapshot) string { return a.Address }
	return append(addrsOf(s.Clients, addr), addrsOf(s.Workers, addr)...)
}

func (n proxyNode) live(proxyRaw string) map[string]liveWorker {
	s := n.src.Snapshot()
	if s.Chain == nil {
		return nil
	}
	if a := parseAddr(s.Chain.ProxyContract); a == nil || a.StringRaw() != proxyRaw {
		return nil
	}
	served := map[string]int64{}
	for _, w := range s.Workers {
		if a := parseAddr(w.Address); a != nil {
			served[a.StringRaw()] = w.Tokens
		}
	}
	out := map[string]liveWorker{}
	for _, wc := range s.WorkerConnections {
		a := parseAddr(wc.Account)
		if a == nil {
			continue
		}
		out[a.StringRaw()] = liveWorker{Model: wc.Model, Coefficient: wc.Coefficient, Running: wc.RunningQueries,
			Max: wc.MaxQueries, SuccessRate: wc.SuccessRate, AvgSeconds: wc.AvgTimeSeconds, Served: served[a.StringRaw()]}
	}
	return out
}

type clientNode struct{ src ClientSource }

func (n clientNode) counters() counters {
	s := n.src.Snapshot()
	return countersOf(s.Stats, s.Paid.Tokens)
}

func (n clientNode) proxies() []*address.Address {
	return addrsOf(n.src.Snapshot().Accounts, func(a client.AccountSnapshot) string { return a.ProxySCAddress })
}

func (n clientNode) children() []*address.Address {
	s := n.src.Snapshot()
	return append(addrsOf(s.Contracts, func(c client.ContractSnapshot) string { return c.Address }),
		addrsOf(s.Accounts, func(a client.AccountSnapshot) string { return a.ClientSCAddress })...)
}

func (clientNode) live(string) map[string]liveWorker { return nil }

type workerNode struct{ src WorkerSource }

func (n workerNode) counters() counters {
	s := n.src.Snapshot()
	return countersOf(s.Stats, s.Earned.Tokens)
}

func (n workerNode) proxies() []*address.Address {
	return addrsOf(n.src.Snapshot().Accounts, func(a worker.AccountSnapshot) string { return a.ProxySCAddress })
}

func (n workerNode) children() []*address.Address {
	return addrsOf(n.src.Snapshot().Accounts, func(a worker.AccountSnapshot) string { return a.WorkerSCAddress })
}

// live reports the worker itself at the proxy contract proxyRaw: its
// model, coefficient and load, the tokens it counts there.
func (n workerNode) live(proxyRaw string) map[string]liveWorker {
	s := n.src.Snapshot()
	out := map[string]liveWorker{}
	for _, a := range s.Accounts {
		p, w := parseAddr(a.ProxySCAddress), parseAddr(a.WorkerSCAddress)
		if p == nil || w == nil || p.StringRaw() != proxyRaw {
			continue
		}
		out[w.StringRaw()] = liveWorker{Model: s.LocalConf.Model, Coefficient: s.LocalConf.Coefficient,
			Running: int(s.LocalConf.ActiveRequests), Max: s.LocalConf.MaxActive, SuccessRate: -1, AvgSeconds: -1, Served: a.Tokens}
	}
	return out
}
