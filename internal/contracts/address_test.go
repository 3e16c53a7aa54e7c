package contracts

import "testing"

func TestParseAddress(t *testing.T) {
	a := NewOwnerAddress()
	for _, s := range []string{a.String(), a.Bounce(false).String(), a.StringRaw()} {
		got, err := ParseAddress(s)
		if err != nil || !got.Equals(a) {
			t.Errorf("ParseAddress(%q) = %v, %v; want %v", s, got, err, a)
		}
	}
	if _, err := ParseAddress("not an address"); err == nil {
		t.Error("ParseAddress of nonsense: got nil error, want one")
	}
}
