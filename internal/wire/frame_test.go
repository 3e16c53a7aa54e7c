package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
)

func TestFramesRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	fw := NewFrameWriter(&buf)
	payloads := [][]byte{[]byte("abcd"), bytes.Repeat([]byte{7}, 1000), bytes.Repeat([]byte{9}, 300<<10)}
	for _, p := range payloads {
		if err := fw.WriteFrame(p); err != nil {
			t.Fatal(err)
		}
	}
	fr := NewFrameReader(&buf)
	for i, want := range payloads {
		got, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("frame %d: got %d bytes, want %d", i, len(got), len(want))
		}
	}
	if _, err := fr.ReadFrame(); !errors.Is(err, io.EOF) {
		t.Errorf("after the last frame: got %v, want EOF", err)
	}
}

func TestFrameReaderInputInPieces(t *testing.T) {
	var enc bytes.Buffer
	fw := NewFrameWriter(&enc)
	var payloads [][]byte
	for i, n := range []int{4, 5, 100, readAhead - 8, readAhead, 20000, 4, 300 << 10, 70000, 8} {
		p := bytes.Repeat([]byte{byte(i + 1)}, n)
		payloads = append(payloads, p)
		if err := fw.WriteFrame(p); err != nil {
			t.Fatal(err)
		}
	}
	readers := []struct {
		name string
		r    func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"one byte at a time", iotest.OneByteReader},
		{"half of each read", iotest.HalfReader},
		{"data with the last read's EOF", iotest.DataErrReader},
	}
	for _, tt := range readers {
		t.Run(tt.name, func(t *testing.T) {
			fr := NewFrameReader(tt.r(bytes.NewReader(enc.Bytes())))
			for i, want := range payloads {
				got, err := fr.ReadFrame()
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("frame %d: got %d bytes starting %x, want %d of %x", i, len(got), got[:1], len(want), want[:1])
				}
			}
			if _, err := fr.ReadFrame(); !errors.Is(err, io.EOF) {
				t.Errorf("after the last frame: got %v, want EOF", err)
			}
		})
	}
}

// waitingReader serves its bytes, then reports through check what the
// FrameReader holds when it has to wait for more.
type waitingReader struct {
	r     io.Reader
	check func()
}

func (w *waitingReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if err == io.EOF {
		w.check()
	}
	return n, err
}

func TestFrameReaderHoldsNoBufferWhileWaiting(t *testing.T) {
	var enc bytes.Buffer
	fw := NewFrameWriter(&enc)
	for range 10 {
		if err := fw.WriteFrame(make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	w := &waitingReader{r: &enc}
	fr := NewFrameReader(w)
	waited := false
	w.check = func() {
		waited = true
		if fr.buf != nil {
			t.Errorf("waiting for the peer with a %d-byte pooled buffer, want none", cap(*fr.buf))
		}
	}
	for {
		if _, err := fr.ReadFrame(); err != nil {
			break
		}
	}
	if !waited {
		t.Error("the reader never waited")
	}
}

func TestFrameGolden(t *testing.T) {
	var buf bytes.Buffer
	fw := NewFrameWriter(&buf)
	for _, p := range []string{"abcd", "efghij"} {
		if err := fw.WriteFrame([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	// len 4, seqno 0, "abcd"; len 6, seqno 1, "efghij": no padding.
	want := "04000000" + "00000000" + "61626364" + "06000000" + "01000000" + "65666768696a"
	if got := hex.EncodeToString(buf.Bytes()); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func header(n uint32, seqno int32) []byte {
	return []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24), byte(seqno), byte(seqno >> 8), byte(seqno >> 16), byte(seqno >> 24)}
}

func TestFrameReaderErrors(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
		want  error
	}{
		{"too large", header(MaxFrameSize+1, 0), ErrFrameTooLarge},
		{"too small", append(header(3, 0), 1, 2, 3), ErrFrameTooSmall},
		{"bad first seqno", append(header(4, 1), 1, 2, 3, 4), ErrBadSeqno},
		{"truncated body", append(header(8, 0), 1, 2, 3), io.ErrUnexpectedEOF},
		{"huge length, no body", header(MaxFrameSize, 0), io.ErrUnexpectedEOF},
		{"truncated header", []byte{4, 0, 0}, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewFrameReader(bytes.NewReader(tt.input)).ReadFrame()
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("repeated seqno", func(t *testing.T) {
		in := append(append(header(4, 0), 1, 2, 3, 4), append(header(4, 0), 1, 2, 3, 4)...)
		fr := NewFrameReader(bytes.NewReader(in))
		if _, err := fr.ReadFrame(); err != nil {
			t.Fatal(err)
		}
		if _, err := fr.ReadFrame(); !errors.Is(err, ErrBadSeqno) {
			t.Errorf("second frame with seqno 0: got %v, want ErrBadSeqno", err)
		}
	})
}

func TestFrameWriterRefusesBadSizes(t *testing.T) {
	var buf bytes.Buffer
	fw := NewFrameWriter(&buf)
	if err := fw.WriteFrame(make([]byte, MaxFrameSize+1)); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("oversized: got %v, want ErrFrameTooLarge", err)
	}
	if err := fw.WriteFrame([]byte{1}); !errors.Is(err, ErrFrameTooSmall) {
		t.Errorf("undersized: got %v, want ErrFrameTooSmall", err)
	}
	if buf.Len() != 0 {
		t.Errorf("refused frames wrote %d bytes", buf.Len())
	}
	if err := fw.WriteFrame(make([]byte, MaxFrameSize)); err != nil {
		t.Errorf("frame of exactly 16 MiB: %v", err)
	}
	if got := buf.Bytes()[4:8]; !bytes.Equal(got, []byte{0, 0, 0, 0}) {
		t.Errorf("first accepted frame has seqno bytes %x, want 0", got)
	}
}

func FuzzFrameReader(f *testing.F) {
	var seed bytes.Buffer
	fw := NewFrameWriter(&seed)
	_ = fw.WriteFrame([]byte("abcd"))
	_ = fw.WriteFrame([]byte("efghijkl"))
	f.Add(seed.Bytes())
	f.Add(header(MaxFrameSize+1, 0))
	f.Add(append(header(4, 1), 1, 2, 3, 4))
	f.Fuzz(func(t *testing.T, in []byte) {
		var frames [][]byte
		fr := NewFrameReader(bytes.NewReader(in))
		for {
			p, err := fr.ReadFrame()
			if err != nil {
				break
			}
			frames = append(frames, bytes.Clone(p)) // p is valid until the next ReadFrame
		}
		var out bytes.Buffer
		fw := NewFrameWriter(&out)
		for _, p := range frames {
			if err := fw.WriteFrame(p); err != nil {
				t.Fatalf("re-encoding a frame we read: %v", err)
			}
		}
		if !bytes.HasPrefix(in, out.Bytes()) {
			t.Fatalf("re-encoded frames are not a prefix of the input")
		}
		fr = NewFrameReader(&out)
		for i, want := range frames {
			got, err := fr.ReadFrame()
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("frame %d after a round trip: %v", i, err)
			}
		}
	})
}

// FrameWriter writes frames to w, numbering them from 0. It is not safe
// for concurrent use.
type FrameWriter struct {
	w     io.Writer
	seqno int32
	hdr   [frameHeaderSize]byte
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
	putFrameHeader(fw.hdr[:], len(payload), fw.seqno)
	if _, err := fw.w.Write(fw.hdr[:]); err != nil {
		return fmt.Errorf("writing frame %d header: %w", fw.seqno, err)
	}
	if _, err := fw.w.Write(payload); err != nil {
		return fmt.Errorf("writing frame %d body: %w", fw.seqno, err)
	}
	fw.seqno++
	return nil
}
