package devnet

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/onchain"
)

// control posts to one of the client's control endpoints and decodes the
// answer.
func control(t *testing.T, n *Network, path string) (int, client.ControlAnswer) {
	t.Helper()
	res, err := http.Post(n.ClientURL+path, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var ans client.ControlAnswer
	if err := json.NewDecoder(res.Body).Decode(&ans); err != nil {
		t.Fatalf("POST %s: decoding the answer: %v", path, err)
	}
	return res.StatusCode, ans
}

// current is the client's contract in use at its proxy: its generation
// and address, as /jsonstats shows them.
func current(t *testing.T, n *Network) (uint32, *address.Address) {
	t.Helper()
	s := n.Client.Snapshot()
	if len(s.ProxyStatus) != 1 {
		t.Fatalf("proxy status %+v, want the one proxy", s.ProxyStatus)
	}
	gen := s.ProxyStatus[0].Generation
	for _, c := range s.Contracts {
		if c.Generation == gen && c.Phase == client.PhaseRunning {
			a, err := address.ParseAddr(c.Address)
			if err != nil {
				t.Fatal(err)
			}
			return gen, a
		}
	}
	t.Fatalf("no running contract of generation %d among %+v", gen, s.Contracts)
	return 0, nil
}

// TestCloseThenCarryOn closes the client's contract and sends a request
// at once: the client deploys and funds a new contract at the same proxy
// (the next generation's, owned by its wallet's subwallet: a closed
// contract takes nothing more) and the request succeeds, with no manual
// step; the closed contracts are refunded, a later generation's refund
// passed on to the wallet; and a devnet restarted on a data directory
// whose contract is closed opens a new one.
func TestCloseThenCarryOn(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Engine: engines(&fakeEngine{chunks: 1}), Chain: ChainEmulated, DataDir: dir}
	ctx := context.Background()
	n := start(t, opts)
	r := chainReader{tb: t, n: n}
	if res, got := post(t, ctx, n.ClientURL, chatStream); res.StatusCode != 200 {
		t.Fatalf("first request: %d %s", res.StatusCode, got)
	}
	gen, first := current(t, n)
	if gen != 0 || !first.Equals(n.Addresses.ClientContract) {
		t.Fatalf("the first contract is generation %d at %s, want 0 at %s", gen, first, n.Addresses.ClientContract)
	}
	owners := map[uint32]*address.Address{}
	for want := uint32(1); want <= 2; want++ {
		if status, ans := control(t, n, "/control/close"); status != http.StatusOK || !ans.OK {
			t.Fatalf("POST /control/close: %d %+v", status, ans)
		}
		s := n.Client.Snapshot()
		if len(s.ProxyStatus) != 1 || !s.ProxyStatus[0].Waiting || s.ProxyStatus[0].Status == "" {
			t.Errorf("after the close the proxy status is %+v, want waiting for a request, saying why", s.ProxyStatus)
		}
		started := time.Now()
		if res, got := post(t, ctx, n.ClientURL, chatStream); res.StatusCode != 200 {
			t.Fatalf("the request after close %d: %d %s", want, res.StatusCode, got)
		}
		t.Logf("the request after close %d took %v", want, time.Since(started))
		gen, addr := current(t, n)
		if gen != want || addr.Equals(first) {
			t.Fatalf("after close %d the contract is generation %d at %s, want %d at a new address", want, gen, addr, want)
		}
		owner, err := address.ParseAddr(n.Client.Snapshot().ProxyStatus[0].Owner)
		if err != nil {
			t.Fatal(err)
		}
		owners[gen] = owner
		if d, ok := clientAt(r, addr); !ok || d.State != contracts.StateNormal || !d.Owner.Equals(owner) {
			t.Errorf("the new contract %s on chain: %+v, want running, owned by generation %d's owner %s", addr, d, gen, owner)
		}
		if c, ok := accountAt(n.Proxy.Snapshot().Clients, addr); !ok || c.Tokens != 7 {
			t.Errorf("the proxy's ledger for the new contract: %+v, want the request's 7 tokens", c)
		}
	}
	// Every closed contract is refunded; generation 1's refund went to
	// its owner, which passed it on to the client's wallet, keeping what
	// it needs to send.
	within(t, 30*time.Second, "the closed contracts refunded and generation 1's refund passed on", func() bool {
		for _, c := range n.Client.Snapshot().Contracts {
			if c.Generation < 2 && c.Phase != client.PhaseClosed {
				return false
			}
		}
		return r.balance(owners[1]) <= onchain.WalletMinimum+billing.TON/10
	})

	// A restart on the data directory while the contract in use is
	// closed opens a new one.
	if status, ans := control(t, n, "/control/close"); status != http.StatusOK || !ans.OK {
		t.Fatalf("POST /control/close: %d %+v", status, ans)
	}
	n.Close()
	again := start(t, opts)
	if res, got := post(t, ctx, again.ClientURL, chatStream); res.StatusCode != 200 {
		t.Fatalf("a request after the restart: %d %s", res.StatusCode, got)
	}
	gen, addr := current(t, again)
	if gen != 3 {
		t.Errorf("after the restart the contract is generation %d, want 3", gen)
	}
	if a := again.Addresses; a.ClientGeneration != gen || !a.ClientContract.Equals(addr) || a.ClientContractOwner == nil {
		t.Errorf("the devnet names client contract %s of generation %d (owner %v), want %s of %d", a.ClientContract, a.ClientGeneration, a.ClientContractOwner, addr, gen)
	}
}
