// Package gguftest writes GGUF files, for the tests that need a model
// file: Encode, the inverse of gguf.Decode, and FloatToHalf, which tests
// use to write F16 and quantized tensors.
package gguftest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"

	"github.com/cocoon-go/cocoon/internal/engine/gguf"
)

// Encode writes f as a GGUF file. Tensor offsets are recomputed from
// the order of f.Tensors and the alignment (general.alignment if set,
// DefaultAlignment otherwise); f is not modified.
func Encode(f *gguf.File) ([]byte, error) {
	if f.Version != 2 && f.Version != 3 {
		return nil, fmt.Errorf("encoding gguf: version %d is not supported", f.Version)
	}
	align := uint64(gguf.DefaultAlignment)
	if f.Alignment != 0 {
		align = f.Alignment
	}
	var b bytes.Buffer
	w := writer{&b}
	w.u32(gguf.Magic)
	w.u32(f.Version)
	w.u64(uint64(len(f.Tensors)))
	w.u64(uint64(len(f.Metadata)))
	for _, kv := range f.Metadata {
		w.str(kv.Key)
		w.u32(uint32(kv.Value.Type))
		if err := w.value(kv.Value); err != nil {
			return nil, fmt.Errorf("encoding metadata %q: %w", kv.Key, err)
		}
	}
	offset := uint64(0)
	for i := range f.Tensors {
		t := &f.Tensors[i]
		size, err := t.Size()
		if err != nil {
			return nil, fmt.Errorf("encoding tensor %q: %w", t.Name, err)
		}
		if uint64(len(t.Data)) != size {
			return nil, fmt.Errorf("encoding tensor %q: got %d bytes of data, want %d", t.Name, len(t.Data), size)
		}
		w.str(t.Name)
		w.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			w.u64(d)
		}
		w.u32(uint32(t.Type))
		w.u64(offset)
		offset = (offset + size + align - 1) / align * align
	}
	pad := func() {
		for uint64(b.Len())%align != 0 {
			b.WriteByte(0)
		}
	}
	pad()
	for i := range f.Tensors {
		b.Write(f.Tensors[i].Data)
		pad()
	}
	return b.Bytes(), nil
}

type writer struct{ b *bytes.Buffer }

func (w writer) u32(v uint32) { w.b.Write(binary.LittleEndian.AppendUint32(nil, v)) }
func (w writer) u64(v uint64) { w.b.Write(binary.LittleEndian.AppendUint64(nil, v)) }
func (w writer) str(s string) {
	w.u64(uint64(len(s)))
	w.b.WriteString(s)
}

func (w writer) value(v gguf.Value) error {
	if x, ok := v.V.(string); ok {
		w.str(x)
	} else if b, ok := appendScalar(nil, v.V); ok {
		w.b.Write(b)
	} else {
		return w.array(v)
	}
	if v.Type == gguf.TypeArray {
		return fmt.Errorf("array value holds a scalar %T", v.V)
	}
	return nil
}

// appendScalar appends the encoding of x, a number or a boolean; ok is
// false for anything else.
func appendScalar(b []byte, x any) (_ []byte, ok bool) {
	le := binary.LittleEndian
	switch x := x.(type) {
	case uint8:
		return append(b, x), true
	case int8:
		return append(b, byte(x)), true
	case bool:
		if x {
			return append(b, 1), true
		}
		return append(b, 0), true
	case uint16:
		return le.AppendUint16(b, x), true
	case int16:
		return le.AppendUint16(b, uint16(x)), true
	case uint32:
		return le.AppendUint32(b, x), true
	case int32:
		return le.AppendUint32(b, uint32(x)), true
	case float32:
		return le.AppendUint32(b, math.Float32bits(x)), true
	case uint64:
		return le.AppendUint64(b, x), true
	case int64:
		return le.AppendUint64(b, uint64(x)), true
	case float64:
		return le.AppendUint64(b, math.Float64bits(x)), true
	}
	return b, false
}

func (w writer) array(v gguf.Value) error {
	if v.Type != gguf.TypeArray {
		return fmt.Errorf("value of type %d holds %T", v.Type, v.V)
	}
	w.u32(uint32(v.Elem))
	switch s := v.V.(type) {
	case []gguf.Value:
		w.u64(uint64(len(s)))
		for _, e := range s {
			if e.Type != gguf.TypeArray {
				return fmt.Errorf("nested array element of type %d", e.Type)
			}
			if err := w.array(e); err != nil {
				return err
			}
		}
	case []string:
		w.u64(uint64(len(s)))
		for _, e := range s {
			w.str(e)
		}
	default:
		return w.scalars(v.Elem, s)
	}
	return nil
}

func (w writer) scalars(elem gguf.ValueType, s any) error {
	rv := reflect.ValueOf(s)
	if rv.Kind() != reflect.Slice {
		return fmt.Errorf("unsupported array %T", s)
	}
	if _, ok := appendScalar(nil, reflect.Zero(rv.Type().Elem()).Interface()); !ok {
		return fmt.Errorf("unsupported array %T", s)
	}
	var b []byte
	n := rv.Len()
	for i := range n {
		b, _ = appendScalar(b, rv.Index(i).Interface())
	}
	if sz := elem.ScalarSize(); sz == 0 || len(b) != n*sz {
		return fmt.Errorf("array %T does not match element type %d", s, elem)
	}
	w.u64(uint64(n))
	w.b.Write(b)
	return nil
}

// FloatToHalf converts to IEEE 754 half precision, rounding to nearest
// even; values too large become infinities.
func FloatToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23&0xff) - 127 + 15
	mant := b & 0x7fffff
	switch {
	case b&0x7fffffff > 0x7f800000: // NaN
		return sign | 0x7e00
	case exp >= 0x1f:
		return sign | 0x7c00
	case exp <= 0:
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint32(14 - exp)
		half := uint32(1) << (shift - 1)
		rem := mant & (1<<shift - 1)
		m := mant >> shift
		if rem > half || (rem == half && m&1 == 1) {
			m++
		}
		return sign | uint16(m)
	}
	m := mant >> 13
	rem := mant & 0x1fff
	h := uint32(exp)<<10 | m
	if rem > 0x1000 || (rem == 0x1000 && m&1 == 1) {
		h++
	}
	return sign | uint16(h)
}
