package payment

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

// testKey is a fixed proxy key, so that signatures are reproducible.
var testKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x42}, ed25519.SeedSize))

func testAddr(b byte) *address.Address {
	return address.NewAddress(0, 0, bytes.Repeat([]byte{b}, 32))
}

// bitWriter builds cell data bit by bit, independently of tonutils-go.
type bitWriter struct {
	buf  []byte
	bits int
}

func (w *bitWriter) put(v uint64, n int) {
	for i := n - 1; i >= 0; i-- {
		if w.bits%8 == 0 {
			w.buf = append(w.buf, 0)
		}
		if v>>uint(i)&1 == 1 {
			w.buf[w.bits/8] |= 0x80 >> uint(w.bits%8)
		}
		w.bits++
	}
}

func (w *bitWriter) putBytes(b []byte) {
	for _, x := range b {
		w.put(uint64(x), 8)
	}
}

// stdAddr writes addr_std$10 anycast:nothing$0 workchain_id:int8 address:bits256.
func (w *bitWriter) stdAddr(wc int8, hash []byte) {
	w.put(0b10, 2)
	w.put(0, 1)
	w.put(uint64(uint8(wc)), 8)
	w.putBytes(hash)
}

// reprHash computes an ordinary level-0 cell's representation hash by the
// TON rule: sha256(d1 ‖ d2 ‖ padded data ‖ child depths ‖ child hashes).
func reprHash(w *bitWriter, children ...[]byte) []byte {
	h := sha256.New()
	d1 := byte(len(children))
	d2 := byte(w.bits/8 + (w.bits+7)/8)
	h.Write([]byte{d1, d2})
	data := bytes.Clone(w.buf)
	if w.bits%8 != 0 {
		data[len(data)-1] |= 0x80 >> uint(w.bits%8)
	}
	h.Write(data)
	for range children {
		h.Write([]byte{0, 0}) // a leaf child has depth 0
	}
	for _, c := range children {
		h.Write(c)
	}
	return h.Sum(nil)
}

// The golden figures of TestPaymentGolden. They were also reproduced with
// @ton/core and @ton/crypto (the contracts' test toolchain) from the same
// seed and fields, independently of tonutils-go.
const (
	goldenWrapperHash = "87a87dc1f633cef623519ecab88bce90bbc77d7d2ef4fd3137fa3ab719433bb7"
	goldenPayloadHash = "cde987d984fb671f3ae848b10974da3f63b708fed1cdee5ce72dfa130633a55f"
	goldenSignature   = "3789c5b2c95030c175c2f2a592690b8eab067b23cccf7ef234e57456f33a418f206d04542d09b399cfa56df4c9f4e2de071e80677c2a6af088194194d76a7b0a"
)

func TestPaymentGolden(t *testing.T) {
	target, excess := testAddr(0xaa), testAddr(0xbb)
	const qid, tokens = 0x0123456789abcdef, 1_000_000
	p, err := Sign(testKey, OpWorkerPayout, qid, tokens, target, excess)
	if err != nil {
		t.Fatal(err)
	}

	var pw bitWriter
	pw.put(uint64(OpWorkerPayout), 32)
	pw.put(qid, 64)
	pw.put(tokens, 64)
	pw.stdAddr(0, target.Data())
	if pw.bits != 427 {
		t.Fatalf("independent payload has %d bits, want 427", pw.bits)
	}
	wantPayloadHash := reprHash(&pw)

	payload, err := p.PayloadCell()
	if err != nil {
		t.Fatal(err)
	}
	if got := payload.BitsSize(); got != 427 {
		t.Errorf("payload has %d bits, want 427", got)
	}
	if got := payload.Hash(); !bytes.Equal(got, wantPayloadHash) {
		t.Errorf("payload hash %x, want %x", got, wantPayloadHash)
	}
	if !ed25519.Verify(testKey.Public().(ed25519.PublicKey), wantPayloadHash, p.Signature[:]) {
		t.Error("signature does not verify over the independently computed payload hash")
	}

	var ww bitWriter
	ww.put(uint64(OpWorkerPayout), 32)
	ww.put(qid, 64)
	ww.stdAddr(0, excess.Data())
	ww.putBytes(p.Signature[:])
	wantWrapperHash := reprHash(&ww, wantPayloadHash)
	c, err := p.Cell()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Hash(); !bytes.Equal(got, wantWrapperHash) {
		t.Errorf("wrapper hash %x, want %x", got, wantWrapperHash)
	}
	if got := hex.EncodeToString(wantWrapperHash); got != goldenWrapperHash {
		t.Errorf("independent wrapper hash %s, want %s", got, goldenWrapperHash)
	}

	// Ed25519 is deterministic, so the signature of this payload by this
	// key is pinned, as is the payload hash it covers.
	if got, want := hex.EncodeToString(wantPayloadHash), goldenPayloadHash; got != want {
		t.Errorf("independent payload hash %s, want %s", got, want)
	}
	if got, want := hex.EncodeToString(p.Signature[:]), goldenSignature; got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
}

// TestProxyClosePayload checks the proxy close ops' payload against an
// independent build of the contracts' layout: op, query id and the proxy
// contract's address, no token count.
func TestProxyClosePayload(t *testing.T) {
	target := testAddr(0xcc)
	const qid = 0x0fedcba987654321
	for _, op := range []Op{OpProxyCloseRequest, OpProxyCloseComplete} {
		t.Run(op.String(), func(t *testing.T) {
			p, err := Sign(testKey, op, qid, 0, target, nil)
			if err != nil {
				t.Fatal(err)
			}
			var pw bitWriter
			pw.put(uint64(op), 32)
			pw.put(qid, 64)
			pw.stdAddr(0, target.Data())
			payload, err := p.PayloadCell()
			if err != nil {
				t.Fatal(err)
			}
			if got := payload.BitsSize(); got != 363 || pw.bits != 363 {
				t.Errorf("payload has %d bits, independent build %d, want 363", got, pw.bits)
			}
			want := reprHash(&pw)
			if got := payload.Hash(); !bytes.Equal(got, want) {
				t.Errorf("payload hash %x, want %x", got, want)
			}
			if !ed25519.Verify(testKey.Public().(ed25519.PublicKey), want, p.Signature[:]) {
				t.Error("signature does not verify over the independently computed payload hash")
			}
		})
	}
}

func TestPaymentRoundTrip(t *testing.T) {
	pub := testKey.Public().(ed25519.PublicKey)
	for _, op := range []Op{OpClientCharge, OpClientGrantRefund, OpWorkerPayout, OpWorkerLastPayout, OpProxyCloseRequest, OpProxyCloseComplete} {
		t.Run(op.String(), func(t *testing.T) {
			target := testAddr(0x11)
			tokens := int64(12345)
			if !op.counts() {
				tokens = 0
			}
			p, err := Sign(testKey, op, 7, tokens, target, nil)
			if err != nil {
				t.Fatal(err)
			}
			boc, err := p.BOC()
			if err != nil {
				t.Fatal(err)
			}
			q, err := Parse(boc)
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Verify(pub, op, target); err != nil {
				t.Fatal(err)
			}
			if q.Op != op || q.QueryID != 7 || q.Tokens != tokens || !q.ExcessTo.IsAddrNone() || q.Signature != p.Signature {
				t.Errorf("parsed %+v, want what was signed %+v", q, p)
			}
			c, err := p.Cell()
			if err != nil {
				t.Fatal(err)
			}
			plain := c.ToBOCWithOptions(cell.BOCSerializeOptions{}) // no CRC, as other writers may send
			if q2, err := Parse(plain); err != nil || q2.Signature != p.Signature {
				t.Errorf("BoC without CRC: Parse = %+v, %v", q2, err)
			}
			r := q.Rewrap(testAddr(0x22))
			if err := r.Verify(pub, op, target); err != nil {
				t.Errorf("rewrapped payment does not verify: %v", err)
			}
			rb, err := r.BOC()
			if err != nil {
				t.Fatal(err)
			}
			rp, err := Parse(rb)
			if err != nil {
				t.Fatal(err)
			}
			if !rp.ExcessTo.Equals(testAddr(0x22)) {
				t.Errorf("rewrapped excess address %v, want %v", rp.ExcessTo, testAddr(0x22))
			}
		})
	}
}

func TestRandomQueryID(t *testing.T) {
	if a, b := RandomQueryID(), RandomQueryID(); a == b {
		t.Errorf("two random query ids are both %d", a)
	}
}

func TestVerifyRefuses(t *testing.T) {
	pub := testKey.Public().(ed25519.PublicKey)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	target := testAddr(0x11)
	p, err := Sign(testKey, OpClientCharge, 1, 10, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	tampered := p
	tampered.Tokens = 11
	tests := []struct {
		name   string
		p      Payment
		key    ed25519.PublicKey
		op     Op
		target *address.Address
		want   error
	}{
		{"wrong op", p, pub, OpWorkerPayout, target, ErrWrongOp},
		{"wrong target", p, pub, OpClientCharge, testAddr(0x12), ErrWrongTarget},
		{"masterchain twin", p, pub, OpClientCharge, address.NewAddress(0, 0xff, target.Data()), ErrWrongTarget},
		{"wrong key", p, other.Public().(ed25519.PublicKey), OpClientCharge, target, ErrBadSignature},
		{"tampered tokens", tampered, pub, OpClientCharge, target, ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.Verify(tt.key, tt.op, tt.target); !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSignRefuses(t *testing.T) {
	tests := []struct {
		name   string
		key    ed25519.PrivateKey
		op     Op
		tokens int64
		target *address.Address
		excess *address.Address
	}{
		{"short key", testKey[:10], OpClientCharge, 1, testAddr(1), nil},
		{"unknown op", testKey, 0x12345678, 1, testAddr(1), nil},
		{"negative tokens", testKey, OpClientCharge, -1, testAddr(1), nil},
		{"no target", testKey, OpClientCharge, 1, nil, nil},
		{"none target", testKey, OpClientCharge, 1, address.NewAddressNone(), nil},
		{"external excess", testKey, OpClientCharge, 1, testAddr(1), address.NewAddressExt(0, 8, []byte{1})},
		{"close request with tokens", testKey, OpProxyCloseRequest, 1, testAddr(1), nil},
		{"close complete with tokens", testKey, OpProxyCloseComplete, 1, testAddr(1), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Sign(tt.key, tt.op, 1, tt.tokens, tt.target, tt.excess); err == nil {
				t.Error("Sign succeeded, want an error")
			}
		})
	}
}

// build assembles a wrapper from raw parts, to feed Parse layouts that Sign
// never produces.
func build(t testing.TB, outerOp, innerOp uint32, outerQID, innerQID uint64, extraPayloadBits, extraWrapperBits uint) []byte {
	t.Helper()
	pb := cell.BeginCell().
		MustStoreUInt(uint64(innerOp), 32).MustStoreUInt(innerQID, 64).MustStoreUInt(5, 64).
		MustStoreAddr(testAddr(0x11))
	if extraPayloadBits > 0 {
		pb.MustStoreUInt(0, extraPayloadBits)
	}
	wb := cell.BeginCell().
		MustStoreUInt(uint64(outerOp), 32).MustStoreUInt(outerQID, 64).
		MustStoreAddr(nil).MustStoreSlice(make([]byte, 64), 512)
	if extraWrapperBits > 0 {
		wb.MustStoreUInt(0, extraWrapperBits)
	}
	return wb.MustStoreRef(pb.EndCell()).EndCell().ToBOC()
}

func TestParseRefuses(t *testing.T) {
	const op = uint32(OpClientCharge)
	valid := build(t, op, op, 9, 9, 0, 0)
	if _, err := Parse(valid); err != nil {
		t.Fatalf("control layout does not parse: %v", err)
	}
	var tokenBytes [8]byte
	binary.BigEndian.PutUint64(tokenBytes[:], 1<<63)
	tests := []struct {
		name string
		boc  []byte
	}{
		{"empty", nil},
		{"garbage", []byte("not a boc")},
		{"too large", make([]byte, MaxBOCSize+1)},
		{"op copy differs", build(t, op, uint32(OpWorkerPayout), 9, 9, 0, 0)},
		{"qid copy differs", build(t, op, op, 9, 10, 0, 0)},
		{"unknown op", build(t, 1, 1, 9, 9, 0, 0)},
		{"payload trailing bits", build(t, op, op, 9, 9, 1, 0)},
		{"wrapper trailing bits", build(t, op, op, 9, 9, 0, 3)},
		{"no payload", cell.BeginCell().MustStoreUInt(uint64(op), 32).MustStoreUInt(9, 64).MustStoreAddr(nil).MustStoreSlice(make([]byte, 64), 512).EndCell().ToBOC()},
		{"tokens beyond int64", cell.BeginCell().MustStoreUInt(uint64(op), 32).MustStoreUInt(9, 64).MustStoreAddr(nil).MustStoreSlice(make([]byte, 64), 512).
			MustStoreRef(cell.BeginCell().MustStoreUInt(uint64(op), 32).MustStoreUInt(9, 64).MustStoreSlice(tokenBytes[:], 64).MustStoreAddr(testAddr(1)).EndCell()).EndCell().ToBOC()},
		{"two roots", cell.ToBOCWithOptions(nil, cell.BOCSerializeOptions{})},
		{"close request with tokens", build(t, uint32(OpProxyCloseRequest), uint32(OpProxyCloseRequest), 9, 9, 0, 0)},
		{"close complete with tokens", build(t, uint32(OpProxyCloseComplete), uint32(OpProxyCloseComplete), 9, 9, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p, err := Parse(tt.boc); !errors.Is(err, ErrMalformed) {
				t.Errorf("Parse = %+v, %v, want ErrMalformed", p, err)
			}
		})
	}
}

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, and what
// it accepts must encode to a BoC that parses back to the same payment.
func FuzzParse(f *testing.F) {
	p, err := Sign(testKey, OpClientCharge, 3, 99, testAddr(0x33), testAddr(0x44))
	if err != nil {
		f.Fatal(err)
	}
	boc, err := p.BOC()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(boc)
	f.Add(build(f, uint32(OpWorkerLastPayout), uint32(OpWorkerLastPayout), 1, 1, 0, 0))
	for _, op := range []Op{OpProxyCloseRequest, OpProxyCloseComplete} {
		c, err := Sign(testKey, op, 5, 0, testAddr(0x55), testAddr(0x66))
		if err != nil {
			f.Fatal(err)
		}
		cb, err := c.BOC()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(cb)
	}
	f.Add([]byte{0xb5, 0xee, 0x9c, 0x72})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			return
		}
		out, err := p.BOC()
		if err != nil {
			t.Fatalf("parsed payment %+v does not encode: %v", p, err)
		}
		q, err := Parse(out)
		if err != nil {
			t.Fatalf("re-encoded payment does not parse: %v", err)
		}
		if q.Op != p.Op || q.QueryID != p.QueryID || q.Tokens != p.Tokens || q.Signature != p.Signature ||
			!q.Target.Equals(p.Target) || q.ExcessTo.IsAddrNone() != p.ExcessTo.IsAddrNone() ||
			(!q.ExcessTo.IsAddrNone() && !q.ExcessTo.Equals(p.ExcessTo)) {
			t.Fatalf("round trip changed the payment: %+v, then %+v", p, q)
		}
	})
}

func BenchmarkSign(b *testing.B) {
	target, excess := testAddr(0xaa), testAddr(0xbb)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p, err := Sign(testKey, OpClientCharge, uint64(i), int64(i), target, excess)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.BOC(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseVerify(b *testing.B) {
	pub := testKey.Public().(ed25519.PublicKey)
	target := testAddr(0xaa)
	p, err := Sign(testKey, OpClientCharge, 1, 1000, target, testAddr(0xbb))
	if err != nil {
		b.Fatal(err)
	}
	boc, err := p.BOC()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		q, err := Parse(boc)
		if err != nil {
			b.Fatal(err)
		}
		if err := q.Verify(pub, OpClientCharge, target); err != nil {
			b.Fatal(err)
		}
	}
}
