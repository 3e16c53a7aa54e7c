package tl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
)

// Ids of the built-in constructors.
const (
	BoolTrueID  uint32 = 0x997275b5 // boolTrue = Bool
	BoolFalseID uint32 = 0xbc799737 // boolFalse = Bool
	VectorID    uint32 = 0x1cb5c415 // vector {t:Type} # [ t ] = Vector t (boxed vectors only)
)

// ErrShort reports input that ends inside a value.
var ErrShort = errors.New("tl: input too short")

// Object is one TL constructor. MarshalTL and UnmarshalTL handle the bare
// body, without the constructor id that TLID returns.
type Object interface {
	TLID() uint32
	MarshalTL(w *Writer)
	UnmarshalTL(r *Reader) error
}

// Writer appends TL values to a byte slice. The zero value is ready to use.
type Writer struct {
	buf []byte
	err error
}

// Err reports a value that TL cannot represent. A bytes or string value of
// 16 MiB or more is written with the length prefix 0xff and a nil boxed
// field (other than a nil ProxySignedPaymentT, which stands for
// proxy.signedPaymentEmpty) with the id 0: every decoder rejects both, so
// such an encoding is never mistaken for a valid one.
func (w *Writer) Err() error { return w.err }

// Data returns everything written so far.
func (w *Writer) Data() []byte { return w.buf }

// Reset makes the Writer append to dst from now on and clears Err.
func (w *Writer) Reset(dst []byte) { *w = Writer{buf: dst} }

func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Int32 writes an int.
func (w *Writer) Int32(v int32) { w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(v)) }

// Uint32 writes a constructor id or a flags word.
func (w *Writer) Uint32(v uint32) { w.buf = binary.LittleEndian.AppendUint32(w.buf, v) }

// Int64 writes a long.
func (w *Writer) Int64(v int64) { w.buf = binary.LittleEndian.AppendUint64(w.buf, uint64(v)) }

// Double writes a double.
func (w *Writer) Double(v float64) {
	w.buf = binary.LittleEndian.AppendUint64(w.buf, math.Float64bits(v))
}

// Bool writes boolTrue or boolFalse.
func (w *Writer) Bool(v bool) {
	if v {
		w.Uint32(BoolTrueID)
	} else {
		w.Uint32(BoolFalseID)
	}
}

// Int128 writes 16 raw bytes.
func (w *Writer) Int128(v [16]byte) { w.buf = append(w.buf, v[:]...) }

// Int256 writes 32 raw bytes.
func (w *Writer) Int256(v [32]byte) { w.buf = append(w.buf, v[:]...) }

// Raw writes b as it is, without a length.
func (w *Writer) Raw(b []byte) { w.buf = append(w.buf, b...) }

// Bytes writes b with its length and padding. A value of 16 MiB or more
// cannot be represented: see Err.
func (w *Writer) Bytes(b []byte) {
	w.header(len(b))
	w.buf = append(w.buf, b...)
	w.pad(len(b))
}

// String writes s like Bytes.
func (w *Writer) String(s string) {
	w.header(len(s))
	w.buf = append(w.buf, s...)
	w.pad(len(s))
}

// VectorLen writes the element count of a bare vector.
func (w *Writer) VectorLen(n int) { w.Uint32(uint32(n)) }

// Boxed writes the id and body of o.
func (w *Writer) Boxed(o Object) {
	w.Uint32(o.TLID())
	o.MarshalTL(w)
}

// BytesSize returns how many bytes Bytes writes for a value of n bytes.
func BytesSize(n int) int {
	if n < 254 {
		return (n + 4) &^ 3
	}
	return (n + 7) &^ 3
}

func (w *Writer) header(n int) {
	switch {
	case n < 254:
		w.buf = append(w.buf, byte(n))
	case n < 1<<24:
		w.buf = append(w.buf, 0xfe, byte(n), byte(n>>8), byte(n>>16))
	default:
		w.buf = append(w.buf, 0xff, byte(n), byte(n>>8), byte(n>>16))
		w.fail(fmt.Errorf("encoding %d bytes: TL bytes values are limited to 16 MiB", n))
	}
}

func (w *Writer) pad(n int) {
	total := n + 1
	if n >= 254 {
		total = n + 4
	}
	for ; total%4 != 0; total++ {
		w.buf = append(w.buf, 0)
	}
}

// Reader reads TL values from a byte slice. The first failure is kept:
// later reads return zero values and Err reports it.
type Reader struct {
	buf []byte
	off int
	err error
}

// NewReader returns a Reader over b.
func NewReader(b []byte) *Reader { return &Reader{buf: b} }

// Reset makes the Reader read b from the start.
func (r *Reader) Reset(b []byte) { *r = Reader{buf: b} }

// Err returns the first failure, or nil.
func (r *Reader) Err() error { return r.err }

// Fail records err as the failure if there is none yet.
func (r *Reader) Fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Len returns how many bytes are left.
func (r *Reader) Len() int { return len(r.buf) - r.off }

// Offset returns how many bytes have been read.
func (r *Reader) Offset() int { return r.off }

func (r *Reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.buf)-r.off {
		r.err = fmt.Errorf("reading %s at offset %d: need %d bytes, have %d: %w", what, r.off, n, len(r.buf)-r.off, ErrShort)
		return nil
	}
	b := r.buf[r.off : r.off+n : r.off+n]
	r.off += n
	return b
}

// Uint32 reads a constructor id or a flags word.
func (r *Reader) Uint32() uint32 {
	b := r.take(4, "int")
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// Int32 reads an int.
func (r *Reader) Int32() int32 { return int32(r.Uint32()) }

// Int64 reads a long.
func (r *Reader) Int64() int64 {
	b := r.take(8, "long")
	if b == nil {
		return 0
	}
	return int64(binary.LittleEndian.Uint64(b))
}

// Double reads a double.
func (r *Reader) Double() float64 {
	b := r.take(8, "double")
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

// Bool reads boolTrue or boolFalse.
func (r *Reader) Bool() bool {
	off := r.off
	switch id := r.Uint32(); id {
	case BoolTrueID:
		return true
	case BoolFalseID:
		return false
	default:
		r.Fail(fmt.Errorf("reading Bool at offset %d: constructor %#08x is neither boolTrue nor boolFalse", off, id))
		return false
	}
}

// Int128 reads 16 raw bytes.
func (r *Reader) Int128() (v [16]byte) {
	copy(v[:], r.take(16, "int128"))
	return v
}

// Int256 reads 32 raw bytes.
func (r *Reader) Int256() (v [32]byte) {
	copy(v[:], r.take(32, "int256"))
	return v
}

// Bytes reads a bytes value. The result aliases the input; its capacity
// ends at its length, so appending to it never overwrites the input. An
// empty value reads as nil.
func (r *Reader) Bytes() []byte {
	if r.err != nil {
		return nil
	}
	start := r.off
	h := r.take(1, "bytes length")
	if h == nil {
		return nil
	}
	n, hl := int(h[0]), 1
	if n == 0xfe {
		l := r.take(3, "bytes length")
		if l == nil {
			return nil
		}
		n, hl = int(l[0])|int(l[1])<<8|int(l[2])<<16, 4
	} else if n == 0xff {
		r.err = fmt.Errorf("reading bytes at offset %d: length prefix 0xff is not valid", start)
		return nil
	}
	b := r.take(n, "bytes")
	if b == nil {
		return nil
	}
	r.take((4-(n+hl)%4)%4, "bytes padding")
	if r.err != nil || n == 0 {
		return nil
	}
	return b
}

// String reads a string value.
func (r *Reader) String() string { return string(r.Bytes()) }

// VectorLen reads the element count of a bare vector whose elements take
// at least minSize bytes each, and fails when the rest of the input cannot
// hold that many: a count never causes an allocation larger than a small
// multiple of the input.
func (r *Reader) VectorLen(minSize int) int {
	off := r.off
	n := r.Uint32()
	if r.err != nil {
		return 0
	}
	if minSize < 1 {
		minSize = 1
	}
	if uint64(n) > uint64(r.Len()/minSize) {
		r.err = fmt.Errorf("reading vector at offset %d: %d elements cannot fit in %d bytes: %w", off, n, r.Len(), ErrShort)
		return 0
	}
	return int(n)
}

// Bare reads the body of o in place.
func (r *Reader) Bare(o Object) {
	if r.err != nil {
		return
	}
	if err := o.UnmarshalTL(r); err != nil {
		r.Fail(err)
	}
}

// Marshal returns the boxed encoding of o in a slice of its own. A value
// that TL cannot represent (see Writer.Err) makes an encoding that no
// decoder accepts.
func Marshal(o Object) []byte {
	// Encoding into a reused scratch buffer and copying the result out
	// costs one allocation of the right size instead of one per growth.
	w := scratchWriters.Get().(*Writer)
	w.Reset(w.buf[:0])
	w.Boxed(o)
	out := bytes.Clone(w.buf)
	if cap(w.buf) <= maxScratch {
		w.Reset(w.buf[:0])
		scratchWriters.Put(w)
	}
	return out
}

// MarshalScratch calls f with the boxed encoding of o in a reused scratch
// buffer that is valid only until f returns, and returns f's error: Marshal
// without the copy, for an encoding that f copies on at once, such as into
// a bytes field of an enclosing message that is sent before f returns.
func MarshalScratch(o Object, f func(b []byte) error) error {
	w := scratchWriters.Get().(*Writer)
	w.Reset(w.buf[:0])
	w.Boxed(o)
	err := f(w.buf)
	if cap(w.buf) <= maxScratch {
		w.Reset(w.buf[:0])
		scratchWriters.Put(w)
	}
	return err
}

// scratchWriters holds Writers whose buffers Marshal reuses; one that grew
// past maxScratch is dropped instead.
var scratchWriters = sync.Pool{New: func() any { return new(Writer) }}

const maxScratch = 256 << 10

// Encode appends the boxed encoding of o to dst like AppendBoxed, and
// fails if o holds a value that TL cannot represent (see Writer.Err).
func Encode(dst []byte, o Object) ([]byte, error) {
	b, err := encode(dst, o)
	if err != nil {
		return b, fmt.Errorf("encoding %s: %w", Name(o.TLID()), err)
	}
	return b, nil
}

// encode appends o boxed to dst with a pooled Writer: one that o's
// methods see through an interface would otherwise be allocated per call.
func encode(dst []byte, o Object) ([]byte, error) {
	w := writers.Get().(*Writer)
	w.Reset(dst)
	w.Boxed(o)
	b, err := w.buf, w.err
	w.Reset(nil)
	writers.Put(w)
	return b, err
}

// writers holds Writers without a buffer, for encode.
var writers = sync.Pool{New: func() any { return new(Writer) }}

// Unmarshal decodes a boxed object of any registered constructor. The
// whole input must be consumed.
func Unmarshal(b []byte) (Object, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("decoding TL object: need 4 bytes for the constructor id, have %d: %w", len(b), ErrShort)
	}
	id := binary.LittleEndian.Uint32(b)
	c, ok := registry[id]
	if !ok {
		return nil, fmt.Errorf("decoding TL object: unknown constructor %#08x", id)
	}
	o := c.new()
	if err := decodeBody(b[4:], o); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", c.name, err)
	}
	return o, nil
}

// UnmarshalAs decodes a boxed object that must be of o's constructor into
// o. The whole input must be consumed.
func UnmarshalAs(b []byte, o Object) error {
	want := o.TLID()
	if len(b) < 4 {
		return fmt.Errorf("decoding %s: need 4 bytes for the constructor id, have %d: %w", Name(want), len(b), ErrShort)
	}
	if id := binary.LittleEndian.Uint32(b); id != want {
		return fmt.Errorf("decoding %s: got constructor %s", Name(want), Name(id))
	}
	if err := decodeBody(b[4:], o); err != nil {
		return fmt.Errorf("decoding %s: %w", Name(want), err)
	}
	return nil
}

func decodeBody(b []byte, o Object) error {
	// A pooled Reader, as o's methods would make a fresh one escape.
	r := readers.Get().(*Reader)
	r.Reset(b)
	err := o.UnmarshalTL(r)
	if err == nil && r.Len() != 0 {
		err = fmt.Errorf("%d trailing bytes after offset %d", r.Len(), r.off+4)
	}
	r.Reset(nil)
	readers.Put(r)
	return err
}

// readers holds Readers without input, for decodeBody.
var readers = sync.Pool{New: func() any { return new(Reader) }}

// Name returns the TL name of a registered constructor id, or the id in
// hexadecimal.
func Name(id uint32) string {
	if c, ok := registry[id]; ok {
		return c.name
	}
	switch id {
	case BoolTrueID:
		return "boolTrue"
	case BoolFalseID:
		return "boolFalse"
	case VectorID:
		return "vector"
	}
	return fmt.Sprintf("%#08x", id)
}

// New returns a new zero object of a registered constructor id.
func New(id uint32) (Object, error) {
	c, ok := registry[id]
	if !ok {
		return nil, fmt.Errorf("creating TL object: unknown constructor %#08x", id)
	}
	return c.new(), nil
}

// constructor is one registry entry.
type constructor struct {
	name string
	new  func() Object
}
