// Package chainconf is the part of a role's configuration that names its
// chain: the fields the reference's runner configs share (root contract,
// TON global config, node wallet key) and ours (an emulated chain's state
// file), and the rules they follow whatever the role.
package chainconf

import (
	"fmt"

	"github.com/xssnick/tonutils-go/address"
)

// Chain names a role's chain. It is embedded in each role's Config, so its
// fields sit at the top level of the JSON file.
type Chain struct {
	// RootContractAddress is the COCOON root contract.
	RootContractAddress string `json:"root_contract_address"`
	// TonConfigFilename is a TON global config whose liteservers reach a
	// real chain; ChainState, ours, names instead the state file of an
	// emulated chain (a devnet's). With neither the role runs on fake
	// TON.
	TonConfigFilename string `json:"ton_config_filename"`
	ChainState        string `json:"chain_state"`
	// NodeWalletKey is the Ed25519 seed of the node's cocoon wallet, which
	// sends its messages: a file holding it, or the seed itself in hex or
	// base64, as the reference reads it. The wallet is owned by the
	// role's owner_address.
	NodeWalletKey string `json:"node_wallet_key"`
	// FakeTONConfig, ours, is the reference's fake-TON root config (the
	// JSON rootConfig.pseudo its runners take with --disable-ton): the
	// role runs on fake TON under that root config and
	// RootContractAddress, and derives the contracts the reference's
	// runners derive from them. Without it, and without a chain, the role
	// runs on our own fake TON.
	FakeTONConfig string `json:"fake_ton_config"`
	// IsTestnet says the chain is TON's testnet, as the reference's
	// is_testnet: the addresses a node sends in its handshakes carry the
	// testnet flag. Nodes that talk to each other must agree on it.
	IsTestnet bool `json:"is_testnet"`
}

// WireAddress renders a as the reference writes every address it sends in
// a handshake (client.params, worker.params, proxy.params and the
// contract addresses of the answers): user-friendly, non-bounceable, with
// the testnet flag of IsTestnet. The reference compares the addresses it
// receives flags included; ours compare parsed addresses.
func (c Chain) WireAddress(a *address.Address) string {
	return a.Bounce(false).Testnet(c.IsTestnet).String()
}

// OnChain reports whether c names a chain, real or emulated.
func (c Chain) OnChain() bool { return c.TonConfigFilename != "" || c.ChainState != "" }

// Problems lists what is wrong with c for a node whose owner_address is
// owner. walletUse says what the node's wallet does when a chain needs
// one; empty, the wallet is optional.
func (c Chain) Problems(owner, walletUse string) []string {
	var out []string
	if c.TonConfigFilename != "" && c.ChainState != "" {
		out = append(out, "ton_config_filename and chain_state both set: name one chain")
	}
	if c.FakeTONConfig != "" {
		if c.OnChain() {
			out = append(out, "fake_ton_config and a chain (ton_config_filename or chain_state) both set: fake TON has no chain")
		}
		if c.RootContractAddress == "" {
			out = append(out, "fake_ton_config needs root_contract_address, the root the contracts derive under (the reference's runners' own)")
		}
	}
	if !c.OnChain() {
		return out
	}
	if c.RootContractAddress == "" {
		out = append(out, "a chain needs root_contract_address")
	}
	if walletUse != "" && c.NodeWalletKey == "" {
		out = append(out, "a chain needs node_wallet_key, the seed of the wallet that "+walletUse)
	}
	if walletUse != "" || c.NodeWalletKey != "" {
		if _, err := address.ParseAddr(owner); err != nil {
			out = append(out, fmt.Sprintf("a chain needs owner_address to be a TON address, the owner of the node's cocoon wallet: %v", err))
		}
	}
	return out
}
