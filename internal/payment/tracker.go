package payment

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/xssnick/tonutils-go/address"
)

var (
	// ErrWentBackwards reports a proxy whose figures fell below ones it
	// reported before: a proxy that lost or rewrote its ledger.
	ErrWentBackwards = errors.New("proxy figures went backwards")
	// ErrNoPayment reports that no signed payment has been received yet.
	ErrNoPayment = errors.New("no signed payment received")
)

// Figures are the token counts a proxy reports to a client or worker with
// each payment update (proxy.clientRequestPayment, client.paymentStatus,
// worker.paymentStatus and the like).
type Figures struct {
	Signed int64 // tokens of the highest signed payment
	DB     int64 // tokens committed to the proxy's database
	Max    int64 // all tokens the proxy counts
}

// Tracker is the client's or worker's record of what one proxy owes it or
// charged it: the highest verified signed payment and the proxy's latest
// figures. It refuses any update in which a figure goes backwards, and
// applies an update wholly or not at all. It is safe for concurrent use.
type Tracker struct {
	proxyKey ed25519.PublicKey
	target   *address.Address
	ops      []Op

	mu      sync.Mutex // guards the fields below
	best    Payment
	hasBest bool
	figures Figures
	// lastBOC is the latest payment BoC that verified, and lastPayment
	// what it holds: a proxy sends the same signed payment with many
	// reports, and bytes that verified once need no second check.
	lastBOC     []byte
	lastPayment Payment
}

// NewTracker returns a tracker for payments that proxyKey signs for the
// contract target with one of ops: OpClientCharge (and
// OpClientGrantRefund) on a client, OpWorkerPayout (and
// OpWorkerLastPayout) on a worker.
func NewTracker(proxyKey ed25519.PublicKey, target *address.Address, ops ...Op) (*Tracker, error) {
	if len(proxyKey) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("creating payment tracker: public key has %d bytes, want %d", len(proxyKey), ed25519.PublicKeySize)
	}
	if !isStd(target) {
		return nil, errors.New("creating payment tracker: target is not a std internal address")
	}
	if len(ops) == 0 {
		return nil, errors.New("creating payment tracker: no op accepted")
	}
	for _, op := range ops {
		if !op.known() {
			return nil, fmt.Errorf("creating payment tracker: %w: %v", ErrWrongOp, op)
		}
	}
	return &Tracker{proxyKey: slices.Clone(proxyKey), target: target, ops: slices.Clone(ops)}, nil
}

// Update takes one report from the proxy: a signed payment BoC (empty for
// proxy.signedPaymentEmpty) and the proxy's database and total figures.
// The payment must parse, carry an accepted op, name the tracker's target
// and bear the proxy's signature; its tokens and both figures must not be
// below any seen before, and db must not exceed max. On success the
// highest payment is kept.
func (t *Tracker) Update(boc []byte, db, max int64) error {
	var p Payment
	if len(boc) > 0 {
		var err error
		if p, err = t.verified(boc); err != nil {
			return fmt.Errorf("taking payment update: %w", err)
		}
	}
	if db < 0 || db > max {
		return fmt.Errorf("taking payment update: inconsistent figures: %d committed to database of %d total", db, max)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	next := t.figures
	if len(boc) > 0 {
		if p.Tokens < next.Signed {
			return fmt.Errorf("taking payment update: signed tokens %d below %d signed before: %w", p.Tokens, next.Signed, ErrWentBackwards)
		}
		next.Signed = p.Tokens
	}
	if db < next.DB || max < next.Max {
		return fmt.Errorf("taking payment update: figures database %d, total %d below %d, %d reported before: %w", db, max, next.DB, next.Max, ErrWentBackwards)
	}
	next.DB, next.Max = db, max
	if len(boc) > 0 {
		t.best, t.hasBest = p, true
	}
	t.figures = next
	return nil
}

// verified parses boc and checks its op, target and signature, unless it
// is the BoC that verified last.
func (t *Tracker) verified(boc []byte) (Payment, error) {
	t.mu.Lock()
	if bytes.Equal(boc, t.lastBOC) {
		p := t.lastPayment
		t.mu.Unlock()
		return p, nil
	}
	t.mu.Unlock()
	p, err := Parse(boc)
	if err != nil {
		return Payment{}, err
	}
	if !slices.Contains(t.ops, p.Op) {
		return Payment{}, fmt.Errorf("%v: %w", p.Op, ErrWrongOp)
	}
	if err := p.Verify(t.proxyKey, p.Op, t.target); err != nil {
		return Payment{}, err
	}
	t.mu.Lock()
	t.lastBOC, t.lastPayment = bytes.Clone(boc), p
	t.mu.Unlock()
	return p, nil
}

// Best returns the highest verified signed payment, or ErrNoPayment.
func (t *Tracker) Best() (Payment, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.hasBest {
		return Payment{}, ErrNoPayment
	}
	return t.best, nil
}

// Figures returns the latest accepted figures.
func (t *Tracker) Figures() Figures {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.figures
}
