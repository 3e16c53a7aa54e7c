package onchain

import (
	"context"
	"crypto/ed25519"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
)

// laggingChain acts like a real chain in front of the emulated one: an
// external is only queued, and applied once lag has passed, when the
// chain is next read; the first drop externals are lost.
type laggingChain struct {
	*emulated.Chain
	lag time.Duration

	// mu guards drop, pending and sent.
	mu      sync.Mutex
	drop    int
	pending []queued
	sent    int
}

type queued struct {
	msg *tlb.ExternalMessage
	at  time.Time
}

func (l *laggingChain) SendExternal(_ context.Context, msg *tlb.ExternalMessage) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent++
	if l.drop > 0 {
		l.drop--
		return nil
	}
	l.pending = append(l.pending, queued{msg: msg, at: time.Now()})
	return nil
}

// include applies the externals whose lag has passed; a repeated one is
// refused by the wallet, as on a real chain.
func (l *laggingChain) include(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	keep := l.pending[:0]
	for _, q := range l.pending {
		if time.Since(q.at) < l.lag {
			keep = append(keep, q)
			continue
		}
		_ = l.Chain.SendExternal(ctx, q.msg) // a resent duplicate is rejected: not included
	}
	l.pending = keep
}

func (l *laggingChain) Account(ctx context.Context, addr *address.Address) (ton.Account, error) {
	l.include(ctx)
	return l.Chain.Account(ctx, addr)
}

func (l *laggingChain) Transactions(ctx context.Context, addr *address.Address, afterLT uint64, limit int) ([]ton.Tx, error) {
	l.include(ctx)
	return l.Chain.Transactions(ctx, addr, afterLT, limit)
}

// TestAdaptersOnALaggingChain runs the proxy's start and a client's long
// authorisation on a chain that includes messages late and loses the
// first: the adapters poll, resend and wait rather than rely on the
// emulated chain applying everything at once.
func TestAdaptersOnALaggingChain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		n := newNet(t)
		lc := &laggingChain{Chain: n.chain, lag: 5 * time.Second, drop: 1}
		pw, err := NewWallet(lc, testKey(3), testAddr(0xee), WalletOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewProxy(ProxyConfig{Chain: lc, Root: n.root, Wallet: pw, Owner: pw.Address(), Key: n.proxyKey.Public().(ed25519.PublicKey)})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		addr, err := p.Open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < DefaultResend+5*time.Second || took > DefaultResend+5*time.Second+2*DefaultPoll {
			t.Errorf("Open with its first external lost took %v, want the resend interval %v plus the lag 5s plus at most two polls", took, DefaultResend)
		}
		if d := n.proxyData(t, addr); d.Stake != testStake {
			t.Errorf("proxy stake %v, want %v", d.Stake, testStake)
		}
		start = time.Now()
		if err := p.CommitSeqno(ctx, 3, [32]byte{3}); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < 5*time.Second {
			t.Errorf("CommitSeqno returned after %v, before the chain included it", took)
		}

		cw := fundedWallet(t, n.chain, testKey(0x26))
		lw, err := NewWallet(lc, testKey(0x26), testAddr(0xee), WalletOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !lw.Address().Equals(cw.Address()) {
			t.Fatal("the same key gave two wallet addresses")
		}
		c, err := NewClient(ClientConfig{Chain: lc, Root: n.root, Wallet: lw})
		if err != nil {
			t.Fatal(err)
		}
		id := n.clientID()
		if err := c.Deploy(ctx, id, billing.TON, [32]byte{}); err != nil {
			t.Fatal(err)
		}
		if err := c.Register(ctx, id, 99); err != nil {
			t.Fatal(err)
		}
		cc, err := c.Contract(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := p.Registered(ctx, cc.Address, 99); err != nil || !ok {
			t.Errorf("Registered after the wallet sent the register: got %v (%v), want true", ok, err)
		}
		lc.mu.Lock()
		sent := lc.sent
		lc.mu.Unlock()
		if sent != 5 {
			t.Errorf("the chain got %d externals, want 5 (open twice, commit, deploy, register)", sent)
		}
	})
}

// TestConcurrentSends sends from one wallet in parallel: the sends are
// serialised, so none is refused for a stale seqno.
func TestConcurrentSends(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	const senders = 4
	var wg sync.WaitGroup
	errs := make([]error, senders)
	for i := range senders {
		wg.Go(func() {
			errs[i] = n.pw.Send(ctx, ton.Transfer{To: testAddr(0x70), Amount: billing.TON, Mode: ton.ModePayFeesSeparately})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("send %d: %v", i, err)
		}
	}
	if got := n.balance(t, testAddr(0x70)); got != senders*billing.TON {
		t.Errorf("destination holds %v, want %v", got, senders*billing.TON)
	}
}

// TestSendGivesUpOnAnExpiredExternal loses every external: the send is
// repeated until the external expires on the chain's clock, then fails.
func TestSendGivesUpOnAnExpiredExternal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newNet(t)
		lc := &laggingChain{Chain: n.chain, drop: 1 << 20}
		w, err := NewWallet(lc, testKey(3), testAddr(0xee), WalletOptions{})
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		start := time.Now()
		go func() { errc <- w.Send(context.Background(), ton.Transfer{To: testAddr(0x71), Amount: billing.TON}) }()
		time.Sleep(DefaultResend + DefaultPoll)
		n.clock.Advance(externalTTL)
		err = <-errc
		if err == nil || !strings.Contains(err.Error(), "expired") {
			t.Errorf("got %v, want the external's expiry", err)
		}
		if took := time.Since(start); took != 2*DefaultResend {
			t.Errorf("gave up after %v, want at the second resend, %v", took, 2*DefaultResend)
		}
		lc.mu.Lock()
		defer lc.mu.Unlock()
		if lc.sent != 2 {
			t.Errorf("the external was sent %d times, want 2", lc.sent)
		}
	})
}
