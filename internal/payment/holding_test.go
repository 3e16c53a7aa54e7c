package payment_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/tl"
)

func TestCheckProxyKey(t *testing.T) {
	pub := testKey.Public().(ed25519.PublicKey)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)).Public().(ed25519.PublicKey)
	untrusted := errors.New("untrusted")
	known := []*payment.Holding{{Key: pub, Own: testAddr(1), Endpoint: "p:1"}, {Key: other, Own: testAddr(2), Endpoint: "p:2"}}
	tests := []struct {
		name     string
		at       *payment.Holding
		endpoint string
		key      ed25519.PublicKey
		want     string
	}{
		{"a known proxy at its contract", known[0], "p:1", pub, ""},
		{"a new contract of a known proxy", nil, "p:1", pub, ""},
		{"a new proxy", nil, "p:3", other, ""},
		{"a proxy whose key changed", nil, "p:1", other, "changed its key"},
		{"another proxy's contract", known[1], "p:3", pub, "belongs to a proxy with another key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := payment.CheckProxyKey(known, tt.at, tt.endpoint, tt.key, untrusted)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, untrusted) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want the holder's untrusted error saying %q", err, tt.want)
			}
		})
	}
}

// heldAccount is a holder's account as the client and worker keep one.
type heldAccount struct{ payment.Holding }

func TestAdmitAndSorted(t *testing.T) {
	pub := testKey.Public().(ed25519.PublicKey)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)).Public().(ed25519.PublicKey)
	untrusted := errors.New("untrusted")
	opened := 0
	open := func(h payment.Holding) *heldAccount {
		opened++
		return &heldAccount{Holding: h}
	}
	accounts := map[string]*heldAccount{}
	at := func(key, endpoint string, pc payment.ProxyContracts) (*heldAccount, error) {
		return payment.Admit(accounts, key, endpoint, pc, untrusted, open)
	}
	pcA := payment.ProxyContracts{Key: pub, Owner: testAddr(3), Proxy: testAddr(4), Own: testAddr(0x10)}
	a, err := at("a", "p:2", pcA)
	if err != nil || opened != 1 || accounts["a"] != a || !a.Own.Equals(pcA.Own) || !a.Key.Equal(pub) || a.Endpoint != "p:2" {
		t.Fatalf("first admission: %+v, %v, %d opened; want a new account at %s from p:2", a, err, opened, pcA.Own)
	}
	again, err := at("a", "p:1", pcA)
	if err != nil || again != a || opened != 1 || a.Endpoint != "p:1" {
		t.Errorf("the same contract from another endpoint: %+v, %v, %d opened; want the same account, now at p:1", again, err, opened)
	}
	b, err := at("b", "p:3", payment.ProxyContracts{Key: other, Owner: testAddr(5), Proxy: testAddr(6), Own: testAddr(0x11)})
	if err != nil || b == a || opened != 2 {
		t.Errorf("another proxy's contract: %+v, %v, %d opened; want a second account", b, err, opened)
	}
	if _, err := at("c", "p:1", payment.ProxyContracts{Key: other, Own: testAddr(0x12)}); !errors.Is(err, untrusted) || accounts["c"] != nil || opened != 2 {
		t.Errorf("a proxy whose key changed: %v, %d opened; want the untrusted error and no account", err, opened)
	}
	if _, err := at("b", "p:4", pcA); !errors.Is(err, untrusted) || b.Endpoint != "p:3" {
		t.Errorf("another proxy's contract under this key: %v, endpoint %s; want the untrusted error, the endpoint kept", err, b.Endpoint)
	}
	accounts["d"] = &heldAccount{Holding: payment.Holding{Endpoint: "p:1"}}
	endpoints, accts := payment.Sorted(accounts)
	if want := []string{"p:1", "p:1", "p:3"}; !slices.Equal(endpoints, want) {
		t.Errorf("Sorted endpoints %v, want %v", endpoints, want)
	}
	if len(accts) != 3 || accts[0] != a || accts[1] != accounts["d"] || accts[2] != b {
		t.Errorf("Sorted accounts %+v, want a, d (same endpoint, by key), b", accts)
	}
}

// TestHoldingAcrossConnections keeps a holding over two connections: the
// second's tracker starts from the best payment and committed figure the
// first recorded, and refuses a proxy that lost committed tokens.
func TestHoldingAcrossConnections(t *testing.T) {
	pub := testKey.Public().(ed25519.PublicKey)
	h := payment.NewHolding(payment.ProxyContracts{Key: pub, Owner: testAddr(3), Proxy: testAddr(4), Own: testAddr(0x10)})
	first, err := h.Tracker(payment.OpWorkerPayout)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Update(signedBOC(t, testKey, payment.OpWorkerPayout, 100, 0x10), 150, 200); err != nil {
		t.Fatal(err)
	}
	h.Record(first)
	if h.Signed != 100 || h.DB != 150 || h.Max != 200 || h.Best == nil {
		t.Fatalf("recorded %d signed, %d committed of %d, best %x; want 100, 150 of 200 and the payment", h.Signed, h.DB, h.Max, h.Best)
	}
	second, err := h.Tracker(payment.OpWorkerPayout)
	if err != nil {
		t.Fatal(err)
	}
	if f := second.Figures(); f.Signed != 100 || f.DB != 150 {
		t.Errorf("a new connection starts from %+v, want 100 signed, 150 committed", f)
	}
	if err := second.Update(nil, 140, 160); !errors.Is(err, payment.ErrWentBackwards) {
		t.Errorf("a proxy that lost committed tokens: got %v, want ErrWentBackwards", err)
	}
	// A restarted proxy that lost uncommitted tokens lowers the total.
	if err := second.Update(nil, 150, 160); err != nil {
		t.Fatal(err)
	}
	h.Record(second)
	if h.Signed != 100 || h.DB != 150 || h.Max != 160 {
		t.Errorf("after a restart: %d signed, %d committed of %d; want 100, 150 of 160", h.Signed, h.DB, h.Max)
	}
	if err := h.Verify(signedBOC(t, testKey, payment.OpWorkerPayout, 50, 0x10), payment.OpWorkerPayout); err != nil {
		t.Errorf("an older payout of the proxy's: %v", err)
	}
	if err := h.Verify(signedBOC(t, testKey, payment.OpWorkerPayout, 50, 0x11), payment.OpWorkerPayout); err == nil {
		t.Error("a payout to another contract verified")
	}
}

func TestHoldingCheckBest(t *testing.T) {
	pub := testKey.Public().(ed25519.PublicKey)
	best := signedBOC(t, testKey, payment.OpClientCharge, 30, 0x10)
	tests := []struct {
		name   string
		best   []byte
		signed int64
		want   string
	}{
		{"none", nil, 0, ""},
		{"the best charge", best, 30, ""},
		{"signed without a charge", nil, 5, "signed_tokens 5 without a charge"},
		{"figures that disagree", best, 20, "signs 30 tokens, signed_tokens says 20"},
		{"not a payment", []byte{1, 2, 3}, 30, "best_charge: "},
		{"another contract's", signedBOC(t, testKey, payment.OpClientCharge, 30, 0x11), 30, "best_charge: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := payment.Holding{Key: pub, Own: testAddr(0x10), Best: tt.best, Signed: tt.signed}
			err := h.CheckBest("best_charge", "charge", payment.OpClientCharge)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

func TestPollAnswer(t *testing.T) {
	asked, cur := payment.Figures{Signed: 10, DB: 10, Max: 15}, payment.Figures{Signed: 20, DB: 20, Max: 25}
	backwards := errors.New("backwards")
	tests := []struct {
		name              string
		signed, db, total int64
		apply             bool
		err               bool
	}{
		{"newer than the connection's", 30, 30, 35, true, false},
		{"as the connection's", 20, 20, 25, true, false},
		{"overtaken by later reports", 10, 10, 17, false, false},
		{"below what was held when asked", 10, 9, 17, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apply, err := payment.PollAnswer(cur, asked, tt.signed, tt.db, tt.total, backwards)
			if apply != tt.apply || (err != nil) != tt.err || (err != nil && !errors.Is(err, backwards)) {
				t.Fatalf("got %v, %v; want apply %v, error %v wrapping the holder's", apply, err, tt.apply, tt.err)
			}
		})
	}
}

func TestJudgePollAnswer(t *testing.T) {
	pub := testKey.Public().(ed25519.PublicKey)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	h := payment.NewHolding(payment.ProxyContracts{Key: pub, Owner: testAddr(3), Proxy: testAddr(4), Own: testAddr(0x10)})
	asked, cur := payment.Figures{Signed: 10, DB: 10, Max: 15}, payment.Figures{Signed: 20, DB: 20, Max: 25}
	backwards := errors.New("backwards")
	tests := []struct {
		name      string
		boc       []byte
		db, total int64
		apply     bool
		// want is what the error says; "" for none.
		want string
	}{
		{"a newer payment", signedBOC(t, testKey, payment.OpWorkerPayout, 30, 0x10), 30, 35, true, ""},
		{"no payment, newer figures", nil, 30, 35, true, ""},
		{"an overtaken payment, verified", signedBOC(t, testKey, payment.OpWorkerPayout, 12, 0x10), 12, 17, false, ""},
		{"an overtaken payment signed by another key", signedBOC(t, other, payment.OpWorkerPayout, 12, 0x10), 12, 17, false, "signature"},
		{"an overtaken payment for another contract", signedBOC(t, testKey, payment.OpWorkerPayout, 12, 0x11), 12, 17, false, "another contract"},
		{"an overtaken payment of another op", signedBOC(t, testKey, payment.OpClientCharge, 12, 0x10), 12, 17, false, "unexpected op"},
		{"a payment below what was held when asked", signedBOC(t, testKey, payment.OpWorkerPayout, 9, 0x10), 12, 17, false, "backwards"},
		{"figures below what was held when asked", nil, 9, 17, false, "backwards"},
		{"bytes that are no payment", []byte{1, 2, 3}, 30, 35, false, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apply, err := h.JudgePollAnswer(cur, asked, tt.boc, tt.db, tt.total, backwards, payment.OpWorkerPayout, payment.OpWorkerLastPayout)
			if tt.want == "" {
				if apply != tt.apply || err != nil {
					t.Fatalf("got %v, %v; want apply %v and no error", apply, err, tt.apply)
				}
				return
			}
			if apply || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, %v; want an error saying %q", apply, err, tt.want)
			}
		})
	}
	if _, err := h.JudgePollAnswer(cur, asked, nil, 9, 17, backwards); !errors.Is(err, backwards) {
		t.Errorf("an answer below asked: %v, want the holder's backwards error", err)
	}
}

func TestBOC(t *testing.T) {
	if b := payment.BOC(&tl.ProxySignedPayment{Data: []byte{1}}); !bytes.Equal(b, []byte{1}) {
		t.Errorf("a signed payment: got %x", b)
	}
	if b := payment.BOC(&tl.ProxySignedPaymentEmpty{}); b != nil {
		t.Errorf("no payment: got %x, want nil", b)
	}
}
