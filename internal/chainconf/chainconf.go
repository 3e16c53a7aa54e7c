// Package chainconf is the part of a role's configuration that names its
// chain: the fields the reference's runner configs share (root contract,
// TON global config, node wallet key) and ours (an emulated chain's state
// file; how often the root is read, how old that reading may be, and the
// test networks' switch that stops checking peers against its lists), and
// the rules they follow whatever the role.
package chainconf

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/config"
)

// Defaults of the root's reading.
const (
	// DefaultRootPollEvery is how often a role reads the root contract:
	// the reference reads it every 30–60 s.
	DefaultRootPollEvery = config.Duration(45 * time.Second)
	// DefaultMaxRootAge bounds how old the root's state may be before a
	// role takes no new work: the reference's 7,200 s.
	DefaultMaxRootAge = config.Duration(2 * time.Hour)
	// minRootPollEvery bounds how often the root is read.
	minRootPollEvery = config.Duration(10 * time.Millisecond)
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
	// RootPollEvery is how often the role reads the root contract: its
	// allow-lists, registered proxies and params (default 45 s). A peer
	// whose image or model the root drops is refused within one such
	// period.
	RootPollEvery config.Duration `json:"root_poll_every"`
	// MaxRootAge bounds how old the root's state, as last read, may be
	// before the role takes no new work (default 7,200 s, the
	// reference's bound).
	MaxRootAge config.Duration `json:"max_root_age"`
	// InsecureSkipHashChecks stops checking peers against the root's
	// proxy_hashes, worker_hashes and model_hashes (and the age of the
	// root's state): any attested image may then serve. Only a test
	// network (is_test) may set it.
	InsecureSkipHashChecks bool `json:"insecure_skip_hash_checks"`
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

// RootDefaults fills in the root's reading periods left zero.
func (c *Chain) RootDefaults() {
	if c.RootPollEvery == 0 {
		c.RootPollEvery = DefaultRootPollEvery
	}
	if c.MaxRootAge == 0 {
		c.MaxRootAge = DefaultMaxRootAge
	}
}

// TrustProblems lists what is wrong with the checking of peers against
// the root's lists for a role that is a test network's (isTest) or not.
// check is the role's reference switch (check_proxy_hashes or
// check_worker_hashes, named checkName), nil when absent: true asks for
// checking, which is on anyway; false leaves it on, as the reference does
// outside test networks.
func (c Chain) TrustProblems(isTest bool, check *bool, checkName string) []string {
	var out []string
	if c.InsecureSkipHashChecks && !isTest {
		out = append(out, "insecure_skip_hash_checks lets any attested image serve; only a test network (is_test) may set it")
	}
	if c.InsecureSkipHashChecks && check != nil && *check {
		out = append(out, fmt.Sprintf("insecure_skip_hash_checks and %s: true contradict each other", checkName))
	}
	if c.RootPollEvery != 0 && c.RootPollEvery < minRootPollEvery {
		out = append(out, fmt.Sprintf("root_poll_every %v: want at least %v", time.Duration(c.RootPollEvery), time.Duration(minRootPollEvery)))
	}
	if c.MaxRootAge < 0 {
		out = append(out, fmt.Sprintf("max_root_age %v is negative", time.Duration(c.MaxRootAge)))
	}
	if c.RootPollEvery > 0 && c.MaxRootAge > 0 && c.MaxRootAge <= c.RootPollEvery {
		out = append(out, fmt.Sprintf("max_root_age %v is no longer than root_poll_every %v: every reading would be too old before the next", time.Duration(c.MaxRootAge), time.Duration(c.RootPollEvery)))
	}
	return out
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

// ParseImageHash reads a role's image_hash: 32 bytes in base64, as the
// reference writes an int256, or 64 hex digits. Empty is the zero hash:
// not stated.
func ParseImageHash(s string) ([32]byte, error) {
	if s == "" {
		return [32]byte{}, nil
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return [32]byte(b), nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return [32]byte(b), nil
		}
	}
	return [32]byte{}, fmt.Errorf("image_hash %q: want 32 bytes in base64 or 64 hex digits", s)
}

// OwnImage is a role's own image hash: the one it attests, when known,
// else the one its config states (image_hash, parsed). Both known, they
// must agree; role names the node ("worker") in the error.
func OwnImage(stated string, attested [32]byte, role string) ([32]byte, error) {
	s, err := ParseImageHash(stated)
	switch {
	case err != nil:
		return [32]byte{}, err
	case s != [32]byte{} && attested != [32]byte{} && s != attested:
		return [32]byte{}, fmt.Errorf("image_hash %x is not the image hash the %s attests, %x", s, role, attested)
	case attested != [32]byte{}:
		return attested, nil
	}
	return s, nil
}

// Mode is where a role's money moves, which its composition names in the
// role's Deps: the zero value names none, and the roles refuse it, so
// that fake TON is never chosen by a chain left out.
type Mode int

const (
	// OnChain moves the role's money on a chain (TON, or an emulated
	// one) through the role's Chain: contracts deployed, topped up,
	// charged and paid out.
	OnChain Mode = iota + 1
	// FakeTON is the reference's fake TON (its runners' --disable-ton):
	// no contract exists on any chain and nothing moves; the contracts'
	// addresses are derived under the fake root, and clients hold the
	// fake-TON pseudo state. The role has no Chain.
	FakeTON
	// ReadOnly is a client on a chain without its node wallet: it reads
	// the root's proxies and lists there but operates no contract, so it
	// has no Chain either.
	ReadOnly
)

func (m Mode) String() string {
	switch m {
	case OnChain:
		return "on chain"
	case FakeTON:
		return "fake TON"
	case ReadOnly:
		return "read-only chain"
	}
	return fmt.Sprintf("no mode (%d)", int(m))
}

// CheckMode checks the mode a composition named for role: named (ReadOnly
// only where readOnly allows it), and with a chain (hasChain) exactly
// when it is OnChain.
func CheckMode(role string, m Mode, hasChain, readOnly bool) error {
	switch {
	case m != OnChain && m != FakeTON && (m != ReadOnly || !readOnly):
		return fmt.Errorf("building the %s: Deps.Mode is %v: name chainconf.OnChain (with a Chain) or chainconf.FakeTON", role, m)
	case m == OnChain && !hasChain:
		return fmt.Errorf("building the %s: Deps.Mode is on chain but Deps.Chain is nil", role)
	case m != OnChain && hasChain:
		return fmt.Errorf("building the %s: Deps.Mode is %v but Deps.Chain is set", role, m)
	}
	return nil
}
