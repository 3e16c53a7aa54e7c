package gguf_test

import (
	"encoding/binary"
	"testing"

	. "github.com/cocoon-go/cocoon/internal/engine/gguf"
	"github.com/cocoon-go/cocoon/internal/engine/gguf/gguftest"
)

func half(f float32) []byte { return binary.LittleEndian.AppendUint16(nil, gguftest.FloatToHalf(f)) }

func dequant(t *testing.T, typ TensorType, n uint64, data []byte) []float32 {
	t.Helper()
	tn := Tensor{Name: "t", Dims: []uint64{n}, Type: typ, Data: data}
	v, err := tn.Float32()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func check(t *testing.T, name string, got []float32, want func(i int) float32) {
	t.Helper()
	for i, g := range got {
		if w := want(i); g != w {
			t.Fatalf("%s value %d: got %g, want %g", name, i, g, w)
		}
	}
}

// The blocks below are built from the layouts' descriptions, so the tests
// pin which bits feed which value.

func TestQ4AndQ5Legacy(t *testing.T) {
	qs := make([]byte, 16)
	for j := range qs {
		qs[j] = byte(j) | byte(15-j)<<4
	}
	q41 := append(append(half(2), half(-1)...), qs...)
	check(t, "Q4_1", dequant(t, TensorQ4_1, 32, q41), func(i int) float32 {
		if i < 16 {
			return 2*float32(i) - 1
		}
		return 2*float32(15-(i-16)) - 1
	})
	qh := binary.LittleEndian.AppendUint32(nil, 0x0000FFFF) // fifth bit set for the first 16 values
	q50 := append(append(half(1), qh...), qs...)
	check(t, "Q5_0", dequant(t, TensorQ5_0, 32, q50), func(i int) float32 {
		if i < 16 {
			return float32(i|16) - 16
		}
		return float32(15-(i-16)) - 16
	})
	q51 := append(append(append(half(1), half(0.5)...), qh...), qs...)
	check(t, "Q5_1", dequant(t, TensorQ5_1, 32, q51), func(i int) float32 {
		if i < 16 {
			return float32(i|16) + 0.5
		}
		return float32(15-(i-16)) + 0.5
	})
}

func TestQ4KAndQ5K(t *testing.T) {
	// Sub-block k (values 32k to 32k+31) has scale k+1 and minimum k.
	scales := make([]byte, 12)
	for k := range 4 {
		scales[k] = byte(k + 1)
		scales[k+4] = byte(k)
		scales[k+8] = byte(k+5) | byte(k+4)<<4
	}
	qs := make([]byte, 128)
	for i := range qs {
		l := i % 32
		qs[i] = byte(l%16) | byte(15-l%16)<<4
	}
	head := append(append(half(1), half(0.5)...), scales...)
	want := func(fifth bool) func(int) float32 {
		return func(i int) float32 {
			k, l := i/32, i%32
			q := l % 16
			if k%2 == 1 {
				q = 15 - l%16
			}
			if fifth && k%2 == 0 {
				q += 16 // the even sub-blocks have their fifth bit set below
			}
			return float32(k+1)*float32(q) - 0.5*float32(k)
		}
	}
	check(t, "Q4_K", dequant(t, TensorQ4_K, 256, append(append([]byte(nil), head...), qs...)), want(false))
	qh := make([]byte, 32)
	for l := range qh {
		qh[l] = 0x55 // bits 0, 2, 4, 6: the low-nibble half of each 64
	}
	check(t, "Q5_K", dequant(t, TensorQ5_K, 256, append(append(append([]byte(nil), head...), qh...), qs...)), want(true))
}

func TestQ6K(t *testing.T) {
	ql, qh := make([]byte, 128), make([]byte, 64)
	for i := range ql {
		ql[i] = 0x21 // low nibble 1, high nibble 2
	}
	for i := range qh {
		qh[i] = 0b11_10_01_00 // high pairs 0, 1, 2, 3 for the four quarters
	}
	sc := make([]byte, 16)
	for i := range sc {
		sc[i] = byte(int8(i - 8))
	}
	data := append(append(append(ql, qh...), sc...), half(0.25)...)
	check(t, "Q6_K", dequant(t, TensorQ6_K, 256, data), func(i int) float32 {
		n, r := i/128, i%128
		quarter, l := r/32, r%32
		low := []int{1, 1, 2, 2}[quarter] // ql[l] low, ql[l+32] low, ql[l] high, ql[l+32] high
		q := low | quarter<<4
		s := int8(n*8 + l/16 + 2*quarter - 8)
		return 0.25 * float32(s) * float32(q-32)
	})
}
