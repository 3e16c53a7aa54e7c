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

// FrameReader reads frames from r and checks that their sequence numbers
// count up from 0. It is not safe for concurrent use.
type FrameReader struct {
	r     io.Reader
	seqno int32
	hdr   [8]byte
}

// NewFrameReader returns a FrameReader over r, expecting sequence number 0
// first.
func NewFrameReader(r io.Reader) *FrameReader { return &FrameReader{r: r} }

// ReadFrame reads the next frame and returns its payload in a newly
// allocated slice that the caller owns. Any error leaves the stream
// unusable.
func (fr *FrameReader) ReadFrame() ([]byte, error) {
	if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		return nil, fmt.Errorf("reading frame header: %w", err)
	}
	n := binary.LittleEndian.Uint32(fr.hdr[:4])
	seqno := int32(binary.LittleEndian.Uint32(fr.hdr[4:]))
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
	buf := make([]byte, min(size, frameChunk))
	for got := 0; ; {
		m, err := io.ReadFull(fr.r, buf[got:])
		got += m
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("reading frame %d body (%d of %d bytes): %w", seqno, got, size, err)
		}
		if got == size {
			return buf, nil
		}
		buf = append(buf, make([]byte, min(size-got, len(buf)))...)
	}
}

// FrameWriter writes frames to w, numbering them from 0. It is not safe
// for concurrent use.
type FrameWriter struct {
	w     io.Writer
	seqno int32
	hdr   [8]byte
}

// NewFrameWriter returns a FrameWriter over w.
func NewFrameWriter(w io.Writer) *FrameWriter { return &FrameWriter{w: w} }

// WriteFrame writes payload as the next frame. A payload outside the size
// limits is refused with ErrFrameTooLarge or ErrFrameTooSmall before
// anything is written; a write error leaves the stream unusable.
func (fw *FrameWriter) WriteFrame(payload []byte) error {
	if err := checkFrameSize(len(payload)); err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(fw.hdr[:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(fw.hdr[4:], uint32(fw.seqno))
	if _, err := fw.w.Write(fw.hdr[:]); err != nil {
		return fmt.Errorf("writing frame %d header: %w", fw.seqno, err)
	}
	if _, err := fw.w.Write(payload); err != nil {
		return fmt.Errorf("writing frame %d body: %w", fw.seqno, err)
	}
	fw.seqno++
	return nil
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
