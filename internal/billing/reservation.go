package billing

import (
	"errors"
	"fmt"
)

// ErrReservationExceeded reports a request whose usage outgrew the tokens
// reserved for it before dispatch. The proxy stops such a request and bills
// it up to the reservation.
var ErrReservationExceeded = errors.New("request exceeded its token reservation")

// Reservation bounds the adjusted tokens one request may be billed. The
// proxy computes it before dispatch, holds it against the client's balance
// (Ledger.Hold) and checks every usage update while streaming (Charge).
// A Reservation belongs to one request and is not safe for concurrent use.
type Reservation struct {
	limit int64
	used  int64
}

// Reserve computes the reservation of a request that may produce up to
// maxTokens completion tokens from a prompt of at most promptEstimate tokens
// (the reference uses the request's size in bytes), served by a worker whose
// coefficient is at most maxCoefficient.
//
// Unlike the reference, which scales the sum by a multiplier of 1.0, each
// part is scaled by the largest multiplier it may be billed at (prompt or
// cached for the prompt, completion or reasoning for the completion), so a
// request within its limits can never be billed more than it reserved.
func Reserve(maxTokens, promptEstimate, maxCoefficient int64, p Prices) (Reservation, error) {
	if maxTokens < 0 || promptEstimate < 0 {
		return Reservation{}, fmt.Errorf("reserving tokens: %w: max tokens %d, prompt estimate %d", ErrInvalidUsage, maxTokens, promptEstimate)
	}
	prompt, err := AdjustTokens(promptEstimate, maxCoefficient, max(p.PromptMult, p.CachedMult))
	if err != nil {
		return Reservation{}, fmt.Errorf("reserving prompt tokens: %w", err)
	}
	completion, err := AdjustTokens(maxTokens, maxCoefficient, max(p.CompletionMult, p.ReasoningMult))
	if err != nil {
		return Reservation{}, fmt.Errorf("reserving completion tokens: %w", err)
	}
	limit, err := addInt64(prompt, completion)
	if err != nil {
		return Reservation{}, fmt.Errorf("reserving tokens: %w", err)
	}
	return Reservation{limit: limit}, nil
}

// Limit is the number of adjusted tokens reserved.
func (r *Reservation) Limit() int64 { return r.limit }

// Used is the largest usage reported to Charge so far, which may exceed
// Limit after an overrun.
func (r *Reservation) Used() int64 { return r.used }

// Billable is the usage so far capped at the limit: what the request pays.
func (r *Reservation) Billable() int64 { return min(r.used, r.limit) }

// Charge records the adjusted tokens a request has produced so far, as the
// proxy learns them while streaming. Usage only grows: a smaller figure than
// one seen before is kept at the larger. It returns ErrReservationExceeded
// once usage passes the limit; the caller then stops the request.
func (r *Reservation) Charge(adjustedSoFar int64) error {
	if adjustedSoFar < 0 {
		return fmt.Errorf("charging reservation: %w: negative usage %d", ErrInvalidUsage, adjustedSoFar)
	}
	r.used = max(r.used, adjustedSoFar)
	if r.used > r.limit {
		return fmt.Errorf("charging %d tokens against %d reserved: %w", r.used, r.limit, ErrReservationExceeded)
	}
	return nil
}
