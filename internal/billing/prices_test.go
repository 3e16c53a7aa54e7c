package billing

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

func TestAdjustTokens(t *testing.T) {
	tests := []struct {
		name    string
		n, coef int64
		mult    uint32
		want    int64
		wantErr error
	}{
		{"identity", 1234, CoefficientOne, MultiplierOne, 1234, nil},
		{"zero coefficient", 1234, 0, MultiplierOne, 0, nil},
		{"half rounds down", 3, 500, MultiplierOne, 1, nil},
		{"double", 7, 2000, MultiplierOne, 14, nil},
		{"multiplier 1.5", 3, CoefficientOne, 15000, 4, nil},
		// The reference's doubles give 57 here: 25·2.32 is 57.99999… in binary.
		{"exact where doubles truncate low", 25, 2320, MultiplierOne, 58, nil},
		{"largest coefficient and multiplier", 1 << 20, MaxCoefficient - 1, math.MaxUint32, 450_359_962_181_832_037, nil},
		{"overflow", math.MaxInt64, MaxCoefficient - 1, math.MaxUint32, 0, ErrOverflow},
		{"negative tokens", -1, CoefficientOne, MultiplierOne, 0, ErrInvalidUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AdjustTokens(tt.n, tt.coef, tt.mult)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("AdjustTokens = %d, %v, want %v", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("AdjustTokens(%d, %d, %d) = %d, %v, want %d", tt.n, tt.coef, tt.mult, got, err, tt.want)
			}
		})
	}
	for _, coef := range []int64{-1, MaxCoefficient} {
		if _, err := AdjustTokens(1, coef, MultiplierOne); err == nil {
			t.Errorf("AdjustTokens with coefficient %d succeeded, want an error", coef)
		}
	}
}

func TestAdjust(t *testing.T) {
	p := Prices{PricePerToken: 2, WorkerFeePerToken: 1, PromptMult: 10000, CachedMult: 2500, CompletionMult: 20000, ReasoningMult: 30000}
	tests := []struct {
		name    string
		u       Usage
		coef    int64
		want    Adjusted
		wantErr bool
	}{
		{
			name: "all categories",
			u:    Usage{Prompt: 34, Cached: 11, Completion: 100, Reasoning: 10},
			coef: CoefficientOne,
			want: Adjusted{Prompt: 23, Cached: 2, Completion: 180, Reasoning: 30, Total: 235},
		},
		{
			name: "coefficient 1.5",
			u:    Usage{Prompt: 34, Cached: 11, Completion: 100, Reasoning: 10},
			coef: 1500,
			want: Adjusted{Prompt: 34, Cached: 4, Completion: 270, Reasoning: 45, Total: 353},
		},
		{
			name: "cached above prompt is capped",
			u:    Usage{Prompt: 10, Cached: 50, Completion: 4, Reasoning: 9},
			coef: CoefficientOne,
			want: Adjusted{Prompt: 0, Cached: 2, Completion: 0, Reasoning: 12, Total: 14},
		},
		{name: "negative", u: Usage{Prompt: -1}, coef: CoefficientOne, wantErr: true},
		{name: "bad coefficient", u: Usage{Prompt: 1}, coef: MaxCoefficient, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Adjust(tt.u, tt.coef, p)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Adjust = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Adjust = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPricesMoney(t *testing.T) {
	p := DefaultPrices(2, 1)
	cost, err1 := p.Cost(235)
	earning, err2 := p.Earning(235)
	commission, err3 := p.Commission(235)
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	if cost != 470 || earning != 235 || commission != 235 {
		t.Errorf("cost, earning, commission = %d, %d, %d, want 470, 235, 235", cost, earning, commission)
	}
	big := DefaultPrices(TON, TON/2)
	if _, err := big.Cost(math.MaxInt64 / 2); !errors.Is(err, ErrOverflow) {
		t.Errorf("Cost of a huge count: got %v, want ErrOverflow", err)
	}
}

func TestPricesValidate(t *testing.T) {
	tests := []struct {
		name    string
		p       Prices
		wantErr bool
	}{
		{"fake ton", DefaultPrices(2, 1), false},
		{"free", DefaultPrices(0, 0), false},
		{"fee equals price", DefaultPrices(5, 5), false},
		{"fee above price", DefaultPrices(1, 2), true},
		{"negative price", DefaultPrices(-1, 0), true},
		{"negative fee", DefaultPrices(1, -1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}

func TestReservation(t *testing.T) {
	p := Prices{PricePerToken: 2, WorkerFeePerToken: 1, PromptMult: 10000, CachedMult: 5000, CompletionMult: 10000, ReasoningMult: 20000}
	r, err := Reserve(100, 50, 2000, p)
	if err != nil {
		t.Fatal(err)
	}
	// prompt: 50 at 2.0×1.0 = 100; completion: 100 at 2.0×2.0 = 400.
	if got := r.Limit(); got != 500 {
		t.Fatalf("Limit() = %d, want 500", got)
	}
	if err := r.Charge(400); err != nil {
		t.Fatalf("Charge(400): %v", err)
	}
	if err := r.Charge(300); err != nil || r.Used() != 400 {
		t.Fatalf("Charge(300) = %v with Used() = %d, want nil and 400", err, r.Used())
	}
	if err := r.Charge(501); !errors.Is(err, ErrReservationExceeded) {
		t.Fatalf("Charge(501) = %v, want ErrReservationExceeded", err)
	}
	if got := r.Billable(); got != 500 {
		t.Errorf("Billable() = %d, want 500", got)
	}
	if _, err := Reserve(-1, 0, 1000, p); err == nil {
		t.Error("Reserve with negative max tokens succeeded, want an error")
	}
}

// TestReservationBoundsUsage checks that usage within a request's limits
// never adjusts above its reservation, whatever the split of categories.
func TestReservationBoundsUsage(t *testing.T) {
	p := Prices{PricePerToken: 3, WorkerFeePerToken: 1, PromptMult: 7000, CachedMult: 13000, CompletionMult: 9000, ReasoningMult: 11000}
	const maxTokens, prompt, maxCoef = 97, 61, 1700
	r, err := Reserve(maxTokens, prompt, maxCoef, p)
	if err != nil {
		t.Fatal(err)
	}
	for coef := int64(0); coef <= maxCoef; coef += 100 {
		for cached := int64(0); cached <= prompt; cached += 5 {
			for reasoning := int64(0); reasoning <= maxTokens; reasoning += 7 {
				u := Usage{Prompt: prompt, Cached: cached, Completion: maxTokens, Reasoning: reasoning}
				a, err := Adjust(u, coef, p)
				if err != nil {
					t.Fatal(err)
				}
				if a.Total > r.Limit() {
					t.Fatalf("usage %+v at coefficient %d adjusts to %d, above the reservation %d", u, coef, a.Total, r.Limit())
				}
			}
		}
	}
}

func TestCompareBalance(t *testing.T) {
	proxy := Balance{CommittedToChain: 10, CommittedToDB: 20, Tokens: 30}
	tests := []struct {
		name     string
		worker   Balance
		want     Comparison
		rollback bool
	}{
		{"equal", proxy, BalanceConsistent, false},
		{"proxy ahead", Balance{5, 15, 25}, BalanceConsistent, false},
		{"worker ahead uncommitted", Balance{10, 20, 31}, BalanceUncommittedAhead, false},
		{"worker ahead on database", Balance{10, 21, 31}, 0, true},
		{"worker ahead on chain", Balance{11, 20, 30}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CompareBalance(tt.worker, proxy)
			if tt.rollback {
				if !errors.Is(err, ErrRollback) {
					t.Fatalf("CompareBalance = %v, %v, want ErrRollback", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("CompareBalance = %v, %v, want %v", got, err, tt.want)
			}
		})
	}
	if got := BalanceUncommittedAhead.ErrorCode(); got != 1 {
		t.Errorf("ErrorCode() = %d, want 1", got)
	}
	if err := CompareExtended(20, proxy); err != nil {
		t.Errorf("CompareExtended(20) = %v, want nil", err)
	}
	if err := CompareExtended(21, proxy); !errors.Is(err, ErrRollback) {
		t.Errorf("CompareExtended(21) = %v, want ErrRollback", err)
	}
}

func TestDue(t *testing.T) {
	tests := []struct {
		name      string
		tokens    int64
		perToken  NanoTON
		threshold NanoTON
		want      bool
	}{
		{"below", 499_999_999, 2, TON, false},
		{"exactly", 500_000_000, 2, TON, true},
		{"worker threshold in TON, not tokens", 10_000_000_000, 1, 10 * TON, true},
		{"nothing owed", 0, 2, TON, false},
		{"free tokens", 1 << 40, 0, TON, false},
		{"overflowing value", math.MaxInt64, 2, TON, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Due(tt.tokens, tt.perToken, tt.threshold); got != tt.want {
				t.Errorf("Due(%d, %s, %s) = %v, want %v", tt.tokens, tt.perToken, tt.threshold, got, tt.want)
			}
		})
	}
}

func TestAudioTokens(t *testing.T) {
	tests := []struct {
		name              string
		millis, perSecond int64
		want              int64
	}{
		{"whole seconds", 9000, 10, 90},
		{"a part of a token rounds up", 1, 10, 1},
		{"exact", 2500, 2, 5},
		{"just over", 2501, 2, 6},
		{"no audio", 0, 25, 0},
		{"free audio", 123456, 0, 0},
		{"large", 1_000_000_000_000, 1000, 1_000_000_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AudioTokens(tt.millis, tt.perSecond)
			if err != nil || got != tt.want {
				t.Errorf("AudioTokens(%d, %d) = %d, %v; want %d", tt.millis, tt.perSecond, got, err, tt.want)
			}
		})
	}
	if _, err := AudioTokens(-1, 1); !errors.Is(err, ErrInvalidUsage) {
		t.Errorf("negative duration: got %v, want ErrInvalidUsage", err)
	}
	if _, err := AudioTokens(math.MaxInt64, math.MaxInt64); !errors.Is(err, ErrOverflow) {
		t.Errorf("overflow: got %v, want ErrOverflow", err)
	}
	u, err := Usage{Prompt: 3, Completion: 4}.WithAudio(1500, 10)
	if err != nil || u != (Usage{Prompt: 18, Completion: 4}) {
		t.Errorf("WithAudio = %+v, %v; want prompt 3+15", u, err)
	}
}

func (c Comparison) String() string {
	switch c {
	case BalanceConsistent:
		return "consistent"
	case BalanceUncommittedAhead:
		return "worker ahead on uncommitted tokens"
	}
	return fmt.Sprintf("Comparison(%d)", int(c))
}
