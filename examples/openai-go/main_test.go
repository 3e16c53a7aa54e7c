package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/client"
	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/devnet"
	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
)

// TestOnADevnet runs the example's code path against a devnet on the
// emulated chain, as a second client beside the devnet's own: a config
// like the devnet's client.json with a wallet of its own, funded on the
// chain. The client deploys its contract at the proxy, the answer
// streams through OpenAI's Go SDK and the library, and the client's
// contract on chain is printed.
func TestOnADevnet(t *testing.T) {
	model := sharedtest.Path(t, "models/stories260K.gguf")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	n, err := devnet.Start(ctx, devnet.Options{ModelPath: model, Chain: devnet.ChainEmulated, DataDir: filepath.Join(dir, "devnet")})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	cfg, err := client.LoadConfig(filepath.Join(dir, "devnet", "client.json"))
	if err != nil {
		t.Fatal(err)
	}
	// A wallet of its own, owned by an owner of its own, funded as a
	// person funds theirs.
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	owner := contracts.NewOwnerAddress()
	wallet, err := onchain.NewWallet(n.Chain, key, owner, onchain.WalletOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Chain.(*emulated.Chain).Fund(ctx, wallet.Address(), 10*billing.TON); err != nil {
		t.Fatal(err)
	}
	cfg.NodeWalletKey = filepath.Join(dir, "wallet.key")
	if err := os.WriteFile(cfg.NodeWalletKey, []byte(hex.EncodeToString(key.Seed())), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.OwnerAddress, cfg.StateFile, cfg.SecretString = owner.String(), filepath.Join(dir, "client-state.json"), ""

	var out strings.Builder
	if err := run(ctx, cfg, client.Options{InsecureFakeTDX: true}, question{prompt: "Once upon a time", maxTokens: 16}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	t.Logf("the example printed:\n%s", text)
	answer, _, _ := strings.Cut(text, "\n\n"+n.Model+":")
	for _, want := range []string{n.Model + ": ", " completion tokens\n", "charged so far: ", "contract "} {
		if !strings.Contains(text, want) {
			t.Errorf("the output lacks %q:\n%s", want, text)
		}
	}
	if strings.TrimSpace(answer) == "" {
		t.Errorf("no answer streamed:\n%s", text)
	}
}

// TestLoadConfig reads a config from a file and the same from standard
// input (--config -), and refuses a misspelt field from either.
func TestLoadConfig(t *testing.T) {
	raw := `{"is_test":true,"proxies":["127.0.0.1:1"],"api_keys":["sk-from-stdin"]}`
	path := filepath.Join(t.TempDir(), "client.json")
	if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	fromStdin, err := loadConfig("-", strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromFile, fromStdin) || apiKey(fromStdin) != "sk-from-stdin" {
		t.Errorf("from standard input %+v, from the file %+v: want the same config", fromStdin, fromFile)
	}
	if _, err := loadConfig("-", strings.NewReader(`{"is_tset":true}`)); err == nil || !strings.Contains(err.Error(), "is_tset") {
		t.Errorf("a misspelt field from standard input: got %v, want an error naming it", err)
	}
}
