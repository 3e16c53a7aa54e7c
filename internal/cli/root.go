package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/contracts/rootadmin"
	"github.com/cocoon-go/cocoon/internal/node"
)

// ParseAddr reads the address given as --flagName.
func ParseAddr(flagName, s string) (*address.Address, error) {
	if s == "" {
		return nil, Usagef("--%s ADDR is required (the devnet's is read from the proxy.json beside its chain state)", flagName)
	}
	a, err := contracts.ParseAddress(s)
	if err != nil {
		return nil, Usagef("bad --%s address %q", flagName, s)
	}
	return a, nil
}

// ParseTON reads the amount of TON given as --flagName: not negative,
// exact to the nanoTON.
func ParseTON(flagName, s string) (billing.NanoTON, error) {
	n, err := billing.ParseTON(s)
	if err != nil {
		return 0, Usagef("bad --%s: %v", flagName, err)
	}
	if n < 0 {
		return 0, Usagef("bad --%s: negative amount %s TON", flagName, s)
	}
	return n, nil
}

// ParseHash reads a 256-bit hash written as 64 hex digits.
func ParseHash(s string) (contracts.Hash, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(contracts.Hash{}) {
		return contracts.Hash{}, Usagef("bad hash %q: want 64 hex digits", s)
	}
	return contracts.Hash(b), nil
}

// CheckProxyDesc checks --addr: "host:port" or two of them separated by
// one space, as the root takes a proxy's description.
func CheckProxyDesc(desc string) error {
	if desc == "" {
		return UsageError{`--addr "HOST:PORT [HOST:PORT]" is required`}
	}
	switch err := contracts.CheckProxyDesc(desc); {
	case errors.Is(err, contracts.ErrProxyDescTooLong):
		return Usagef("bad --addr: %d bytes, at most %d", len(desc), contracts.MaxProxyDescUpdate)
	case err != nil:
		return Usagef("bad --addr %q: %v", desc, err)
	}
	return nil
}

// Wallet is the flags that choose the wallet that signs for the root's
// owner.
type Wallet struct {
	kind, owner *string
	networkID   *int
}

// NewWallet defines the flags on fs.
func NewWallet(fs *flag.FlagSet) Wallet {
	return Wallet{
		kind:      fs.String("wallet", "v5r1", "wallet contract of the key: v5r1 or cocoon"),
		owner:     fs.String("wallet-owner", "", "owner address stored in the cocoon wallet (with --wallet cocoon)"),
		networkID: fs.Int("network-id", -239, "network global id of the v5r1 wallet (-239 mainnet, -3 testnet)"),
	}
}

// Open returns the wallet of key the flags choose.
func (f Wallet) Open(key ed25519.PrivateKey) (*rootadmin.Wallet, error) {
	switch *f.kind {
	case rootadmin.KindV5R1:
		if *f.owner != "" {
			return nil, UsageError{"--wallet-owner is for --wallet cocoon only"}
		}
		return rootadmin.NewV5R1Wallet(key, int32(*f.networkID))
	case rootadmin.KindCocoon:
		owner, err := ParseAddr("wallet-owner", *f.owner)
		if err != nil {
			return nil, err
		}
		return rootadmin.NewCocoonWallet(key, owner)
	}
	return nil, Usagef("unknown --wallet %q: want v5r1 or cocoon", *f.kind)
}

// OpenKey loads the seed in keyPath and opens its wallet.
func (f Wallet) OpenKey(keyPath string) (*rootadmin.Wallet, error) {
	key, err := node.LoadKeyFile(keyPath)
	if err != nil {
		return nil, err
	}
	return f.Open(key)
}

// Send is the flags of every command that changes the root.
type Send struct {
	chain   Chain
	wallet  Wallet
	root    *string
	key     *string
	amount  *string
	timeout *time.Duration
}

// NewSend defines the flags on fs.
func NewSend(fs *flag.FlagSet, d Devnet) Send {
	return Send{
		chain:   NewChain(fs, d),
		wallet:  NewWallet(fs),
		root:    fs.String("root", "", "address of the root contract"),
		key:     fs.String("key", "", "file holding the owner wallet's Ed25519 seed (hex or base64)"),
		amount:  fs.String("amount", "0.05", "TON attached to the message; the root returns what it does not spend"),
		timeout: fs.Duration("timeout", 2*time.Minute, "how long to wait for the chain and the root's transaction"),
	}
}

// Send checks the flags, then has the owner's wallet send the operation
// built by build to the root, waits for the root's transaction and
// prints what changed.
func (f Send) Send(ctx context.Context, cmd, opName string, build rootadmin.Build, stdout, stderr io.Writer) error {
	if err := f.chain.Check(cmd, f.root, f.key); err != nil {
		return err
	}
	root, err := ParseAddr("root", *f.root)
	if err != nil {
		return err
	}
	if *f.key == "" {
		return UsageError{cmd + " needs --key FILE (the owner wallet's seed)"}
	}
	amount, err := ParseTON("amount", *f.amount)
	if err != nil {
		return err
	}
	if *f.timeout <= 0 {
		return UsageError{"--timeout must be positive"}
	}
	w, err := f.wallet.OpenKey(*f.key)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *f.timeout)
	defer cancel()
	chain, poll, closeChain, err := f.chain.Open(ctx)
	if err != nil {
		return err
	}
	defer closeChain()
	owner := rootadmin.Owner{Chain: chain, Root: root, Wallet: w, Amount: amount, Poll: poll,
		Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	r, err := owner.Run(ctx, opName, build)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s done: root %s, transaction lt %d hash %s\n", opName, root, r.Tx.LT, hex.EncodeToString(r.Tx.Hash))
	fmt.Fprintf(stdout, "root version %d -> %d, params version %d -> %d\n", r.Before.Version, r.After.Version, r.Before.Params.ParamsVersion, r.After.Params.ParamsVersion)
	if r.After.LastProxySeqno != r.Before.LastProxySeqno {
		fmt.Fprintf(stdout, "proxy registered under seqno %d\n", r.After.LastProxySeqno)
	}
	return nil
}
