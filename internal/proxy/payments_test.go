package proxy

import (
	"crypto/ed25519"
	"crypto/tls"
	"testing"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/tl"
)

var _ Contracts = paymenttest.Contracts{}

func newSigningProxy(t testing.TB) (*Proxy, ed25519.PublicKey) {
	t.Helper()
	pub, key, _ := ed25519.GenerateKey(nil)
	cfg, err := ParseConfig([]byte(`{"is_test":true,"worker_policy":"fake_tdx","owner_address":"` + paymenttest.Addr([]byte("owner")).String() + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(cfg, Deps{Mode: chainconf.FakeTON, WorkerTLS: &tls.Config{}, ClientTLS: &tls.Config{}, RootVersion: testRootVersion, SigningKey: key, Contracts: paymenttest.Contracts{}})
	if err != nil {
		t.Fatal(err)
	}
	return p, pub
}

func TestSignedPayment(t *testing.T) {
	p, pub := newSigningProxy(t)
	if got := p.params(2, p.inst.Load()).ProxySCAddress; got != p.inst.Load().sc.Bounce(false).String() || got == "" {
		t.Errorf("proxy.params carries contract %q, want %s, non-bounceable", got, p.inst.Load().sc.Bounce(false))
	}
	owner := paymenttest.Addr([]byte("peer"))
	tests := []struct {
		kind      billing.Kind
		committed int64
		op        payment.Op
	}{
		{billing.KindClient, 0, payment.OpClientCharge},
		{billing.KindClient, 70, payment.OpClientCharge},
		{billing.KindWorker, 0, payment.OpWorkerPayout},
		{billing.KindWorker, 35, payment.OpWorkerPayout},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			contract, _, err := p.peerContract(tt.kind, owner.String())
			if err != nil {
				t.Fatal(err)
			}
			sp := p.signed(tt.kind, contract, billing.Account{Tokens: tt.committed + 5, CommittedToDB: tt.committed})
			signed, ok := sp.(*tl.ProxySignedPayment)
			if !ok {
				t.Fatalf("%d committed: got %T, want proxy.signedPayment, as the reference signs even 0 tokens", tt.committed, sp)
			}
			boc := signed.Data
			pay, err := payment.Parse(boc)
			if err != nil {
				t.Fatal(err)
			}
			if err := pay.Verify(pub, tt.op, contract); err != nil {
				t.Errorf("payment does not verify: %v", err)
			}
			if pay.Tokens != tt.committed {
				t.Errorf("signed %d tokens, want the %d committed", pay.Tokens, tt.committed)
			}
			if !pay.ExcessTo.Equals(p.contracts.owner) {
				t.Errorf("excess address %v, want the owner %v for a proxy without a wallet", pay.ExcessTo, p.contracts.owner)
			}
		})
	}
	if _, _, err := p.peerContract(billing.KindClient, "not-an-address"); err == nil {
		t.Error("a peer owner that is not a TON address was accepted")
	}
}

func TestNewNeedsTONOwner(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"is_test":true,"worker_policy":"fake_tdx","owner_address":"proxy-owner"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg, Deps{Mode: chainconf.FakeTON, WorkerTLS: &tls.Config{}, ClientTLS: &tls.Config{}, RootVersion: testRootVersion, Contracts: paymenttest.Contracts{}}); err == nil {
		t.Error("New accepted an owner_address that is not a TON address")
	}
}

// BenchmarkSignedPayment is the cost a settled request pays for each of
// its two payment messages when the committed count has not changed.
func BenchmarkSignedPayment(b *testing.B) {
	p, _ := newSigningProxy(b)
	contract, _, _ := p.peerContract(billing.KindClient, paymenttest.Addr([]byte("peer")).String())
	a := billing.Account{Tokens: 100, CommittedToDB: 70}
	for b.Loop() {
		p.signed(billing.KindClient, contract, a)
	}
}
