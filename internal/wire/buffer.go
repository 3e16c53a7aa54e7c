package wire

import (
	"math/bits"
	"sync"
)

// Buffer size classes: powers of two from minPooled to maxPooled. Larger
// buffers are allocated for the one frame that needs them and left to the
// garbage collector, so that a burst of large messages pins no memory.
const (
	minPooledShift = 12 // 4 KiB
	maxPooledShift = 20 // 1 MiB
)

// bufPools holds, per size class, *[]byte whose capacity is at least the
// class's size. They are shared by every session: an idle session holds no
// buffer of its own.
var bufPools [maxPooledShift - minPooledShift + 1]sync.Pool

// getBuf returns an empty buffer with a capacity of at least n.
func getBuf(n int) *[]byte {
	class := max(bits.Len(uint(n-1)), minPooledShift)
	if n <= 0 {
		class = minPooledShift
	}
	if class > maxPooledShift {
		b := make([]byte, 0, n)
		return &b
	}
	if b, ok := bufPools[class-minPooledShift].Get().(*[]byte); ok {
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, 1<<class)
	return &b
}

// putBuf gives b back for reuse; the caller must not touch it afterwards.
// Buffers larger than the largest class are dropped.
func putBuf(b *[]byte) {
	c := cap(*b)
	if c < 1<<minPooledShift || c > 1<<maxPooledShift {
		return
	}
	class := bits.Len(uint(c)) - 1 // the largest class that c covers
	bufPools[class-minPooledShift].Put(b)
}
