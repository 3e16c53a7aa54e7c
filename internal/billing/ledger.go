package billing

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
)

var (
	// ErrNotFound reports an account the ledger does not hold.
	ErrNotFound = errors.New("account not found")
	// ErrInsufficientBalance reports a client whose available tokens do not
	// cover a reservation.
	ErrInsufficientBalance = errors.New("client balance is too low")
	// ErrClientNotRunning reports a client contract that is closing or closed.
	ErrClientNotRunning = errors.New("client contract is not running")
	// ErrSettled reports a hold settled twice.
	ErrSettled = errors.New("request already settled")
)

// Kind tells client accounts from worker accounts.
type Kind uint8

// The kinds of account.
const (
	KindClient Kind = 1
	KindWorker Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindClient:
		return "client"
	case KindWorker:
		return "worker"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Client contract states, as stored on chain.
const (
	ClientRunning = 0
	ClientClosing = 1
	ClientClosed  = 2
)

// ClientChain is a client contract's state as last read from the chain.
type ClientChain struct {
	State      int     // ClientRunning, ClientClosing or ClientClosed
	Balance    NanoTON // prepaid credit not yet charged
	Stake      NanoTON // the part of the credit that secures uncharged usage
	TokensUsed int64   // tokens charged on chain so far
}

// Record is the durable form of one account: what a flush writes and a
// restart loads.
type Record struct {
	Kind             Kind
	Address          string // the client or worker contract address; the key
	Owner            string // the contract owner's address
	Tokens           int64  // all usage as of Seqno
	CommittedToChain int64  // usage as of the last seqno confirmed on chain
	Seqno            uint32 // the flush that wrote Tokens
	Chain            ClientChain
	// Value is what Tokens were billed, each request at the prices it
	// was settled at: charged to a client, earned by a worker.
	Value NanoTON
	// ValueUnknown marks a record stored before values were kept: its
	// Value is zero, and the proxy values its tokens before Restore,
	// which refuses it otherwise.
	ValueUnknown bool
}

// Flush is one batch of changed records for the store, all written at
// Seqno. ChainSeqno is the last seqno confirmed on chain.
type Flush struct {
	Seqno      uint32
	ChainSeqno uint32
	Records    []Record
}

// Account is a read-only view of one ledger account.
type Account struct {
	Kind             Kind
	Address          string
	Owner            string
	Tokens           int64 // all settled usage (the reference's tokens_max)
	CommittedToDB    int64 // usage as of the last flush
	CommittedToChain int64 // usage as of the last flush confirmed on chain
	Reserved         int64 // clients: tokens held by running requests
	Chain            ClientChain
	// Value is what Tokens were billed, each request at the prices it
	// was settled at (those of the contract the account is under):
	// charged to a client, earned by a worker.
	Value NanoTON
}

// Balance is the account's figures in the form CompareBalance takes.
func (a Account) Balance() Balance {
	return Balance{CommittedToChain: a.CommittedToChain, CommittedToDB: a.CommittedToDB, Tokens: a.Tokens}
}

// Outcome is how a request ended. Every outcome pays for the tokens the
// request actually produced; the reference billed errors and cancellations
// at zero.
type Outcome uint8

// The outcomes of a request.
const (
	Succeeded Outcome = iota
	Failed
	Cancelled
	numOutcomes
)

// Totals are the sums over every settled request since the ledger began,
// those of the accounts it was restored with included, each request
// valued at the prices it was settled at. Charged = Earned + Commission
// holds exactly. Requests counts the requests settled since this run's
// ledger was made, by Outcome.
type Totals struct {
	Tokens     int64
	Charged    NanoTON
	Earned     NanoTON
	Commission NanoTON
	Requests   [numOutcomes]int64
}

// Settlement is what one request was billed.
type Settlement struct {
	Tokens     int64 // adjusted tokens billed
	Capped     bool  // usage exceeded the reservation and was cut to it
	Charged    NanoTON
	Earned     NanoTON
	Commission NanoTON
}

// Hold is a reservation held against a client's balance for one running
// request, from Ledger.Hold until Ledger.Settle. Its Reservation is checked
// by the request's owner while streaming; the hold must not be charged
// concurrently with Settle.
type Hold struct {
	Reservation
	client  string
	settled bool
}

// Client is the address of the client the hold belongs to.
func (h *Hold) Client() string { return h.client }

type pendingCommit struct {
	seqno  uint32
	tokens int64
}

type account struct {
	Account
	dirty   bool            // Tokens or metadata changed since the last flush
	pending []pendingCommit // flushed, not yet confirmed on chain; seqno ascending
}

// Ledger is the proxy's account book: per client and per worker, all
// usage, usage committed to the database and usage committed to the chain,
// plus the reservations of running requests. It is safe for concurrent use.
type Ledger struct {
	mu         sync.Mutex // guards every field below
	prices     Prices
	seqno      uint32 // the last flush applied
	chainSeqno uint32 // the last flush confirmed on chain
	clients    map[string]*account
	workers    map[string]*account
	// totals include the restored accounts'; restored holds the client
	// and worker token sums that Restore loaded, which Check leaves out.
	totals   Totals
	restored [2]int64
}

// NewLedger returns an empty ledger billing at prices p.
func NewLedger(p Prices) (*Ledger, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Ledger{prices: p, clients: map[string]*account{}, workers: map[string]*account{}}, nil
}

// Restore loads the state a store returned into an empty ledger, wholly or
// not at all. Records written at or before chainSeqno count as committed
// to the chain. The totals start from the records' tokens and values:
// the clients' values are what was charged, the workers' what was
// earned, and their difference the commission.
func (l *Ledger) Restore(seqno, chainSeqno uint32, recs []Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.clients)+len(l.workers) != 0 || l.seqno != 0 {
		return errors.New("restoring ledger: ledger is not empty")
	}
	if chainSeqno > seqno {
		return fmt.Errorf("restoring ledger: chain seqno %d is after the last flush %d", chainSeqno, seqno)
	}
	books := map[Kind]map[string]*account{KindClient: {}, KindWorker: {}}
	var sums [2]int64 // clients, workers
	var values [2]NanoTON
	for _, r := range recs {
		if err := checkRecord(r, seqno); err != nil {
			return fmt.Errorf("restoring ledger: %w", err)
		}
		a := &account{Account: Account{
			Kind: r.Kind, Address: r.Address, Owner: r.Owner,
			Tokens: r.Tokens, CommittedToDB: r.Tokens, CommittedToChain: r.CommittedToChain,
			Chain: r.Chain, Value: r.Value,
		}}
		if r.Seqno <= chainSeqno {
			a.CommittedToChain = r.Tokens
		} else if r.Tokens > r.CommittedToChain {
			a.pending = []pendingCommit{{r.Seqno, r.Tokens}}
		}
		if _, dup := books[r.Kind][r.Address]; dup {
			return fmt.Errorf("restoring ledger: %s %s appears twice", r.Kind, r.Address)
		}
		books[r.Kind][r.Address] = a
		i := 0
		if r.Kind == KindWorker {
			i = 1
		}
		var err error
		if sums[i], err = addInt64(sums[i], r.Tokens); err != nil {
			return fmt.Errorf("restoring ledger: %w", err)
		}
		if values[i], err = values[i].Add(r.Value); err != nil {
			return fmt.Errorf("restoring ledger: %w", err)
		}
	}
	if sums[0] != sums[1] {
		return fmt.Errorf("restoring ledger: clients used %d tokens and workers served %d", sums[0], sums[1])
	}
	commission, err := values[0].Sub(values[1])
	if err != nil || commission < 0 {
		return fmt.Errorf("restoring ledger: clients were charged %s and workers earned %s", values[0], values[1])
	}
	l.clients, l.workers, l.restored = books[KindClient], books[KindWorker], sums
	l.totals = Totals{Tokens: sums[0], Charged: values[0], Earned: values[1], Commission: commission}
	l.seqno, l.chainSeqno = seqno, chainSeqno
	return nil
}

func checkRecord(r Record, seqno uint32) error {
	switch {
	case r.Kind != KindClient && r.Kind != KindWorker:
		return fmt.Errorf("record %q has unknown kind %d", r.Address, r.Kind)
	case r.Address == "":
		return errors.New("record has no address")
	case r.CommittedToChain < 0 || r.Tokens < r.CommittedToChain:
		return fmt.Errorf("%s %s: tokens %d below committed-to-chain %d", r.Kind, r.Address, r.Tokens, r.CommittedToChain)
	case r.Seqno > seqno:
		return fmt.Errorf("%s %s: written at seqno %d after the last flush %d", r.Kind, r.Address, r.Seqno, seqno)
	case r.ValueUnknown:
		return fmt.Errorf("%s %s: the value of its tokens is unknown", r.Kind, r.Address)
	case r.Value < 0:
		return fmt.Errorf("%s %s: negative value %s", r.Kind, r.Address, r.Value)
	}
	return nil
}

func (l *Ledger) book(k Kind) map[string]*account {
	if k == KindClient {
		return l.clients
	}
	return l.workers
}

// Prices returns the prices the ledger bills at.
func (l *Ledger) Prices() Prices {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.prices
}

// SetPrices changes the prices for requests settled from now on.
func (l *Ledger) SetPrices(p Prices) error {
	if err := p.Validate(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prices = p
	return nil
}

// UpdateClient records a client's owner and on-chain state, opening the
// account if it is new.
func (l *Ledger) UpdateClient(address, owner string, chain ClientChain) error {
	if address == "" {
		return errors.New("updating client: empty address")
	}
	if chain.Balance < 0 || chain.Stake < 0 || chain.TokensUsed < 0 {
		return fmt.Errorf("updating client %s: negative on-chain figures", address)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.open(KindClient, address, owner)
	if a.Chain != chain {
		a.Chain = chain
		a.dirty = true
	}
	return nil
}

// AddWorker opens a worker's account if it is new and records its owner.
// Like UpdateClient, it marks the account for the next flush only when
// something changed.
func (l *Ledger) AddWorker(address, owner string) error {
	if address == "" {
		return errors.New("adding worker: empty address")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open(KindWorker, address, owner)
	return nil
}

func (l *Ledger) open(k Kind, address, owner string) *account {
	m := l.book(k)
	a := m[address]
	if a == nil {
		a = &account{Account: Account{Kind: k, Address: address, Owner: owner}, dirty: true}
		m[address] = a
	}
	if a.Owner != owner {
		a.Owner = owner
		a.dirty = true
	}
	return a
}

// Client returns a client's account.
func (l *Ledger) Client(address string) (Account, error) { return l.get(KindClient, address) }

// Worker returns a worker's account.
func (l *Ledger) Worker(address string) (Account, error) { return l.get(KindWorker, address) }

func (l *Ledger) get(k Kind, address string) (Account, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.book(k)[address]
	if a == nil {
		return Account{}, fmt.Errorf("looking up %s %s: %w", k, address, ErrNotFound)
	}
	return a.Account, nil
}

// Clients returns every client account, ordered by address.
func (l *Ledger) Clients() []Account { return l.list(KindClient) }

// Workers returns every worker account, ordered by address.
func (l *Ledger) Workers() []Account { return l.list(KindWorker) }

func (l *Ledger) list(k Kind) []Account {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.book(k)
	out := make([]Account, 0, len(m))
	for _, addr := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[addr].Account)
	}
	return out
}

// Available returns the adjusted tokens a client may still reserve:
//
//	min(balance/price + charged, stake/price + charged) − reserved − tokens
//
// where charged is the usage already charged on chain. Usage not yet
// charged on chain is thereby bounded by the stake. At a price of zero
// every request is free and the figure is unbounded.
func (l *Ledger) Available(client string) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.clients[client]
	if a == nil {
		return 0, fmt.Errorf("computing available tokens of client %s: %w", client, ErrNotFound)
	}
	return l.available(a), nil
}

func (l *Ledger) available(a *account) int64 {
	price := int64(l.prices.PricePerToken)
	if price == 0 {
		return math.MaxInt64
	}
	payed := satAdd(int64(a.Chain.Balance)/price, a.Chain.TokensUsed)
	staked := satAdd(int64(a.Chain.Stake)/price, a.Chain.TokensUsed)
	return min(payed, staked) - a.Reserved - a.Tokens
}

func satAdd(a, b int64) int64 {
	s, err := addInt64(a, b)
	if err != nil {
		if b > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return s
}

// Hold reserves r's limit against a client's available tokens for one
// request. It fails with ErrClientNotRunning for a closing or closed
// client and with ErrInsufficientBalance when the tokens are not there.
func (l *Ledger) Hold(client string, r Reservation) (*Hold, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.clients[client]
	if a == nil {
		return nil, fmt.Errorf("reserving tokens for client %s: %w", client, ErrNotFound)
	}
	if a.Chain.State != ClientRunning {
		return nil, fmt.Errorf("reserving tokens for client %s: %w", client, ErrClientNotRunning)
	}
	if avail := l.available(a); r.limit > avail {
		return nil, fmt.Errorf("reserving %d tokens for client %s with %d available: %w", r.limit, client, avail, ErrInsufficientBalance)
	}
	reserved, err := addInt64(a.Reserved, r.limit)
	if err != nil {
		return nil, fmt.Errorf("reserving tokens for client %s: %w", client, err)
	}
	a.Reserved = reserved
	return &Hold{Reservation: r, client: client}, nil
}

// Settle ends a held request: it releases the reservation and bills the
// adjusted tokens the request actually produced, capped at the
// reservation, debiting the client and crediting the worker by the same
// count whatever the outcome, valued at the ledger's prices. On error
// nothing changes and the hold stays open, to be settled again or
// released.
func (l *Ledger) Settle(h *Hold, worker string, tokens int64, o Outcome) (Settlement, error) {
	return l.SettleAt(h, worker, tokens, o, l.Prices())
}

// SettleAt is Settle with the tokens valued at p instead of the ledger's
// prices: those of the contract the client's account belongs to, which
// may be older than the ledger's when the request ran across a change.
func (l *Ledger) SettleAt(h *Hold, worker string, tokens int64, o Outcome, p Prices) (Settlement, error) {
	if err := p.Validate(); err != nil {
		return Settlement{}, fmt.Errorf("settling request: %w", err)
	}
	if tokens < 0 {
		return Settlement{}, fmt.Errorf("settling request: %w: negative tokens %d", ErrInvalidUsage, tokens)
	}
	if o >= numOutcomes {
		return Settlement{}, fmt.Errorf("settling request: unknown outcome %d", o)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if h.settled {
		return Settlement{}, fmt.Errorf("settling request of client %s: %w", h.client, ErrSettled)
	}
	c := l.clients[h.client]
	if c == nil {
		return Settlement{}, fmt.Errorf("settling request of client %s: %w", h.client, ErrNotFound)
	}
	w := l.workers[worker]
	if w == nil {
		return Settlement{}, fmt.Errorf("settling request on worker %s: %w", worker, ErrNotFound)
	}
	s := Settlement{Tokens: min(tokens, h.limit), Capped: tokens > h.limit}
	var err error
	if s.Charged, err = p.Cost(s.Tokens); err != nil {
		return Settlement{}, fmt.Errorf("settling request: %w", err)
	}
	if s.Earned, err = p.Earning(s.Tokens); err != nil {
		return Settlement{}, fmt.Errorf("settling request: %w", err)
	}
	if s.Commission, err = s.Charged.Sub(s.Earned); err != nil {
		return Settlement{}, fmt.Errorf("settling request: %w", err)
	}
	next := l.totals
	var errs [8]error
	var ct, wt int64
	var cv, wv NanoTON
	next.Tokens, errs[0] = addInt64(next.Tokens, s.Tokens)
	next.Charged, errs[1] = next.Charged.Add(s.Charged)
	next.Earned, errs[2] = next.Earned.Add(s.Earned)
	next.Commission, errs[3] = next.Commission.Add(s.Commission)
	ct, errs[4] = addInt64(c.Tokens, s.Tokens)
	wt, errs[5] = addInt64(w.Tokens, s.Tokens)
	cv, errs[6] = c.Value.Add(s.Charged)
	wv, errs[7] = w.Value.Add(s.Earned)
	if err := errors.Join(errs[:]...); err != nil {
		return Settlement{}, fmt.Errorf("settling request: %w", err)
	}
	next.Requests[o]++
	h.settled = true
	c.Reserved -= h.limit
	c.Tokens, w.Tokens = ct, wt
	c.Value, w.Value = cv, wv
	if s.Tokens != 0 {
		c.dirty, w.dirty = true, true
	}
	l.totals = next
	return s, nil
}

// Release ends a held request that never reached a worker, billing nothing.
func (l *Ledger) Release(h *Hold) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h.settled {
		return fmt.Errorf("releasing request of client %s: %w", h.client, ErrSettled)
	}
	c := l.clients[h.client]
	if c == nil {
		return fmt.Errorf("releasing request of client %s: %w", h.client, ErrNotFound)
	}
	h.settled = true
	c.Reserved -= h.limit
	return nil
}

// Totals returns the sums over every settled request since the ledger
// began, the restored accounts' included.
func (l *Ledger) Totals() Totals {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.totals
}

// Seqno returns the last flush applied and the last confirmed on chain.
func (l *Ledger) Seqno() (flushed, chain uint32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seqno, l.chainSeqno
}

// PrepareFlush returns the records changed since the last flush, to be
// written at the next seqno. The ledger is unchanged until Flushed reports
// the write done; if the write fails, the next PrepareFlush covers the
// same changes again. ok is false when nothing changed.
func (l *Ledger) PrepareFlush() (f Flush, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f = Flush{Seqno: l.seqno + 1, ChainSeqno: l.chainSeqno}
	for _, m := range []map[string]*account{l.clients, l.workers} {
		for _, addr := range slices.Sorted(maps.Keys(m)) {
			a := m[addr]
			if !a.dirty {
				continue
			}
			f.Records = append(f.Records, Record{
				Kind: a.Kind, Address: a.Address, Owner: a.Owner,
				Tokens: a.Tokens, CommittedToChain: a.CommittedToChain,
				Seqno: f.Seqno, Chain: a.Chain, Value: a.Value,
			})
		}
	}
	return f, len(f.Records) > 0
}

// Flushed applies a flush that the store has written: its records'
// tokens become committed to the database at its seqno.
func (l *Ledger) Flushed(f Flush) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f.Seqno != l.seqno+1 {
		return fmt.Errorf("applying flush %d: want seqno %d", f.Seqno, l.seqno+1)
	}
	for _, r := range f.Records {
		a := l.book(r.Kind)[r.Address]
		if a == nil {
			return fmt.Errorf("applying flush %d: %s %s: %w", f.Seqno, r.Kind, r.Address, ErrNotFound)
		}
		if r.Tokens < a.CommittedToDB || r.Tokens > a.Tokens || r.Value > a.Value {
			return fmt.Errorf("applying flush %d: %s %s: tokens %d (value %s) outside [%d, %d] (value up to %s)", f.Seqno, r.Kind, r.Address, r.Tokens, r.Value, a.CommittedToDB, a.Tokens, a.Value)
		}
	}
	for _, r := range f.Records {
		a := l.book(r.Kind)[r.Address]
		a.CommittedToDB = r.Tokens
		a.dirty = a.Tokens != r.Tokens || a.Value != r.Value || a.Owner != r.Owner || a.Chain != r.Chain
		if r.Tokens > a.CommittedToChain {
			a.pending = append(a.pending, pendingCommit{f.Seqno, r.Tokens})
		}
	}
	l.seqno = f.Seqno
	return nil
}

// CommittedToChain records that the flush at seqno is confirmed on chain:
// every account's usage as of that flush becomes committed to the chain.
// Until then each account remembers its figure at every flush that
// changed it, so the memory held grows with the flushes between chain
// confirmations (about 30 at the reference's pace).
func (l *Ledger) CommittedToChain(seqno uint32) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if seqno > l.seqno {
		return fmt.Errorf("committing seqno %d to chain: only %d flushed", seqno, l.seqno)
	}
	if seqno <= l.chainSeqno {
		return nil
	}
	for _, m := range []map[string]*account{l.clients, l.workers} {
		for _, a := range m {
			n := 0
			for n < len(a.pending) && a.pending[n].seqno <= seqno {
				a.CommittedToChain = a.pending[n].tokens
				n++
			}
			a.pending = a.pending[n:]
		}
	}
	l.chainSeqno = seqno
	return nil
}

// Check verifies the ledger's invariants: for every account
// 0 ≤ committed-to-chain ≤ committed-to-database ≤ tokens and no negative
// reservation; the tokens clients and workers gained since Restore both
// equal the tokens billed since; the clients' values sum to what was
// charged and the workers' to what was earned; and charged = earned +
// commission.
func (l *Ledger) Check() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var clientTokens, workerTokens int64
	var clientValue, workerValue NanoTON
	for _, m := range []map[string]*account{l.clients, l.workers} {
		for _, a := range m {
			if a.CommittedToChain < 0 || a.CommittedToDB < a.CommittedToChain || a.Tokens < a.CommittedToDB {
				return fmt.Errorf("%s %s: figures out of order: chain %d, database %d, tokens %d", a.Kind, a.Address, a.CommittedToChain, a.CommittedToDB, a.Tokens)
			}
			if a.Reserved < 0 {
				return fmt.Errorf("%s %s: negative reservation %d", a.Kind, a.Address, a.Reserved)
			}
			if a.Kind == KindClient {
				clientTokens += a.Tokens
				clientValue += a.Value
			} else {
				workerTokens += a.Tokens
				workerValue += a.Value
			}
		}
	}
	t := l.totals
	billed := t.Tokens - l.restored[0]
	if clientTokens-l.restored[0] != billed || workerTokens-l.restored[1] != billed {
		return fmt.Errorf("billed %d tokens, but clients gained %d and workers %d", billed, clientTokens-l.restored[0], workerTokens-l.restored[1])
	}
	if clientValue != t.Charged || workerValue != t.Earned {
		return fmt.Errorf("charged %s and earned %s, but the clients' values sum to %s and the workers' to %s", t.Charged, t.Earned, clientValue, workerValue)
	}
	if sum, err := t.Earned.Add(t.Commission); err != nil || sum != t.Charged {
		return fmt.Errorf("charged %s differs from earned %s plus commission %s", t.Charged, t.Earned, t.Commission)
	}
	return nil
}
