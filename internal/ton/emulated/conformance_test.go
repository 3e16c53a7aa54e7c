package emulated

import (
	"bytes"
	"context"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/tontest"
)

// Fixture returns a chain with an active, funded v5r1 wallet that has sent
// one transfer, for the conformance suite.
func fixture(t *testing.T) tontest.Fixture {
	t.Helper()
	ctx := context.Background()
	c := newChain(t, "")
	w := fundedWallet(t, c, 7, 5*billing.TON)
	other := address.NewAddress(0, 0, bytes.Repeat([]byte{0x42}, 32))
	if err := w.Send(ctx, c, ton.Transfer{To: other, Amount: billing.TON / 10, Mode: ton.ModePayFeesSeparately}); err != nil {
		t.Fatal(err)
	}
	return tontest.Fixture{
		Chain:   c,
		Wallet:  w.Address(),
		Signer:  w,
		Missing: address.NewAddress(0, 0, bytes.Repeat([]byte{0x99}, 32)),
	}
}

func TestConformance(t *testing.T) {
	tontest.Run(t, fixture(t))
}
