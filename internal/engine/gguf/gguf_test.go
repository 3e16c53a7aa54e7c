package gguf_test

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	. "github.com/cocoon-go/cocoon/internal/engine/gguf"
	"github.com/cocoon-go/cocoon/internal/engine/gguf/gguftest"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

func f32bytes(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func sample() *File {
	q8 := []byte{0, 0}
	binary.LittleEndian.PutUint16(q8, gguftest.FloatToHalf(0.5))
	for j := range 32 {
		q8 = append(q8, byte(int8(j-16)))
	}
	q4 := []byte{0, 0}
	binary.LittleEndian.PutUint16(q4, gguftest.FloatToHalf(2))
	for j := range 16 {
		q4 = append(q4, byte(j)|byte(15-j)<<4)
	}
	f16 := binary.LittleEndian.AppendUint16(nil, gguftest.FloatToHalf(1.5))
	f16 = binary.LittleEndian.AppendUint16(f16, gguftest.FloatToHalf(-0.25))
	return &File{
		Version:   3,
		Alignment: DefaultAlignment,
		Metadata: []KV{
			{"general.architecture", Value{Type: TypeString, V: "llama"}},
			{"u32", Value{Type: TypeUint32, V: uint32(7)}},
			{"i8", Value{Type: TypeInt8, V: int8(-3)}},
			{"f64", Value{Type: TypeFloat64, V: 2.5}},
			{"b", Value{Type: TypeBool, V: true}},
			{"tokens", Value{Type: TypeArray, Elem: TypeString, V: []string{"a", "▁b"}}},
			{"scores", Value{Type: TypeArray, Elem: TypeFloat32, V: []float32{0, -1}}},
			{"nested", Value{Type: TypeArray, Elem: TypeArray, V: []Value{{Type: TypeArray, Elem: TypeInt32, V: []int32{1, -2}}}}},
		},
		Tensors: []Tensor{
			{Name: "f32", Dims: []uint64{3}, Type: TensorF32, Data: f32bytes(1, 2, 3)},
			{Name: "f16", Dims: []uint64{2}, Type: TensorF16, Data: f16},
			{Name: "q8", Dims: []uint64{32, 1}, Type: TensorQ8_0, Data: q8},
			{Name: "q4", Dims: []uint64{32}, Type: TensorQ4_0, Data: q4},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	b, err := gguftest.Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	f, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := sample()
	if !reflect.DeepEqual(f.Metadata, want.Metadata) {
		t.Errorf("got metadata %+v, want %+v", f.Metadata, want.Metadata)
	}
	if n, err := f.Uint("u32"); err != nil || n != 7 {
		t.Errorf("Uint: got %d, %v, want 7", n, err)
	}
	if _, err := f.Uint("i8"); err == nil {
		t.Error("Uint of a negative value: got no error")
	}
	if _, err := f.String("missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing key: got %v, want ErrNotFound", err)
	}
	tests := []struct {
		name string
		want []float32
	}{
		{"f32", []float32{1, 2, 3}},
		{"f16", []float32{1.5, -0.25}},
	}
	for _, tt := range tests {
		tn, err := f.Tensor(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tn.Float32()
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("tensor %s: got %v, %v, want %v", tt.name, got, err, tt.want)
		}
	}
	q8, _ := f.Tensor("q8")
	v8, err := q8.Float32()
	if err != nil || v8[0] != -8 || v8[31] != 7.5 {
		t.Errorf("q8_0: got %v, %v, want -8 … 7.5", v8, err)
	}
	q4, _ := f.Tensor("q4")
	v4, err := q4.Float32()
	if err != nil || v4[0] != -16 || v4[15] != 14 || v4[16] != 14 || v4[31] != -16 {
		t.Errorf("q4_0: got %v, %v", v4, err)
	}
}

func TestHalf(t *testing.T) {
	for _, f := range []float32{0, 1, -2, 0.5, 65504, 6.1035156e-05, 5.9604645e-08, 1e-3} {
		if got := HalfToFloat(gguftest.FloatToHalf(f)); math.Abs(float64(got-f)) > math.Abs(float64(f))*1e-3 {
			t.Errorf("half round trip of %g: got %g", f, got)
		}
	}
	if got := HalfToFloat(gguftest.FloatToHalf(1e6)); !math.IsInf(float64(got), 1) {
		t.Errorf("1e6 as half: got %g, want +Inf", got)
	}
}

func TestDecodeRejects(t *testing.T) {
	good, err := gguftest.Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	huge := append([]byte(nil), good[:24]...)
	binary.LittleEndian.PutUint64(huge[16:], math.MaxUint64)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "magic"},
		{"bad magic", []byte("GGML\x03\x00\x00\x00"), "not a GGUF"},
		{"version 1", []byte("GGUF\x01\x00\x00\x00"), "version 1"},
		{"huge metadata count", huge, "cannot fit"},
		{"truncated", good[:len(good)-20], "past the end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestDecodeStories(t *testing.T) {
	b, err := os.ReadFile(sharedtest.Path(t, "models/stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tensors) != 48 {
		t.Errorf("got %d tensors, want 48", len(f.Tensors))
	}
	if n, err := f.Uint("llama.block_count"); err != nil || n != 5 {
		t.Errorf("block_count: got %d, %v, want 5", n, err)
	}
	toks, err := f.Strings("tokenizer.ggml.tokens")
	if err != nil || len(toks) != 512 {
		t.Errorf("tokens: got %d, %v, want 512", len(toks), err)
	}
	again, err := gguftest.Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(b) {
		t.Errorf("re-encoding the file changed it (%d bytes, want %d)", len(again), len(b))
	}
}

func FuzzDecode(f *testing.F) {
	good, err := gguftest.Encode(sample())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:100])
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Decode(data)
		if err != nil {
			return
		}
		for i := range file.Tensors {
			_, _ = file.Tensors[i].Float32()
		}
		enc, err := gguftest.Encode(file)
		if err != nil {
			t.Fatalf("encoding a decoded file: %v", err)
		}
		again, err := Decode(enc)
		if err != nil {
			t.Fatalf("decoding an encoded file: %v", err)
		}
		if !reflect.DeepEqual(file.Metadata, again.Metadata) && !hasNaN(file) {
			t.Fatalf("metadata changed in the round trip")
		}
		if len(again.Tensors) != len(file.Tensors) {
			t.Fatalf("got %d tensors, want %d", len(again.Tensors), len(file.Tensors))
		}
		for i := range file.Tensors {
			a, b := file.Tensors[i], again.Tensors[i]
			if a.Name != b.Name || a.Type != b.Type || !reflect.DeepEqual(a.Dims, b.Dims) || string(a.Data) != string(b.Data) {
				t.Fatalf("tensor %d changed in the round trip", i)
			}
		}
	})
}

// hasNaN reports float metadata that DeepEqual cannot compare.
func hasNaN(f *File) bool {
	for _, kv := range f.Metadata {
		switch x := kv.Value.V.(type) {
		case float32:
			if x != x {
				return true
			}
		case float64:
			if x != x {
				return true
			}
		case []float32, []float64, []Value:
			return true
		}
	}
	return false
}
