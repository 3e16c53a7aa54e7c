package node

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
	"github.com/cocoon-go/cocoon/internal/ton/liteclient"
	"github.com/cocoon-go/cocoon/internal/trust"
)

// OpenChain opens a chain: the emulated chain kept in the state file
// state, or else TON through the liteservers of the global config file
// tonConfig. close releases it.
func OpenChain(ctx context.Context, state, tonConfig string, log *slog.Logger) (chain ton.Chain, close func(), err error) {
	if state != "" {
		if _, err := os.Stat(state); err != nil {
			return nil, nil, fmt.Errorf("opening emulated chain state: %w", err)
		}
		c, err := emulated.New(emulated.Options{Path: state, Logger: log})
		if err != nil {
			return nil, nil, err
		}
		return c, func() {}, nil
	}
	c, err := liteclient.Open(ctx, liteclient.Options{ConfigPath: tonConfig, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	return c, func() { c.Close() }, nil
}

// Shared is a chain that several nodes of one process share (the
// devnet's emulated chain, held in memory), with its root contract.
type Shared struct {
	Chain ton.Chain
	Root  *address.Address
	// Poll is how often the nodes' chain adapters read a state they
	// await; zero takes the adapters' default.
	Poll time.Duration
}

// Chain is a role's chain, opened: the root contract as read at the
// start and the node's cocoon wallet, owned by the node's owner address.
type Chain struct {
	Chain  ton.Chain
	Root   *address.Address
	Config contracts.RootConfig
	// Wallet and Owner are nil without a node wallet key.
	Wallet *onchain.Wallet
	Owner  *address.Address
	poll   time.Duration
	close  func()
}

// Lists reads the root contract's lists and registered proxies, as the
// roles do every root poll.
func (c *Chain) Lists(ctx context.Context) (trust.Lists, error) {
	return onchain.RootLists(ctx, c.Chain, c.Root)
}

// Close releases the chain, unless it is shared.
func (c *Chain) Close() { c.close() }

// Prices returns the prices of params, checked.
func (c *Chain) Prices(params contracts.Params) (billing.Prices, error) {
	prices := params.Prices()
	if err := prices.Validate(); err != nil {
		return billing.Prices{}, fmt.Errorf("root %s prices: %w", c.Root, err)
	}
	return prices, nil
}

// Derivation returns the prices of params and the contract derivation
// under them.
func (c *Chain) Derivation(params contracts.Params) (billing.Prices, *contracts.Derivation, error) {
	prices, err := c.Prices(params)
	if err != nil {
		return billing.Prices{}, nil, err
	}
	d, err := contracts.NewDerivation(c.Root, params)
	if err != nil {
		return billing.Prices{}, nil, fmt.Errorf("root %s params: %w", c.Root, err)
	}
	return prices, d, nil
}

// chainOptions are what OpenRoleChain takes besides the config's fields.
type chainOptions struct {
	shared    *Shared
	walletKey ed25519.PrivateKey
	// needWallet makes the wallet key required.
	needWallet bool
}

// openRoleChain opens the chain that c names (or o's shared one) and
// reads its root contract, then opens the node's cocoon wallet, owned by
// owner; it returns nil, nil when c names none (the role runs on fake
// TON).
func openRoleChain(ctx context.Context, log *slog.Logger, c chainconf.Chain, owner string, o chainOptions) (*Chain, error) {
	hasKey := c.NodeWalletKey != "" || o.walletKey != nil
	if o.shared == nil {
		switch {
		case c.ChainState != "" && c.TonConfigFilename != "":
			return nil, errors.New("chain_state (--chain-state) and ton_config_filename (--ton-config) both set: name one chain")
		case c.FakeTONConfig != "" && (c.ChainState != "" || c.TonConfigFilename != ""):
			return nil, errors.New("fake_ton_config (--disable-ton) and a chain (chain_state, ton_config_filename) both set: fake TON has no chain")
		case c.ChainState == "" && c.TonConfigFilename == "":
			if c.FakeTONConfig == "" && (c.RootContractAddress != "" || hasKey) {
				return nil, errors.New("root_contract_address and node_wallet_key need a chain, chain_state (--chain-state) or ton_config_filename (--ton-config), or the reference's fake TON, fake_ton_config (--disable-ton)")
			}
			return nil, nil
		case c.RootContractAddress == "":
			return nil, errors.New("a chain needs root_contract_address (--root)")
		}
	}
	if o.needWallet && !hasKey {
		return nil, errors.New("a chain needs node_wallet_key (--node-wallet-key): the seed of the node's cocoon wallet, which sends its messages")
	}
	rc := &Chain{close: func() {}}
	kind := "ton"
	if o.shared != nil {
		kind, rc.Chain, rc.Root, rc.poll = "emulated", o.shared.Chain, o.shared.Root, o.shared.Poll
	} else {
		root, err := contracts.ParseAddress(c.RootContractAddress)
		if err != nil {
			return nil, fmt.Errorf("root_contract_address: %w", err)
		}
		rc.Root = root
	}
	key := o.walletKey
	if hasKey {
		var err error
		if rc.Owner, err = contracts.ParseAddress(owner); err != nil {
			return nil, fmt.Errorf("owner_address %q: the node's cocoon wallet names its owner: %w", owner, err)
		}
		if key == nil {
			if key, err = LoadNodeKey(c.NodeWalletKey); err != nil {
				return nil, err
			}
		}
	}
	if o.shared == nil {
		if c.ChainState != "" {
			kind = "emulated"
		}
		chain, closeChain, err := OpenChain(ctx, c.ChainState, c.TonConfigFilename, log)
		if err != nil {
			return nil, err
		}
		rc.Chain, rc.close = chain, closeChain
	}
	var err error
	if rc.Config, err = ton.ReadRootConfig(ctx, rc.Chain, rc.Root); err != nil {
		rc.close()
		return nil, fmt.Errorf("starting on the %s chain: %w", kind, err)
	}
	log.Info("on chain", "chain", kind, "root", rc.Root.String(), "root_version", rc.Config.Version,
		"params_version", rc.Config.Params.ParamsVersion, "price_per_token_nano", int64(rc.Config.Params.PricePerToken),
		"worker_fee_per_token_nano", int64(rc.Config.Params.WorkerFeePerToken))
	if key == nil {
		return rc, nil
	}
	if rc.Wallet, err = onchain.NewWallet(rc.Chain, key, rc.Owner, onchain.WalletOptions{Poll: rc.poll, Logger: log}); err != nil {
		rc.close()
		return nil, err
	}
	bal, err := rc.Wallet.Balance(ctx)
	if err != nil {
		rc.close()
		return nil, fmt.Errorf("starting on the %s chain: %w", kind, err)
	}
	if bal < onchain.WalletMinimum {
		log.Warn("the node's cocoon wallet cannot send until it is funded", "wallet", rc.Wallet.Address().String(),
			"balance_ton", bal.String(), "minimum_ton", onchain.WalletMinimum.String())
	} else {
		log.Info("node's cocoon wallet", "wallet", rc.Wallet.Address().String(), "balance_ton", bal.String())
	}
	return rc, nil
}

// FakeTON returns the fake TON a role without a chain runs on: the
// reference's, from its root config file c.FakeTONConfig under the root
// c.RootContractAddress, or without that file our own.
func FakeTON(log *slog.Logger, c chainconf.Chain) (contracts.FakeTON, error) {
	if c.FakeTONConfig == "" {
		f, err := contracts.BuiltinFakeTON()
		if err != nil {
			return contracts.FakeTON{}, err
		}
		log.Info("on our fake TON: contract addresses derived under its root", "root", f.Root.String(), "root_version", f.Config.Version)
		return f, nil
	}
	if c.RootContractAddress == "" {
		return contracts.FakeTON{}, errors.New("fake_ton_config (--disable-ton) needs root_contract_address (--root): the reference's runners derive their contracts under theirs")
	}
	root, err := contracts.ParseAddress(c.RootContractAddress)
	if err != nil {
		return contracts.FakeTON{}, fmt.Errorf("root_contract_address: %w", err)
	}
	f, err := contracts.LoadFakeTON(c.FakeTONConfig, root)
	if err != nil {
		return contracts.FakeTON{}, err
	}
	if err := f.Prices().Validate(); err != nil {
		return contracts.FakeTON{}, fmt.Errorf("fake_ton_config %s: %w", c.FakeTONConfig, err)
	}
	log.Info("on the reference's fake TON: contract addresses derived under its root config", "config", c.FakeTONConfig, "root", root.String(),
		"root_version", f.Config.Version, "params_version", f.Config.Params.ParamsVersion,
		"price_per_token_nano", int64(f.Config.Params.PricePerToken), "worker_fee_per_token_nano", int64(f.Config.Params.WorkerFeePerToken))
	return f, nil
}

// fakeWallet returns the address of the node's cocoon wallet on fake TON,
// which no chain holds but whose address the key and owner fix; nil
// without a node_wallet_key.
func fakeWallet(walletKey string, owner string) (*address.Address, error) {
	if walletKey == "" {
		return nil, nil
	}
	key, err := LoadNodeKey(walletKey)
	if err != nil {
		return nil, err
	}
	o, err := contracts.ParseAddress(owner)
	if err != nil {
		return nil, fmt.Errorf("owner_address %q: the node's cocoon wallet names its owner: %w", owner, err)
	}
	w, err := ton.NewBuiltinCocoonWallet(key, o)
	if err != nil {
		return nil, err
	}
	return w.Address(), nil
}

// LoadNodeKey reads a node_wallet_key as the reference does: a file
// holding the Ed25519 seed, or the seed itself in hex or base64. The key
// never appears in an error.
func LoadNodeKey(s string) (ed25519.PrivateKey, error) {
	if _, err := os.Stat(s); err == nil {
		k, err := LoadKeyFile(s)
		if err != nil {
			return nil, fmt.Errorf("node_wallet_key: %w", err)
		}
		return k, nil
	}
	text := strings.TrimSpace(s)
	if b, err := hex.DecodeString(text); err == nil && len(b) == ed25519.SeedSize {
		return ed25519.NewKeyFromSeed(b), nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil && len(b) == ed25519.SeedSize {
			return ed25519.NewKeyFromSeed(b), nil
		}
	}
	return nil, errors.New("node_wallet_key: neither a readable file nor a 32-byte Ed25519 seed in hex or base64")
}

// LoadKeyFile reads an Ed25519 key file: the 32-byte seed, or the 64-byte
// private key (seed and public key), in hex or base64. The key's bytes
// never appear in an error.
func LoadKeyFile(path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	text := strings.TrimSpace(string(raw))
	var b []byte
	if h, err := hex.DecodeString(text); err == nil {
		b = h
	} else {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if d, err := enc.DecodeString(text); err == nil {
				b = d
				break
			}
		}
	}
	switch len(b) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(b), nil
	case ed25519.PrivateKeySize:
		key := ed25519.NewKeyFromSeed(b[:ed25519.SeedSize])
		if !key.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(b[ed25519.SeedSize:])) {
			return nil, fmt.Errorf("reading key file %s: its public half does not match its seed", path)
		}
		return key, nil
	}
	return nil, fmt.Errorf("reading key file %s: want an Ed25519 seed of 32 bytes (or a 64-byte private key) in hex or base64", path)
}

// ReadRootLists reads the lists of the root at root on the emulated chain
// in state or on TON through tonConfig, as a role on that chain applies
// them.
func ReadRootLists(ctx context.Context, state, tonConfig, root string, log *slog.Logger) (trust.Lists, error) {
	rc, err := openRoleChain(ctx, log, chainconf.Chain{ChainState: state, TonConfigFilename: tonConfig, RootContractAddress: root}, "", chainOptions{})
	if err != nil {
		return trust.Lists{}, err
	}
	if rc == nil {
		return trust.Lists{}, errors.New("a root needs a chain: an emulated chain's state file or a TON global config")
	}
	defer rc.Close()
	return rc.Lists(ctx)
}
