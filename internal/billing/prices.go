package billing

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// Scales of the fixed-point factors, as the root contract and the reference
// define them.
const (
	// MultiplierOne is a per-category multiplier of 1.0.
	MultiplierOne = 10_000
	// CoefficientOne is a worker coefficient of 1.0.
	CoefficientOne = 1_000
	// MaxCoefficient bounds a worker coefficient (exclusive), as the
	// reference proxy checks it at the worker handshake.
	MaxCoefficient = 1_000_000_000
)

// ErrInvalidUsage reports token counts that cannot be billed.
var ErrInvalidUsage = errors.New("invalid token usage")

// Prices are the money parameters of a root configuration. Multipliers are
// fixed-point with MultiplierOne = 1.0 and fit in 32 bits on chain.
type Prices struct {
	PricePerToken     NanoTON // what a client pays per adjusted token
	WorkerFeePerToken NanoTON // what a worker earns per adjusted token
	PromptMult        uint32  // uncached prompt tokens
	CachedMult        uint32  // cached prompt tokens
	CompletionMult    uint32  // completion tokens that are not reasoning
	ReasoningMult     uint32  // reasoning tokens
}

// DefaultPrices returns prices with every multiplier at 1.0, as a params
// cell of an older struct version implies.
func DefaultPrices(price, fee NanoTON) Prices {
	return Prices{
		PricePerToken: price, WorkerFeePerToken: fee,
		PromptMult: MultiplierOne, CachedMult: MultiplierOne,
		CompletionMult: MultiplierOne, ReasoningMult: MultiplierOne,
	}
}

// Validate checks that the fee does not exceed the price and neither is
// negative. A worker contract fails a payout when price < fee, so such
// prices are refused before any request is billed.
func (p Prices) Validate() error {
	switch {
	case p.PricePerToken < 0:
		return fmt.Errorf("checking prices: negative price per token %s", p.PricePerToken)
	case p.WorkerFeePerToken < 0:
		return fmt.Errorf("checking prices: negative worker fee per token %s", p.WorkerFeePerToken)
	case p.WorkerFeePerToken > p.PricePerToken:
		return fmt.Errorf("checking prices: worker fee %s exceeds price %s", p.WorkerFeePerToken, p.PricePerToken)
	}
	return nil
}

// Cost is what a client pays for tokens adjusted tokens.
func (p Prices) Cost(tokens int64) (NanoTON, error) {
	c, err := p.PricePerToken.Mul(tokens)
	if err != nil {
		return 0, fmt.Errorf("computing cost of %d tokens: %w", tokens, err)
	}
	return c, nil
}

// Earning is what a worker earns for tokens adjusted tokens.
func (p Prices) Earning(tokens int64) (NanoTON, error) {
	e, err := p.WorkerFeePerToken.Mul(tokens)
	if err != nil {
		return 0, fmt.Errorf("computing earning of %d tokens: %w", tokens, err)
	}
	return e, nil
}

// Commission is the proxy's share for tokens adjusted tokens: the cost minus
// the earning, so that the three always balance to the nanoTON.
func (p Prices) Commission(tokens int64) (NanoTON, error) {
	c, err := p.Cost(tokens)
	if err != nil {
		return 0, err
	}
	e, err := p.Earning(tokens)
	if err != nil {
		return 0, err
	}
	d, err := c.Sub(e)
	if err != nil {
		return 0, fmt.Errorf("computing commission of %d tokens: %w", tokens, err)
	}
	return d, nil
}

// Usage is the raw token count of one request as the backend reports it,
// following OpenAI: Cached is part of Prompt, Reasoning part of Completion.
type Usage struct {
	Prompt     int64
	Cached     int64
	Completion int64
	Reasoning  int64
}

// Adjusted is a request's usage after coefficient and multipliers, per
// category and in total. Total is what ledgers and signed payments count.
type Adjusted struct {
	Prompt     int64 // prompt − cached
	Cached     int64
	Completion int64 // completion − reasoning
	Reasoning  int64
	Total      int64
}

// AdjustTokens scales n tokens by a worker coefficient (CoefficientOne =
// 1.0) and a multiplier (MultiplierOne = 1.0).
//
// Rounding rule: the result is the exact rational n·coefficient·multiplier /
// 10⁷ rounded down (toward zero, as n is never negative), computed in
// 128-bit integer arithmetic. The reference computes the same product in
// doubles and truncates, which can land one token low when the exact product
// is an integer; this never does.
func AdjustTokens(n, coefficient int64, multiplier uint32) (int64, error) {
	if n < 0 {
		return 0, fmt.Errorf("adjusting %d tokens: %w: negative count", n, ErrInvalidUsage)
	}
	if coefficient < 0 || coefficient >= MaxCoefficient {
		return 0, fmt.Errorf("adjusting tokens: coefficient %d outside [0, %d)", coefficient, MaxCoefficient)
	}
	// coefficient < 2³⁰ and multiplier < 2³², so their product fits in 62 bits.
	factor := uint64(coefficient) * uint64(multiplier)
	hi, lo := bits.Mul64(uint64(n), factor)
	const scale = CoefficientOne * MultiplierOne
	if hi >= scale {
		return 0, fmt.Errorf("adjusting %d tokens: %w", n, ErrOverflow)
	}
	q, _ := bits.Div64(hi, lo, scale)
	if q > math.MaxInt64 {
		return 0, fmt.Errorf("adjusting %d tokens: %w", n, ErrOverflow)
	}
	return int64(q), nil
}

// Adjust applies a worker coefficient and the prices' multipliers to a
// request's usage, per category as the reference does: uncached prompt,
// cached, non-reasoning completion and reasoning tokens, each rounded down
// by AdjustTokens, then summed. A cached count above the prompt count (or
// reasoning above completion) is capped at it, so no category goes negative
// and no token is billed twice. Negative counts are ErrInvalidUsage.
func Adjust(u Usage, coefficient int64, p Prices) (Adjusted, error) {
	if u.Prompt < 0 || u.Cached < 0 || u.Completion < 0 || u.Reasoning < 0 {
		return Adjusted{}, fmt.Errorf("adjusting usage %+v: %w: negative count", u, ErrInvalidUsage)
	}
	cached := min(u.Cached, u.Prompt)
	reasoning := min(u.Reasoning, u.Completion)
	var a Adjusted
	parts := []struct {
		dst  *int64
		n    int64
		mult uint32
	}{
		{&a.Prompt, u.Prompt - cached, p.PromptMult},
		{&a.Cached, cached, p.CachedMult},
		{&a.Completion, u.Completion - reasoning, p.CompletionMult},
		{&a.Reasoning, reasoning, p.ReasoningMult},
	}
	for _, part := range parts {
		v, err := AdjustTokens(part.n, coefficient, part.mult)
		if err != nil {
			return Adjusted{}, err
		}
		*part.dst = v
		if a.Total, err = addInt64(a.Total, v); err != nil {
			return Adjusted{}, fmt.Errorf("adjusting usage: %w", err)
		}
	}
	return a, nil
}

// Due reports whether tokens not yet settled on chain are worth a chain
// message: whether their value at perToken reaches threshold. The proxy
// charges a client at price ≥ 1 TON and pays a worker at fee ≥ 10 TON. The
// comparison is in nanoTON on both sides; the reference compared a token
// count with a nanoTON figure in the worker's payout rule. A value too
// large for int64 is due.
func Due(tokens int64, perToken, threshold NanoTON) bool {
	if tokens <= 0 || perToken <= 0 {
		return threshold <= 0
	}
	v, err := perToken.Mul(tokens)
	return err != nil || v >= threshold
}

// AudioTokens converts an audio duration to the prompt tokens it is billed
// as: millis milliseconds at perSecond tokens per second of audio, rounded
// up, in exact integer arithmetic: ⌈millis · perSecond / 1000⌉.
func AudioTokens(millis, perSecond int64) (int64, error) {
	if millis < 0 || perSecond < 0 {
		return 0, fmt.Errorf("converting %d ms of audio at %d tokens/s: %w: negative", millis, perSecond, ErrInvalidUsage)
	}
	hi, lo := bits.Mul64(uint64(millis), uint64(perSecond))
	lo, carry := bits.Add64(lo, 999, 0)
	hi += carry
	if hi >= 1000 {
		return 0, fmt.Errorf("converting %d ms of audio: %w", millis, ErrOverflow)
	}
	q, _ := bits.Div64(hi, lo, 1000)
	if q > math.MaxInt64 {
		return 0, fmt.Errorf("converting %d ms of audio: %w", millis, ErrOverflow)
	}
	return int64(q), nil
}

// WithAudio adds the tokens of millis milliseconds of audio at perSecond
// tokens per second to the usage's prompt tokens (AudioTokens).
func (u Usage) WithAudio(millis, perSecond int64) (Usage, error) {
	if millis == 0 {
		return u, nil
	}
	a, err := AudioTokens(millis, perSecond)
	if err != nil {
		return Usage{}, err
	}
	if u.Prompt, err = addInt64(u.Prompt, a); err != nil {
		return Usage{}, fmt.Errorf("adding audio tokens: %w", err)
	}
	return u, nil
}
