//go:build unix

package emulated

import (
	"errors"
	"os"
	"syscall"
)

// lockFile opens path (creating it) and holds an exclusive flock on it
// until the returned file is closed. Every process that shares a state
// file runs its operations under this lock.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
