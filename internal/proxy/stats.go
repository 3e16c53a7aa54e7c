package proxy

import (
	"fmt"
	"sort"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/trust"
)

// Snapshot is what /jsonstats shows, with the reference's key names where
// they exist.
type Snapshot struct {
	Status            StatusSnapshot           `json:"status"`
	Stats             obs.RequestRatesSnapshot `json:"stats"`
	LocalConfig       LocalConfigSnapshot      `json:"localconfig"`
	WorkerConnections []WorkerConnSnapshot     `json:"worker_connections"`
	// ConnectedClients counts the authorised client connections.
	ConnectedClients int `json:"connected_clients"`
	// ClientAuth counts client authorisations since start by path.
	ClientAuth ClientAuthSnapshot `json:"client_auth"`
	Clients    []AccountSnapshot  `json:"clients"`
	Workers    []AccountSnapshot  `json:"workers"`
	Totals     TotalsSnapshot     `json:"totals"`
	// Chain is the proxy's work on chain; absent without a chain.
	Chain *ChainSnapshot `json:"chain,omitempty"`
	// Root is the root contract as the proxy last read it, by whose lists
	// it admits workers; absent without a chain.
	Root *trust.Snapshot `json:"root,omitempty"`
	// Admission counts the workers refused and evicted.
	Admission AdmissionSnapshot `json:"admission"`
}

// ChainSnapshot is the proxy's work on chain: its contract, the last
// ledger seqno the chain shows, the payments it submitted, the earnings
// its contract holds and their withdrawals, the allowed hashes of the
// root contract and the chain calls that failed. Amounts are JSON
// strings of integer nanoTON, as in TotalsSnapshot.
type ChainSnapshot struct {
	ProxyContract    string `json:"proxy_contract"`
	CommittedSeqno   uint32 `json:"committed_seqno"`
	RootVersion      int32  `json:"root_version"`
	ChargesSubmitted int64  `json:"charges_submitted"`
	PayoutsSubmitted int64  `json:"payouts_submitted"`
	RefundsSubmitted int64  `json:"refunds_submitted"`
	// Closing is set once the proxy contract was seen closing: the proxy
	// winds it down; CloseCompletions counts the signed close completions
	// submitted.
	Closing          bool  `json:"closing"`
	CloseCompletions int64 `json:"close_completions_submitted"`
	// Rollovers counts the moves to a new proxy contract after a change
	// of the root's params; CloseRequests the signed close requests sent
	// to the older contracts it winds down.
	Rollovers     int64 `json:"rollovers"`
	CloseRequests int64 `json:"close_requests_submitted"`
	// Earned is the proxy contract's balance field last read: commission
	// not yet paid to the owner.
	Earned int64 `json:"earned_nano,string"`
	// WithdrawalsRequested counts the ext_proxy_payout_requests sent;
	// LastWithdrawal is the earnings the last one asked for, at
	// LastWithdrawalAt; WithdrawalInFlight whether the balance field has
	// yet to show it.
	WithdrawalsRequested int64     `json:"withdrawals_requested"`
	LastWithdrawal       int64     `json:"last_withdrawal_nano,string"`
	LastWithdrawalAt     time.Time `json:"last_withdrawal_at,omitzero"`
	WithdrawalInFlight   bool      `json:"withdrawal_in_flight"`
	AllowedProxyHashes   int       `json:"allowed_proxy_hashes"`
	AllowedWorkerHashes  int       `json:"allowed_worker_hashes"`
	AllowedModelHashes   int       `json:"allowed_model_hashes"`
	Errors               int64     `json:"errors"`
	LastError            string    `json:"last_error,omitempty"`
}

// AccountSnapshot is one ledger account. ValueNano is what its tokens were
// billed, each request at the prices of the contract it was billed under:
// charged to a client, earned by a worker.
type AccountSnapshot struct {
	Address          string `json:"address"`
	Tokens           int64  `json:"tokens"`
	CommittedToDB    int64  `json:"tokens_committed_to_db"`
	CommittedToChain int64  `json:"tokens_committed_to_blockchain"`
	Reserved         int64  `json:"reserved_tokens,omitempty"`
	ValueNano        int64  `json:"value_nano,string"`
}

// TotalsSnapshot sums every settled request since the ledger began,
// across restarts, each at the prices of the contract it was billed
// under: Charged = Earned + Commission to the nanoTON. Amounts are JSON
// strings of integer nanoTON, so that no reader rounds them through a
// float.
type TotalsSnapshot struct {
	Tokens     int64 `json:"tokens"`
	Charged    int64 `json:"client_charged_nano,string"`
	Earned     int64 `json:"worker_earned_nano,string"`
	Commission int64 `json:"commission_nano,string"`
}

func accounts(as []billing.Account) []AccountSnapshot {
	out := make([]AccountSnapshot, 0, len(as))
	for _, a := range as {
		out = append(out, AccountSnapshot{Address: a.Address, Tokens: a.Tokens, CommittedToDB: a.CommittedToDB, CommittedToChain: a.CommittedToChain, Reserved: a.Reserved, ValueNano: int64(a.Value)})
	}
	return out
}

// ClientAuthSnapshot counts client authorisations: Short and Long are the
// successful ones by path, Refused the short ones with a wrong secret,
// LongFailed the long ones the chain did not prove in time.
type ClientAuthSnapshot struct {
	Short      int64 `json:"short"`
	Long       int64 `json:"long"`
	Refused    int64 `json:"refused"`
	LongFailed int64 `json:"long_failed"`
}

// StatusSnapshot is the proxy's state.
type StatusSnapshot struct {
	Enabled bool `json:"enabled"`
}

// LocalConfigSnapshot is the proxy's configuration as it runs.
type LocalConfigSnapshot struct {
	IsTest        bool   `json:"is_test"`
	OwnerAddress  string `json:"owner_address"`
	PoWDifficulty int    `json:"pow_difficulty"`
	WorkerPolicy  string `json:"worker_policy"`
	ClientPolicy  string `json:"client_policy"`
}

// WorkerConnSnapshot is one worker connection.
type WorkerConnSnapshot struct {
	ID     uint64 `json:"id"`
	Remote string `json:"remote"`
	// Account is the worker's ledger account: its worker contract's
	// address with contracts, as Workers lists it.
	Account        string  `json:"account"`
	Model          string  `json:"model"`
	Coefficient    int32   `json:"coefficient"`
	Enabled        bool    `json:"enabled"`
	RunningQueries int     `json:"running_queries"`
	MaxQueries     int     `json:"max_queries"`
	AvgTimeSeconds float64 `json:"avg_time"`
	SuccessRate    float64 `json:"queries_success_rate"`
	CocoonGoPeer   bool    `json:"cocoon_go_peer"`
	// FullModel is the model name the worker offered; ImageHash its
	// attested image hash (empty without a chain).
	FullModel string `json:"full_model"`
	ImageHash string `json:"image_hash,omitempty"`
	// Endpoints are those the worker serves, and AudioTokensPerSecond the
	// rate its audio is billed at.
	Endpoints            []string `json:"endpoints"`
	AudioTokensPerSecond int64    `json:"audio_tokens_per_second"`
}

// Snapshot reads the proxy's stats.
func (p *Proxy) Snapshot() Snapshot {
	now := p.now()
	s := Snapshot{
		Status:            StatusSnapshot{Enabled: !p.disabled.Load()},
		Stats:             p.stats.Snapshot(now),
		LocalConfig:       LocalConfigSnapshot{IsTest: p.cfg.IsTest, OwnerAddress: p.cfg.OwnerAddress, PoWDifficulty: p.cfg.PoWDifficulty, WorkerPolicy: p.cfg.WorkerPolicy, ClientPolicy: p.cfg.ClientPolicy},
		WorkerConnections: []WorkerConnSnapshot{},
		Clients:           accounts(p.ledger.Clients()),
		Workers:           accounts(p.ledger.Workers()),
		ClientAuth:        ClientAuthSnapshot{Short: p.auths.short.Load(), Long: p.auths.long.Load(), Refused: p.auths.refused.Load(), LongFailed: p.auths.longFailed.Load()},
	}
	if p.chain != nil {
		s.Chain = p.chainSnapshot()
	}
	if p.trust != nil {
		r := p.trust.Snapshot()
		s.Root = &r
	}
	s.Admission = p.admissionSnapshot()
	t := p.ledger.Totals()
	s.Totals = TotalsSnapshot{Tokens: t.Tokens, Charged: int64(t.Charged), Earned: int64(t.Earned), Commission: int64(t.Commission)}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ws := range p.models {
		for _, wc := range ws {
			rate := 1.0
			if n := wc.successes + wc.failures; n > 0 {
				rate = float64(wc.successes) / float64(n)
			}
			s.WorkerConnections = append(s.WorkerConnections, WorkerConnSnapshot{
				ID: wc.id, Remote: wc.remote, Account: wc.account, Model: wc.model, Coefficient: wc.coefficient, Enabled: wc.enabled,
				RunningQueries: wc.running, MaxQueries: wc.capacity, AvgTimeSeconds: wc.latency.Seconds(),
				SuccessRate: rate, CocoonGoPeer: wc.ext, FullModel: wc.fullModel, Endpoints: wc.endpoints, AudioTokensPerSecond: wc.audioRate,
			})
			if wc.image != [32]byte{} {
				s.WorkerConnections[len(s.WorkerConnections)-1].ImageHash = fmt.Sprintf("%x", wc.image)
			}
		}
	}
	sort.Slice(s.WorkerConnections, func(i, j int) bool { return s.WorkerConnections[i].ID < s.WorkerConnections[j].ID })
	s.ConnectedClients = len(p.clients)
	return s
}

// chainSnapshot reads the chain loop's state.
func (p *Proxy) chainSnapshot() *ChainSnapshot {
	c := &p.onChain
	s := &ChainSnapshot{
		CommittedSeqno: c.committed.Load(), RootVersion: p.rootVersion.Load(),
		ChargesSubmitted: c.charges.Load(), PayoutsSubmitted: c.payouts.Load(), RefundsSubmitted: c.refunds.Load(),
		Closing: c.closing.Load(), CloseCompletions: c.closes.Load(), CloseRequests: c.closeRequests.Load(), Errors: c.errors.Load(),
	}
	if l, ok := p.currentLists(); ok {
		s.AllowedProxyHashes, s.AllowedWorkerHashes, s.AllowedModelHashes = len(l.ProxyHashes), len(l.WorkerHashes), len(l.ModelHashes)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s.ProxyContract, s.LastError, s.Rollovers = c.contract, c.lastErr, c.rollovers
	s.Earned, s.WithdrawalsRequested = int64(c.earned), c.withdrawals
	s.LastWithdrawal, s.LastWithdrawalAt, s.WithdrawalInFlight = int64(c.lastWithdrawal), c.lastWithdrawalAt, c.withdrawing > 0
	return s
}
