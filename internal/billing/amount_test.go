package billing

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

func TestNanoTONString(t *testing.T) {
	tests := []struct {
		name string
		in   NanoTON
		want string
	}{
		{"zero", 0, "0"},
		{"one nano", 1, "0.000000001"},
		{"one and a half", 1_500_000_000, "1.5"},
		{"whole", 12 * TON, "12"},
		{"negative", -250_000_000, "-0.25"},
		{"max", math.MaxInt64, "9223372036.854775807"},
		{"min", math.MinInt64, "-9223372036.854775808"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseTON(t *testing.T) {
	tests := []struct {
		in      string
		want    NanoTON
		wantErr bool
	}{
		{"0", 0, false},
		{"1.5", 1_500_000_000, false},
		{"0.000000001", 1, false},
		{"-0.25", -250_000_000, false},
		{"10", 10 * TON, false},
		{"9223372036.854775807", math.MaxInt64, false},
		{"-9223372036.854775808", math.MinInt64, false},
		{"9223372036.854775808", 0, true},
		{"-9223372036.854775809", 0, true},
		{"99999999999999999999", 0, true},
		{"18446744073.709551616", 0, true},
		{"0.0000000001", 0, true},
		{"", 0, true},
		{"-", 0, true},
		{".5", 0, true},
		{"1.", 0, true},
		{"+1", 0, true},
		{"1e9", 0, true},
		{" 1", 0, true},
		{"1.2.3", 0, true},
		{"0x10", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTON(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseTON(%q) = %d, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTON(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseTON(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestNanoTONJSON(t *testing.T) {
	type doc struct {
		Price NanoTON `json:"price"`
	}
	b, err := json.Marshal(doc{Price: 1_500_000_000})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"price":"1.5"}`; got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
	var d doc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Price != 1_500_000_000 {
		t.Errorf("Unmarshal price = %d, want 1500000000", d.Price)
	}
	if err := json.Unmarshal([]byte(`{"price":1.5}`), &d); err == nil {
		t.Error("Unmarshal of a JSON number succeeded, want an error")
	}
}

func TestNanoTONArithmetic(t *testing.T) {
	tests := []struct {
		name    string
		op      func() (NanoTON, error)
		want    NanoTON
		wantErr bool
	}{
		{"add", func() (NanoTON, error) { return NanoTON(2).Add(3) }, 5, false},
		{"add overflow", func() (NanoTON, error) { return NanoTON(math.MaxInt64).Add(1) }, 0, true},
		{"add negative overflow", func() (NanoTON, error) { return NanoTON(math.MinInt64).Add(-1) }, 0, true},
		{"sub", func() (NanoTON, error) { return NanoTON(2).Sub(3) }, -1, false},
		{"sub min", func() (NanoTON, error) { return NanoTON(0).Sub(math.MinInt64) }, 0, true},
		{"mul", func() (NanoTON, error) { return NanoTON(7).Mul(6) }, 42, false},
		{"mul overflow", func() (NanoTON, error) { return NanoTON(math.MaxInt64 / 2).Mul(3) }, 0, true},
		{"mul min by -1", func() (NanoTON, error) { return NanoTON(math.MinInt64).Mul(-1) }, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.op()
			if tt.wantErr {
				if !errors.Is(err, ErrOverflow) {
					t.Fatalf("got %d, %v, want ErrOverflow", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %d, %v, want %d", got, err, tt.want)
			}
		})
	}
}

// FuzzParseTON checks that every accepted string prints back to a string
// that parses to the same amount, and that printing is canonical.
func FuzzParseTON(f *testing.F) {
	for _, s := range []string{"0", "1.5", "-0.000000001", "9223372036.854775807", "1.", "00.10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseTON(s)
		if err != nil {
			return
		}
		out := a.String()
		b, err := ParseTON(out)
		if err != nil {
			t.Fatalf("ParseTON(%q) = %d prints %q, which does not parse: %v", s, a, out, err)
		}
		if b != a {
			t.Fatalf("ParseTON(%q) = %d, but its print %q parses to %d", s, a, out, b)
		}
		if again := b.String(); again != out {
			t.Fatalf("printing is not canonical: %q then %q", out, again)
		}
	})
}
