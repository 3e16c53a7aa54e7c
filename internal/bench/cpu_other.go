//go:build !unix

package bench

import (
	"errors"
	"time"
)

// ProcessCPU returns the CPU time this process has used; only Unix
// systems report it.
func ProcessCPU() (time.Duration, error) {
	return 0, errors.New("reading process CPU time: not supported on this system")
}
