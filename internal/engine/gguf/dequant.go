package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Float32 returns the tensor's values as float32, dequantizing F16,
// BF16, Q8_0 and Q4_0 data.
func (t *Tensor) Float32() ([]float32, error) {
	n := t.Elements()
	size, err := t.size()
	if err != nil || uint64(len(t.Data)) != size {
		return nil, fmt.Errorf("dequantizing tensor %q: data does not match its shape", t.Name)
	}
	out := make([]float32, n)
	d := t.Data
	le := binary.LittleEndian
	switch t.Type {
	case TensorF32:
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(d[4*i:]))
		}
	case TensorF16:
		for i := range out {
			out[i] = HalfToFloat(le.Uint16(d[2*i:]))
		}
	case TensorBF16:
		for i := range out {
			out[i] = math.Float32frombits(uint32(le.Uint16(d[2*i:])) << 16)
		}
	case TensorQ8_0:
		for b := range len(out) / 32 {
			blk := d[34*b : 34*b+34]
			scale := HalfToFloat(le.Uint16(blk))
			for j := range 32 {
				out[32*b+j] = scale * float32(int8(blk[2+j]))
			}
		}
	case TensorQ4_0:
		for b := range len(out) / 32 {
			blk := d[18*b : 18*b+18]
			scale := HalfToFloat(le.Uint16(blk))
			for j := range 16 {
				q := blk[2+j]
				out[32*b+j] = scale * float32(int(q&0x0f)-8)
				out[32*b+j+16] = scale * float32(int(q>>4)-8)
			}
		}
	default:
		return nil, fmt.Errorf("dequantizing tensor %q: type %s is not supported", t.Name, t.Type)
	}
	return out, nil
}

// HalfToFloat converts an IEEE 754 half-precision value.
func HalfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0:
		// Subnormal: normalise it.
		e := uint32(127 - 15 + 1)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		mant &= 0x3ff
		return math.Float32frombits(sign | e<<23 | mant<<13)
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
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
