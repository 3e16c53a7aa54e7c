// Package gguf owns the GGUF model file format (versions 2 and 3): it
// decodes the header, metadata and tensor directory of a file held in
// memory, dequantizes tensors to float32 (F32, F16, BF16, Q4_0, Q4_1,
// Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K); gguftest writes files, for tests.
//
// Decoding treats the file as untrusted: every count and length is
// checked against the bytes that remain before anything is allocated, so
// a malformed file gives an error, never a panic or a huge allocation.
package gguf

import (
	"errors"
	"fmt"
)

// Magic opens every GGUF file ("GGUF" in little-endian order).
const Magic = 0x46554747

// DefaultAlignment is the tensor data alignment when general.alignment is
// absent.
const DefaultAlignment = 32

// ErrNotFound reports a metadata key or tensor that the file lacks.
var ErrNotFound = errors.New("not found")

// ValueType is the type tag of a metadata value.
type ValueType uint32

// Metadata value types.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

// ScalarSize is the encoded size of fixed-size value types, 0 otherwise.
func (t ValueType) ScalarSize() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// Value is one metadata value. V holds the Go value: uint8, int8,
// uint16, int16, uint32, int32, float32, bool, string, uint64, int64 or
// float64 for scalars; for arrays, a slice of that Go type ([]string,
// []float32, …), or []Value when Elem is TypeArray.
type Value struct {
	Type ValueType
	Elem ValueType // element type of an array
	V    any
}

// KV is one metadata entry.
type KV struct {
	Key   string
	Value Value
}

// TensorType is the ggml storage type of a tensor.
type TensorType uint32

// Tensor types whose sizes are known. Float32 dequantizes all but Q8_1,
// Q2_K, Q3_K and Q8_K.
const (
	TensorF32  TensorType = 0
	TensorF16  TensorType = 1
	TensorQ4_0 TensorType = 2
	TensorQ4_1 TensorType = 3
	TensorQ5_0 TensorType = 6
	TensorQ5_1 TensorType = 7
	TensorQ8_0 TensorType = 8
	TensorQ8_1 TensorType = 9
	TensorQ2_K TensorType = 10
	TensorQ3_K TensorType = 11
	TensorQ4_K TensorType = 12
	TensorQ5_K TensorType = 13
	TensorQ6_K TensorType = 14
	TensorQ8_K TensorType = 15
	TensorBF16 TensorType = 30
)

// layout gives the elements per block and bytes per block of a type.
func (t TensorType) layout() (elems, bytes uint64, ok bool) {
	switch t {
	case TensorF32:
		return 1, 4, true
	case TensorF16, TensorBF16:
		return 1, 2, true
	case TensorQ4_0:
		return 32, 18, true
	case TensorQ4_1:
		return 32, 20, true
	case TensorQ5_0:
		return 32, 22, true
	case TensorQ5_1:
		return 32, 24, true
	case TensorQ8_0:
		return 32, 34, true
	case TensorQ8_1:
		return 32, 36, true
	case TensorQ2_K:
		return 256, 84, true
	case TensorQ3_K:
		return 256, 110, true
	case TensorQ4_K:
		return 256, 144, true
	case TensorQ5_K:
		return 256, 176, true
	case TensorQ6_K:
		return 256, 210, true
	case TensorQ8_K:
		return 256, 292, true
	}
	return 0, 0, false
}

func (t TensorType) String() string {
	names := map[TensorType]string{
		TensorF32: "F32", TensorF16: "F16", TensorQ4_0: "Q4_0", TensorQ4_1: "Q4_1",
		TensorQ5_0: "Q5_0", TensorQ5_1: "Q5_1", TensorQ8_0: "Q8_0", TensorQ8_1: "Q8_1",
		TensorQ2_K: "Q2_K", TensorQ3_K: "Q3_K", TensorQ4_K: "Q4_K", TensorQ5_K: "Q5_K",
		TensorQ6_K: "Q6_K", TensorQ8_K: "Q8_K", TensorBF16: "BF16",
	}
	if n, ok := names[t]; ok {
		return n
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// Tensor is one entry of the tensor directory. Dims lists the extents
// from the fastest-varying (a row's length) outwards, as ggml does.
type Tensor struct {
	Name string
	Dims []uint64
	Type TensorType
	// Offset is relative to the start of the tensor data section.
	Offset uint64
	// Data is the tensor's bytes, a slice of the decoded file.
	Data []byte
}

// Elements returns the number of values in the tensor.
func (t *Tensor) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// File is a decoded GGUF file.
type File struct {
	Version   uint32
	Alignment uint64
	Metadata  []KV
	Tensors   []Tensor
}

// Lookup returns the metadata value under key.
func (f *File) Lookup(key string) (Value, error) {
	for i := range f.Metadata {
		if f.Metadata[i].Key == key {
			return f.Metadata[i].Value, nil
		}
	}
	return Value{}, fmt.Errorf("metadata %q: %w", key, ErrNotFound)
}

// Tensor returns the tensor called name.
func (f *File) Tensor(name string) (*Tensor, error) {
	for i := range f.Tensors {
		if f.Tensors[i].Name == name {
			return &f.Tensors[i], nil
		}
	}
	return nil, fmt.Errorf("tensor %q: %w", name, ErrNotFound)
}

// String returns a string value.
func (f *File) String(key string) (string, error) { return valueAs[string](f, key, "a string") }

// valueAs returns the value of key as a T, or an error saying that key
// holds no want.
func valueAs[T any](f *File, key, want string) (T, error) {
	var zero T
	v, err := f.Lookup(key)
	if err != nil {
		return zero, err
	}
	x, ok := v.V.(T)
	if !ok {
		return zero, fmt.Errorf("metadata %q: want %s, got type %d", key, want, v.Type)
	}
	return x, nil
}

// Uint returns a non-negative integer value of any integer type.
func (f *File) Uint(key string) (uint64, error) {
	v, err := f.Lookup(key)
	if err != nil {
		return 0, err
	}
	var n int64
	switch x := v.V.(type) {
	case uint8:
		return uint64(x), nil
	case uint16:
		return uint64(x), nil
	case uint32:
		return uint64(x), nil
	case uint64:
		return x, nil
	case int8:
		n = int64(x)
	case int16:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	default:
		return 0, fmt.Errorf("metadata %q: want an integer, got type %d", key, v.Type)
	}
	if n < 0 {
		return 0, fmt.Errorf("metadata %q: want a non-negative integer, got %d", key, n)
	}
	return uint64(n), nil
}

// Float returns a numeric value as float64.
func (f *File) Float(key string) (float64, error) {
	v, err := f.Lookup(key)
	if err != nil {
		return 0, err
	}
	switch x := v.V.(type) {
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	}
	n, err := f.Uint(key)
	if err != nil {
		return 0, fmt.Errorf("metadata %q: want a number, got type %d", key, v.Type)
	}
	return float64(n), nil
}

// Bool returns a boolean value.
func (f *File) Bool(key string) (bool, error) { return valueAs[bool](f, key, "a boolean") }

// Strings returns an array of strings.
func (f *File) Strings(key string) ([]string, error) {
	return valueAs[[]string](f, key, "an array of strings")
}

// Float32s returns an array of float32.
func (f *File) Float32s(key string) ([]float32, error) {
	return valueAs[[]float32](f, key, "an array of float32")
}

// Int32s returns an array of int32 (or uint32 reinterpreted).
func (f *File) Int32s(key string) ([]int32, error) {
	v, err := f.Lookup(key)
	if err != nil {
		return nil, err
	}
	switch s := v.V.(type) {
	case []int32:
		return s, nil
	case []uint32:
		out := make([]int32, len(s))
		for i, x := range s {
			out[i] = int32(x)
		}
		return out, nil
	}
	return nil, fmt.Errorf("metadata %q: want an array of int32", key)
}
