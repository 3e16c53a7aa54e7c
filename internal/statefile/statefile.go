// Package statefile writes a file atomically: a node's state (the
// client's contracts, the worker's accounts, the emulated chain), the
// devnet's keys and configs, the TEE vendors' cached documents; a crash
// leaves the old content or the new, never part of either.
package statefile

import (
	"os"
	"path/filepath"
)

// Write writes data to path atomically: a temporary file beside it,
// synced, then renamed over it. The file is readable by its owner only
// (os.CreateTemp's 0600), and path never holds part of data nor, for a
// moment, wider permissions.
func Write(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return err
}
