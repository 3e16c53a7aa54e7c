package emulated

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// sharedDst is the account the shared-state tests fund.
var sharedDst = address.NewAddress(0, 0, bytes.Repeat([]byte{0x5a}, 32))

// TestSharedStateFile opens two chains on one state file, as two
// processes do, and changes it from both at once: every change of one is
// seen by the other and none is lost.
func TestSharedStateFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chain.json")
	a, b := newChain(t, path), newChain(t, path)
	const each = 8
	var wg sync.WaitGroup
	for _, c := range []*Chain{a, b} {
		wg.Go(func() {
			for range each {
				if err := c.Fund(ctx, sharedDst, billing.TON); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for name, c := range map[string]*Chain{"first": a, "second": b, "reopened": newChain(t, path)} {
		if got := balanceOf(t, c, sharedDst); got != 2*each*billing.TON {
			t.Errorf("%s chain: balance %v, want %v", name, got, 2*each*billing.TON)
		}
	}

	// A wallet used through both: each send sees the seqno the other left.
	w := fundedWallet(t, a, 6, 10*billing.TON)
	dst := address.NewAddress(0, 0, bytes.Repeat([]byte{0x5b}, 32))
	for i, c := range []*Chain{a, b, a, b} {
		if err := w.Send(ctx, c, ton.Transfer{To: dst, Amount: billing.TON, Mode: ton.ModePayFeesSeparately}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if got := balanceOf(t, b, dst); got != 4*billing.TON {
		t.Errorf("destination holds %v after four sends through two chains, want 4", got)
	}
}

// TestSharedAcrossProcesses funds one account from two processes sharing
// a state file.
func TestSharedAcrossProcesses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a state file is shared across processes only on Unix")
	}
	if os.Getenv("COCOON_EMULATED_FUND") != "" {
		t.Skip("running as a funding process")
	}
	path := filepath.Join(t.TempDir(), "chain.json")
	const procs, each = 2, 5
	var wg sync.WaitGroup
	for range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestFundProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), "COCOON_EMULATED_FUND="+path)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("funding process: %v\n%s", err, out)
			}
		})
	}
	wg.Wait()
	if got := balanceOf(t, newChain(t, path), sharedDst); got != procs*each*billing.TON {
		t.Errorf("balance %v after %d processes funded %d times each, want %v", got, procs, each, procs*each*billing.TON)
	}
}

// TestFundProcess is TestSharedAcrossProcesses's funding process.
func TestFundProcess(t *testing.T) {
	path := os.Getenv("COCOON_EMULATED_FUND")
	if path == "" {
		t.Skip("runs only as TestSharedAcrossProcesses's child")
	}
	c := newChain(t, path)
	for range 5 {
		if err := c.Fund(context.Background(), sharedDst, billing.TON); err != nil {
			t.Fatal(err)
		}
	}
}
