package contracts

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
)

// code returns a stand-in code cell per contract: the golden values below
// must not move when the contracts are recompiled. Tests that run the
// real contracts live in the emulated package.
func code(_ testing.TB, name string) *cell.Cell {
	tags := map[string]uint64{"proxy": 0x70726f78, "worker": 0x776f726b, "client": 0x636c6965, "wallet": 0x77616c6c}
	return cell.BeginCell().MustStoreUInt(tags[name], 32).EndCell()
}

func addr(b byte) *address.Address {
	return address.NewAddress(0, 0, bytes.Repeat([]byte{b}, 32))
}

func hashOf(n byte) Hash {
	var h Hash
	h[31] = n
	return h
}

// fixtureParams are the official suite's default params with all codes.
func fixtureParams(t testing.TB) Params {
	return Params{
		StructVersion:          3,
		ParamsVersion:          1,
		UniqueID:               12345,
		IsTest:                 true,
		PricePerToken:          1_000_000,
		WorkerFeePerToken:      100_000,
		PromptMultiplier:       11000,
		CachedMultiplier:       12000,
		CompletionMultiplier:   13000,
		ReasoningMultiplier:    14000,
		ProxyDelayBeforeClose:  3600,
		ClientDelayBeforeClose: 3600,
		MinProxyStake:          billing.TON,
		MinClientStake:         billing.TON,
		ProxyCode:              code(t, "proxy"),
		WorkerCode:             code(t, "worker"),
		ClientCode:             code(t, "client"),
	}
}

func fixtureRoot(t testing.TB) RootConfig {
	return RootConfig{
		Owner:          addr(0x11),
		Version:        7,
		ProxyHashes:    []Hash{hashOf(1), hashOf(2)},
		Proxies:        []RegisteredProxy{{1, "127.0.0.1:8000"}, {2, "10.0.0.1:1 10.0.0.2:2"}},
		LastProxySeqno: 2,
		WorkerHashes:   []Hash{hashOf(3)},
		ModelHashes:    []Hash{hashOf(4), hashOf(5)},
		Params:         fixtureParams(t),
	}
}

var proxyKey = ed25519.PublicKey(bytes.Repeat([]byte{0x33}, 32))

// The golden hashes and addresses below were computed with @ton/core
// (contracts/node_modules) from the same inputs, independently of this code.
func TestGoldenEncodings(t *testing.T) {
	p := fixtureParams(t)
	pc, err := p.Cell()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := fixtureRoot(t).Cell()
	if err != nil {
		t.Fatal(err)
	}
	proxyAddr, err := ProxyAddress(addr(0x11), addr(0x22), proxyKey, p)
	if err != nil {
		t.Fatal(err)
	}
	proxy := NewProxyData(addr(0x11), addr(0x22), proxyKey, p)
	worker, err := WorkerAddress(addr(0x44), proxyAddr, proxy)
	if err != nil {
		t.Fatal(err)
	}
	client, err := ClientAddress(addr(0x55), proxyAddr, proxy)
	if err != nil {
		t.Fatal(err)
	}
	w, err := WalletData{PublicKey: proxyKey, Owner: addr(0x66)}.Cell()
	if err != nil {
		t.Fatal(err)
	}
	wallet, err := AddressOf(code(t, "wallet"), w)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, got, want string }{
		{"params hash", hex.EncodeToString(pc.Hash()), "8505990805eae1f0391935f321d7973ca4067d731af8bb6b9f1bde969f932c37"},
		{"root hash", hex.EncodeToString(rc.Hash()), "5bb558df4dd6d0183044da4837de0601bd0fd1e613e9fe3b44452ed1dad6879e"},
		{"proxy address", proxyAddr.StringRaw(), "0:16160472e636f4f257410f5f728f91feecdaf69e15aa91a88c91e874dca2d87b"},
		{"worker address", worker.StringRaw(), "0:2c02b4ac7e076aec061ef9fd4eb9963b330acfd5355f1d82e471ae725fda06f2"},
		{"client address", client.StringRaw(), "0:8df195f71009bac34ac3c8fedc4abd5beca2d5b71634816aaa628ebf092b4ab5"},
		{"wallet address", wallet.StringRaw(), "0:b3c20bac7bb683ed1d8dd4594b77fb37da6a67497ee8999c67c7d8119261fa26"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

// errorCase is a call that must fail with an error containing want.
type errorCase struct {
	name string
	call func() error
	want string
}

// testErrors runs each case as a subtest.
func testErrors(t *testing.T, tests []errorCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// reparse encodes v into its cell and parses that back with parse.
func reparse[T interface{ Cell() (*cell.Cell, error) }](t *testing.T, v T, parse func(*cell.Cell) (T, error)) T {
	t.Helper()
	c, err := v.Cell()
	if err != nil {
		t.Fatalf("encoding %T %+v: %v", v, v, err)
	}
	got, err := parse(c)
	if err != nil {
		t.Fatalf("parsing %T %+v: %v", v, v, err)
	}
	return got
}

func TestRootConfigRoundTrip(t *testing.T) {
	want := fixtureRoot(t)
	got := reparse(t, want, ParseRootConfig)
	assertSameRoot(t, got, want)
	for _, h := range []byte{1, 2} {
		if !got.HasProxyHash(hashOf(h)) {
			t.Errorf("HasProxyHash(%d) = false, want true", h)
		}
	}
	if got.HasProxyHash(hashOf(3)) || !got.HasWorkerHash(hashOf(3)) || !got.HasModelHash(hashOf(5)) || got.HasModelHash(hashOf(1)) {
		t.Error("hash membership does not match the lists")
	}
	if w, c := got.Proxies[1].WorkerAddr(), got.Proxies[1].ClientAddr(); w != "10.0.0.1:1" || c != "10.0.0.2:2" {
		t.Errorf("split endpoints %q %q, want 10.0.0.1:1 10.0.0.2:2", w, c)
	}
	if w, c := got.Proxies[0].WorkerAddr(), got.Proxies[0].ClientAddr(); w != "127.0.0.1:8000" || c != w {
		t.Errorf("single endpoint %q %q, want both 127.0.0.1:8000", w, c)
	}
}

func assertSameRoot(t *testing.T, got, want RootConfig) {
	t.Helper()
	if !got.Owner.Equals(want.Owner) {
		t.Errorf("owner %s, want %s", got.Owner, want.Owner)
	}
	g, w := got, want
	g.Owner, w.Owner = nil, nil
	g.Params, w.Params = Params{}, Params{}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("root config\n got %+v\nwant %+v", g, w)
	}
	assertSameParams(t, got.Params, want.Params)
}

func assertSameParams(t *testing.T, got, want Params) {
	t.Helper()
	for _, pair := range [][2]*cell.Cell{{got.ProxyCode, want.ProxyCode}, {got.WorkerCode, want.WorkerCode}, {got.ClientCode, want.ClientCode}} {
		if (pair[0] == nil) != (pair[1] == nil) || pair[0] != nil && !bytes.Equal(pair[0].Hash(), pair[1].Hash()) {
			t.Errorf("code differs: got %v, want %v", pair[0], pair[1])
		}
	}
	got, want = got.WithoutCode(), want.WithoutCode()
	if got != want {
		t.Errorf("params\n got %+v\nwant %+v", got, want)
	}
}

func TestParamsVersions(t *testing.T) {
	base := fixtureParams(t).WithoutCode()
	tests := []struct {
		name    string
		version uint8
		want    func(Params) Params
	}{
		{"v0 defaults stakes and multipliers", 0, func(p Params) Params {
			p.MinProxyStake, p.MinClientStake = billing.TON, billing.TON
			p.PromptMultiplier, p.CachedMultiplier, p.CompletionMultiplier, p.ReasoningMultiplier = 10000, 10000, 10000, 10000
			return p
		}},
		{"v1 defaults multipliers", 1, func(p Params) Params {
			p.PromptMultiplier, p.CachedMultiplier, p.CompletionMultiplier, p.ReasoningMultiplier = 10000, 10000, 10000, 10000
			return p
		}},
		{"v2 defaults prompt and completion", 2, func(p Params) Params {
			p.PromptMultiplier, p.CompletionMultiplier = 10000, 10000
			return p
		}},
		{"v3 keeps everything", 3, func(p Params) Params { return p }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base
			in.StructVersion = tt.version
			in.MinProxyStake, in.MinClientStake = 3*billing.TON, 4*billing.TON
			got := reparse(t, in, ParseParams)
			want := tt.want(in)
			if got != want {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	good, err := fixtureParams(t).Cell()
	if err != nil {
		t.Fatal(err)
	}
	trailing := cell.BeginCell().MustStoreBuilder(good.ToBuilder()).MustStoreUInt(1, 1).EndCell()
	v4 := cell.BeginCell().MustStoreUInt(4, 8).EndCell()
	badDesc := cell.BeginCell().MustStoreUInt(1, 1).MustStoreUInt(0, 7).EndCell()
	testErrors(t, []errorCase{
		{"params with trailing bits", func() error { _, err := ParseParams(trailing); return err }, "left over"},
		{"params version 4", func() error { _, err := ParseParams(v4); return err }, "struct version 4"},
		{"truncated params", func() error { _, err := ParseParams(cell.BeginCell().MustStoreUInt(3, 8).EndCell()); return err }, "reading params"},
		{"nil root", func() error { _, err := ParseRootConfig(nil); return err }, "no data cell"},
		{"root without refs", func() error {
			_, err := ParseRootConfig(cell.BeginCell().MustStoreAddr(addr(1)).MustStoreUInt(0, 32).EndCell())
			return err
		}, "reference"},
		{"proxy desc of type 1", func() error { _, err := loadProxyDesc(badDesc.MustBeginParse()); return err }, "type 1"},
		{"empty proxy data", func() error { _, err := ParseProxyData(cell.BeginCell().EndCell()); return err }, "reading proxy data"},
		{"empty client data", func() error { _, err := ParseClientData(cell.BeginCell().EndCell()); return err }, "reading client data"},
		{"empty worker data", func() error { _, err := ParseWorkerData(cell.BeginCell().EndCell()); return err }, "reading worker data"},
		{"empty wallet data", func() error { _, err := ParseWalletData(cell.BeginCell().EndCell()); return err }, "reading wallet data"},
	})
}

func TestEncodeErrors(t *testing.T) {
	long := strings.Repeat("x", 128)
	testErrors(t, []errorCase{
		{"long proxy description", func() error {
			r := fixtureRoot(t)
			r.Proxies = []RegisteredProxy{{1, long}}
			_, err := r.Cell()
			return err
		}, "at most 127"},
		{"negative price", func() error {
			p := fixtureParams(t)
			p.PricePerToken = -1
			_, err := p.Cell()
			return err
		}, "negative"},
		{"short key", func() error {
			_, err := ProxyData{PublicKey: make([]byte, 5), Params: fixtureParams(t)}.Cell()
			return err
		}, "public key of 5 bytes"},
		{"proxy address without code", func() error {
			_, err := ProxyAddress(addr(1), addr(2), proxyKey, fixtureParams(t).WithoutCode())
			return err
		}, "no proxy code"},
	})
}

func TestContractDataRoundTrip(t *testing.T) {
	p := fixtureParams(t)
	proxy := ProxyData{Owner: addr(1), PublicKey: proxyKey, Root: addr(2), State: StateClosing, Balance: 5, Stake: 6, UnlockTS: 7, Params: p.ForProxy()}
	client := ClientData{State: StateClosed, Balance: 8, Stake: 9, TokensUsed: 10, UnlockTS: 11, SecretHash: hashOf(12), Owner: addr(3), Proxy: addr(4), ProxyPublicKey: proxyKey, Params: p.WithoutCode()}
	worker := WorkerData{Owner: addr(5), Proxy: addr(6), ProxyPublicKey: proxyKey, State: StateClosed, Tokens: 13, Params: p.WithoutCode()}
	wallet := WalletData{Seqno: 14, Subwallet: 15, PublicKey: proxyKey, Status: 1, Owner: addr(7)}

	gp := reparse(t, proxy, ParseProxyData)
	assertSameParams(t, gp.Params, proxy.Params)
	gp.Params, proxy.Params = Params{}, Params{}
	if !reflect.DeepEqual(gp, proxy) {
		t.Errorf("proxy data\n got %+v\nwant %+v", gp, proxy)
	}

	gc := reparse(t, client, ParseClientData)
	if !reflect.DeepEqual(gc, client) {
		t.Errorf("client data\n got %+v\nwant %+v", gc, client)
	}

	gw := reparse(t, worker, ParseWorkerData)
	if !reflect.DeepEqual(gw, worker) {
		t.Errorf("worker data\n got %+v\nwant %+v", gw, worker)
	}

	gl := reparse(t, wallet, ParseWalletData)
	if !reflect.DeepEqual(gl, wallet) {
		t.Errorf("wallet data\n got %+v\nwant %+v", gl, wallet)
	}
}

func BenchmarkParseRootConfig(b *testing.B) {
	c, err := fixtureRoot(b).Cell()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ParseRootConfig(c); err != nil {
			b.Fatal(err)
		}
	}
}
