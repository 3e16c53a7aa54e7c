package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	bolterrors "go.etcd.io/bbolt/errors"
)

// lockedError explains a ledger file that another process holds: which
// process, where the system says so (/proc/locks), and what to do.
func lockedError(path string, err error) error {
	if !errors.Is(err, bolterrors.ErrTimeout) {
		return err
	}
	who := "another process"
	if pid := lockHolder(path); pid > 0 {
		who = fmt.Sprintf("process %d", pid)
		if cmd, rerr := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); rerr == nil && len(cmd) > 0 {
			who += fmt.Sprintf(" (%s)", strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " ")))
		}
	}
	return fmt.Errorf("the ledger file is locked by %s, a devnet or proxy using the same data directory: stop it, or give this one another --data-dir (or db_path): %w", who, err)
}

// lockHolder returns the pid that holds a lock on the file at path, as
// /proc/locks lists it, or 0 where that cannot be told.
func lockHolder(path string) int {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return 0
	}
	defer f.Close()
	inode := ":" + strconv.FormatUint(uint64(sys.Ino), 10)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "1: FLOCK  ADVISORY  WRITE 12345 08:01:123456 0 EOF"; a
		// blocked waiter has "->" after the number.
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] == "->" {
			continue
		}
		if !strings.HasSuffix(fields[5], inode) {
			continue
		}
		if pid, err := strconv.Atoi(fields[4]); err == nil && pid != os.Getpid() {
			return pid
		}
	}
	return 0
}
