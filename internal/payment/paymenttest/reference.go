package paymenttest

import (
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

// ReferenceDerivation derives the contracts as the reference's fake-TON
// runners do: under its fake-TON config (fake-ton-config.json of the
// shared reference material) and the root of its local network. It
// skips or fails t as sharedtest.Reference does when the material is
// absent.
func ReferenceDerivation(t testing.TB) *contracts.Derivation {
	t.Helper()
	cfg, err := contracts.ParsePseudoRootConfig(sharedtest.Reference(t, "fake-ton-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := contracts.NewDerivation(address.MustParseAddr(contracts.ReferenceLocalRoot), cfg.Params)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
