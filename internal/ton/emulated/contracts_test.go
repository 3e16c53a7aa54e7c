package emulated

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/tontest"
)

// Opcodes of the COCOON contracts used by these tests.
const (
	opExcesses       = 0x2565934c
	opPayout         = 0xc59a7cd3
	opRegisterProxy  = 0x927c7cb5
	opClientTopUp    = 0xf172e6c2
	opClientCharge   = 0xbb63ff93
	opWorkerPayout   = 0xa040ad28
	opWorkerRequest  = 0x4d725d2c
	errNotOwner      = 1010
	commission       = billing.TON / 10
	workerFeePerTok  = 100_000
	pricePerTok      = 1_000_000
	proxyDepositSeed = 20 * billing.TON
)

// code reads a compiled contract committed under contracts/build.
func code(t testing.TB, name string) *cell.Cell {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "contracts", "build", name+".boc"))
	if err != nil {
		t.Fatalf("reading compiled contract: %v", err)
	}
	c, err := cell.FromBOC(raw)
	if err != nil {
		t.Fatalf("decoding %s.boc: %v", name, err)
	}
	return c
}

// fundedOwner is the cocoon wallet of testKey(seed), owned by
// addr(0x66), funded with amount on c.
func fundedOwner(tb testing.TB, c *Chain, seed byte, amount billing.NanoTON) *ton.CocoonWallet {
	tb.Helper()
	w, err := ton.NewCocoonWallet(code(tb, "wallet"), testKey(seed), addr(0x66))
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Fund(context.Background(), w.Address(), amount); err != nil {
		tb.Fatal(err)
	}
	return w
}

// deploy deploys a contract of code with v's data cell on c, with amount.
func deploy(tb testing.TB, c *Chain, code *cell.Cell, v interface{ Cell() (*cell.Cell, error) }, amount billing.NanoTON) *address.Address {
	tb.Helper()
	data, err := v.Cell()
	if err != nil {
		tb.Fatal(err)
	}
	a, err := c.Deploy(context.Background(), code, data, amount, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func addr(b byte) *address.Address {
	return address.NewAddress(0, 0, bytes.Repeat([]byte{b}, 32))
}

func hashOf(n byte) contracts.Hash {
	var h contracts.Hash
	h[31] = n
	return h
}

func params(t testing.TB) contracts.Params {
	return contracts.Params{
		StructVersion: 3, ParamsVersion: 1, UniqueID: 12345, IsTest: true,
		PricePerToken: pricePerTok, WorkerFeePerToken: workerFeePerTok,
		PromptMultiplier: 11000, CachedMultiplier: 12000, CompletionMultiplier: 13000, ReasoningMultiplier: 14000,
		ProxyDelayBeforeClose: 3600, ClientDelayBeforeClose: 3600,
		MinProxyStake: billing.TON, MinClientStake: billing.TON,
		ProxyCode: code(t, "proxy"), WorkerCode: code(t, "worker"), ClientCode: code(t, "client"),
	}
}

func balance(t *testing.T, c *Chain, a *address.Address) billing.NanoTON {
	t.Helper()
	acc, err := c.Account(context.Background(), a)
	if errors.Is(err, ton.ErrNotFound) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return acc.Balance
}

func data(t *testing.T, c *Chain, a *address.Address) *cell.Cell {
	t.Helper()
	acc, err := c.Account(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	if acc.Status != ton.StatusActive {
		t.Fatalf("account %s is %s, want active", a, acc.Status)
	}
	return acc.Data
}

// lastTx returns the last transaction of a.
func lastTx(t *testing.T, c *Chain, a *address.Address) ton.Tx {
	t.Helper()
	acc, err := c.Account(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	txs, err := c.Transactions(context.Background(), a, acc.LastLT-1, 1)
	if err != nil || len(txs) != 1 {
		t.Fatalf("last transaction of %s: %d (%v)", a, len(txs), err)
	}
	return txs[0]
}

func op(body *cell.Cell) uint64 {
	s := body.MustBeginParse()
	v, err := s.LoadUInt(32)
	if err != nil {
		return 0
	}
	return v
}

func TestRootDeployAndAdminister(t *testing.T) {
	ctx := context.Background()
	c := newChain(t, "")
	owner := fundedOwner(t, c, 1, 10*billing.TON)
	want := contracts.RootConfig{
		Owner:          owner.Address(),
		Version:        7,
		ProxyHashes:    []contracts.Hash{hashOf(1), hashOf(2)},
		Proxies:        []contracts.RegisteredProxy{{Seqno: 1, Desc: "127.0.0.1:8000"}, {Seqno: 2, Desc: "10.0.0.1:1 10.0.0.2:2"}},
		LastProxySeqno: 2,
		WorkerHashes:   []contracts.Hash{hashOf(3)},
		ModelHashes:    []contracts.Hash{hashOf(4), hashOf(5)},
		Params:         params(t),
	}
	root := deploy(t, c, code(t, "root"), want, billing.TON)
	got, err := ton.ReadRootConfig(ctx, c, root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ton.ReadRootConfig(ctx, c, addr(0x3c)); !errors.Is(err, ton.ErrNotFound) {
		t.Errorf("reading a missing root: got %v, want ErrNotFound", err)
	}
	if !reflect.DeepEqual(got.Proxies, want.Proxies) || !reflect.DeepEqual(got.WorkerHashes, want.WorkerHashes) ||
		!reflect.DeepEqual(got.ModelHashes, want.ModelHashes) || got.Version != 7 || !got.Owner.Equals(owner.Address()) {
		t.Fatalf("deployed root reads back as %+v, want %+v", got, want)
	}

	// Getters see the same dictionaries (the FunC field order: proxy
	// hashes, registered proxies, last seqno, worker hashes, model hashes).
	res, err := c.RunGetMethod(ctx, root, "get_cocoon_data")
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range []int64{7, 2, 1, 12345} {
		if v, err := ton.IntResult(res, i); err != nil || v.Int64() != w {
			t.Errorf("get_cocoon_data[%d] = %v (%v), want %d", i, v, err, w)
		}
	}
	if sl, err := tontest.SliceResult(res, 9); err != nil {
		t.Errorf("get_cocoon_data[9]: %v", err)
	} else if a, err := sl.LoadAddr(); err != nil || !a.Equals(owner.Address()) {
		t.Errorf("get_cocoon_data owner %v (%v), want %s", a, err, owner.Address())
	}
	if _, err := tontest.SliceResult(res, 0); err == nil {
		t.Error("SliceResult accepted an integer")
	}
	checks := []struct {
		method string
		hash   contracts.Hash
		want   int64
	}{
		{"worker_hash_is_valid", hashOf(3), -1},
		{"worker_hash_is_valid", hashOf(9), 0},
		{"proxy_hash_is_valid", hashOf(2), -1},
		{"model_hash_is_valid", hashOf(5), -1},
		{"model_hash_is_valid", hashOf(3), 0},
	}
	for _, ck := range checks {
		res, err := c.RunGetMethod(ctx, root, ck.method, new(big.Int).SetBytes(ck.hash[:]))
		if err != nil {
			t.Fatalf("%s: %v", ck.method, err)
		}
		if v, err := ton.IntResult(res, 0); err != nil || v.Int64() != ck.want {
			t.Errorf("%s(%x) = %v (%v), want %d", ck.method, ck.hash[31], v, err, ck.want)
		}
	}

	// The owner registers a proxy through its cocoon wallet.
	body := cell.BeginCell().MustStoreUInt(opRegisterProxy, 32).MustStoreUInt(1, 64)
	if err := contracts.StoreProxyDesc(body, "192.168.0.1:9000"); err != nil {
		t.Fatal(err)
	}
	reg := ton.Transfer{To: root, Amount: billing.TON / 20, Bounce: true, Body: body.EndCell(), Mode: ton.ModePayFeesSeparately}
	if err := owner.Send(ctx, c, time.Hour, reg); err != nil {
		t.Fatal(err)
	}
	got, err = contracts.ParseRootConfig(data(t, c, root))
	if err != nil {
		t.Fatal(err)
	}
	if got.LastProxySeqno != 3 || got.Version != 8 || len(got.Proxies) != 3 || got.Proxies[2] != (contracts.RegisteredProxy{Seqno: 3, Desc: "192.168.0.1:9000"}) {
		t.Errorf("after register_proxy: seqno %d, version %d, proxies %+v; want 3, 8 and the new proxy as seqno 3", got.LastProxySeqno, got.Version, got.Proxies)
	}
	excess := lastTx(t, c, owner.Address())
	if excess.In == nil || !excess.In.Src.Equals(root) || op(excess.In.Body) != opExcesses {
		t.Errorf("the wallet's last transaction is %+v, want the root's excesses", excess.In)
	}

	// A stranger's register is refused with 1010 and bounced.
	stranger := addr(0x77)
	if err := c.SendInternal(ctx, stranger, ton.Transfer{To: root, Amount: billing.TON, Bounce: true, Body: body.EndCell()}); err != nil {
		t.Fatal(err)
	}
	if tx := lastTx(t, c, root); tx.Success || tx.ExitCode != errNotOwner {
		t.Errorf("stranger's register: success %v exit %d, want failure %d", tx.Success, tx.ExitCode, errNotOwner)
	}
	after, err := contracts.ParseRootConfig(data(t, c, root))
	if err != nil {
		t.Fatal(err)
	}
	if after.Version != 8 || after.LastProxySeqno != 3 {
		t.Errorf("stranger changed the root: version %d, seqno %d", after.Version, after.LastProxySeqno)
	}
	if b := balance(t, c, stranger); b <= billing.TON*9/10 || b >= billing.TON {
		t.Errorf("stranger got %v TON back, want the bounced value less fees", b)
	}
}

// signed builds the signed envelope (op, query id, excess address,
// signature, ref to the payload) around a payload signed by key.
func signed(key ed25519.PrivateKey, opcode, queryID uint64, excessTo *address.Address, fill func(*cell.Builder)) *cell.Cell {
	p := cell.BeginCell().MustStoreUInt(opcode, 32).MustStoreUInt(queryID, 64)
	fill(p)
	payload := p.EndCell()
	return cell.BeginCell().MustStoreUInt(opcode, 32).MustStoreUInt(queryID, 64).MustStoreAddr(excessTo).
		MustStoreSlice(payload.Sign(key), 512).MustStoreRef(payload).EndCell()
}

// TestPaymentsMoveBalances routes real contract messages through the chain
// and checks that TON moves as the contracts move it: a client top-up parks
// the deposit in the proxy, a signed charge lowers the client's balance by
// tokens × price, a signed worker payout pays tokens × worker fee to the
// worker's owner out of the proxy and credits the rest to the operator.
func TestPaymentsMoveBalances(t *testing.T) {
	ctx := context.Background()
	c := newChain(t, "")
	proxyKey := testKey(2)
	proxyOwner, workerOwner, clientOwner, relay := addr(0x11), addr(0x44), addr(0x55), addr(0x88)

	proxyData := contracts.NewProxyData(proxyOwner, addr(0x22), proxyKey.Public().(ed25519.PublicKey), params(t))
	proxy := deploy(t, c, params(t).ProxyCode, proxyData, proxyDepositSeed)

	// Client: deploy, top up 5 TON.
	client := deploy(t, c, proxyData.Params.ClientCode, contracts.NewClientData(clientOwner, proxy, proxyData), billing.TON)
	if derived, err := contracts.ClientAddress(clientOwner, proxy, proxyData); err != nil || !derived.Equals(client) {
		t.Fatalf("derived client address %v (%v), want %s", derived, err, client)
	}
	proxyBefore := balance(t, c, proxy)
	topUp := cell.BeginCell().MustStoreUInt(opClientTopUp, 32).MustStoreUInt(6, 64).
		MustStoreCoins(uint64(5 * billing.TON)).MustStoreAddr(relay).EndCell()
	if err := c.SendInternal(ctx, relay, ton.Transfer{To: client, Amount: 5*billing.TON + 2*commission, Bounce: true, Body: topUp}); err != nil {
		t.Fatal(err)
	}
	cs, err := contracts.ParseClientData(data(t, c, client))
	if err != nil {
		t.Fatal(err)
	}
	if cs.Balance != 5*billing.TON {
		t.Errorf("client balance %v after a 5 TON top-up, want 5", cs.Balance)
	}
	if gain := balance(t, c, proxy) - proxyBefore; gain < 5*billing.TON || gain > 5*billing.TON+commission {
		t.Errorf("proxy gained %v TON from a 5 TON top-up, want 5 plus at most the fee margin", gain)
	}
	if ex := lastTx(t, c, relay); ex.In == nil || !ex.In.Src.Equals(proxy) || op(ex.In.Body) != opExcesses {
		t.Errorf("relay's last transaction is %+v, want the proxy's excesses", ex.In)
	}

	// Signed charge of 2000 tokens at 0.001 TON.
	charge := signed(proxyKey, opClientCharge, 7, relay, func(b *cell.Builder) {
		b.MustStoreUInt(2000, 64).MustStoreAddr(client)
	})
	if err := c.SendInternal(ctx, relay, ton.Transfer{To: client, Amount: 2 * commission, Bounce: true, Body: charge}); err != nil {
		t.Fatal(err)
	}
	if cs, err = contracts.ParseClientData(data(t, c, client)); err != nil {
		t.Fatal(err)
	}
	if cs.TokensUsed != 2000 || cs.Balance != 3*billing.TON {
		t.Errorf("after charging 2000 tokens: tokens %d, balance %v; want 2000 and 3 TON", cs.TokensUsed, cs.Balance)
	}
	if notice := lastTx(t, c, proxy); !notice.Skipped || notice.In == nil || notice.In.Value != 1 {
		t.Errorf("proxy's last transaction skipped=%v in=%+v, want the 1-nanoTON notice with no gas", notice.Skipped, notice.In)
	}

	// Worker: deploy, signed payout of 1000 tokens.
	worker := deploy(t, c, proxyData.Params.WorkerCode, contracts.NewWorkerData(workerOwner, proxy, proxyData), billing.TON)
	proxyBefore = balance(t, c, proxy)
	payout := signed(proxyKey, opWorkerPayout, 8, relay, func(b *cell.Builder) {
		b.MustStoreUInt(1000, 64).MustStoreAddr(worker)
	})
	if err := c.SendInternal(ctx, relay, ton.Transfer{To: worker, Amount: billing.TON / 2, Bounce: true, Body: payout}); err != nil {
		t.Fatal(err)
	}
	if got := balance(t, c, workerOwner); got != 1000*workerFeePerTok {
		t.Errorf("worker owner holds %v TON, want exactly 1000 × worker fee = 0.1", got)
	}
	if paid := lastTx(t, c, workerOwner); paid.In == nil || op(paid.In.Body) != opPayout || !paid.In.Src.Equals(proxy) {
		t.Errorf("worker owner's transaction %+v, want the proxy's payout", paid.In)
	}
	ps, err := ton.ReadProxyData(ctx, c, proxy)
	if err != nil {
		t.Fatal(err)
	}
	if ps.Balance != 1000*(pricePerTok-workerFeePerTok) {
		t.Errorf("operator balance %v, want 1000 × (price − fee) = 0.9 TON", ps.Balance)
	}
	if spent := proxyBefore - balance(t, c, proxy); spent < 1000*workerFeePerTok || spent > 1000*workerFeePerTok+commission/2 {
		t.Errorf("proxy spent %v TON on the payout, want the worker's 0.1 plus fees", spent)
	}
	ws, err := contracts.ParseWorkerData(data(t, c, worker))
	if err != nil {
		t.Fatal(err)
	}
	if ws.Tokens != 1000 {
		t.Errorf("worker tokens %d, want 1000", ws.Tokens)
	}
	req := lastTx(t, c, proxy)
	if req.In == nil || !req.In.Src.Equals(worker) || op(req.In.Body) != opWorkerRequest || !req.Success {
		t.Errorf("proxy's last transaction %+v (success %v), want the worker's request", req.In, req.Success)
	}
}

func TestBounceFromMissingAccount(t *testing.T) {
	ctx := context.Background()
	c := newChain(t, "")
	w := fundedWallet(t, c, 4, 3*billing.TON)
	if err := w.Send(ctx, c, ton.Transfer{To: w.Address(), Amount: 1, Mode: ton.ModePayFeesSeparately}); err != nil {
		t.Fatal(err)
	}
	before := balance(t, c, w.Address())
	nowhere := addr(0x5a)
	if err := w.Send(ctx, c, ton.Transfer{To: nowhere, Amount: billing.TON, Bounce: true, Mode: ton.ModePayFeesSeparately}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Account(ctx, nowhere); !errors.Is(err, ton.ErrNotFound) {
		t.Errorf("bounced destination: got %v, want ErrNotFound", err)
	}
	back := lastTx(t, c, w.Address())
	if back.In == nil || !back.In.Bounced || !back.In.Src.Equals(nowhere) {
		t.Fatalf("wallet's last transaction %+v, want the bounce", back.In)
	}
	if lost := before - balance(t, c, w.Address()); lost <= 0 || lost > billing.TON/100 {
		t.Errorf("a bounced 1 TON transfer cost %v TON, want only fees", lost)
	}
}
