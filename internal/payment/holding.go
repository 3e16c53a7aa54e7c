package payment

import (
	"cmp"
	"crypto/ed25519"
	"fmt"
	"maps"
	"slices"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/tl"
)

// Holding is a holder's account at one proxy contract, as the client
// (at its client contract) and the worker (at its worker contract) both
// keep it across reconnections and, with a state file, restarts: the
// proxy's key and contracts as first seen, the highest verified signed
// payment and the proxy's figures. Their accounts embed it. Key,
// ProxyOwner, ProxySC and Own are set when the account is made, then
// read-only; Endpoint is guarded by the holder's lock over its accounts,
// the other fields by the embedding account's own mutex.
type Holding struct {
	Key        ed25519.PublicKey
	ProxyOwner *address.Address
	ProxySC    *address.Address
	// Own is the holder's contract under the proxy's.
	Own *address.Address

	// Endpoint is the proxy's endpoint last connected.
	Endpoint string

	// Best is the BoC of the highest verified signed payment, nil if
	// none.
	Best []byte
	// Signed, DB and Max are the highest figures the proxy has reported:
	// the signed payment's tokens, those committed to its database, and
	// all of them (Max follows the proxy's report, which falls when the
	// proxy lost tokens it had not committed).
	Signed, DB, Max int64
	// Requests counts the settled requests the proxy reported.
	Requests int64
}

// NewHolding is the holding at the contracts pc the proxy showed.
func NewHolding(pc ProxyContracts) Holding {
	return Holding{Key: pc.Key, ProxyOwner: pc.Owner, ProxySC: pc.Proxy, Own: pc.Own}
}

// CheckProxyKey refuses a proxy at endpoint whose key is not the one the
// holdings record: the key a holding at endpoint was first seen with (the
// proxy changed its key), or that of at, the holding at the contract the
// proxy names (another proxy's), when there is one. untrusted is the
// holder's error for a proxy not to be trusted, which the refusal wraps.
func CheckProxyKey(holdings []*Holding, at *Holding, endpoint string, key ed25519.PublicKey, untrusted error) error {
	for _, h := range holdings {
		if h.Endpoint == endpoint && !h.Key.Equal(key) {
			return fmt.Errorf("proxy changed its key since first seen: %w", untrusted)
		}
	}
	if at != nil && !at.Key.Equal(key) {
		return fmt.Errorf("contract %s belongs to a proxy with another key: %w", at.Own, untrusted)
	}
	return nil
}

// Holder is a holder's account: a type that embeds a Holding, as the
// client's and the worker's accounts do.
type Holder interface{ holding() *Holding }

func (h *Holding) holding() *Holding { return h }

// Admit returns the account at key among accounts for the proxy at
// endpoint, whose contracts pc are those CheckProxyContracts returned:
// the account there, or one that open makes around NewHolding(pc), added
// under key. It refuses, as CheckProxyKey does, a proxy whose key is not
// the one the accounts record, and otherwise sets the account's Endpoint.
// The caller holds the lock that guards accounts and their Endpoints.
func Admit[A Holder](accounts map[string]A, key, endpoint string, pc ProxyContracts, untrusted error, open func(Holding) A) (A, error) {
	a, ok := accounts[key]
	var at *Holding
	if ok {
		at = a.holding()
	}
	holdings := make([]*Holding, 0, len(accounts))
	for _, other := range accounts {
		holdings = append(holdings, other.holding())
	}
	if err := CheckProxyKey(holdings, at, endpoint, pc.Key, untrusted); err != nil {
		var none A
		return none, err
	}
	if !ok {
		a = open(NewHolding(pc))
		accounts[key] = a
	}
	a.holding().Endpoint = endpoint
	return a, nil
}

// Sorted lists accounts with their proxies' endpoints, in the order of
// the endpoints, then of the accounts' keys. The caller holds the lock
// that guards accounts and their Endpoints.
func Sorted[A Holder](accounts map[string]A) (endpoints []string, accts []A) {
	keys := slices.SortedFunc(maps.Keys(accounts), func(a, b string) int {
		return cmp.Or(cmp.Compare(accounts[a].holding().Endpoint, accounts[b].holding().Endpoint), cmp.Compare(a, b))
	})
	endpoints = make([]string, len(keys))
	accts = make([]A, len(keys))
	for i, k := range keys {
		accts[i] = accounts[k]
		endpoints[i] = accts[i].holding().Endpoint
	}
	return endpoints, accts
}

// Tracker is the tracker of a new connection to the proxy, which starts
// from the holding's best payment and committed figure: a proxy that
// restarted may have lost usage it had not committed, but nothing it had.
// ops are the payments the holder's contract accepts.
func (h *Holding) Tracker(ops ...Op) (*Tracker, error) {
	t, err := NewTracker(h.Key, h.Own, ops...)
	if err != nil {
		return nil, err
	}
	if err := t.Update(h.Best, h.DB, h.DB); err != nil {
		return nil, err
	}
	return t, nil
}

// Verify checks that boc is a payment the proxy signed for the holder's
// contract, of one of ops.
func (h *Holding) Verify(boc []byte, ops ...Op) error {
	t, err := NewTracker(h.Key, h.Own, ops...)
	if err != nil {
		return err
	}
	return t.Update(boc, 0, 0)
}

// Record takes what t, the connection's tracker, accepted: its best
// payment when it rose, the highest signed and committed figures, and the
// proxy's total.
func (h *Holding) Record(t *Tracker) {
	f := t.Figures()
	if f.Signed > h.Signed || h.Best == nil {
		if best, err := t.Best(); err == nil {
			if b, err := best.BOC(); err == nil {
				h.Best = b
			}
		}
	}
	h.Signed, h.DB, h.Max = max(h.Signed, f.Signed), max(h.DB, f.DB), f.Max
}

// BOC is the BoC of a signed payment in a proxy's report; nil for none.
func BOC(sp tl.ProxySignedPaymentT) []byte {
	if s, ok := sp.(*tl.ProxySignedPayment); ok {
		return s.Data
	}
	return nil
}

// PollAnswer judges the answer to a payment status poll (a payment whose
// tokens are signed, and the figures db and total) sent while the
// connection held asked, the connection holding cur now. Reports that the
// proxy sends as packets after answering may overtake the answer, so the
// answer must not fall below asked but may fall below cur: apply says
// whether to take it (it is not below cur); otherwise its payment is
// only to be verified and cur kept. An answer below asked is an error
// wrapping backwards.
func PollAnswer(cur, asked Figures, signed, db, total int64, backwards error) (apply bool, err error) {
	if signed >= cur.Signed && db >= cur.DB && total >= cur.Max {
		return true, nil
	}
	if signed < asked.Signed || db < asked.DB || total < asked.Max {
		return false, fmt.Errorf("payment status: signed %d, committed %d, total %d below %d, %d, %d reported before the poll: %w",
			signed, db, total, asked.Signed, asked.DB, asked.Max, backwards)
	}
	return false, nil
}

// JudgePollAnswer judges, as PollAnswer does, the answer to a payment
// status poll whose payment is boc (nil for none, or for a holder that
// checks no payments) and whose figures are db and total: apply says to
// take the answer as a report; otherwise its payment, if any, is only
// verified as the proxy's for the holder's contract, one of ops. A
// payment that does not parse or verify is an error, as is an answer
// below asked (wrapping backwards).
func (h *Holding) JudgePollAnswer(cur, asked Figures, boc []byte, db, total int64, backwards error, ops ...Op) (apply bool, err error) {
	signed := cur.Signed
	if boc != nil {
		p, err := Parse(boc)
		if err != nil {
			return false, err
		}
		signed = p.Tokens
	}
	apply, err = PollAnswer(cur, asked, signed, db, total, backwards)
	if err != nil || apply || boc == nil {
		return apply, err
	}
	return false, h.Verify(boc, ops...)
}

// CheckBest checks a holding read back from a state file: its best
// payment, if any, must verify as the proxy's for the holder's contract
// (one of ops) and sign the tokens Signed says; without one, Signed must
// be zero. field names the best payment's field in errors, what the
// kind of payment ("charge", "payout").
func (h *Holding) CheckBest(field, what string, ops ...Op) error {
	if h.Best == nil {
		if h.Signed != 0 {
			return fmt.Errorf("signed_tokens %d without a %s", h.Signed, what)
		}
		return nil
	}
	t, err := NewTracker(h.Key, h.Own, ops...)
	if err == nil {
		err = t.Update(h.Best, 0, 0)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	if f := t.Figures(); f.Signed != h.Signed {
		return fmt.Errorf("%s signs %d tokens, signed_tokens says %d", field, f.Signed, h.Signed)
	}
	return nil
}
