package liteclient

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	tonapi "github.com/xssnick/tonutils-go/ton"
	"go.uber.org/goleak"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
	"github.com/cocoon-go/cocoon/internal/ton/tontest"
)

// farSide answers liteserver queries from an emulated chain, so that the
// client's own logic (account mapping, error mapping, the backward
// transaction walk) runs against the conformance suite offline.
type farSide struct {
	chain *emulated.Chain
	seqno uint32
}

func (f *farSide) CurrentMasterchainInfo(context.Context) (*tonapi.BlockIDExt, error) {
	f.seqno++
	return &tonapi.BlockIDExt{Workchain: -1, Shard: -1 << 63, SeqNo: f.seqno}, nil
}

func (f *farSide) GetAccount(ctx context.Context, _ *tonapi.BlockIDExt, addr *address.Address) (*tlb.Account, error) {
	acc, err := f.chain.Account(ctx, addr)
	if errors.Is(err, ton.ErrNotFound) {
		return &tlb.Account{}, nil
	}
	if err != nil {
		return nil, err
	}
	status := map[ton.Status]tlb.AccountStatus{
		ton.StatusActive: tlb.AccountStatusActive,
		ton.StatusUninit: tlb.AccountStatusUninit,
		ton.StatusFrozen: tlb.AccountStatusFrozen,
	}[acc.Status]
	st := &tlb.AccountState{IsValid: true, Address: addr}
	st.Status = status
	st.Balance = tlb.FromNanoTONU(uint64(acc.Balance))
	if acc.Code != nil {
		st.StateInit = &tlb.StateInit{Code: acc.Code, Data: acc.Data}
	}
	return &tlb.Account{IsActive: true, State: st, Code: acc.Code, Data: acc.Data, LastTxLT: acc.LastLT, LastTxHash: acc.LastHash}, nil
}

func (f *farSide) RunGetMethod(ctx context.Context, _ *tonapi.BlockIDExt, addr *address.Address, method string, params ...any) (*tonapi.ExecutionResult, error) {
	res, err := f.chain.RunGetMethod(ctx, addr, method, params...)
	var exit *ton.ExitError
	switch {
	case errors.As(err, &exit):
		return nil, tonapi.ContractExecError{Code: int32(exit.Code)}
	case errors.Is(err, ton.ErrNotFound):
		return nil, tonapi.ContractExecError{Code: tonapi.ErrCodeContractNotInitialized}
	case err != nil:
		return nil, err
	}
	return tonapi.NewExecutionResult(res), nil
}

func (f *farSide) SendExternalMessage(ctx context.Context, msg *tlb.ExternalMessage) error {
	return f.chain.SendExternal(ctx, msg)
}

// ListTransactions returns up to num transactions ending with (lt, hash),
// oldest first, as a liteserver does.
func (f *farSide) ListTransactions(ctx context.Context, addr *address.Address, num uint32, lt uint64, hash []byte) ([]*tlb.Transaction, error) {
	all, err := f.chain.Transactions(ctx, addr, 0, emulated.DefaultHistory)
	if err != nil {
		return nil, err
	}
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].LT == lt && bytes.Equal(all[i].Hash, hash) {
			from := max(0, i+1-int(num))
			out := make([]*tlb.Transaction, 0, i+1-from)
			for _, t := range all[from : i+1] {
				out = append(out, t.Raw)
			}
			return out, nil
		}
	}
	return nil, tonapi.ErrNoTransactionsWereFound
}

func (f *farSide) GetTime(ctx context.Context) (uint32, error) {
	now, err := f.chain.Now(ctx)
	return uint32(now.Unix()), err
}

func offlineClient(c *emulated.Chain) *Client {
	return &Client{api: &farSide{chain: c}, stick: func(ctx context.Context) context.Context { return ctx }}
}

func TestConformanceOffline(t *testing.T) {
	ctx := context.Background()
	c, err := emulated.New(emulated.Options{Clock: func() time.Time { return time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	w, err := ton.NewV5R1(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32)), -239)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Fund(ctx, w.Address(), 5*billing.TON); err != nil {
		t.Fatal(err)
	}
	client := offlineClient(c)
	// Enough transactions that the backward walk needs several pages.
	for i := range 2*pageSize + 3 {
		if err := w.Send(ctx, client, ton.Transfer{To: w.Address(), Amount: 1, Mode: ton.ModePayFeesSeparately}); err != nil {
			t.Fatalf("transfer %d: %v", i, err)
		}
	}
	tontest.Run(t, tontest.Fixture{
		Chain:   client,
		Wallet:  w.Address(),
		Signer:  w,
		Missing: address.NewAddress(0, 0, bytes.Repeat([]byte{0x99}, 32)),
	})

	all, err := client.Transactions(ctx, w.Address(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := c.Transactions(ctx, w.Address(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(direct) || len(all) < 2*pageSize {
		t.Fatalf("walked %d transactions, the chain holds %d (want at least %d)", len(all), len(direct), 2*pageSize)
	}
	for i := range all {
		if all[i].LT != direct[i].LT {
			t.Fatalf("transaction %d has LT %d, want %d", i, all[i].LT, direct[i].LT)
		}
	}
	firstFive, err := client.Transactions(ctx, w.Address(), 0, 5)
	if err != nil || len(firstFive) != 5 || firstFive[4].LT != direct[4].LT {
		t.Errorf("limit 5 gave %d transactions (%v), want the five oldest", len(firstFive), err)
	}
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "global.config.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const initBlock = `"validator": {"@type": "validator.config.global", "init_block": {"workchain": -1, "shard": -9223372036854775808, "seqno": 1, "root_hash": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "file_hash": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}}`

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		path func(t *testing.T) string
		want string
	}{
		{"missing file", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope.json") }, "reading TON global config"},
		{"not json", func(t *testing.T) string { return writeConfig(t, "{") }, "reading TON global config"},
		{"no liteservers", func(t *testing.T) string { return writeConfig(t, `{"liteservers": [], `+initBlock+`}`) }, "no liteservers"},
		{"no init block", func(t *testing.T) string {
			return writeConfig(t, `{"liteservers": [{"ip": 2130706433, "port": 1, "id": {"@type": "pub.ed25519", "key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}}]}`)
		}, "no validator init block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(tt.path(t))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

func TestOpenUnreachable(t *testing.T) {
	defer goleak.VerifyNone(t)
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	cfg := fmt.Sprintf(`{"liteservers": [{"ip": 2130706433, "port": %d, "id": {"@type": "pub.ed25519", "key": %q}}], %s}`, freePort(t), key, initBlock)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Open(ctx, Options{ConfigPath: writeConfig(t, cfg)})
	if err == nil {
		c.Close()
		t.Fatal("Open succeeded with no reachable liteserver")
	}
	if !strings.Contains(err.Error(), "connecting to liteservers") {
		t.Errorf("got error %v, want a connection error", err)
	}
}

// TestNetwork runs the suite against a real network. It needs
// COCOON_TON_CONFIG (a global config file) and COCOON_TON_WALLET (an
// active v5r1 wallet address); with COCOON_TON_WALLET_SEED (hex Ed25519
// seed of that wallet) and COCOON_TON_NETWORK_ID (-239 mainnet, -3
// testnet) it also sends.
func TestNetwork(t *testing.T) {
	cfgPath, walletAddr := os.Getenv("COCOON_TON_CONFIG"), os.Getenv("COCOON_TON_WALLET")
	if cfgPath == "" || walletAddr == "" {
		t.Skip("set COCOON_TON_CONFIG and COCOON_TON_WALLET to run against a real TON network")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := Open(ctx, Options{ConfigPath: cfgPath})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr, err := address.ParseAddr(walletAddr)
	if err != nil {
		t.Fatalf("COCOON_TON_WALLET: %v", err)
	}
	f := tontest.Fixture{
		Chain:   c,
		Wallet:  addr,
		Missing: address.NewAddress(0, 0, bytes.Repeat([]byte{0x99}, 32)),
		Settle:  2 * time.Minute,
	}
	if seed := os.Getenv("COCOON_TON_WALLET_SEED"); seed != "" {
		raw, err := hex.DecodeString(seed)
		if err != nil || len(raw) != ed25519.SeedSize {
			t.Fatalf("COCOON_TON_WALLET_SEED: want %d hex bytes", ed25519.SeedSize)
		}
		id, err := strconv.ParseInt(os.Getenv("COCOON_TON_NETWORK_ID"), 10, 32)
		if err != nil {
			t.Fatalf("COCOON_TON_NETWORK_ID: %v", err)
		}
		w, err := ton.NewV5R1(ed25519.NewKeyFromSeed(raw), int32(id))
		if err != nil {
			t.Fatal(err)
		}
		if !w.Address().Equals(addr) {
			t.Fatalf("the seed gives wallet %s, not %s", w.Address(), addr)
		}
		f.Signer = w
	}
	tontest.Run(t, f)
}
