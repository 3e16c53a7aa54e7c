package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Float32 returns the tensor's values as float32, dequantizing F16,
// BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K and Q6_K data.
func (t *Tensor) Float32() ([]float32, error) {
	n := t.Elements()
	size, err := t.Size()
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
	case TensorQ4_1:
		for b := range len(out) / 32 {
			blk := d[20*b : 20*b+20]
			scale, low := HalfToFloat(le.Uint16(blk)), HalfToFloat(le.Uint16(blk[2:]))
			for j := range 16 {
				q := blk[4+j]
				out[32*b+j] = scale*float32(q&0x0f) + low
				out[32*b+j+16] = scale*float32(q>>4) + low
			}
		}
	case TensorQ5_0, TensorQ5_1:
		size, off := 22, 6
		if t.Type == TensorQ5_1 {
			size, off = 24, 8
		}
		for b := range len(out) / 32 {
			blk := d[size*b : size*b+size]
			scale := HalfToFloat(le.Uint16(blk))
			var low float32
			bias := 16
			if t.Type == TensorQ5_1 {
				low, bias = HalfToFloat(le.Uint16(blk[2:])), 0
			}
			high := le.Uint32(blk[off-4:])
			for j := range 16 {
				q := blk[off+j]
				h0 := int(high>>j) << 4 & 0x10
				h1 := int(high>>(j+12)) & 0x10
				out[32*b+j] = scale*float32(int(q&0x0f)|h0-bias) + low
				out[32*b+j+16] = scale*float32(int(q>>4)|h1-bias) + low
			}
		}
	case TensorQ4_K, TensorQ5_K:
		dequantK45(out, d, t.Type == TensorQ5_K)
	case TensorQ6_K:
		dequantQ6K(out, d)
	default:
		return nil, fmt.Errorf("dequantizing tensor %q: type %s is not supported", t.Name, t.Type)
	}
	return out, nil
}

// scaleMinK4 unpacks the 6-bit scale and minimum of sub-block j from the
// 12 packed bytes of a Q4_K or Q5_K block.
func scaleMinK4(j int, q []byte) (float32, float32) {
	if j < 4 {
		return float32(q[j] & 63), float32(q[j+4] & 63)
	}
	return float32(q[j+4]&0x0f | (q[j-4]>>6)<<4), float32(q[j+4]>>4 | (q[j]>>6)<<4)
}

// dequantK45 expands Q4_K (or, with fifth, Q5_K) blocks of 256 values:
// eight sub-blocks of 32, each with its own 6-bit scale and minimum.
func dequantK45(out []float32, d []byte, fifth bool) {
	size := 144
	if fifth {
		size = 176
	}
	le := binary.LittleEndian
	for b := range len(out) / 256 {
		blk := d[size*b : size*b+size]
		scale, low := HalfToFloat(le.Uint16(blk)), HalfToFloat(le.Uint16(blk[2:]))
		scales := blk[4:16]
		var qh, qs []byte
		if fifth {
			qh, qs = blk[16:48], blk[48:176]
		} else {
			qs = blk[16:144]
		}
		y := out[256*b : 256*b+256]
		for j := range 4 {
			sc1, m1 := scaleMinK4(2*j, scales)
			sc2, m2 := scaleMinK4(2*j+1, scales)
			d1, d2 := scale*sc1, scale*sc2
			n1, n2 := low*m1, low*m2
			q := qs[32*j : 32*j+32]
			for l := range 32 {
				lo, hi := int(q[l]&0x0f), int(q[l]>>4)
				if fifth {
					if qh[l]&(1<<(2*j)) != 0 {
						lo += 16
					}
					if qh[l]&(2<<(2*j)) != 0 {
						hi += 16
					}
				}
				y[64*j+l] = d1*float32(lo) - n1
				y[64*j+32+l] = d2*float32(hi) - n2
			}
		}
	}
}

// dequantQ6K expands Q6_K blocks of 256 values: 6-bit quants split into
// low nibbles and high pairs, sixteen sub-blocks with 8-bit scales.
func dequantQ6K(out []float32, d []byte) {
	for b := range len(out) / 256 {
		blk := d[210*b : 210*b+210]
		ql, qh, sc := blk[0:128], blk[128:192], blk[192:208]
		scale := HalfToFloat(binary.LittleEndian.Uint16(blk[208:]))
		y := out[256*b : 256*b+256]
		for n := range 2 {
			l4, h4, s8, y8 := ql[64*n:], qh[32*n:], sc[8*n:], y[128*n:]
			for l := range 32 {
				is := l / 16
				q1 := int(l4[l]&0x0f|(h4[l]>>0&3)<<4) - 32
				q2 := int(l4[l+32]&0x0f|(h4[l]>>2&3)<<4) - 32
				q3 := int(l4[l]>>4|(h4[l]>>4&3)<<4) - 32
				q4 := int(l4[l+32]>>4|(h4[l]>>6&3)<<4) - 32
				y8[l] = scale * float32(int8(s8[is])) * float32(q1)
				y8[l+32] = scale * float32(int8(s8[is+2])) * float32(q2)
				y8[l+64] = scale * float32(int8(s8[is+4])) * float32(q3)
				y8[l+96] = scale * float32(int8(s8[is+6])) * float32(q4)
			}
		}
	}
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
