package worker

import (
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/trust"
)

// Snapshot is what /jsonstats shows, with the reference's key names where
// they exist.
type Snapshot struct {
	Status    StatusSnapshot           `json:"status"`
	Stats     obs.RequestRatesSnapshot `json:"stats"`
	LocalConf LocalConfSnapshot        `json:"localconf"`
	Proxies   []ProxyConnSnapshot      `json:"proxy_connections"`
	// Accounts are the worker's accounts at the proxies, from their
	// verified payment reports; Earned sums them.
	Accounts []AccountSnapshot `json:"accounts"`
	Earned   EarnedSnapshot    `json:"earned"`
	// Payouts sums the payouts to the worker contracts, with a chain only.
	Payouts *PayoutsSnapshot `json:"payouts,omitempty"`
	// Admission is the root's judgement of this worker; Root the root as
	// last read (absent without one).
	Admission AdmissionSnapshot `json:"admission"`
	Root      *trust.Snapshot   `json:"root,omitempty"`
}

// StatusSnapshot is the worker's state.
type StatusSnapshot struct {
	Enabled       bool `json:"enabled"`
	EngineHealthy bool `json:"engine_healthy"`
	UplinkCount   int  `json:"uplink_connected"`
}

// LocalConfSnapshot is the worker's configuration as it runs.
type LocalConfSnapshot struct {
	Model          string `json:"model"`
	Coefficient    int32  `json:"coefficient"`
	MaxActive      int    `json:"max_active_requests"`
	ActiveRequests int64  `json:"active_requests"`
}

// ProxyConnSnapshot is one proxy connection.
type ProxyConnSnapshot struct {
	Address      string `json:"address"`
	CocoonGoPeer bool   `json:"cocoon_go_peer"`
	Running      int    `json:"running_requests"`
	Tokens       int64  `json:"tokens"`
	DBTokens     int64  `json:"db_tokens"`
}

// Snapshot reads the worker's stats.
func (w *Worker) Snapshot() Snapshot {
	now := w.now()
	conns := w.readyConns()
	w.mu.Lock()
	s := Snapshot{
		Status:    StatusSnapshot{Enabled: !w.forceOff, EngineHealthy: w.healthy, UplinkCount: len(w.conns)},
		LocalConf: LocalConfSnapshot{Model: w.cfg.ModelName, Coefficient: w.coefficient, MaxActive: w.cfg.MaxActiveRequests, ActiveRequests: w.active.Load()},
	}
	w.mu.Unlock()
	s.Stats = w.stats.Snapshot(now)
	for _, c := range conns {
		c.mu.Lock()
		running := len(c.reqs)
		c.mu.Unlock()
		b := c.account.mine()
		s.Proxies = append(s.Proxies, ProxyConnSnapshot{Address: c.addr, CocoonGoPeer: c.ext, Running: running, Tokens: b.Tokens, DBTokens: b.CommittedToDB})
	}
	s.Accounts, s.Earned = w.accountsSnapshot()
	s.Admission = w.admissionSnapshot()
	if w.trust != nil {
		r := w.trust.Snapshot()
		s.Root = &r
	}
	if w.chain != nil {
		p := &PayoutsSnapshot{Every: w.payoutEvery.String(), MinPayoutNano: int64(w.minPayout)}
		for _, a := range s.Accounts {
			if c := a.Chain; c != nil {
				p.PaidOutNano += c.PaidOutNano
				p.Payouts += c.Payouts
				p.Errors += c.Errors
			}
		}
		s.Payouts = p
	}
	return s
}
