package store

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLockedLedgerNamesTheHolder holds a ledger file's lock in another
// process (flock(1)) and checks that opening it says which process.
func TestLockedLedgerNamesTheHolder(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("flock(1) not installed")
	}
	if _, err := os.Stat("/proc/locks"); err != nil {
		t.Skip("no /proc/locks")
	}
	path := filepath.Join(t.TempDir(), "ledger.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("flock", "--exclusive", path, "sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	_, key, _ := ed25519.GenerateKey(nil)
	for i := 0; lockHolder(path) == 0; i++ { // until flock holds the lock
		if i == 250 {
			t.Fatal("flock(1) never took the lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, err := OpenBolt(path, key, 100*time.Millisecond)
	if err == nil {
		t.Fatal("opened a ledger file another process locks")
	}
	// flock(1) forks sleep with the lock; either may be named.
	if !strings.Contains(err.Error(), "locked by process ") || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("got %q, want the holder's pid and the fix", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(cmd.Process.Pid)) && !strings.Contains(err.Error(), "sleep 30") {
		t.Errorf("got %q, want the flock process named", err)
	}
}
