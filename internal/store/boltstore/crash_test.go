package boltstore_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/store/boltstore"
	"github.com/cocoon-go/cocoon/internal/store/storetest"
)

// crashChildEnv names the ledger file a re-executed test binary flushes
// into until it is killed.
const crashChildEnv = "COCOON_STORE_CRASH_CHILD"

// crashFlush is flush n of the crash test: every record carries n, so a
// load that mixes two flushes is visible.
func crashFlush(n uint32) billing.Flush {
	f := billing.Flush{Seqno: n, ChainSeqno: n / 2}
	for i := range 64 {
		f.Records = append(f.Records, billing.Record{
			Kind: billing.KindWorker, Address: fmt.Sprintf("0:%064x", i), Owner: "owner",
			Tokens: int64(n), Seqno: n,
		})
	}
	return f
}

// TestBoltCrash kills a process in the middle of flushing, several times,
// and checks that the file always holds exactly the last whole flush.
func TestBoltCrash(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		runCrashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	path := filepath.Join(t.TempDir(), "ledger.db")
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBoltCrash$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the child has flushed a while, then kill it mid-stream.
		sc := bufio.NewScanner(out)
		for i := 0; i < 5*(round+1); i++ {
			if !sc.Scan() {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("round %d: the child stopped before flushing %d times: %v", round, 5*(round+1), sc.Err())
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait() // the child dies of the kill; its status says nothing more

		s, err := boltstore.Open(path, storetest.Key, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.Load(context.Background())
		if cerr := s.Close(); cerr != nil {
			t.Fatal(cerr)
		}
		if err != nil {
			t.Fatalf("round %d: loading after a kill: %v", round, err)
		}
		if st.Seqno == 0 || len(st.Records) != 64 {
			t.Fatalf("round %d: loaded seqno %d with %d records, want a whole flush of 64", round, st.Seqno, len(st.Records))
		}
		for _, r := range st.Records {
			if r.Seqno != st.Seqno || r.Tokens != int64(st.Seqno) {
				t.Fatalf("round %d: seqno %d holds a record of flush %d", round, st.Seqno, r.Seqno)
			}
		}
	}
}

func runCrashChild(path string) {
	s, err := boltstore.Open(path, storetest.Key, 5*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	st, err := s.Load(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for n := st.Seqno + 1; ; n++ {
		if err := s.Save(context.Background(), crashFlush(n)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(n)
	}
}
