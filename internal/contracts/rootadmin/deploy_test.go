package rootadmin

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
)

// wantError fails t unless err contains want.
func wantError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got error %v, want one containing %q", err, want)
	}
}

func testKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

// testRoot is a root owned by owner with the child codes of the binary.
func testRoot(t testing.TB, owner *address.Address) contracts.RootConfig {
	t.Helper()
	p, err := contracts.FakeTONParams()
	if err != nil {
		t.Fatal(err)
	}
	return contracts.RootConfig{Owner: owner, Version: 1, Params: p}
}

// countingSender counts the sends it passes on.
type countingSender struct {
	Sender
	sends int
}

func (s *countingSender) Send(ctx context.Context, msgs ...ton.Transfer) error {
	s.sends++
	return s.Sender.Send(ctx, msgs...)
}

func TestDeployRoot(t *testing.T) {
	ctx := context.Background()
	c, err := emulated.New(emulated.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testRoot(t, address.NewAddress(0, 0, bytes.Repeat([]byte{1}, 32)))
	want, _, err := contracts.RootAddress(cfg)
	if err != nil {
		t.Fatal(err)
	}
	faucet := &countingSender{Sender: c.Faucet()}
	d, err := DeployRoot(ctx, c, faucet, cfg, billing.TON, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Root.Equals(want) || d.Existed || faucet.sends != 1 {
		t.Errorf("first deployment: got %s (existed %v) after %d sends, want %s deployed by one send", d.Root, d.Existed, faucet.sends, want)
	}
	got, err := ton.ReadRootConfig(ctx, c, d.Root)
	if err != nil || got.Version != 1 || !got.Owner.Equals(cfg.Owner) {
		t.Errorf("deployed root reads %+v (%v), want version 1 owned by %s", got, err, cfg.Owner)
	}
	again, err := DeployRoot(ctx, c, faucet, cfg, billing.TON, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Root.Equals(want) || !again.Existed || faucet.sends != 1 {
		t.Errorf("second deployment: got %s (existed %v) after %d sends, want %s left alone", again.Root, again.Existed, faucet.sends, want)
	}
}

// silentSender sends nothing and says it did.
type silentSender struct{ Sender }

func (silentSender) Send(context.Context, ...ton.Transfer) error { return nil }

// failingSender refuses every send.
type failingSender struct{ Sender }

func (failingSender) Send(context.Context, ...ton.Transfer) error { return errors.New("no funds") }

func TestDeployRootFailures(t *testing.T) {
	c, err := emulated.New(emulated.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testRoot(t, address.NewAddress(0, 0, bytes.Repeat([]byte{2}, 32)))
	tests := []struct {
		name string
		from Sender
		poll time.Duration
		want string
	}{
		{"send refused", failingSender{c.Faucet()}, time.Second, "no funds"},
		{"never deployed", silentSender{c.Faucet()}, time.Millisecond, "waiting for the root's deployment"},
		{"not deployed by a send applied at once", silentSender{c.Faucet()}, 0, "account not found"},
		{"negative poll interval", c.Faucet(), -time.Second, "poll interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := DeployRoot(ctx, c, tt.from, cfg, billing.TON, tt.poll)
			wantError(t, err, tt.want)
		})
	}
}

func TestOwnerRun(t *testing.T) {
	ctx := context.Background()
	c, err := emulated.New(emulated.Options{})
	if err != nil {
		t.Fatal(err)
	}
	owner, err := NewV5R1Wallet(testKey(1), -239)
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := NewCocoonWallet(testKey(2), address.NewAddress(0, 0, bytes.Repeat([]byte{3}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []*Wallet{owner, stranger} {
		if err := c.Fund(ctx, w.Address(), 10*billing.TON); err != nil {
			t.Fatal(err)
		}
	}
	d, err := DeployRoot(ctx, c, c.Faucet(), testRoot(t, owner.Address()), billing.TON, 0)
	if err != nil {
		t.Fatal(err)
	}
	run := func(w *Wallet, amount billing.NanoTON, name string, build Build) (Result, error) {
		return Owner{Chain: c, Root: d.Root, Wallet: w, Amount: amount}.Run(ctx, name, build)
	}
	h := contracts.Hash{0xab}
	r, err := run(owner, billing.TON/20, "add worker hash", HashOp(contracts.OpAddWorkerType, h))
	if err != nil {
		t.Fatal(err)
	}
	if r.Before.Version != 1 || r.After.Version != 2 || !r.After.HasWorkerHash(h) || !r.Tx.Success {
		t.Errorf("add worker hash: version %d -> %d, hash listed %v, want 1 -> 2 and listed", r.Before.Version, r.After.Version, r.After.HasWorkerHash(h))
	}
	price := billing.NanoTON(7)
	delay := uint32(60)
	name, build := SetPrices(PriceChange{Price: &price, ProxyDelay: &delay})
	if r, err = run(owner, billing.TON/20, name, build); err != nil {
		t.Fatal(err)
	}
	if p := r.After.Params; name != "change params" || p.PricePerToken != 7 || p.ProxyDelayBeforeClose != 60 ||
		p.WorkerFeePerToken != r.Before.Params.WorkerFeePerToken || p.ParamsVersion != r.Before.Params.ParamsVersion+1 {
		t.Errorf("%s: params %+v, want price 7, proxy delay 60, the rest kept", name, p)
	}
	upgrade, err := UpgradeContracts()
	if err != nil {
		t.Fatal(err)
	}
	if r, err = run(owner, billing.TON/20, "upgrade contracts", upgrade); err != nil || r.After.Params.ParamsVersion != r.Before.Params.ParamsVersion+1 {
		t.Errorf("upgrade contracts: params version %d -> %d (%v), want one more", r.Before.Params.ParamsVersion, r.After.Params.ParamsVersion, err)
	}
	tests := []struct {
		name   string
		wallet *Wallet
		amount billing.NanoTON
		build  Build
		want   string
	}{
		{"a stranger", stranger, billing.TON / 20, HashOp(contracts.OpAddProxyType, h), "exit code 1010, expected_message_from_owner: the sender is not the root's owner"},
		{"an unknown seqno", owner, billing.TON / 20, UpdateProxy(9, "127.0.0.1:1"), "exit code 2000, unknown_proxy_type"},
		{"more than the wallet holds", owner, 20 * billing.TON, UnregisterProxy(1), "fund it first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(tt.wallet, tt.amount, tt.name, tt.build)
			wantError(t, err, tt.want)
		})
	}
}

// TestRootOperations drives every owner operation through the real root
// contract, sent by its owner's cocoon wallet, and reads each change back.
func TestRootOperations(t *testing.T) {
	ctx := context.Background()
	c, err := emulated.New(emulated.Options{})
	if err != nil {
		t.Fatal(err)
	}
	owner, err := NewCocoonWallet(testKey(9), address.NewAddress(0, 0, bytes.Repeat([]byte{0x66}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Fund(ctx, owner.Address(), 10*billing.TON); err != nil {
		t.Fatal(err)
	}
	d, err := DeployRoot(ctx, c, c.Faucet(), testRoot(t, owner.Address()), billing.TON, 0)
	if err != nil {
		t.Fatal(err)
	}
	h := func(n byte) contracts.Hash { return contracts.Hash{31: n} }
	newOwner := address.NewAddress(0, 0, bytes.Repeat([]byte{0x67}, 32))
	price, fee := billing.NanoTON(3_000_000), billing.NanoTON(2_000_000)
	_, changeFees := SetPrices(PriceChange{Price: &price, Fee: &fee})
	steps := []struct {
		name  string
		build Build
		check func(r contracts.RootConfig) bool
	}{
		{"add worker type", HashOp(contracts.OpAddWorkerType, h(7)), func(r contracts.RootConfig) bool { return r.HasWorkerHash(h(7)) }},
		{"add model type", HashOp(contracts.OpAddModelType, h(8)), func(r contracts.RootConfig) bool { return r.HasModelHash(h(8)) }},
		{"add proxy type", HashOp(contracts.OpAddProxyType, h(9)), func(r contracts.RootConfig) bool { return r.HasProxyHash(h(9)) }},
		{"del model type", HashOp(contracts.OpDelModelType, h(8)), func(r contracts.RootConfig) bool { return !r.HasModelHash(h(8)) }},
		{"del worker type", HashOp(contracts.OpDelWorkerType, h(7)), func(r contracts.RootConfig) bool { return !r.HasWorkerHash(h(7)) }},
		{"register proxy", RegisterProxy("10.1.1.1:5222"), func(r contracts.RootConfig) bool {
			return slices.Equal(r.Proxies, []contracts.RegisteredProxy{{Seqno: 1, Desc: "10.1.1.1:5222"}})
		}},
		{"update proxy", UpdateProxy(1, "10.1.1.1:1 10.1.1.1:2"), func(r contracts.RootConfig) bool {
			return len(r.Proxies) == 1 && r.Proxies[0].ClientAddr() == "10.1.1.1:2"
		}},
		{"unregister proxy", UnregisterProxy(1), func(r contracts.RootConfig) bool { return len(r.Proxies) == 0 && r.LastProxySeqno == 1 }},
		{"del proxy type", HashOp(contracts.OpDelProxyType, h(9)), func(r contracts.RootConfig) bool { return !r.HasProxyHash(h(9)) }},
		{"change fees", changeFees, func(r contracts.RootConfig) bool {
			return r.Params.PricePerToken == price && r.Params.WorkerFeePerToken == fee && r.Params.ParamsVersion == 2
		}},
		{"change owner", SetOwner(newOwner), func(r contracts.RootConfig) bool { return r.Owner.Equals(newOwner) }},
	}
	for i, s := range steps {
		r, err := Owner{Chain: c, Root: d.Root, Wallet: owner, Amount: billing.TON / 50}.Run(ctx, s.name, s.build)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !s.check(r.After) {
			t.Errorf("%s: root config %+v does not show the change", s.name, r.After)
		}
		if r.After.Version != uint32(2+i) {
			t.Errorf("%s: version %d, want %d", s.name, r.After.Version, 2+i)
		}
	}
}
