package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainview"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
)

// rootKeyFile writes the hex seed of a test key (every byte b) and
// returns the file and the key.
func rootKeyFile(t testing.TB, b byte) (string, ed25519.PrivateKey) {
	t.Helper()
	seed := bytes.Repeat([]byte{b}, ed25519.SeedSize)
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(hex.EncodeToString(seed)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, ed25519.NewKeyFromSeed(seed)
}

func rootV5(t *testing.T, key ed25519.PrivateKey) *address.Address {
	t.Helper()
	w, err := ton.NewV5R1(key, -239)
	if err != nil {
		t.Fatal(err)
	}
	return w.Address()
}

// rootTestChain writes an emulated chain with a root owned by owner (a
// funded wallet) and the funded stranger, and returns the state file and
// the root's address.
func rootTestChain(t testing.TB, owner, stranger *address.Address) (string, *address.Address) {
	t.Helper()
	cfg := contracts.RootConfig{
		Owner:   owner,
		Version: 1,
		Params: contracts.Params{
			StructVersion: contracts.ParamsStructVersion, ParamsVersion: 1, PricePerToken: 20, WorkerFeePerToken: 10,
			ProxyDelayBeforeClose: 600, ClientDelayBeforeClose: 300, MinProxyStake: billing.TON, MinClientStake: billing.TON,
		},
	}
	return rootOnChain(t, emulated.Options{}, cfg, funding{owner, 10 * billing.TON}, funding{stranger, 10 * billing.TON})
}

func rootConfigOf(t *testing.T, path string, root *address.Address) contracts.RootConfig {
	t.Helper()
	c, err := emulated.New(emulated.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	r, err := ton.ReadRootConfig(context.Background(), c, root)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func rootHashOf(b byte) contracts.Hash { return contracts.Hash(bytes.Repeat([]byte{b}, 32)) }

func TestRootAdministration(t *testing.T) {
	ownerKey, key := rootKeyFile(t, 1)
	strangerKey, skey := rootKeyFile(t, 2)
	path, root := rootTestChain(t, rootV5(t, key), rootV5(t, skey))
	send := func(sub string, args ...string) []string {
		return append(append([]string{"root", sub}, args...), "--root", root.String(), "--state", path, "--key", ownerKey)
	}
	model := sha256.Sum256([]byte("Qwen/Qwen3-0.6B@abc:def"))
	newOwner := address.NewAddress(0, 0, bytes.Repeat([]byte{0x77}, 32))
	longDesc := strings.Repeat("p", contracts.MaxProxyDescUpdate-len(".example:1")) + ".example:1"
	steps := []struct {
		name  string
		args  []string
		check func(r contracts.RootConfig) bool
	}{
		{"add proxy hash", send("add-proxy-hash", hex.EncodeToString(bytes.Repeat([]byte{0xa1}, 32))), func(r contracts.RootConfig) bool { return r.HasProxyHash(rootHashOf(0xa1)) }},
		{"add worker hash", send("add-worker-hash", "0x"+hex.EncodeToString(bytes.Repeat([]byte{0xb2}, 32))), func(r contracts.RootConfig) bool { return r.HasWorkerHash(rootHashOf(0xb2)) }},
		{"add model hash", send("add-model-hash", hex.EncodeToString(bytes.Repeat([]byte{0xc3}, 32))), func(r contracts.RootConfig) bool { return r.HasModelHash(rootHashOf(0xc3)) }},
		{"add model by name", send("add-model-hash", "--model-name", "Qwen/Qwen3-0.6B@abc:def"), func(r contracts.RootConfig) bool { return r.HasModelHash(model) }},
		{"del proxy hash", send("del-proxy-hash", hex.EncodeToString(bytes.Repeat([]byte{0xa1}, 32))), func(r contracts.RootConfig) bool { return len(r.ProxyHashes) == 0 }},
		{"del worker hash", send("del-worker-hash", hex.EncodeToString(bytes.Repeat([]byte{0xb2}, 32))), func(r contracts.RootConfig) bool { return len(r.WorkerHashes) == 0 }},
		{"del model by name", send("del-model-hash", "--model-name", "Qwen/Qwen3-0.6B@abc:def"), func(r contracts.RootConfig) bool {
			return !r.HasModelHash(model) && r.HasModelHash(rootHashOf(0xc3))
		}},
		{"register proxy", send("register-proxy", "--addr", "10.0.0.1:5222 10.0.0.1:5223"), func(r contracts.RootConfig) bool {
			return slices.Equal(r.Proxies, []contracts.RegisteredProxy{{Seqno: 1, Desc: "10.0.0.1:5222 10.0.0.1:5223"}})
		}},
		{"register second proxy", send("register-proxy", "--addr", "10.0.0.2:5222"), func(r contracts.RootConfig) bool { return len(r.Proxies) == 2 && r.LastProxySeqno == 2 }},
		{"update proxy to the longest description", send("update-proxy", "--seqno", "1", "--addr", longDesc), func(r contracts.RootConfig) bool { return r.Proxies[0].Desc == longDesc }},
		{"unregister proxy", send("unregister-proxy", "--seqno", "2"), func(r contracts.RootConfig) bool {
			return len(r.Proxies) == 1 && r.Proxies[0].Seqno == 1 && r.LastProxySeqno == 2
		}},
		{"set price and fee", send("set-prices", "--price", "0.00000003", "--fee", "0.000000025"), func(r contracts.RootConfig) bool {
			return r.Params.PricePerToken == 30 && r.Params.WorkerFeePerToken == 25 && r.Params.ParamsVersion == 2
		}},
		{"set price only", send("set-prices", "--price", "0.00000004"), func(r contracts.RootConfig) bool {
			return r.Params.PricePerToken == 40 && r.Params.WorkerFeePerToken == 25 && r.Params.ParamsVersion == 3
		}},
		{"set params", send("set-prices", "--client-delay", "60", "--min-proxy-stake", "15"), func(r contracts.RootConfig) bool {
			p := r.Params
			return p.PricePerToken == 40 && p.WorkerFeePerToken == 25 && p.ProxyDelayBeforeClose == 600 && p.ClientDelayBeforeClose == 60 &&
				p.MinProxyStake == 15*billing.TON && p.MinClientStake == billing.TON && p.ParamsVersion == 4
		}},
		{"upgrade contracts", send("upgrade-contracts"), func(r contracts.RootConfig) bool {
			return r.Params.ProxyCode != nil && r.Params.WorkerCode != nil && r.Params.ClientCode != nil && r.Params.ParamsVersion == 5
		}},
		{"set owner", send("set-owner", "--new-owner", newOwner.String()), func(r contracts.RootConfig) bool { return r.Owner.Equals(newOwner) }},
	}
	for i, s := range steps {
		out, err := runCmd(t, s.args...)
		if err != nil {
			t.Fatalf("%s: %v\n%s", s.name, err, out)
		}
		if !strings.Contains(out, " done: root ") {
			t.Errorf("%s: output %q does not report success", s.name, out)
		}
		if strings.HasPrefix(s.name, "register") != strings.Contains(out, "proxy registered under seqno") {
			t.Errorf("%s: output %q reports a registration wrongly", s.name, out)
		}
		r := rootConfigOf(t, path, root)
		if !s.check(r) {
			t.Errorf("%s: root config %+v does not show the change", s.name, r)
		}
		if got, want := r.Version, uint32(2+i); got != want {
			t.Errorf("%s: got version %d, want %d", s.name, got, want)
		}
	}

	// The owner is now newOwner: the old owner's key is a stranger's.
	for _, k := range []string{ownerKey, strangerKey} {
		before := rootConfigOf(t, path, root)
		_, err := runCmd(t, "root", "add-proxy-hash", hex.EncodeToString(bytes.Repeat([]byte{0xd4}, 32)), "--root", root.String(), "--state", path, "--key", k)
		if err == nil || !strings.Contains(err.Error(), "exit code 1010") {
			t.Errorf("a stranger's add-proxy-hash: got error %v, want exit code 1010", err)
		}
		if after := rootConfigOf(t, path, root); after.Version != before.Version || len(after.ProxyHashes) != 0 {
			t.Errorf("a stranger changed the root: version %d -> %d, proxy hashes %d", before.Version, after.Version, len(after.ProxyHashes))
		}
	}
}

func TestRootContractErrors(t *testing.T) {
	ownerKey, key := rootKeyFile(t, 3)
	poorKey, _ := rootKeyFile(t, 4)
	path, root := rootTestChain(t, rootV5(t, key), address.NewAddress(0, 0, bytes.Repeat([]byte{0x55}, 32)))
	common := []string{"--root", root.String(), "--state", path}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown proxy seqno", append([]string{"root", "update-proxy", "--seqno", "7", "--addr", "1.2.3.4:5", "--key", ownerKey}, common...), "exit code 2000"},
		{"unfunded wallet", append([]string{"root", "del-worker-hash", strings.Repeat("00", 32), "--key", poorKey}, common...), "does not exist on the chain"},
		{"too much attached", append([]string{"root", "del-worker-hash", strings.Repeat("00", 32), "--key", ownerKey, "--amount", "20"}, common...), "fund it first"},
		{"not a root", []string{"root", "show", "--root", rootV5(t, key).String(), "--state", path}, "reading root"},
		{"missing root", []string{"root", "show", "--root", address.NewAddress(0, 0, bytes.Repeat([]byte{0x56}, 32)).String(), "--state", path}, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCmd(t, tt.args...)
			if err == nil {
				t.Fatalf("succeeded, want an error containing %q\n%s", tt.want, out)
			}
			var u usageError
			if errors.As(err, &u) {
				t.Errorf("got usage error %v, want a failure", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestRootDeployAndShow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chain.json")
	keyPath, key := rootKeyFile(t, 5)
	owner := address.NewAddress(0, 0, bytes.Repeat([]byte{0x42}, 32))
	deploy := []string{"root", "deploy", "--state", path, "--owner-key", keyPath, "--wallet", "cocoon", "--wallet-owner", owner.String(), "--price", "0.00000002", "--fee", "0.000000019"}
	out, err := runCmd(t, deploy...)
	if err != nil {
		t.Fatalf("deploy: %v\n%s", err, out)
	}
	line, _, _ := strings.Cut(strings.TrimPrefix(out, "root:"), "\n")
	root, err := address.ParseAddr(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("deploy printed no root address: %v\n%s", err, out)
	}
	again, err := runCmd(t, append(deploy, "--fund", "0")...)
	if err != nil || !strings.Contains(again, "already deployed") {
		t.Errorf("second deploy: got %v\n%s, want an already deployed root", err, again)
	}

	out, err = runCmd(t, "root", "add-worker-hash", strings.Repeat("e5", 32), "--root", root.String(), "--state", path,
		"--key", keyPath, "--wallet", "cocoon", "--wallet-owner", owner.String())
	if err != nil {
		t.Fatalf("add-worker-hash through the cocoon wallet: %v\n%s", err, out)
	}
	r := rootConfigOf(t, path, root)
	w := cocoonWalletAddress(t, key, owner)
	if !r.Owner.Equals(w) {
		t.Errorf("got root owner %s, want the cocoon wallet %s", r.Owner, w)
	}

	out, err = runCmd(t, "root", "show", "--state", path, "--root", root.String())
	if err != nil {
		t.Fatalf("show: %v\n%s", err, out)
	}
	for _, want := range []string{
		"version:               2", "unique id:             13", "price per token:       0.00000002 TON (20 nanoTON)",
		"worker fee per token:  0.000000019 TON (19 nanoTON)", "close delays:          proxy 600 s, client 300 s",
		"worker hashes: 1\n  " + strings.Repeat("e5", 32), "proxy hashes: 0", "registered proxies: 0 (last seqno 0)",
		"owner:                 " + w.String(),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show output lacks %q:\n%s", want, out)
		}
	}

	out, err = runCmd(t, "root", "show", "--state", path, "--root", root.String(), "--json")
	if err != nil {
		t.Fatalf("show --json: %v\n%s", err, out)
	}
	var got chainview.RootJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("show --json printed no JSON: %v\n%s", err, out)
	}
	proxyCode, err := contracts.Code(contracts.Proxy)
	if err != nil {
		t.Fatal(err)
	}
	proxyHash := hex.EncodeToString(proxyCode.Hash())
	if got.Root != root.String() || got.Owner != w.String() || got.Version != 2 || got.PricePerToken != "20" ||
		got.WorkerFeePerToken != "19" || got.MinClientStake != "1000000000" || got.Multipliers["reasoning"] != 10000 ||
		!slices.Equal(got.WorkerHashes, []string{strings.Repeat("e5", 32)}) || len(got.ProxyHashes) != 0 ||
		got.CodeHashes["proxy"] != proxyHash || len(got.Proxies) != 0 {
		t.Errorf("show --json printed %+v", got)
	}
}

func TestRootUsage(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // no devnet in the default data directory
	keyPath, _ := rootKeyFile(t, 6)
	state := filepath.Join(t.TempDir(), "chain.json")
	root := address.NewAddress(0, 0, bytes.Repeat([]byte{0x12}, 32)).String()
	hash := strings.Repeat("ab", 32)
	send := []string{"--root", root, "--state", state, "--key", keyPath}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", nil, "subcommand"},
		{"unknown subcommand", []string{"frob"}, "unknown root subcommand"},
		{"show without chain", []string{"show", "--root", root}, "no devnet chain at"},
		{"show with two chains", []string{"show", "--root", root, "--state", state, "--ton-config", state}, "not both"},
		{"show without root", []string{"show", "--state", state}, "--root ADDR is required"},
		{"show with an argument", []string{"show", "x", "--root", root, "--state", state}, "no arguments"},
		{"bad root", append([]string{"add-proxy-hash", hash}, "--root", "nope", "--state", state, "--key", keyPath), "bad --root"},
		{"no hash", append([]string{"add-proxy-hash"}, send...), "takes one HASH"},
		{"two hashes", append([]string{"add-worker-hash", hash, hash}, send...), "takes one HASH"},
		{"short hash", append([]string{"add-worker-hash", "abcd"}, send...), "64 hex digits"},
		{"hash and model name", append([]string{"add-model-hash", hash, "--model-name", "m"}, send...), "HASH or --model-name"},
		{"model name on proxy hash", append([]string{"add-proxy-hash", "--model-name", "m"}, send...), "model-name"},
		{"no key", []string{"del-proxy-hash", hash, "--root", root, "--state", state}, "--key FILE"},
		{"no addr", append([]string{"register-proxy"}, send...), "--addr"},
		{"three endpoints", append([]string{"register-proxy", "--addr", "a:1 b:2 c:3"}, send...), "one or two"},
		{"endpoint without port", append([]string{"register-proxy", "--addr", "a:1 b"}, send...), "not HOST:PORT"},
		{"update without seqno", append([]string{"update-proxy", "--addr", "a:1"}, send...), "--seqno"},
		{"unregister without seqno", append([]string{"unregister-proxy"}, send...), "--seqno"},
		{"seqno too large", append([]string{"unregister-proxy", "--seqno", "4294967296"}, send...), "--seqno"},
		{"nothing to set", append([]string{"set-prices"}, send...), "at least one"},
		{"bad price", append([]string{"set-prices", "--price", "1e-9"}, send...), "bad --price"},
		{"negative fee", append([]string{"set-prices", "--fee", "-1"}, send...), "negative"},
		{"delay too large", append([]string{"set-prices", "--proxy-delay", "4294967296"}, send...), "32 bits"},
		{"no new owner", append([]string{"set-owner"}, send...), "--new-owner"},
		{"bad amount", append([]string{"add-proxy-hash", hash, "--amount", "x"}, send...), "bad --amount"},
		{"zero timeout", append([]string{"add-proxy-hash", hash, "--timeout", "0s"}, send...), "--timeout"},
		{"unknown wallet", append([]string{"add-proxy-hash", hash, "--wallet", "v4"}, send...), "unknown --wallet"},
		{"cocoon wallet without owner", append([]string{"add-proxy-hash", hash, "--wallet", "cocoon"}, send...), "--wallet-owner"},
		{"wallet owner on v5r1", append([]string{"add-proxy-hash", hash, "--wallet-owner", root}, send...), "cocoon only"},
		{"unknown flag", []string{"show", "--frob"}, "frob"},
		{"deploy without state", []string{"deploy", "--owner-key", keyPath}, "--state FILE"},
		{"deploy without key", []string{"deploy", "--state", state}, "--owner-key"},
		{"deploy with zero balance", []string{"deploy", "--state", state, "--owner-key", keyPath, "--balance", "0"}, "--balance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCmd(t, append([]string{"root"}, tt.args...)...)
			if err == nil {
				t.Fatalf("succeeded, want a usage error\n%s", out)
			}
			if got := exitCode(err); got != 2 {
				t.Errorf("got exit code %d (%v), want 2", got, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("a refused command created the state file (stat: %v)", err)
	}
}

func TestRootChainSources(t *testing.T) {
	keyPath, _ := rootKeyFile(t, 7)
	dir := t.TempDir()
	badConfig := filepath.Join(dir, "global.json")
	if err := os.WriteFile(badConfig, []byte(`{"liteservers": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	root := address.NewAddress(0, 0, bytes.Repeat([]byte{0x12}, 32)).String()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"show on a bad TON config", []string{"root", "show", "--root", root, "--ton-config", badConfig}, "TON global config"},
		{"send on a bad TON config", []string{"root", "add-proxy-hash", strings.Repeat("00", 32), "--root", root, "--ton-config", badConfig, "--key", keyPath}, "TON global config"},
		{"missing state file", []string{"root", "show", "--root", root, "--state", filepath.Join(dir, "none.json")}, "opening chain state"},
		{"missing key file", []string{"root", "add-proxy-hash", strings.Repeat("00", 32), "--root", root, "--state", badConfig, "--key", filepath.Join(dir, "none")}, "reading key file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runCmd(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestRootWalletAddress(t *testing.T) {
	keyPath, key := rootKeyFile(t, 10)
	owner := address.NewAddress(0, 0, bytes.Repeat([]byte{0x43}, 32))
	testnet, err := ton.NewV5R1(key, -3)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want *address.Address
	}{
		{"v5r1", nil, rootV5(t, key)},
		{"v5r1 on testnet", []string{"--network-id", "-3"}, testnet.Address()},
		{"cocoon", []string{"--wallet", "cocoon", "--wallet-owner", owner.StringRaw()}, cocoonWalletAddress(t, key, owner)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCmd(t, append([]string{"root", "wallet-address", "--key", keyPath}, tt.args...)...)
			if err != nil {
				t.Fatalf("wallet-address: %v\n%s", err, out)
			}
			if !strings.Contains(out, tt.want.String()) || !strings.Contains(out, tt.want.StringRaw()) {
				t.Errorf("got %q, want the address %s", out, tt.want)
			}
		})
	}
	if _, err := runCmd(t, "root", "wallet-address"); exitCode(err) != 2 {
		t.Errorf("wallet-address without --key: got %v, want a usage error", err)
	}
}

// BenchmarkRootAddWorkerHash measures one whole `cocoon root
// add-worker-hash` on an emulated chain file: load the chain, sign and send
// through the v5r1 wallet, run the wallet and the root, save, and read back.
func BenchmarkRootAddWorkerHash(b *testing.B) {
	ownerKey, key := rootKeyFile(b, 11)
	w, err := ton.NewV5R1(key, -239)
	if err != nil {
		b.Fatal(err)
	}
	path, root := rootTestChain(b, w.Address(), address.NewAddress(0, 0, bytes.Repeat([]byte{0x57}, 32)))
	b.ResetTimer()
	for i := range b.N {
		h := sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
		if out, err := runCmd(b, "root", "add-worker-hash", hex.EncodeToString(h[:]), "--root", root.String(), "--state", path, "--key", ownerKey); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
	}
}
