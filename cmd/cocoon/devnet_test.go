package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/devnet"
)

func TestDevnetChainFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run([]string{"devnet", "--chain", "real", "--engine-url", "http://127.0.0.1:1", "--model-name", "m"}, &out, &errOut)
	if got := exitCode(err); got != 2 || !strings.Contains(err.Error(), `unknown --chain "real"`) {
		t.Errorf("devnet --chain real: exit code %d, error %v; want 2 and an unknown-chain error", got, err)
	}
}

// TestDevnetChainState starts a devnet on the emulated chain in a data
// directory and reads its accounts with `cocoon chain state`, as the
// addresses it prints invite a user to.
func TestDevnetChainState(t *testing.T) {
	dir := t.TempDir()
	engine := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"object":"list","data":[]}`)) })
	n, err := devnet.Start(context.Background(), devnet.Options{Model: "m", Engine: func(int) http.Handler { return engine }, Chain: devnet.ChainEmulated, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	var out bytes.Buffer
	printDevnet(&out, n, dir, nil)
	for _, want := range []string{"emulated TON chain", "root             " + n.Addresses.Root.String(), "client contract  " + n.Addresses.ClientContract.String(), "cocoon chain state --state " + filepath.Join(dir, devnet.ChainStateFile)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("devnet banner lacks %q:\n%s", want, out.String())
		}
	}
	tests := []struct {
		name string
		addr string
		want []string
	}{
		{"root", n.Addresses.Root.String(), []string{"status:    active", "contract:  root", "price per token 0.000000002 TON", n.ProxyWorkersAddr + " " + n.ProxyClientsAddr}},
		{"proxy wallet", n.Addresses.ProxyWallet.String(), []string{"balance:   "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if err := runChain(context.Background(), []string{"state", "--data-dir", dir, tt.addr}, &out, &errOut); err != nil {
				t.Fatalf("chain state: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("chain state of the %s lacks %q:\n%s", tt.name, w, out.String())
				}
			}
		})
	}
}
