package emulated

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// TestRootOperations drives every builder of internal/ton/rootops.go
// through the real root contract, sent by its owner's cocoon wallet.
func TestRootOperations(t *testing.T) {
	ctx := context.Background()
	c := newChain(t, "")
	owner, err := ton.NewCocoonWallet(code(t, "wallet"), testKey(9), addr(0x66))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Fund(ctx, owner.Address(), 10*billing.TON); err != nil {
		t.Fatal(err)
	}
	start := ton.RootConfig{Owner: owner.Address(), Version: 1, Params: params(t)}
	data, err := start.Cell()
	if err != nil {
		t.Fatal(err)
	}
	root, err := c.Deploy(ctx, code(t, "root"), data, billing.TON, nil)
	if err != nil {
		t.Fatal(err)
	}
	must := func(b *cell.Cell, err error) *cell.Cell {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	newOwner := addr(0x67)
	steps := []struct {
		name  string
		body  *cell.Cell
		check func(r ton.RootConfig) bool
	}{
		{"add worker type", must(ton.RootHashBody(ton.RootAddWorkerType, 1, hashOf(7))), func(r ton.RootConfig) bool { return r.HasWorkerHash(hashOf(7)) }},
		{"add model type", must(ton.RootHashBody(ton.RootAddModelType, 2, hashOf(8))), func(r ton.RootConfig) bool { return r.HasModelHash(hashOf(8)) }},
		{"add proxy type", must(ton.RootHashBody(ton.RootAddProxyType, 3, hashOf(9))), func(r ton.RootConfig) bool { return r.HasProxyHash(hashOf(9)) }},
		{"del model type", must(ton.RootHashBody(ton.RootDelModelType, 4, hashOf(8))), func(r ton.RootConfig) bool { return !r.HasModelHash(hashOf(8)) }},
		{"register proxy", must(ton.RootRegisterProxyBody(5, "10.1.1.1:5222")), func(r ton.RootConfig) bool {
			return slices.Equal(r.Proxies, []ton.RegisteredProxy{{Seqno: 1, Desc: "10.1.1.1:5222"}})
		}},
		{"update proxy", must(ton.RootUpdateProxyBody(6, 1, "10.1.1.1:1 10.1.1.1:2")), func(r ton.RootConfig) bool {
			return len(r.Proxies) == 1 && r.Proxies[0].ClientAddr() == "10.1.1.1:2"
		}},
		{"unregister proxy", ton.RootUnregisterProxyBody(7, 1), func(r ton.RootConfig) bool { return len(r.Proxies) == 0 && r.LastProxySeqno == 1 }},
		{"change fees", must(ton.RootChangeFeesBody(8, 3_000_000, 2_000_000)), func(r ton.RootConfig) bool {
			return r.Params.PricePerToken == 3_000_000 && r.Params.WorkerFeePerToken == 2_000_000 && r.Params.ParamsVersion == 2
		}},
		{"change owner", must(ton.RootChangeOwnerBody(9, newOwner)), func(r ton.RootConfig) bool { return r.Owner.Equals(newOwner) }},
	}
	for i, s := range steps {
		msg := ton.Transfer{To: root, Amount: billing.TON / 50, Bounce: true, Body: s.body, Mode: ton.ModePayFeesSeparately}
		if err := owner.Send(ctx, c, time.Hour, msg); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		r, err := ton.ReadRootConfig(ctx, c, root)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !s.check(r) {
			t.Errorf("%s: root config %+v does not show the change", s.name, r)
		}
		if r.Version != uint32(2+i) {
			t.Errorf("%s: version %d, want %d", s.name, r.Version, 2+i)
		}
	}
	if _, err := ton.RootHashBody(0x927c7cb5, 1, hashOf(1)); err == nil {
		t.Error("RootHashBody accepted register_proxy's op")
	}
	var none *address.Address
	if _, err := ton.RootChangeOwnerBody(1, none); err != nil {
		t.Errorf("change_owner to addr_none: %v", err)
	}
}
