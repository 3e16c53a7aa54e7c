//go:build !unix

package emulated

import "os"

// lockFile opens path (creating it). Without flock, processes do not
// exclude one another: a state file is shared across processes only on
// Unix.
func lockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}
