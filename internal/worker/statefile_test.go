package worker

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
)

// newStateWorker is a worker of owner with a state file at path.
func newStateWorker(t *testing.T, owner *address.Address, path string) (*Worker, error) {
	t.Helper()
	cfg, err := ParseConfig([]byte(`{"is_test":true,"model_name":"m@c:v","forward_requests_to":"127.0.0.1:1","proxies":["127.0.0.1:2"],"proxy_policy":"fake_tdx","owner_address":"` + owner.String() + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	cfg.StateFile = path
	eng, _ := NewEngine(cfg.ForwardRequestsTo, nil)
	return New(cfg, Deps{Mode: chainconf.FakeTON, TLS: &tls.Config{}, Engine: eng, Contracts: paymenttest.Contracts{}, Prices: billing.DefaultPrices(9, 7)})
}

// TestStateFileKeepsAccounts restarts a worker with a state file: its
// account at the proxy contract comes back with the proxy's figures, its
// best signed payout and its contract's fee, so that /jsonstats shows the
// same earnings; and the balance comparison then catches a proxy that
// has lost committed tokens.
func TestStateFileKeepsAccounts(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	owner := paymenttest.Addr([]byte("worker owner"))
	path := filepath.Join(t.TempDir(), "worker-state.json")
	w, err := newStateWorker(t, owner, path)
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeProxy{key: key, owner: paymenttest.Addr([]byte("proxy owner")), workerOwner: owner, db: 10, total: 15}
	if _, err := handshakeWith(t, w, p); err != nil {
		t.Fatal(err)
	}
	a := w.accounts[p.accountKey()]
	a.mu.Lock()
	a.Requests, a.fee, a.feeKnown = 3, 2, true
	a.mu.Unlock()
	before := w.Snapshot()
	if before.Earned.Tokens != 15 || before.Earned.EarnedNano != 30 {
		t.Fatalf("earned %+v, want the proxy's 15 tokens at the contract's fee 2", before.Earned)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w.Run(ctx) // writes the state file once stopped
	again, err := newStateWorker(t, owner, path)
	if err != nil {
		t.Fatal(err)
	}
	after := again.Snapshot()
	if after.Earned != before.Earned || len(after.Accounts) != 1 {
		t.Fatalf("after a restart: earned %+v, accounts %+v; want %+v", after.Earned, after.Accounts, before.Earned)
	}
	got, want := after.Accounts[0], before.Accounts[0]
	if got != want {
		t.Errorf("account after a restart %+v, want %+v", got, want)
	}
	// A proxy that comes back with fewer committed tokens than the worker
	// kept has lost them.
	p.db, p.total = 4, 4
	if _, err := handshakeWith(t, again, p); !errors.Is(err, billing.ErrRollback) {
		t.Errorf("handshake with a proxy that lost committed tokens: %v, want %v", err, billing.ErrRollback)
	}
}

func TestStateFileRefused(t *testing.T) {
	owner := paymenttest.Addr([]byte("worker owner"))
	_, key, _ := ed25519.GenerateKey(nil)
	p := &fakeProxy{key: key, owner: paymenttest.Addr([]byte("proxy owner")), workerOwner: owner, db: 10, total: 15}
	proxySC, workerSC := p.sc()
	keyHex := func(k ed25519.PrivateKey) string { return hex.EncodeToString(k.Public().(ed25519.PublicKey)) }
	entry := `{"proxy":"proxy:1","proxy_owner_address":"` + p.owner.String() + `","proxy_public_key":"` + keyHex(key) + `","proxy_sc_address":"` + proxySC.String() +
		`","worker_sc_address":"` + workerSC.String() + `","signed_tokens":0,"tokens_committed_to_db":1,"max_tokens":2,"requests":0,"fee_per_token_nano":"1","fee_known":true,"superseded":false`
	tests := []struct{ name, file string }{
		{"another owner", `{"version":1,"owner_address":"` + p.owner.String() + `","accounts":[]}`},
		{"unknown version", `{"version":2,"owner_address":"` + owner.String() + `","accounts":[]}`},
		{"unknown field", `{"version":1,"owner_address":"` + owner.String() + `","accounts":[],"x":1}`},
		{"committed above the total", `{"version":1,"owner_address":"` + owner.String() + `","accounts":[` + strings.Replace(entry, `"max_tokens":2`, `"max_tokens":0`, 1) + `}]}`},
		{"signed without a payout", `{"version":1,"owner_address":"` + owner.String() + `","accounts":[` + strings.Replace(entry, `"signed_tokens":0`, `"signed_tokens":5`, 1) + `}]}`},
		{"a payout that does not verify", `{"version":1,"owner_address":"` + owner.String() + `","accounts":[` + entry + `,"best_payout":"AAAA"}]}`},
		{"listed twice", `{"version":1,"owner_address":"` + owner.String() + `","accounts":[` + entry + `},` + entry + `}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "worker-state.json")
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := newStateWorker(t, owner, path); err == nil || !strings.Contains(err.Error(), "state file") {
				t.Errorf("got %v, want an error naming the state file", err)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "worker-state.json")
	if err := os.WriteFile(path, []byte(`{"version":1,"owner_address":"`+owner.String()+`","accounts":[`+entry+`}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := newStateWorker(t, owner, path); err != nil {
		t.Errorf("a good state file: %v", err)
	}
}

// FuzzStateEntry restores arbitrary state entries: no panic, and an entry
// that restores writes back as one that restores to the same account.
func FuzzStateEntry(f *testing.F) {
	_, key, _ := ed25519.GenerateKey(nil)
	owner := paymenttest.Addr([]byte("worker owner"))
	p := &fakeProxy{key: key, owner: paymenttest.Addr([]byte("proxy owner")), workerOwner: owner}
	proxySC, workerSC := p.sc()
	f.Add([]byte(`{"proxy":"proxy:1","proxy_owner_address":"` + p.owner.String() + `","proxy_public_key":"` + hex.EncodeToString(key.Public().(ed25519.PublicKey)) +
		`","proxy_sc_address":"` + proxySC.String() + `","worker_sc_address":"` + workerSC.String() + `","tokens_committed_to_db":1,"max_tokens":2,"fee_per_token_nano":"3","fee_known":true}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var st accountState
		if json.Unmarshal(data, &st) != nil {
			return
		}
		a, err := st.restore()
		if err != nil {
			return
		}
		back, err := a.persisted().restore()
		if err != nil {
			t.Fatalf("entry %s restored, its write-back does not: %v", data, err)
		}
		if !reflect.DeepEqual(back.persisted(), a.persisted()) {
			t.Fatalf("round trip changed the account: %+v, then %+v", a.persisted(), back.persisted())
		}
	})
}
