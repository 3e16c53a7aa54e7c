package onchain

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/contracts/rootadmin"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
)

// Network figures of the tests.
const (
	testPrice    billing.NanoTON = 1_000_000
	testFee      billing.NanoTON = 100_000
	testStake                    = billing.TON
	testDelay                    = 3600
	walletFunds                  = 100 * billing.TON
	testStartUTC                 = 1_800_000_000
)

func testKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func testAddr(b byte) *address.Address {
	return address.NewAddress(0, 0, bytes.Repeat([]byte{b}, 32))
}

// net is a root deployed on an emulated chain, with a funded proxy wallet
// and the proxy adapter.
type net struct {
	chain    *emulated.Chain
	clock    *sharedtest.Clock // the emulated chain's
	root     *address.Address
	proxyKey ed25519.PrivateKey
	pw       *Wallet
	proxy    *Proxy
}

func testParams(t *testing.T) contracts.Params {
	t.Helper()
	p, err := contracts.ChildCodes(contracts.Params{
		StructVersion: contracts.ParamsStructVersion, ParamsVersion: 1, UniqueID: 77, IsTest: true,
		PricePerToken: testPrice, WorkerFeePerToken: testFee,
		PromptMultiplier: billing.MultiplierOne, CachedMultiplier: billing.MultiplierOne,
		CompletionMultiplier: billing.MultiplierOne, ReasoningMultiplier: billing.MultiplierOne,
		ProxyDelayBeforeClose: testDelay, ClientDelayBeforeClose: testDelay,
		MinProxyStake: testStake, MinClientStake: testStake,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fundedWallet returns a cocoon wallet of key holding walletFunds.
func fundedWallet(t *testing.T, c *emulated.Chain, key ed25519.PrivateKey) *Wallet {
	t.Helper()
	w, err := NewWallet(c, key, testAddr(0xee), WalletOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Fund(context.Background(), w.Address(), walletFunds); err != nil {
		t.Fatal(err)
	}
	return w
}

func newNet(t *testing.T) *net {
	t.Helper()
	ctx := context.Background()
	clk := sharedtest.NewClock(time.Unix(testStartUTC, 0))
	c, err := emulated.New(emulated.Options{Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	admin := fundedWallet(t, c, testKey(1))
	d, err := rootadmin.DeployRoot(ctx, c, admin, contracts.RootConfig{
		Owner: admin.Address(), Version: 1,
		ProxyHashes: []contracts.Hash{{1}}, WorkerHashes: []contracts.Hash{{2}}, ModelHashes: []contracts.Hash{{3}},
		Params: testParams(t),
	}, billing.TON, DefaultPoll)
	if err != nil {
		t.Fatal(err)
	}
	root := d.Root
	n := &net{chain: c, clock: clk, root: root, proxyKey: testKey(2)}
	n.pw = fundedWallet(t, c, testKey(3))
	n.proxy = n.newProxy(t, n.pw.Address())
	return n
}

// newProxy is a proxy adapter of the net's proxy key and wallet for the
// proxy contract owned by owner.
func (n *net) newProxy(t *testing.T, owner *address.Address) *Proxy {
	t.Helper()
	p, err := NewProxy(ProxyConfig{Chain: n.chain, Root: n.root, Wallet: n.pw, Owner: owner, Key: n.proxyKey.Public().(ed25519.PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// submit sends the proxy's signed payment op for tokens at a, as the
// proxy does.
func (n *net) submit(t *testing.T, op payment.Op, tokens int64, a *address.Address) {
	t.Helper()
	if err := n.proxy.Submit(context.Background(), paymenttest.SignedBOC(t, n.proxyKey, op, payment.RandomQueryID(), tokens, a)); err != nil {
		t.Fatal(err)
	}
}

// open opens the proxy contract.
func (n *net) open(t *testing.T) *address.Address {
	t.Helper()
	addr, err := n.proxy.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// account reads a; an account that does not exist is the zero one.
func (n *net) account(t *testing.T, a *address.Address) ton.Account {
	t.Helper()
	acc, err := n.chain.Account(context.Background(), a)
	if errors.Is(err, ton.ErrNotFound) {
		return ton.Account{}
	}
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

func (n *net) balance(t *testing.T, a *address.Address) billing.NanoTON {
	t.Helper()
	return n.account(t, a).Balance
}

func (n *net) proxyData(t *testing.T, a *address.Address) contracts.ProxyData {
	t.Helper()
	d, err := ton.ReadProxyData(context.Background(), n.chain, a)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// lastTxs returns the last k transactions of a, oldest first.
func (n *net) txsAfter(t *testing.T, a *address.Address, after uint64) []ton.Tx {
	t.Helper()
	txs, err := n.chain.Transactions(context.Background(), a, after, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return txs
}

func (n *net) lastLT(t *testing.T, a *address.Address) uint64 {
	t.Helper()
	return n.account(t, a).LastLT
}
