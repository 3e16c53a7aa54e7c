package onchain

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/proxy"
)

func TestProxyRoot(t *testing.T) {
	n := newNet(t)
	got, err := n.proxy.Root(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := billing.DefaultPrices(testPrice, testFee)
	if got.Prices != want || got.Version != 1 || got.ParamsVersion != 1 {
		t.Errorf("got prices %+v, version %d, params version %d; want %+v, 1, 1", got.Prices, got.Version, got.ParamsVersion, want)
	}
	l := got.Lists
	if len(l.ProxyHashes) != 1 || l.ProxyHashes[0] != [32]byte{1} || len(l.WorkerHashes) != 1 || l.WorkerHashes[0] != [32]byte{2} ||
		len(l.ModelHashes) != 1 || l.ModelHashes[0] != [32]byte{3} {
		t.Errorf("got hashes %v %v %v, want [1] [2] [3]", l.ProxyHashes, l.WorkerHashes, l.ModelHashes)
	}
	// The lists name their root, its version and the chain's time.
	if l.Root != n.root.String() || l.Version != 1 || !l.AsOf.Equal(n.clock.Now()) {
		t.Errorf("got root %s version %d as of %v, want %s, 1, %v", l.Root, l.Version, l.AsOf, n.root, n.clock.Now())
	}
}

func TestRootLists(t *testing.T) {
	n := newNet(t)
	l, err := RootLists(context.Background(), n.chain, n.root)
	if err != nil {
		t.Fatal(err)
	}
	if l.Root != n.root.String() || l.Version != 1 || len(l.WorkerHashes) != 1 || !l.AsOf.Equal(n.clock.Now()) {
		t.Errorf("got %+v", l)
	}
	if _, err := RootLists(context.Background(), n.chain, testAddr(0x42)); err == nil {
		t.Error("lists of an address without a root: got nil error, want one")
	}
}

func TestProxyOpenIsIdempotent(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	before := n.balance(t, n.pw.Address())
	addr := n.open(t)
	d := n.proxyData(t, addr)
	if d.State != contracts.StateNormal || d.Stake != testStake || d.Balance != 0 || !d.Owner.Equals(n.pw.Address()) {
		t.Errorf("got proxy state %d, stake %v, balance %v, owner %s; want 0, %v, 0, %s", d.State, d.Stake, d.Balance, d.Owner, testStake, n.pw.Address())
	}
	spent := before - n.balance(t, n.pw.Address())
	if held := n.balance(t, addr); spent < held || held < testStake {
		t.Errorf("wallet spent %v, proxy holds %v; want the proxy to hold at least the stake %v, paid by the wallet", spent, held, testStake)
	}
	if spent > testStake+billing.TON/5 {
		t.Errorf("opening cost the wallet %v, want the stake %v plus fees under 0.2 TON (the gas comes back)", spent, testStake)
	}
	lt := n.lastLT(t, n.pw.Address())
	again, err := n.proxy.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Equals(addr) {
		t.Errorf("second Open got %s, want %s", again, addr)
	}
	if got := n.lastLT(t, n.pw.Address()); got != lt {
		t.Errorf("second Open sent from the wallet (last lt %d, want %d)", got, lt)
	}
	want, err := contracts.ProxyAddress(n.pw.Address(), n.root, n.proxyKey.Public().(ed25519.PublicKey), testParams(t))
	if err != nil {
		t.Fatal(err)
	}
	if !addr.Equals(want) {
		t.Errorf("got proxy contract %s, want the derived %s", addr, want)
	}
}

func TestCommitSeqno(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	if err := n.proxy.CommitSeqno(ctx, 1, [32]byte{1}); err == nil || !strings.Contains(err.Error(), "Open") {
		t.Errorf("commit before Open: got %v, want an error naming Open", err)
	}
	addr := n.open(t)
	after := n.lastLT(t, addr)
	balance := n.balance(t, addr)
	session := [32]byte{9, 8, 7}
	if err := n.proxy.CommitSeqno(ctx, 42, session); err != nil {
		t.Fatal(err)
	}
	txs := n.txsAfter(t, addr, after)
	if len(txs) != 1 {
		t.Fatalf("got %d proxy transactions after the commit, want 1", len(txs))
	}
	tx := txs[0]
	if !tx.Skipped || tx.In == nil || tx.In.Value != SaveStateValue || !tx.In.Src.Equals(n.pw.Address()) {
		t.Fatalf("got transaction skipped=%v in=%+v, want a skipped 1-nanoTON notice from the wallet", tx.Skipped, tx.In)
	}
	rec, err := contracts.ParseSaveState(tx.In.Body)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Seqno != 42 || rec.Session != session {
		t.Errorf("got record seqno %d session %x, want 42 %x", rec.Seqno, rec.Session, session)
	}
	if got := n.balance(t, addr); got != balance+1 {
		t.Errorf("proxy balance %v after the commit, want %v + 1 nanoTON", got, balance)
	}
	if d := n.proxyData(t, addr); d.Stake != testStake || d.Balance != 0 {
		t.Errorf("commit changed the proxy contract: stake %v balance %v", d.Stake, d.Balance)
	}
}

func TestProxyReadsMissingContracts(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	n.open(t)
	if _, err := n.proxy.Client(ctx, testAddr(0x31)); !errors.Is(err, proxy.ErrNoContract) {
		t.Errorf("Client of a missing contract: got %v, want ErrNoContract", err)
	}
	if _, err := n.proxy.Worker(ctx, testAddr(0x32)); !errors.Is(err, proxy.ErrNoContract) {
		t.Errorf("Worker of a missing contract: got %v, want ErrNoContract", err)
	}
	// A funded but undeployed account is not a contract either.
	if err := n.chain.Fund(ctx, testAddr(0x33), billing.TON); err != nil {
		t.Fatal(err)
	}
	if _, err := n.proxy.Client(ctx, testAddr(0x33)); !errors.Is(err, proxy.ErrNoContract) {
		t.Errorf("Client of an uninit account: got %v, want ErrNoContract", err)
	}
	// The wallet is active but not a client contract.
	if _, err := n.proxy.Client(ctx, n.pw.Address()); err == nil || errors.Is(err, proxy.ErrNoContract) {
		t.Errorf("Client of a wallet: got %v, want a parse error", err)
	}
}

func TestSubmitRefusesBadPayments(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	n.open(t)
	lt := n.lastLT(t, n.pw.Address())
	other := testKey(9)
	forged := paymenttest.SignedBOC(t, other, 0xbb63ff93, payment.RandomQueryID(), 10, testAddr(0x41))
	tests := []struct {
		name   string
		signed []byte
		want   string
	}{
		{"empty", nil, "malformed"},
		{"garbage", []byte("not a boc"), "malformed"},
		{"other key", forged, "bad signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := n.proxy.Submit(ctx, tt.signed)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if got := n.lastLT(t, n.pw.Address()); got != lt {
		t.Errorf("a refused payment was sent (wallet last lt %d, want %d)", got, lt)
	}
}
