package tl

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// sample returns an object of the registered constructor id with every
// field set to a value derived from seed, every flags word set to flags
// and every interface field holding its first implementer.
func sample(t testing.TB, id uint32, flags uint32, seed int) Object {
	t.Helper()
	o := registry[id].new()
	fill(t, reflect.ValueOf(o).Elem(), flags, &seed)
	return o
}

func fill(t testing.TB, v reflect.Value, flags uint32, seed *int) {
	*seed++
	n := *seed
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).Name == "Flags" {
				v.Field(i).SetUint(uint64(flags))
				continue
			}
			fill(t, v.Field(i), flags, seed)
		}
	case reflect.Int32, reflect.Int64:
		v.SetInt(int64(n) * 1_000_003)
	case reflect.Uint32:
		v.SetUint(uint64(n))
	case reflect.Float64:
		v.SetFloat(float64(n) + 0.25)
	case reflect.Bool:
		v.SetBool(n%2 == 1)
	case reflect.String:
		v.SetString(strings.Repeat("s", n%7) + "é")
	case reflect.Array:
		for i := range v.Len() {
			v.Index(i).SetUint(uint64(n + i))
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes(bytes.Repeat([]byte{byte(n)}, n%300))
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(t, s.Index(i), flags, seed)
		}
		v.Set(s)
	case reflect.Pointer:
		if flags == 0 {
			return // conditional object, absent without flags
		}
		p := reflect.New(v.Type().Elem())
		fill(t, p.Elem(), flags, seed)
		v.Set(p)
	case reflect.Interface:
		for _, id := range sortedIDs() {
			o := registry[id].new()
			if reflect.TypeOf(o).Implements(v.Type()) {
				fill(t, reflect.ValueOf(o).Elem(), flags, seed)
				v.Set(reflect.ValueOf(o))
				return
			}
		}
		t.Fatalf("no registered constructor implements %s", v.Type())
	default:
		t.Fatalf("fill: unexpected kind %s", v.Kind())
	}
}

func sortedIDs() []uint32 {
	ids := make([]uint32, 0, len(registry))
	for id := range registry {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func TestRoundTripEveryConstructor(t *testing.T) {
	for _, id := range sortedIDs() {
		for _, flags := range []uint32{0, 1, 2, 3} {
			name := registry[id].name
			t.Run(name, func(t *testing.T) {
				in := sample(t, id, flags, int(id%97))
				b := Marshal(in)
				out, err := Unmarshal(b)
				if err != nil {
					t.Fatalf("Unmarshal(Marshal(%s)): %v", name, err)
				}
				// With both flag bits set every field is on the wire;
				// otherwise the absent fields read back as zero.
				if flags == 3 && !reflect.DeepEqual(out, in) {
					t.Errorf("round trip changed the object:\n got %+v\nwant %+v", out, in)
				}
				if b2 := Marshal(out); !bytes.Equal(b2, b) {
					t.Errorf("flags %d: re-encoding differs:\n got %x\nwant %x", flags, b2, b)
				}
				fresh := registry[id].new()
				if err := UnmarshalAs(b, fresh); err != nil {
					t.Fatalf("UnmarshalAs: %v", err)
				}
				if !reflect.DeepEqual(fresh, out) {
					t.Errorf("UnmarshalAs: got %+v, want %+v", fresh, out)
				}
				if got := AppendBoxed([]byte("xy"), in); !bytes.Equal(got[2:], b) || string(got[:2]) != "xy" {
					t.Errorf("AppendBoxed did not append the encoding to dst")
				}
			})
		}
	}
}

// TestTruncatedInputFails cuts every sample at every length: each prefix
// must give an error, never a panic or a wrong success.
func TestTruncatedInputFails(t *testing.T) {
	for _, id := range sortedIDs() {
		b := Marshal(sample(t, id, 3, 5))
		for n := range len(b) {
			if _, err := Unmarshal(b[:n]); err == nil {
				t.Errorf("%s cut to %d of %d bytes: got no error", registry[id].name, n, len(b))
			}
		}
	}
}

func TestTrailingBytesFail(t *testing.T) {
	b := append(Marshal(&TCPPing{ID: 7}), 0, 0, 0, 0)
	if _, err := Unmarshal(b); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Errorf("Unmarshal with trailing bytes: got %v, want a trailing-bytes error", err)
	}
	if err := UnmarshalAs(b, new(TCPPing)); err == nil {
		t.Error("UnmarshalAs with trailing bytes: got no error")
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGolden checks encodings worked out by hand from TON's TL rules:
// little-endian integers, bytes with a 1-byte length (or 0xfe and 3 bytes)
// padded to 4, raw int256, Bool as boolTrue/boolFalse, vectors as
// 0x1cb5c415 and a count.
func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		obj  Object
		hex  string
	}{
		{
			name: "tcp.ping id 1",
			obj:  &TCPPing{ID: 1},
			hex:  "7c62e9bb 0100000000000000",
		},
		{
			name: "tcp.query with 3 bytes of data: 1-byte length, no padding",
			obj:  &TCPQuery{ID: -1, Data: []byte{0xaa, 0xbb, 0xcc}},
			hex:  "0819f53a ffffffffffffffff 03aabbcc",
		},
		{
			name: "tcp.queryError with a 5-byte message: 2 padding bytes",
			obj:  &TCPQueryError{ID: 0x0102030405060708, Code: 652, Message: "hello"},
			hex:  "02f6d24c 0807060504030201 8c020000 0568656c6c6f0000",
		},
		{
			name: "tcp.packet with empty data: length byte and 3 padding bytes",
			obj:  &TCPPacket{},
			hex:  "f8ba179c 00000000",
		},
		{
			name: "client.params with flags 3",
			obj:  &ClientParams{Flags: 3, ClientOwnerAddress: "ab", IsTest: true, MinProtoVersion: 1, MaxProtoVersion: 2},
			hex:  "64cafd40 03000000 02616200 b5757299 01000000 02000000",
		},
		{
			name: "client.params with flags 0 omits the conditional fields",
			obj:  &ClientParams{ClientOwnerAddress: "ab"},
			hex:  "64cafd40 00000000 02616200",
		},
		{
			name: "proxy.signedPaymentEmpty",
			obj:  &ProxySignedPaymentEmpty{},
			hex:  "64ce47b3",
		},
		{
			name: "worker.proxyHandshakeComplete false",
			obj:  &WorkerProxyHandshakeComplete{IsDisabled: false},
			hex:  "66b043f8 379779bc",
		},
		{
			name: "http.response with one header: a bare vector of bare headers",
			obj: &HTTPResponse{HTTPVersion: "1.1", StatusCode: 200, Reason: "OK",
				Headers: []HTTPHeader{{Name: "a", Value: "b"}}},
			hex: "2bc4d01c 03312e31 c8000000 024f4b00 01000000 01610000 01620000 00000000",
		},
		{
			name: "client.paymentStatus with a boxed signed payment",
			obj:  &ClientPaymentStatus{SignedPayment: &ProxySignedPayment{Data: []byte{1}}, DBTokens: 2, MaxTokens: 3},
			hex:  "cc0e8aaa 82819902 01010000 0200000000000000 0300000000000000",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := mustHex(t, tt.hex)
			if got := Marshal(tt.obj); !bytes.Equal(got, want) {
				t.Errorf("Marshal: got %x, want %x", got, want)
			}
			out, err := Unmarshal(want)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !reflect.DeepEqual(out, tt.obj) {
				t.Errorf("Unmarshal: got %+v, want %+v", out, tt.obj)
			}
		})
	}
}

func TestLongBytes(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 252, 253, 254, 255, 256, 1000, 70000} {
		data := bytes.Repeat([]byte{0x5a}, n)
		var w Writer
		w.Bytes(data)
		enc := w.Data()
		if len(enc) != BytesSize(n) || len(enc)%4 != 0 {
			t.Errorf("%d bytes: encoding is %d long, BytesSize says %d", n, len(enc), BytesSize(n))
		}
		if n >= 254 {
			if want := []byte{0xfe, byte(n), byte(n >> 8), byte(n >> 16)}; !bytes.Equal(enc[:4], want) {
				t.Errorf("%d bytes: header %x, want %x", n, enc[:4], want)
			}
		} else if enc[0] != byte(n) {
			t.Errorf("%d bytes: header %x, want %x", n, enc[0], n)
		}
		r := NewReader(enc)
		got := r.Bytes()
		if r.Err() != nil || !bytes.Equal(got, data) || r.Len() != 0 {
			t.Errorf("%d bytes: read back %d bytes, err %v, %d left", n, len(got), r.Err(), r.Len())
		}
		if cap(got) != len(got) {
			t.Errorf("%d bytes: capacity %d exceeds length, so appends would overwrite the input", n, cap(got))
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want string
	}{
		{"empty", "", "constructor id"},
		{"unknown constructor", "01020304", "unknown constructor 0x04030201"},
		{"bad Bool", "66b043f8 00000000", "neither boolTrue nor boolFalse"},
		{"length prefix 0xff", "f8ba179c ff000000", "0xff"},
		{"bytes longer than input", "f8ba179c 10000000", "need 16 bytes"},
		{"vector count beyond input", "2bc4d01c 03312e31 c8000000 024f4b00 ffffff7f", "elements cannot fit"},
		{"wrong constructor in a boxed field", "cc0e8aaa 7c62e9bb", "unexpected constructor tcp.ping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Unmarshal(mustHex(t, tt.hex))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Unmarshal: got error %v, want one containing %q", err, tt.want)
			}
		})
	}
	err := UnmarshalAs(Marshal(&TCPPong{ID: 1}), new(TCPPing))
	if err == nil || !strings.Contains(err.Error(), "got constructor tcp.pong") {
		t.Errorf("UnmarshalAs of the wrong type: got %v", err)
	}
	if _, err := Unmarshal(mustHex(t, "f8ba17")); !errors.Is(err, ErrShort) {
		t.Errorf("Unmarshal of 3 bytes: got %v, want ErrShort", err)
	}
}

func TestUnsetFlagsOmitFields(t *testing.T) {
	got := Marshal(&ClientParams{ClientOwnerAddress: "ab", IsTest: true, MinProtoVersion: 1})
	want := Marshal(&ClientParams{ClientOwnerAddress: "ab"})
	if !bytes.Equal(got, want) {
		t.Errorf("fields without their flag bit: got %x, want %x", got, want)
	}
	got = Marshal(&ClientQueryAnswerEx{Flags: 1})
	want = Marshal(&ClientQueryAnswerEx{Flags: 1, FinalInfo: &ClientQueryFinalInfo{}})
	if !bytes.Equal(got, want) {
		t.Errorf("nil FinalInfo with its bit set: got %x, want %x", got, want)
	}
}

func TestNilSignedPaymentWritesEmpty(t *testing.T) {
	got := Marshal(&ClientPaymentStatus{})
	want := Marshal(&ClientPaymentStatus{SignedPayment: &ProxySignedPaymentEmpty{}})
	if !bytes.Equal(got, want) {
		t.Errorf("nil SignedPayment: got %x, want %x", got, want)
	}
}

func TestName(t *testing.T) {
	tests := []struct {
		id   uint32
		want string
	}{
		{0x3af51908, "tcp.query"},
		{BoolTrueID, "boolTrue"},
		{0xdeadbeef, "0xdeadbeef"},
	}
	for _, tt := range tests {
		if got := Name(tt.id); got != tt.want {
			t.Errorf("Name(%#x) = %q, want %q", tt.id, got, tt.want)
		}
	}
	o, err := New(0x3af51908)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := o.(*TCPQuery); !ok {
		t.Errorf("New(tcp.query) = %T, want *TCPQuery", o)
	}
	if _, err := New(1); err == nil {
		t.Error("New(1): got no error")
	}
}

func FuzzUnmarshal(f *testing.F) {
	for _, id := range sortedIDs() {
		f.Add(Marshal(sample(f, id, 3, 1)))
		f.Add(Marshal(sample(f, id, 0, 2)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := Unmarshal(b)
		if err != nil {
			return
		}
		b2 := Marshal(o)
		o2, err := Unmarshal(b2)
		if err != nil {
			t.Fatalf("decoding our own encoding of %s: %v", Name(o.TLID()), err)
		}
		if b3 := Marshal(o2); !bytes.Equal(b2, b3) {
			t.Fatalf("%s: encoding changed after a round trip:\n%x\n%x", Name(o.TLID()), b2, b3)
		}
		if len(b2) > len(b) {
			t.Fatalf("%s: re-encoding grew from %d to %d bytes", Name(o.TLID()), len(b), len(b2))
		}
	})
}

func TestOversizedBytesCannotDecode(t *testing.T) {
	var w Writer
	w.Bytes(make([]byte, 1<<24))
	if w.Err() == nil {
		t.Error("Writer.Err after a 16 MiB value: got nil")
	}
	if got := len(w.Data()); got < 1<<24 {
		t.Errorf("encoding is %d bytes, want at least the value's length", got)
	}
	b := Marshal(&TCPPacket{Data: make([]byte, 1<<24)})
	if _, err := Unmarshal(b); err == nil || !strings.Contains(err.Error(), "0xff") {
		t.Errorf("decoding an oversized value: got %v, want the 0xff prefix refused", err)
	}
	w.Reset(nil)
	if w.Err() != nil {
		t.Errorf("Err after Reset: %v", w.Err())
	}
}

func TestNilBoxedFieldCannotDecode(t *testing.T) {
	var w Writer
	w.Boxed(&ClientConnectedToProxy{})
	if w.Err() == nil {
		t.Error("Writer.Err after a nil auth field: got nil")
	}
	if _, err := Unmarshal(w.Data()); err == nil {
		t.Error("decoding a nil auth field: got no error")
	}
	if _, err := Encode(nil, &ClientConnectedToProxy{}); err == nil || !strings.Contains(err.Error(), "client.ProxyConnectionAuth") {
		t.Errorf("Encode with a nil auth field: got %v", err)
	}
	b, err := Encode([]byte{9}, &TCPPing{ID: 1})
	if err != nil || !bytes.Equal(b[1:], Marshal(&TCPPing{ID: 1})) || b[0] != 9 {
		t.Errorf("Encode of a valid object: got %x, %v", b, err)
	}
}

func TestMarshalScratch(t *testing.T) {
	resp := &HTTPResponse{HTTPVersion: "HTTP/1.1", StatusCode: 200, Reason: "OK",
		Headers: []HTTPHeader{{Name: "Content-Type", Value: "text/event-stream"}}, Payload: bytes.Repeat([]byte("x"), 5000)}
	want := Marshal(resp)
	for range 3 { // the scratch buffer is reused between calls
		var got []byte
		if err := MarshalScratch(resp, func(b []byte) error { got = bytes.Clone(b); return nil }); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("MarshalScratch gave %d bytes differing from Marshal's %d", len(got), len(want))
		}
	}
	errStop := errors.New("stop")
	if err := MarshalScratch(resp, func([]byte) error { return errStop }); !errors.Is(err, errStop) {
		t.Errorf("MarshalScratch returned %v, want f's error", err)
	}
}

// NewWriter returns a Writer that appends to dst.
func NewWriter(dst []byte) *Writer { return &Writer{buf: dst} }

// AppendBoxed appends the boxed encoding of o to dst.
func AppendBoxed(dst []byte, o Object) []byte {
	b, _ := encode(dst, o)
	return b
}
