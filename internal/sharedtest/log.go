package sharedtest

import (
	"bytes"
	"fmt"
	"sync"
)

// logLimit bounds what a Log keeps: a failure message needs the start of
// a node's log, and a test that runs long must not grow without bound.
const logLimit = 1 << 20

// Log collects what nodes or processes write to it concurrently, for a
// test to search or to print on failure. Past its first MiB it drops
// what is written (and says that it did in String).
type Log struct {
	mu      sync.Mutex
	b       bytes.Buffer
	dropped int
}

// Write keeps p while the log holds less than a MiB; it never fails.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > logLimit {
		l.dropped += len(p)
		return len(p), nil
	}
	return l.b.Write(p)
}

// String returns what the log holds.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dropped > 0 {
		return l.b.String() + fmt.Sprintf("\n[%d more bytes dropped]", l.dropped)
	}
	return l.b.String()
}
