package contracts

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
)

// Fake-TON prices of the reference's pseudo root config: 2 nanoTON per
// token for clients, 1 for workers, multipliers 1.0.
const (
	FakePricePerToken     billing.NanoTON = 2
	FakeWorkerFeePerToken billing.NanoTON = 1
)

// FakeTONVersion is the version of our fake TON's root config: that of
// the reference's fake-TON config, which its clients send as their
// min_config_version.
const FakeTONVersion = 3

// ReferenceLocalRoot is the root contract address of the reference's
// local network (its scripts/cocoon-launch --local-all), under which its
// fake-TON runners derive their contracts.
const ReferenceLocalRoot = "EQBT4hy4vMEZ9uxSCuhw_gBKh9_AwmHXLe7Wo0O4Vh-4kRjJ"

// FakeTONRoot returns the root contract address of fake-TON networks:
// there is no chain, so it only has to be the same for every node.
func FakeTONRoot() *address.Address {
	h := sha256.Sum256([]byte("cocoon fake-TON root"))
	return address.NewAddress(0, 0, h[:])
}

// FakeTONParams returns the fake-TON root params, fixed as the
// reference's fake-TON mode fixes them:
// unique_id 13, is_test, price 2 and fee 1 nanoTON per token, multipliers
// 1.0, close delays 600 and 300 s, 1 TON minimum stakes, and the compiled
// child contract codes.
func FakeTONParams() (Params, error) {
	return ChildCodes(Params{
		StructVersion: ParamsStructVersion, ParamsVersion: 1, UniqueID: 13, IsTest: true,
		PricePerToken: FakePricePerToken, WorkerFeePerToken: FakeWorkerFeePerToken,
		PromptMultiplier: 10000, CachedMultiplier: 10000, CompletionMultiplier: 10000, ReasoningMultiplier: 10000,
		ProxyDelayBeforeClose: 600, ClientDelayBeforeClose: 300,
		MinProxyStake: billing.TON, MinClientStake: billing.TON,
	})
}

// FakeTON is a fake-TON network: no chain, only a root contract address,
// which the contracts' addresses derive from, and its root config.
type FakeTON struct {
	Root   *address.Address
	Config RootConfig
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
	return FakeTON{Root: FakeTONRoot(), Config: RootConfig{Version: FakeTONVersion, Params: p}}, nil
}

// LoadFakeTON reads the reference's fake-TON root config file path (what
// its runners take with --disable-ton; ParsePseudoRootConfig) under
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
	cfg, err := ParsePseudoRootConfig(b)
	if err != nil {
		return FakeTON{}, fmt.Errorf("loading the fake-TON root config %s: %w", path, err)
	}
	return FakeTON{Root: root, Config: cfg}, nil
}

// Derivation returns the derivation of the contracts under f.
func (f FakeTON) Derivation() (*Derivation, error) { return NewDerivation(f.Root, f.Config.Params) }

// Prices returns the prices of f's params.
func (f FakeTON) Prices() billing.Prices { return f.Config.Params.Prices() }
