package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Frame size limits: a payload holds at least a constructor id and at most
// 16 MiB.
const (
	MinFrameSize = 4
	MaxFrameSize = 16 << 20
)

// Framing errors. Each one ends the connection.
var (
	ErrFrameTooLarge = errors.New("wire: frame larger than 16 MiB")
	ErrFrameTooSmall = errors.New("wire: frame shorter than 4 bytes")
	ErrBadSeqno      = errors.New("wire: unexpected frame sequence number")
)

// frameChunk bounds how much a frame's length header alone can make us
// allocate: larger payloads grow as their bytes actually arrive.
const frameChunk = 64 << 10

// readAhead is the least pooled buffer a FrameReader reads into, so that
// a burst of frames costs few reads.
const readAhead = 16 << 10

// FrameReader reads frames from r and checks that their sequence numbers
// count up from 0. It reads ahead: while nothing is waiting, into a small
// array of its own, which holds headers and small frames; for larger
// frames and bursts, into a buffer taken from a pool. Once everything it
// read has been consumed, it gives that buffer back before it reads again,
// so a reader waiting for the peer between frames holds none. It is not
// safe for concurrent use.
type FrameReader struct {
	r     io.Reader
	seqno int32
	small [512]byte
	buf   *[]byte // the pooled buffer, if one is held
	// back is small or all of *buf; the bytes in back[off:end] have been
	// read from r but not consumed.
	back     []byte
	off, end int
}

// NewFrameReader returns a FrameReader over r, expecting sequence number 0
// first.
func NewFrameReader(r io.Reader) *FrameReader {
	fr := &FrameReader{r: r}
	fr.back = fr.small[:]
	return fr
}

// ReadFrame reads the next frame and returns its payload. The payload lies
// in the reader's buffer: it is valid until the next call to ReadFrame,
// which may overwrite it or give the buffer back to the pool. Copy what
// must outlive that. Any error leaves the stream unusable.
func (fr *FrameReader) ReadFrame() ([]byte, error) {
	if err := fr.fill(frameHeaderSize); err != nil {
		if err == io.EOF && fr.end > fr.off {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("reading frame header: %w", err)
	}
	h := fr.back[fr.off : fr.off+frameHeaderSize]
	fr.off += frameHeaderSize
	n := binary.LittleEndian.Uint32(h[:4])
	seqno := int32(binary.LittleEndian.Uint32(h[4:]))
	switch {
	case n > MaxFrameSize:
		return nil, fmt.Errorf("reading frame %d: length %d: %w", seqno, n, ErrFrameTooLarge)
	case n < MinFrameSize:
		return nil, fmt.Errorf("reading frame %d: length %d: %w", seqno, n, ErrFrameTooSmall)
	case seqno != fr.seqno:
		return nil, fmt.Errorf("reading frame: got seqno %d, want %d: %w", seqno, fr.seqno, ErrBadSeqno)
	}
	fr.seqno++
	size := int(n)
	if err := fr.fill(size); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("reading frame %d body (%d of %d bytes): %w", seqno, fr.end-fr.off, size, err)
	}
	p := fr.back[fr.off : fr.off+size : fr.off+size]
	fr.off += size
	return p, nil
}

// fill reads until at least n bytes wait unconsumed. Once everything read
// has been consumed, the pooled buffer goes back before r is read again.
// A buffer grows as bytes arrive, at most doubling what has arrived, so
// that a length header alone never makes it large.
func (fr *FrameReader) fill(n int) error {
	for fr.end-fr.off < n {
		have := fr.end - fr.off
		if have == 0 && fr.buf != nil {
			putBuf(fr.buf)
			fr.buf, fr.back = nil, fr.small[:]
		}
		if have == 0 {
			fr.off, fr.end = 0, 0
		}
		want := min(n, max(2*have, frameChunk)) // bytes to hold after this read
		if len(fr.back)-fr.off < want {
			if fr.buf != nil && len(fr.back) >= want {
				copy(fr.back, fr.back[fr.off:fr.end])
			} else {
				nb := getBuf(max(want, readAhead))
				back := (*nb)[:cap(*nb)]
				copy(back, fr.back[fr.off:fr.end])
				if fr.buf != nil {
					putBuf(fr.buf)
				}
				fr.buf, fr.back = nb, back
			}
			fr.off, fr.end = 0, have
		}
		m, err := io.ReadAtLeast(fr.r, fr.back[fr.end:], want-have)
		fr.end += m
		if err != nil {
			return err
		}
	}
	return nil
}

// frameHeaderSize is the length of a frame's header: the payload's length
// and the sequence number.
const frameHeaderSize = 8

// putFrameHeader writes the header of a frame of n bytes with seqno into
// h.
func putFrameHeader(h []byte, n int, seqno int32) {
	binary.LittleEndian.PutUint32(h[:4], uint32(n))
	binary.LittleEndian.PutUint32(h[4:8], uint32(seqno))
}

func checkFrameSize(n int) error {
	switch {
	case n > MaxFrameSize:
		return fmt.Errorf("sending a %d-byte message: %w", n, ErrFrameTooLarge)
	case n < MinFrameSize:
		return fmt.Errorf("sending a %d-byte message: %w", n, ErrFrameTooSmall)
	}
	return nil
}
