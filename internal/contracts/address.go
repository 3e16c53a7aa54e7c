package contracts

import "github.com/xssnick/tonutils-go/address"

// ParseAddress reads a TON address in user-friendly or raw form; the
// error is the user-friendly form's.
func ParseAddress(s string) (*address.Address, error) {
	a, err := address.ParseAddr(s)
	if err == nil {
		return a, nil
	}
	if a, rawErr := address.ParseRawAddr(s); rawErr == nil {
		return a, nil
	}
	return nil, err
}
