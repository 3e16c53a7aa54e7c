package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Limits that keep a hostile file from making the decoder work hard.
const (
	maxDims       = 4
	maxArrayDepth = 4
	maxTensors    = 1 << 16
)

// reader walks a byte slice; every read checks the bytes that remain.
type reader struct {
	b   []byte
	off uint64
}

var errShort = errors.New("unexpected end of file")

func (r *reader) remaining() uint64 { return uint64(len(r.b)) - r.off }

func (r *reader) take(n uint64) ([]byte, error) {
	if n > r.remaining() {
		return nil, errShort
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s, nil
}

func (r *reader) u8() (uint8, error) { return fixed(r, 1, func(b []byte) uint8 { return b[0] }) }

func (r *reader) u16() (uint16, error) { return fixed(r, 2, binary.LittleEndian.Uint16) }

func (r *reader) u32() (uint32, error) { return fixed(r, 4, binary.LittleEndian.Uint32) }

func (r *reader) u64() (uint64, error) { return fixed(r, 8, binary.LittleEndian.Uint64) }

// fixed reads the next size bytes and decodes them with decode.
func fixed[T any](r *reader, size uint64, decode func([]byte) T) (T, error) {
	b, err := r.take(size)
	if err != nil {
		var zero T
		return zero, err
	}
	return decode(b), nil
}

func (r *reader) str() (string, error) {
	n, err := r.u64()
	if err != nil {
		return "", err
	}
	b, err := r.take(n)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// Decode parses a whole GGUF file held in memory. Tensor data is not
// copied: each Tensor.Data is a slice of data.
func Decode(data []byte) (*File, error) {
	r := &reader{b: data}
	magic, err := r.u32()
	if err != nil {
		return nil, fmt.Errorf("reading gguf magic: %w", err)
	}
	if magic != Magic {
		return nil, fmt.Errorf("reading gguf magic: got %#x, not a GGUF file", magic)
	}
	f := &File{Alignment: DefaultAlignment}
	if f.Version, err = r.u32(); err != nil {
		return nil, fmt.Errorf("reading gguf version: %w", err)
	}
	if f.Version != 2 && f.Version != 3 {
		return nil, fmt.Errorf("reading gguf version: version %d is not supported (want 2 or 3)", f.Version)
	}
	nTensors, err := r.u64()
	if err != nil {
		return nil, fmt.Errorf("reading tensor count: %w", err)
	}
	nKV, err := r.u64()
	if err != nil {
		return nil, fmt.Errorf("reading metadata count: %w", err)
	}
	// A metadata entry takes at least 12 bytes and a tensor entry at
	// least 24, so larger counts cannot be honest.
	if nKV > r.remaining()/12 {
		return nil, fmt.Errorf("reading metadata: %d entries cannot fit in %d bytes", nKV, r.remaining())
	}
	if nTensors > maxTensors || nTensors > r.remaining()/24 {
		return nil, fmt.Errorf("reading tensor directory: %d tensors is too many", nTensors)
	}
	f.Metadata = make([]KV, 0, nKV)
	seen := make(map[string]bool, nKV)
	for i := range nKV {
		key, err := r.str()
		if err != nil {
			return nil, fmt.Errorf("reading metadata key %d: %w", i, err)
		}
		if seen[key] {
			return nil, fmt.Errorf("reading metadata: duplicate key %q", key)
		}
		seen[key] = true
		t, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("reading metadata %q type: %w", key, err)
		}
		v, err := r.value(ValueType(t), 0)
		if err != nil {
			return nil, fmt.Errorf("reading metadata %q: %w", key, err)
		}
		f.Metadata = append(f.Metadata, KV{Key: key, Value: v})
	}
	if v, err := f.Lookup("general.alignment"); err == nil {
		a, ok := v.V.(uint32)
		if !ok || a == 0 || a&(a-1) != 0 || a > 1<<16 {
			return nil, fmt.Errorf("reading general.alignment: want a power of two uint32, got %v", v.V)
		}
		f.Alignment = uint64(a)
	}
	f.Tensors = make([]Tensor, 0, nTensors)
	names := make(map[string]bool, nTensors)
	for i := range nTensors {
		t, err := r.tensorInfo()
		if err != nil {
			return nil, fmt.Errorf("reading tensor %d: %w", i, err)
		}
		if names[t.Name] {
			return nil, fmt.Errorf("reading tensor directory: duplicate tensor %q", t.Name)
		}
		names[t.Name] = true
		f.Tensors = append(f.Tensors, t)
	}
	start := alignUp(r.off, f.Alignment)
	if start > uint64(len(data)) {
		start = uint64(len(data))
	}
	section := data[start:]
	for i := range f.Tensors {
		t := &f.Tensors[i]
		size, err := t.Size()
		if err != nil {
			return nil, fmt.Errorf("reading tensor %q: %w", t.Name, err)
		}
		if t.Offset%f.Alignment != 0 {
			return nil, fmt.Errorf("reading tensor %q: offset %d is not aligned to %d", t.Name, t.Offset, f.Alignment)
		}
		if t.Offset > uint64(len(section)) || size > uint64(len(section))-t.Offset {
			return nil, fmt.Errorf("reading tensor %q: %d bytes at offset %d run past the end of the data (%d bytes)", t.Name, size, t.Offset, len(section))
		}
		t.Data = section[t.Offset : t.Offset+size : t.Offset+size]
	}
	return f, nil
}

func (r *reader) tensorInfo() (Tensor, error) {
	var t Tensor
	var err error
	if t.Name, err = r.str(); err != nil {
		return t, err
	}
	nd, err := r.u32()
	if err != nil {
		return t, err
	}
	if nd == 0 || nd > maxDims {
		return t, fmt.Errorf("tensor %q has %d dimensions (want 1 to %d)", t.Name, nd, maxDims)
	}
	t.Dims = make([]uint64, nd)
	for j := range t.Dims {
		if t.Dims[j], err = r.u64(); err != nil {
			return t, err
		}
	}
	typ, err := r.u32()
	if err != nil {
		return t, err
	}
	t.Type = TensorType(typ)
	if t.Offset, err = r.u64(); err != nil {
		return t, err
	}
	if _, err := t.Size(); err != nil {
		return t, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	return t, nil
}

// Size returns the bytes the tensor's data occupies, checking for overflow.
func (t *Tensor) Size() (uint64, error) {
	elems, bytes, ok := t.Type.layout()
	if !ok {
		return 0, fmt.Errorf("unknown tensor type %d", uint32(t.Type))
	}
	n := uint64(1)
	for _, d := range t.Dims {
		if d == 0 {
			return 0, errors.New("zero dimension")
		}
		if n > math.MaxUint64/d {
			return 0, errors.New("element count overflows")
		}
		n *= d
	}
	if t.Dims[0]%elems != 0 {
		return 0, fmt.Errorf("row length %d is not a multiple of the %s block size %d", t.Dims[0], t.Type, elems)
	}
	blocks := n / elems
	if blocks > math.MaxUint64/bytes {
		return 0, errors.New("byte size overflows")
	}
	return blocks * bytes, nil
}

func (r *reader) value(t ValueType, depth int) (Value, error) {
	v := Value{Type: t}
	var err error
	switch t {
	case TypeUint8:
		v.V, err = r.u8()
	case TypeInt8:
		v.V, err = convert(r.u8, func(x uint8) int8 { return int8(x) })
	case TypeUint16:
		v.V, err = r.u16()
	case TypeInt16:
		v.V, err = convert(r.u16, func(x uint16) int16 { return int16(x) })
	case TypeUint32:
		v.V, err = r.u32()
	case TypeInt32:
		v.V, err = convert(r.u32, func(x uint32) int32 { return int32(x) })
	case TypeFloat32:
		v.V, err = convert(r.u32, math.Float32frombits)
	case TypeBool:
		var x uint8
		x, err = r.u8()
		if err == nil && x > 1 {
			return v, fmt.Errorf("boolean byte %d", x)
		}
		v.V = x == 1
	case TypeString:
		v.V, err = r.str()
	case TypeUint64:
		v.V, err = r.u64()
	case TypeInt64:
		v.V, err = convert(r.u64, func(x uint64) int64 { return int64(x) })
	case TypeFloat64:
		v.V, err = convert(r.u64, math.Float64frombits)
	case TypeArray:
		return r.array(depth)
	default:
		return v, fmt.Errorf("unknown value type %d", uint32(t))
	}
	return v, err
}

// convert reads a value with read and returns it converted by conv.
func convert[T, U any](read func() (T, error), conv func(T) U) (U, error) {
	x, err := read()
	return conv(x), err
}

func (r *reader) array(depth int) (Value, error) {
	if depth >= maxArrayDepth {
		return Value{}, fmt.Errorf("arrays nested deeper than %d", maxArrayDepth)
	}
	et, err := r.u32()
	if err != nil {
		return Value{}, err
	}
	elem := ValueType(et)
	n, err := r.u64()
	if err != nil {
		return Value{}, err
	}
	v := Value{Type: TypeArray, Elem: elem}
	// Every element takes at least this many bytes.
	minSize := uint64(elem.ScalarSize())
	switch elem {
	case TypeString:
		minSize = 8
	case TypeArray:
		minSize = 12
	}
	if minSize == 0 {
		return v, fmt.Errorf("unknown array element type %d", et)
	}
	if n > r.remaining()/minSize {
		return v, fmt.Errorf("array of %d elements cannot fit in %d bytes", n, r.remaining())
	}
	switch elem {
	case TypeString:
		s := make([]string, n)
		for i := range s {
			if s[i], err = r.str(); err != nil {
				return v, err
			}
		}
		v.V = s
	case TypeArray:
		s := make([]Value, n)
		for i := range s {
			if s[i], err = r.array(depth + 1); err != nil {
				return v, err
			}
		}
		v.V = s
	default:
		raw, err := r.take(n * minSize)
		if err != nil {
			return v, err
		}
		v.V, err = scalarArray(elem, raw, int(n))
		if err != nil {
			return v, err
		}
	}
	return v, nil
}

func scalarArray(elem ValueType, raw []byte, n int) (any, error) {
	le := binary.LittleEndian
	switch elem {
	case TypeUint8:
		return append([]uint8(nil), raw...), nil
	case TypeInt8:
		return decodeEach(raw, n, 1, func(b []byte) int8 { return int8(b[0]) }), nil
	case TypeBool:
		s := make([]bool, n)
		for i := range s {
			if raw[i] > 1 {
				return nil, fmt.Errorf("boolean byte %d", raw[i])
			}
			s[i] = raw[i] == 1
		}
		return s, nil
	case TypeUint16:
		return decodeEach(raw, n, 2, le.Uint16), nil
	case TypeInt16:
		return decodeEach(raw, n, 2, func(b []byte) int16 { return int16(le.Uint16(b)) }), nil
	case TypeUint32:
		return decodeEach(raw, n, 4, le.Uint32), nil
	case TypeInt32:
		return decodeEach(raw, n, 4, func(b []byte) int32 { return int32(le.Uint32(b)) }), nil
	case TypeFloat32:
		return decodeEach(raw, n, 4, func(b []byte) float32 { return math.Float32frombits(le.Uint32(b)) }), nil
	case TypeUint64:
		return decodeEach(raw, n, 8, le.Uint64), nil
	case TypeInt64:
		return decodeEach(raw, n, 8, func(b []byte) int64 { return int64(le.Uint64(b)) }), nil
	case TypeFloat64:
		return decodeEach(raw, n, 8, func(b []byte) float64 { return math.Float64frombits(le.Uint64(b)) }), nil
	}
	return nil, fmt.Errorf("unknown array element type %d", uint32(elem))
}

// decodeEach decodes n elements of size bytes each from raw, the element
// at raw[size*i:] by at.
func decodeEach[T any](raw []byte, n, size int, at func([]byte) T) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = at(raw[size*i:])
	}
	return s
}

func alignUp(n, a uint64) uint64 {
	if r := n % a; r != 0 {
		return n + a - r
	}
	return n
}
