// Package billing owns the money rules of COCOON off the chain: nanoTON
// amounts, the prices and multipliers of a root configuration, the exact
// integer token adjustment, request reservations, the proxy's per-client
// and per-worker ledger, and the anti-rollback comparison between a worker's
// and a proxy's figures. It is pure: no I/O, no clock, no goroutines.
package billing

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// ErrOverflow reports arithmetic that does not fit in the int64 range.
var ErrOverflow = errors.New("amount overflows int64")

// NanoTON is an amount of TON in its smallest unit, 10⁻⁹ TON. It is signed so
// that differences can be expressed; ledgers keep their balances non-negative.
type NanoTON int64

// nanoPerTON is the number of nanoTON in one TON.
const nanoPerTON = 1_000_000_000

// TON is one TON in nanoTON.
const TON NanoTON = nanoPerTON

// Add returns a+b, or ErrOverflow.
func (a NanoTON) Add(b NanoTON) (NanoTON, error) {
	s, err := addInt64(int64(a), int64(b))
	return NanoTON(s), err
}

// Sub returns a−b, or ErrOverflow.
func (a NanoTON) Sub(b NanoTON) (NanoTON, error) {
	if b == math.MinInt64 {
		return 0, fmt.Errorf("subtracting %d: %w", int64(b), ErrOverflow)
	}
	return a.Add(-b)
}

// Mul returns a·n, or ErrOverflow.
func (a NanoTON) Mul(n int64) (NanoTON, error) {
	p, err := mulInt64(int64(a), n)
	return NanoTON(p), err
}

// String prints the amount as a decimal TON figure without trailing zeros:
// 1500000000 prints "1.5", 1 prints "0.000000001", 0 prints "0".
func (a NanoTON) String() string {
	var b strings.Builder
	u := uint64(a)
	if a < 0 {
		b.WriteByte('-')
		u = -u // two's complement gives the magnitude, MinInt64 included
	}
	b.WriteString(strconv.FormatUint(u/nanoPerTON, 10))
	if frac := u % nanoPerTON; frac != 0 {
		s := fmt.Sprintf("%09d", frac)
		b.WriteByte('.')
		b.WriteString(strings.TrimRight(s, "0"))
	}
	return b.String()
}

// ParseTON parses a decimal TON figure such as "1.5", "-0.25" or "12" into
// nanoTON. At most nine fractional digits are accepted; exponents, spaces,
// a leading '+', and empty integer or fraction parts ("1.", ".5") are not.
func ParseTON(s string) (NanoTON, error) {
	orig := s
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") {
		return 0, fmt.Errorf("parsing TON amount %q: want digits with an optional fraction", orig)
	}
	if len(frac) > 9 {
		return 0, fmt.Errorf("parsing TON amount %q: more than 9 fractional digits", orig)
	}
	if !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("parsing TON amount %q: want digits with an optional fraction", orig)
	}
	w, err := strconv.ParseUint(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parsing TON amount %q: %w", orig, ErrOverflow)
	}
	var f uint64
	if frac != "" {
		f, _ = strconv.ParseUint(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	hi, lo := bits.Mul64(w, nanoPerTON)
	mag, carry := bits.Add64(lo, f, 0)
	if hi == 0 && carry == 0 {
		// The magnitude may be 2⁶³ exactly, which only a negative amount holds.
		if neg && mag <= 1<<63 {
			return NanoTON(-mag), nil
		}
		if !neg && mag <= math.MaxInt64 {
			return NanoTON(mag), nil
		}
	}
	return 0, fmt.Errorf("parsing TON amount %q: %w", orig, ErrOverflow)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MarshalText writes the amount as a decimal TON figure.
func (a NanoTON) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads a decimal TON figure.
func (a *NanoTON) UnmarshalText(b []byte) error {
	v, err := ParseTON(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// MarshalJSON writes the amount as a JSON string holding a decimal TON
// figure, so that no JSON reader rounds it through a float.
func (a NanoTON) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// UnmarshalJSON reads a JSON string holding a decimal TON figure; a JSON
// number is refused because its precision depends on the writer.
func (a *NanoTON) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("parsing TON amount: want a JSON string: %w", err)
	}
	return a.UnmarshalText([]byte(s))
}

func addInt64(a, b int64) (int64, error) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, fmt.Errorf("adding %d and %d: %w", a, b, ErrOverflow)
	}
	return s, nil
}

func mulInt64(a, b int64) (int64, error) {
	if a == 0 || b == 0 {
		return 0, nil
	}
	p := a * b
	if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, fmt.Errorf("multiplying %d by %d: %w", a, b, ErrOverflow)
	}
	return p, nil
}
