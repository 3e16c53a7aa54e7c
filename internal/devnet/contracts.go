package devnet

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/contracts"
	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// Contracts derives the addresses of the proxy, client and worker
// contracts under one root contract, as the root deploys them and as the
// reference recomputes them (reference.md §4.8): the hash of the StateInit
// of the contract's code from the root params and its initial data. It
// serves the roles' Contracts dependencies.
type Contracts struct {
	root   *address.Address
	params ton.Params
}

// NewContracts returns the derivation under the root contract root whose
// params (with all three child codes) are params.
func NewContracts(root *address.Address, params ton.Params) (*Contracts, error) {
	if root == nil || params.ProxyCode == nil || params.ClientCode == nil || params.WorkerCode == nil {
		return nil, errors.New("deriving contract addresses: need the root address and the proxy, client and worker codes")
	}
	return &Contracts{root: root, params: params}, nil
}

// FakeTONRoot returns the root contract address of fake-TON networks:
// there is no chain, so it only has to be the same for every node.
func FakeTONRoot() *address.Address {
	h := sha256.Sum256([]byte("cocoon fake-TON root"))
	return address.NewAddress(0, 0, h[:])
}

// FakeTONParams returns the fake-TON root params (reference.md §4.10):
// unique_id 13, is_test, price 2 and fee 1 nanoTON per token, multipliers
// 1.0, close delays 600 and 300 s, 1 TON minimum stakes, and the compiled
// child contract codes of package contracts.
func FakeTONParams() (ton.Params, error) {
	p := ton.Params{
		StructVersion: ton.ParamsStructVersion, ParamsVersion: 1, UniqueID: 13, IsTest: true,
		PricePerToken: FakePricePerToken, WorkerFeePerToken: FakeWorkerFeePerToken,
		PromptMultiplier: 10000, CachedMultiplier: 10000, CompletionMultiplier: 10000, ReasoningMultiplier: 10000,
		ProxyDelayBeforeClose: 600, ClientDelayBeforeClose: 300,
		MinProxyStake: billing.TON, MinClientStake: billing.TON,
	}
	for _, c := range []struct {
		name string
		dst  **cell.Cell
	}{{contracts.Proxy, &p.ProxyCode}, {contracts.Worker, &p.WorkerCode}, {contracts.Client, &p.ClientCode}} {
		b, err := contracts.BOC(c.name)
		if err != nil {
			return ton.Params{}, err
		}
		if *c.dst, err = cell.FromBOC(b); err != nil {
			return ton.Params{}, fmt.Errorf("decoding the %s contract code: %w", c.name, err)
		}
	}
	return p, nil
}

// FakeTONContracts returns the derivation under the fake-TON root.
func FakeTONContracts() (*Contracts, error) {
	f, err := BuiltinFakeTON()
	if err != nil {
		return nil, err
	}
	return f.Contracts()
}

// ReferenceLocalRoot is the root contract address of the reference's
// local network (its scripts/cocoon-launch --local-all), under which its
// fake-TON runners derive their contracts.
const ReferenceLocalRoot = "EQBT4hy4vMEZ9uxSCuhw_gBKh9_AwmHXLe7Wo0O4Vh-4kRjJ"

// FakeTON is a fake-TON network: no chain, only a root contract address,
// which the contracts' addresses derive from, and its root config.
type FakeTON struct {
	Root   *address.Address
	Config ton.RootConfig
}

// BuiltinFakeTON returns our own fake TON: FakeTONRoot, and a root config
// of version FakeTONVersion whose params are FakeTONParams, with our
// compiled contract codes. Its contracts are not the reference's: for
// those, LoadFakeTON the reference's file.
func BuiltinFakeTON() (FakeTON, error) {
	p, err := FakeTONParams()
	if err != nil {
		return FakeTON{}, err
	}
	return FakeTON{Root: FakeTONRoot(), Config: ton.RootConfig{Version: FakeTONVersion, Params: p}}, nil
}

// LoadFakeTON reads the reference's fake-TON root config file path (what
// its runners take with --disable-ton; ton.ParsePseudoRootConfig) under
// the root contract root, its runners' root_contract_address: the
// contracts derive as the reference's runners derive them.
func LoadFakeTON(path string, root *address.Address) (FakeTON, error) {
	if root == nil {
		return FakeTON{}, errors.New("loading the fake-TON root config: it needs the root contract address its contracts derive under")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return FakeTON{}, fmt.Errorf("loading the fake-TON root config: %w", err)
	}
	cfg, err := ton.ParsePseudoRootConfig(b)
	if err != nil {
		return FakeTON{}, fmt.Errorf("loading the fake-TON root config %s: %w", path, err)
	}
	return FakeTON{Root: root, Config: cfg}, nil
}

// Contracts returns the derivation of the contracts under f.
func (f FakeTON) Contracts() (*Contracts, error) { return NewContracts(f.Root, f.Config.Params) }

// Prices returns the prices of f's params.
func (f FakeTON) Prices() billing.Prices { return onchain.Prices(f.Config.Params) }

// ProxyAddress is the contract of the proxy owned by owner with signing
// key key.
func (c *Contracts) ProxyAddress(owner *address.Address, key ed25519.PublicKey) (*address.Address, error) {
	a, err := ton.ProxyAddress(owner, c.root, key, c.params)
	if err != nil {
		return nil, fmt.Errorf("deriving the proxy contract address: %w", err)
	}
	return a, nil
}

func (c *Contracts) proxy(owner *address.Address, key ed25519.PublicKey) (*address.Address, ton.ProxyData, error) {
	pa, err := c.ProxyAddress(owner, key)
	if err != nil {
		return nil, ton.ProxyData{}, err
	}
	return pa, ton.NewProxyData(owner, c.root, key, c.params), nil
}

// ClientAddress is the contract of the client owned by owner at the proxy
// owned by proxyOwner with key proxyKey.
func (c *Contracts) ClientAddress(owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey) (*address.Address, error) {
	pa, pd, err := c.proxy(proxyOwner, proxyKey)
	if err != nil {
		return nil, err
	}
	a, err := ton.ClientAddress(owner, pa, pd)
	if err != nil {
		return nil, fmt.Errorf("deriving the client contract address: %w", err)
	}
	return a, nil
}

// WorkerAddress is the contract of the worker owned by owner at the proxy
// owned by proxyOwner with key proxyKey.
func (c *Contracts) WorkerAddress(owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey) (*address.Address, error) {
	pa, pd, err := c.proxy(proxyOwner, proxyKey)
	if err != nil {
		return nil, err
	}
	a, err := ton.WorkerAddress(owner, pa, pd)
	if err != nil {
		return nil, fmt.Errorf("deriving the worker contract address: %w", err)
	}
	return a, nil
}

// ClientContract checks that proxySC is the contract of the proxy owned
// by proxyOwner with key proxyKey under these params and returns the
// client contract of owner under it.
func (c *Contracts) ClientContract(_ context.Context, owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey, proxySC *address.Address) (*address.Address, error) {
	if err := c.checkProxy(proxyOwner, proxyKey, proxySC); err != nil {
		return nil, err
	}
	return c.ClientAddress(owner, proxyOwner, proxyKey)
}

// WorkerContract checks that proxySC is the contract of the proxy owned
// by proxyOwner with key proxyKey under these params and returns the
// worker contract of owner under it.
func (c *Contracts) WorkerContract(_ context.Context, owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey, proxySC *address.Address) (*address.Address, error) {
	if err := c.checkProxy(proxyOwner, proxyKey, proxySC); err != nil {
		return nil, err
	}
	return c.WorkerAddress(owner, proxyOwner, proxyKey)
}

// checkProxy checks that proxySC derives from the proxy's owner and key.
func (c *Contracts) checkProxy(owner *address.Address, key ed25519.PublicKey, proxySC *address.Address) error {
	want, err := c.ProxyAddress(owner, key)
	if err != nil {
		return err
	}
	if !proxySC.Equals(want) {
		return fmt.Errorf("proxy contract %s is not %s, derived from its owner and key", proxySC, want)
	}
	return nil
}

// NewOwnerAddress returns a random std address in workchain 0, as the
// owner of a devnet node's contract.
func NewOwnerAddress() *address.Address {
	var h [32]byte
	rand.Read(h[:])
	return address.NewAddress(0, 0, h[:])
}
