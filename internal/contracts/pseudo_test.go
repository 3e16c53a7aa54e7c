package contracts

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/tl/tltest"
)

// The reference's local network (its scripts/cocoon-launch --local-all):
// the root contract address its runners are configured with, and the
// owner address of every node.
const (
	refRoot  = "EQBT4hy4vMEZ9uxSCuhw_gBKh9_AwmHXLe7Wo0O4Vh-4kRjJ"
	refOwner = "UQAuz15H1ZHrZ_psVrAra7HealMIVeFq0wguqlmFno1f3B-m"
)

// TestInteropFakeTONConfig pins mismatch 8: the reference's fake-TON root
// config (fake-ton-config.json) read as the reference reads it, and the
// contracts derived under it and the reference's root are the ones its
// proxy named on the wire: its own (b-0001, d-0001), a client's (b-0001)
// and a worker's (d-0001), all owned by the launch script's owner.
func TestInteropFakeTONConfig(t *testing.T) {
	cfg, err := ParsePseudoRootConfig(sharedtest.Reference(t, "fake-ton-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Params
	if cfg.Version != 3 || p.StructVersion != 1 || p.ParamsVersion != 1 || p.UniqueID != 13 || !p.IsTest ||
		p.PricePerToken != 2 || p.WorkerFeePerToken != 1 || p.ProxyDelayBeforeClose != 600 || p.ClientDelayBeforeClose != 300 ||
		p.MinProxyStake != billing.TON || p.MinClientStake != billing.TON ||
		p.PromptMultiplier != 10000 || p.CachedMultiplier != 10000 || p.CompletionMultiplier != 10000 || p.ReasoningMultiplier != 10000 {
		t.Errorf("root config version %d, params %+v: want version 3 and the reference's pseudo params", cfg.Version, p)
	}
	proxyHash, _ := base64.StdEncoding.DecodeString("ProxyProxyProxyProxyProxyProxyProxyProxyPro=")
	workerHash, _ := base64.StdEncoding.DecodeString("WorkerWorkerWorkerWorkerWorkerWorkerWorkerU=")
	if !cfg.HasProxyHash(Hash(proxyHash)) || !cfg.HasWorkerHash(Hash(workerHash)) || len(cfg.ModelHashes) != 0 {
		t.Errorf("hashes %x / %x / %x, want the proxy's and worker's and no model (model_names is no schema field)", cfg.ProxyHashes, cfg.WorkerHashes, cfg.ModelHashes)
	}
	if len(cfg.Proxies) != 1 || cfg.Proxies[0].Seqno != 1 || cfg.Proxies[0].WorkerAddr() != "127.0.0.1:11001" || cfg.Proxies[0].ClientAddr() != "127.0.0.1:11002" || cfg.LastProxySeqno != 1 {
		t.Errorf("registered proxies %+v, last seqno %d; want 127.0.0.1:11001 and :11002 at seqno 1", cfg.Proxies, cfg.LastProxySeqno)
	}
	if cfg.Owner == nil || !cfg.Owner.Equals(address.MustParseAddr("0QBgPMq7ye2WRcudRHK_-yjHwMXjeN-UCzAuoo06TR6hmgHV")) {
		t.Errorf("owner %v, want the file's", cfg.Owner)
	}

	connected := tltest.Reference(t, "b-client-proxy-0001-client.connectedToProxy.bin").(*tl.ClientConnectedToProxy)
	workerConnected := tltest.Reference(t, "d-worker-proxy-0001-worker.connectedToProxy.bin").(*tl.WorkerConnectedToProxy)
	root, owner := address.MustParseAddr(refRoot), address.MustParseAddr(refOwner)
	if !address.MustParseAddr(connected.Params.ProxyOwnerAddress).Equals(owner) {
		t.Fatalf("the reference's proxy owner is %s, not the launch script's: the fixture changed", connected.Params.ProxyOwnerAddress)
	}
	key := ed25519.PublicKey(connected.Params.ProxyPublicKey[:])
	proxySC, err := ProxyAddress(owner, root, key, p)
	if err != nil {
		t.Fatal(err)
	}
	pd := NewProxyData(owner, root, key, p)
	clientSC, err := ClientAddress(owner, proxySC, pd)
	if err != nil {
		t.Fatal(err)
	}
	workerSC, err := WorkerAddress(owner, proxySC, pd)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what      string
		got, want string
	}{
		{"proxy contract", proxySC.StringRaw(), address.MustParseAddr(connected.Params.ProxySCAddress).StringRaw()},
		{"proxy contract to workers", proxySC.StringRaw(), address.MustParseAddr(workerConnected.Params.ProxySCAddress).StringRaw()},
		{"client contract", clientSC.StringRaw(), address.MustParseAddr(connected.ClientSCAddress).StringRaw()},
		{"worker contract", workerSC.StringRaw(), address.MustParseAddr(workerConnected.WorkerSCAddress).StringRaw()},
	} {
		if c.got != c.want {
			t.Errorf("%s derived %s, the reference named %s", c.what, c.got, c.want)
		}
	}
	// Our own fake TON's struct version 3 derives another proxy contract
	// from the same codes: the version is part of the derivation.
	v3 := p
	v3.StructVersion = ParamsStructVersion
	if other, err := ProxyAddress(owner, root, key, v3); err != nil || other.Equals(proxySC) {
		t.Errorf("struct version 3 derives %v (%v), want another contract than version 1's", other, err)
	}
}

func TestParsePseudoRootConfigRules(t *testing.T) {
	good := `{"version":3,"params_version":"1","price_per_token":2,"worker_fee_per_token":1,"root_owner_address":"` + refOwner + `"`
	cfg, err := ParsePseudoRootConfig([]byte(good + `,"model_types":["Org/M@abc:def"],"unknown":[1]}`))
	if err != nil {
		t.Fatal(err)
	}
	if h := sha256.Sum256([]byte("Org/M")); !cfg.HasModelHash(h) || cfg.Params.ParamsVersion != 1 {
		t.Errorf("model hashes %x params version %d, want sha256 of the base name and 1 from a string", cfg.ModelHashes, cfg.Params.ParamsVersion)
	}
	if c := cfg.Params.ProxyCode; c == nil || c.BitsSize() != 0 || c.RefsNum() != 0 {
		t.Errorf("an absent code is %v, want an empty cell as the reference's", c)
	}
	for _, tc := range []struct{ name, json, want string }{
		{"not JSON", `{`, "unexpected end"},
		{"no owner", `{"version":3}`, "root_owner_address"},
		{"bad owner", `{"root_owner_address":"x"}`, "root_owner_address"},
		{"negative price", good + `,"price_per_token":-1}`, "price_per_token"},
		{"int too large", good + `,"version":4294967296}`, "32-bit"},
		{"bad hash", good + `,"proxy_hashes":["AAA="]}`, "proxy_hashes[0]"},
		{"bad code", good + `,"client_sc_code":"zz"}`, "client_sc_code"},
		{"bad proxy", good + `,"registered_proxies":[{"seqno":1,"address":"nowhere"}]}`, "registered_proxies[0]"},
	} {
		if _, err := ParsePseudoRootConfig([]byte(tc.json)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
}

// FuzzParsePseudoRootConfig: decode, encode, decode gives the same
// config.
func FuzzParsePseudoRootConfig(f *testing.F) {
	if d := sharedtest.Dir(); d != "" {
		if b, err := os.ReadFile(d + "/testdata/reference/fake-ton-config.json"); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"version":3,"params_version":1,"price_per_token":2,"worker_fee_per_token":1,"model_types":["a@b"],"registered_proxies":[{"seqno":2,"address":"h:1 h:2"}],"root_owner_address":"` + refOwner + `"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		first, err := ParsePseudoRootConfig(b)
		if err != nil {
			return
		}
		enc, err := MarshalPseudoRootConfig(first)
		if err != nil {
			t.Fatalf("re-encoding: %v", err)
		}
		second, err := ParsePseudoRootConfig(enc)
		if err != nil {
			t.Fatalf("decoding the re-encoded config %s: %v", enc, err)
		}
		if !samePseudo(first, second) {
			t.Fatalf("round trip changed the config\nfirst  %+v\nsecond %+v", first, second)
		}
	})
}

func samePseudo(a, b RootConfig) bool {
	ac, bc := a.Params, b.Params
	for _, c := range [][2]*cell.Cell{{ac.ProxyCode, bc.ProxyCode}, {ac.WorkerCode, bc.WorkerCode}, {ac.ClientCode, bc.ClientCode}} {
		if !bytes.Equal(c[0].Hash(), c[1].Hash()) {
			return false
		}
	}
	ac.ProxyCode, ac.WorkerCode, ac.ClientCode = nil, nil, nil
	bc.ProxyCode, bc.WorkerCode, bc.ClientCode = nil, nil, nil
	return a.Owner.Equals(b.Owner) && a.Version == b.Version && a.LastProxySeqno == b.LastProxySeqno &&
		reflect.DeepEqual(a.ProxyHashes, b.ProxyHashes) && reflect.DeepEqual(a.WorkerHashes, b.WorkerHashes) &&
		reflect.DeepEqual(a.ModelHashes, b.ModelHashes) && reflect.DeepEqual(a.Proxies, b.Proxies) && ac == bc
}

// MarshalPseudoRootConfig writes cfg as the reference's fake-TON root
// config. Only what rootConfig.pseudo holds is written: the params'
// struct version, unique id, delays, stakes and multipliers are the fixed
// ones of ParsePseudoRootConfig, and model hashes are written as hashes.
// It fails for a config that rootConfig.pseudo cannot hold.
func MarshalPseudoRootConfig(cfg RootConfig) ([]byte, error) {
	p := cfg.Params
	if p.PricePerToken > math.MaxInt32 || p.WorkerFeePerToken > math.MaxInt32 || p.PricePerToken < 0 || p.WorkerFeePerToken < 0 ||
		cfg.Version > math.MaxInt32 || cfg.LastProxySeqno > math.MaxInt32 || p.ParamsVersion > math.MaxInt32 {
		return nil, errors.New("writing pseudo root config: a figure beyond a 32-bit int")
	}
	if cfg.Owner == nil {
		return nil, errors.New("writing pseudo root config: no owner")
	}
	// The writer uses the reader's keys; model_types, which the reader
	// does not use either, is written as null.
	o := pseudoJSON{
		PricePerToken: jsonInt(p.PricePerToken), WorkerFeePerToken: jsonInt(p.WorkerFeePerToken),
		LastProxySeqno: jsonInt(cfg.LastProxySeqno), Version: jsonInt(cfg.Version), ParamsVersion: jsonInt(p.ParamsVersion),
		RootOwnerAddress: cfg.Owner.String(),
	}
	for _, l := range []struct {
		in  []Hash
		out *[]string
	}{{cfg.ProxyHashes, &o.ProxyHashes}, {cfg.WorkerHashes, &o.WorkerHashes}, {cfg.ModelHashes, &o.ModelHashes}} {
		*l.out = []string{}
		for _, h := range l.in {
			*l.out = append(*l.out, base64.StdEncoding.EncodeToString(h[:]))
		}
	}
	o.RegisteredProxies = []pseudoProxy{}
	for _, rp := range cfg.Proxies {
		if rp.Seqno > math.MaxInt32 {
			return nil, errors.New("writing pseudo root config: a proxy seqno beyond a 32-bit int")
		}
		o.RegisteredProxies = append(o.RegisteredProxies, pseudoProxy{Seqno: jsonInt(rp.Seqno), Address: rp.Desc})
	}
	for _, c := range []struct {
		in  *cell.Cell
		out *string
	}{{p.ProxyCode, &o.ProxySCCode}, {p.WorkerCode, &o.WorkerSCCode}, {p.ClientCode, &o.ClientSCCode}} {
		if c.in != nil && (c.in.BitsSize() > 0 || c.in.RefsNum() > 0) {
			*c.out = hex.EncodeToString(c.in.ToBOC())
		}
	}
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("writing pseudo root config: %w", err)
	}
	return b, nil
}
