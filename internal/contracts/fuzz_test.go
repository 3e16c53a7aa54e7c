package contracts

import (
	"reflect"
	"testing"

	"github.com/xssnick/tonutils-go/tvm/cell"
)

// seedBOC adds the BoC of a cell built by fn to the corpus.
func seedBOC(f *testing.F, fn func() (*cell.Cell, error)) {
	c, err := fn()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(c.ToBOC())
}

// roundTrip decodes raw with parse, re-encodes and decodes again, and
// requires both decodings to agree under same.
func roundTrip[T any](t *testing.T, raw []byte, parse func(*cell.Cell) (T, error), encode func(T) (*cell.Cell, error), same func(a, b T) bool) {
	c, err := cell.FromBOC(raw)
	if err != nil {
		return
	}
	first, err := parse(c)
	if err != nil {
		return
	}
	enc, err := encode(first)
	if err != nil {
		t.Fatalf("re-encoding a decoded value: %v", err)
	}
	second, err := parse(enc)
	if err != nil {
		t.Fatalf("decoding a re-encoded value: %v", err)
	}
	if !same(first, second) {
		t.Fatalf("round trip changed the value\nfirst  %+v\nsecond %+v", first, second)
	}
}

func sameCode(a, b *cell.Cell) bool {
	if a == nil || b == nil {
		return a == b
	}
	return string(a.Hash()) == string(b.Hash())
}

func sameParams(a, b Params) bool {
	return sameCode(a.ProxyCode, b.ProxyCode) && sameCode(a.WorkerCode, b.WorkerCode) &&
		sameCode(a.ClientCode, b.ClientCode) && a.WithoutCode() == b.WithoutCode()
}

// sameExceptParams compares two values field by field after clearing
// their Params fields, which sameParams compares.
func sameExceptParams[T any](a, b T, pa, pb *Params) bool {
	if !sameParams(*pa, *pb) {
		return false
	}
	*pa, *pb = Params{}, Params{}
	return reflect.DeepEqual(a, b)
}

// fuzzWithParams fuzzes parse, the decoder of a value that holds params,
// with the round trip of roundTrip: the values agree field by field, their
// params as sameExceptParams compares them.
func fuzzWithParams[T any](f *testing.F, parse func(*cell.Cell) (T, error), encode func(T) (*cell.Cell, error), params func(*T) *Params) {
	f.Fuzz(func(t *testing.T, raw []byte) {
		roundTrip(t, raw, parse, encode, func(a, b T) bool {
			return sameExceptParams(a, b, params(&a), params(&b))
		})
	})
}

func FuzzParseParams(f *testing.F) {
	seedBOC(f, fixtureParams(f).Cell)
	seedBOC(f, fixtureParams(f).WithoutCode().Cell)
	p := fixtureParams(f).WithoutCode()
	p.StructVersion = 1
	seedBOC(f, p.Cell)
	f.Fuzz(func(t *testing.T, raw []byte) {
		roundTrip(t, raw, ParseParams, Params.Cell, sameParams)
	})
}

func FuzzParseRootConfig(f *testing.F) {
	seedBOC(f, fixtureRoot(f).Cell)
	seedBOC(f, RootConfig{Owner: addr(1), Params: fixtureParams(f)}.Cell)
	fuzzWithParams(f, ParseRootConfig, RootConfig.Cell, func(v *RootConfig) *Params { return &v.Params })
}

func FuzzParseProxyData(f *testing.F) {
	seedBOC(f, NewProxyData(addr(1), addr(2), proxyKey, fixtureParams(f)).Cell)
	fuzzWithParams(f, ParseProxyData, ProxyData.Cell, func(v *ProxyData) *Params { return &v.Params })
}

func FuzzParseClientData(f *testing.F) {
	proxy := NewProxyData(addr(1), addr(2), proxyKey, fixtureParams(f))
	seedBOC(f, NewClientData(addr(3), addr(4), proxy).Cell)
	fuzzWithParams(f, ParseClientData, ClientData.Cell, func(v *ClientData) *Params { return &v.Params })
}

func FuzzParseWorkerData(f *testing.F) {
	proxy := NewProxyData(addr(1), addr(2), proxyKey, fixtureParams(f))
	seedBOC(f, NewWorkerData(addr(3), addr(4), proxy).Cell)
	fuzzWithParams(f, ParseWorkerData, WorkerData.Cell, func(v *WorkerData) *Params { return &v.Params })
}

func FuzzParseWalletData(f *testing.F) {
	seedBOC(f, WalletData{Seqno: 3, PublicKey: proxyKey, Owner: addr(9)}.Cell)
	f.Fuzz(func(t *testing.T, raw []byte) {
		roundTrip(t, raw, ParseWalletData, WalletData.Cell, func(a, b WalletData) bool { return reflect.DeepEqual(a, b) })
	})
}
