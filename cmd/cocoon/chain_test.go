package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/contracts/rootadmin"
	"github.com/cocoon-go/cocoon/internal/devnet"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
)

// funding is an account that a test chain funds before its root is
// deployed.
type funding struct {
	to     *address.Address
	amount billing.NanoTON
}

// rootOnChain writes an emulated chain (opts, in a file of its own) on
// which each of funds is funded and then a root of cfg is deployed with
// 1 TON from the faucet. It returns the state file and the root's address.
func rootOnChain(t testing.TB, opts emulated.Options, cfg contracts.RootConfig, funds ...funding) (path string, root *address.Address) {
	t.Helper()
	ctx := context.Background()
	opts.Path = filepath.Join(t.TempDir(), "chain.json")
	c, err := emulated.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range funds {
		if err := c.Fund(ctx, f.to, f.amount); err != nil {
			t.Fatal(err)
		}
	}
	d, err := rootadmin.DeployRoot(ctx, c, c.Faucet(), cfg, billing.TON, 0)
	if err != nil {
		t.Fatal(err)
	}
	return opts.Path, d.Root
}

// cocoonWalletAddress is the address of the cocoon wallet of key owned by
// owner, as the wallet contract's code derives it.
func cocoonWalletAddress(t testing.TB, key ed25519.PrivateKey, owner *address.Address) *address.Address {
	t.Helper()
	code, err := contracts.Code(contracts.Wallet)
	if err != nil {
		t.Fatal(err)
	}
	w, err := ton.NewCocoonWallet(code, key, owner)
	if err != nil {
		t.Fatal(err)
	}
	return w.Address()
}

// chainState writes an emulated chain with a plain funded account and a
// deployed root, and returns the file and the two addresses.
func chainState(t *testing.T) (path string, plain, root *address.Address) {
	t.Helper()
	plain = address.NewAddress(0, 0, bytes.Repeat([]byte{0x12}, 32))
	cfg := contracts.RootConfig{
		Owner:   plain,
		Version: 4,
		Proxies: []contracts.RegisteredProxy{{Seqno: 1, Desc: "127.0.0.1:5222"}},
		Params:  contracts.Params{StructVersion: 3, ParamsVersion: 2, PricePerToken: 20, WorkerFeePerToken: 10},
	}
	path, root = rootOnChain(t, emulated.Options{Clock: func() time.Time { return time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC) }}, cfg,
		funding{plain, 1_500_000_001})
	return path, plain, root
}

func TestChainState(t *testing.T) {
	path, plain, root := chainState(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"plain account", []string{"state", "--state", path, plain.String()}, []string{
			"status:    uninit", "balance:   1.500000001 TON", "code hash: none", "last lt:   ",
		}},
		{"root after the address", []string{"state", root.StringRaw(), "--state", path}, []string{
			"status:    active", "contract:  root", "version 4, params version 2", "proxy 1: 127.0.0.1:5222",
			"price per token 0.00000002 TON",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if err := runChain(context.Background(), tt.args, &out, &errOut); err != nil {
				t.Fatalf("runChain: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestChainStateDefault reads the chain of the devnet in the default data
// directory, or in the one --data-dir names.
func TestChainStateDefault(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	_, plain, _ := chainState(t)
	var out, errOut bytes.Buffer
	err := runChain(context.Background(), []string{"state", plain.String()}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "opening chain state") {
		t.Errorf("without a devnet: got %v, want an error opening the chain state", err)
	}
	path, plain, _ := chainState(t)
	dir := devnetDirs.Dir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, devnet.ChainStateFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"state", plain.String()}, {"state", "--data-dir", dir, plain.String()}} {
		out.Reset()
		if err := runChain(context.Background(), args, &out, &errOut); err != nil {
			t.Fatalf("runChain %q: %v", args, err)
		}
		if !strings.Contains(out.String(), "balance:   1.500000001 TON") {
			t.Errorf("runChain %q printed:\n%s\nwant the account's balance", args, out.String())
		}
	}
}

func TestChainStateErrors(t *testing.T) {
	path, _, _ := chainState(t)
	missing := address.NewAddress(0, 0, bytes.Repeat([]byte{0x34}, 32)).String()
	tests := []struct {
		name      string
		args      []string
		wantUsage bool
		want      string
	}{
		{"no subcommand", nil, true, "subcommand"},
		{"unknown subcommand", []string{"frob"}, true, "unknown chain subcommand"},
		{"no address", []string{"state", "--state", path}, true, "exactly one ADDRESS"},
		{"two sources", []string{"state", missing, "--state", path, "--ton-config", path}, true, "at most one of"},
		{"data dir and state", []string{"state", missing, "--state", path, "--data-dir", filepath.Dir(path)}, true, "at most one of"},
		{"no devnet in the data dir", []string{"state", missing, "--data-dir", t.TempDir()}, false, "opening chain state"},
		{"bad address", []string{"state", "nope", "--state", path}, true, "bad address"},
		{"unknown flag", []string{"state", "--frob"}, true, "frob"},
		{"missing account", []string{"state", missing, "--state", path}, false, "not found"},
		{"missing state file", []string{"state", missing, "--state", filepath.Join(t.TempDir(), "none.json")}, false, "opening chain state"},
		{"bad ton config", []string{"state", missing, "--ton-config", path}, false, "TON global config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := runChain(context.Background(), tt.args, &out, &errOut)
			if err == nil {
				t.Fatal("runChain succeeded, want an error")
			}
			var u usageError
			if errors.As(err, &u) != tt.wantUsage {
				t.Errorf("usage error %v, want %v (%v)", errors.As(err, &u), tt.wantUsage, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
