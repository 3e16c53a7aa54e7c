package client

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/config"
	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// Config is a client's JSON configuration file. Fields named as in the
// reference's clientRunner.config keep their meaning; the others are ours.
type Config struct {
	// IsTest marks a node of a test network: it may accept peers without
	// real TDX attestation (fake_tdx or any policies) and says so to its
	// peers (the reference's is_test).
	IsTest bool `json:"is_test"`
	// HTTPPort serves the OpenAI API on 127.0.0.1; HTTPListen, when set,
	// names the address instead.
	HTTPPort   int    `json:"http_port"`
	HTTPListen string `json:"http_listen"`
	// OwnerAddress is the TON address the client pays from.
	OwnerAddress string `json:"owner_address"`
	// Proxies are the "host:port" client endpoints of the proxies to use.
	// With RootContractAddress they come from the root contract instead,
	// or on the reference's fake TON (FakeTONConfig) from its root
	// config's registered proxies.
	Proxies []string `json:"proxies"`
	// ProxyConnections is how many proxies to keep connected (default: all
	// of Proxies, or 1 from the root contract).
	ProxyConnections int `json:"proxy_connections"`
	// Chain names the chain (root_contract_address, ton_config_filename,
	// chain_state, node_wallet_key at the top level of the file). With a
	// root, the client uses the proxies registered there. Without a node
	// wallet key a client on a chain reads its proxies from the root but
	// operates no contract. With root_poll_every, max_root_age and
	// insecure_skip_hash_checks: on a chain the client dials only the
	// proxies the root registers (those of Proxies, when it names some)
	// and accepts one only if its attested image hash is in the root's
	// proxy_hashes, closing its connection within root_poll_every once
	// either is no longer so.
	chainconf.Chain
	// CheckProxyHashes is the reference's switch (check_proxy_hashes):
	// true asks for the check above, which is on anyway; false does not
	// switch it off (insecure_skip_hash_checks does, on a test network).
	CheckProxyHashes *bool `json:"check_proxy_hashes"`
	// ProxyPolicy is what a proxy must attest, in the reference router's
	// syntax "tdx|fake_tdx|any[:imagehash,…]" (default "tdx").
	ProxyPolicy string `json:"proxy_policy"`
	// SecretString proves the client's identity to a proxy that knows it
	// (short authentication).
	SecretString string `json:"secret_string"`
	// MaxPoWDifficulty is the hardest proof of work solved (default 28).
	MaxPoWDifficulty int `json:"max_pow_difficulty"`
	// APIKeys, when set, are the bearer keys the HTTP API accepts.
	APIKeys []string `json:"api_keys"`
	// MaxBodyBytes bounds a request body, in bytes: a bigger one is
	// refused with 413 before it is forwarded (default and most 8 MiB,
	// what the network carries).
	MaxBodyBytes int64 `json:"max_body_bytes"`
	// MaxUploadBytes bounds an audio upload to /v1/audio/transcriptions
	// or /v1/audio/translations (default 15 MiB, at most what one frame
	// of the wire protocol carries: the reference has no way to split a
	// request body over several messages).
	MaxUploadBytes int64 `json:"max_upload_bytes"`
	// HTTPAccessHash, when set, guards the stats pages and the control
	// endpoints.
	HTTPAccessHash string `json:"http_access_hash"`
	// DepositNano is what, in nanoTON, the client deposits when it
	// deploys its contract at a proxy (with a chain; default 0: the
	// contract's stake).
	DepositNano int64 `json:"deposit_nano"`
	// ChainCheckEvery is how often, with a chain, the client checks each
	// of its contracts: top-up, self-charge, refunds (default 1.5 s; the
	// reference: 1–2 s).
	ChainCheckEvery config.Duration `json:"chain_check_every"`
	// StateFile, when set, keeps the state of the client's contracts
	// (running, refund requested, closed) across restarts; empty keeps it
	// in memory.
	StateFile string `json:"state_file"`
}

// DefaultMaxBodyBytes bounds a request body unless the config says
// otherwise: the most the network carries.
const DefaultMaxBodyBytes = openai.MaxRequestBody

// MaxBodyLimit is the highest max_body_bytes a config may set.
const MaxBodyLimit = openai.MaxRequestBody

// DefaultMaxUploadBytes bounds an audio upload unless the config says
// otherwise; MaxUploadBytesLimit is the most one frame carries with room
// for the request's head.
const (
	DefaultMaxUploadBytes = 15 << 20
	MaxUploadBytesLimit   = wire.MaxFrameSize - 64<<10
)

// Defaults of the client.
const (
	DefaultHTTPPort         = 10000
	DefaultMaxPoWDifficulty = 28
	DefaultChainCheckEvery  = config.Duration(1500 * time.Millisecond)
	// minChainCheckEvery bounds how often the chain is asked.
	minChainCheckEvery = config.Duration(10 * time.Millisecond)
)

// LoadConfig reads and validates a configuration file.
func LoadConfig(path string) (Config, error) {
	return config.Load(path, "client config", ParseConfig)
}

// ParseConfig decodes a configuration, fills in defaults and validates it.
// Unknown fields are errors, so that a misspelt option is not ignored.
func ParseConfig(b []byte) (Config, error) {
	c, err := config.Decode[Config](b, "client config")
	if err != nil {
		return Config{}, err
	}
	if c.HTTPPort == 0 && c.HTTPListen == "" {
		c.HTTPPort = DefaultHTTPPort
	}
	if c.ProxyConnections == 0 {
		c.ProxyConnections = max(len(c.Proxies), 1)
	}
	if c.ProxyPolicy == "" {
		c.ProxyPolicy = "tdx"
	}
	if c.MaxPoWDifficulty == 0 {
		c.MaxPoWDifficulty = DefaultMaxPoWDifficulty
	}
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.ChainCheckEvery == 0 {
		c.ChainCheckEvery = DefaultChainCheckEvery
	}
	c.RootDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks a configuration.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Proxies) == 0 && c.RootContractAddress == "" {
		bad("proxies is empty: name at least one proxy's client endpoint host:port, or a root_contract_address")
	}
	if c.RootContractAddress != "" && !c.OnChain() && c.FakeTONConfig == "" {
		bad("root_contract_address needs a chain: ton_config_filename, the TON global config to reach it through, or chain_state, an emulated chain's state file")
	}
	for _, p := range c.Chain.Problems(c.OwnerAddress, "") {
		bad("%s", p)
	}
	for _, p := range c.Proxies {
		if _, _, err := net.SplitHostPort(p); err != nil {
			bad("proxy %q: %v", p, err)
		}
	}
	if c.ProxyConnections < 1 || (c.RootContractAddress == "" && c.ProxyConnections > len(c.Proxies)) {
		bad("proxy_connections %d outside [1, %d]", c.ProxyConnections, len(c.Proxies))
	}
	if c.HTTPPort < 0 || c.HTTPPort > 65535 {
		bad("http_port %d outside [0, 65535]", c.HTTPPort)
	}
	if c.MaxPoWDifficulty < 0 || c.MaxPoWDifficulty > 64 {
		bad("max_pow_difficulty %d outside [0, 64]", c.MaxPoWDifficulty)
	}
	if c.MaxUploadBytes < 0 || c.MaxUploadBytes > MaxUploadBytesLimit {
		bad("max_upload_bytes %d outside [0, %d]: an upload travels in one frame of at most %d bytes", c.MaxUploadBytes, MaxUploadBytesLimit, wire.MaxFrameSize)
	}
	if c.MaxBodyBytes < 1 || c.MaxBodyBytes > MaxBodyLimit {
		bad("max_body_bytes %d outside [1, %d]: the network carries request bodies of at most %d bytes", c.MaxBodyBytes, MaxBodyLimit, MaxBodyLimit)
	}
	if c.DepositNano < 0 {
		bad("deposit_nano %d is negative", c.DepositNano)
	}
	if c.ChainCheckEvery != 0 && c.ChainCheckEvery < minChainCheckEvery {
		bad("chain_check_every %v: want at least %v", time.Duration(c.ChainCheckEvery), time.Duration(minChainCheckEvery))
	}
	for i, k := range c.APIKeys {
		if len(k) < 8 {
			bad("api_keys[%d] is shorter than 8 characters", i)
		}
	}
	for _, p := range c.Chain.TrustProblems(c.IsTest, c.CheckProxyHashes, "check_proxy_hashes") {
		bad("%s", p)
	}
	if p, err := attest.ParsePolicy(c.ProxyPolicy); err != nil {
		bad("proxy_policy: %v", err)
	} else if !c.IsTest && p.Require != attest.KindTDX {
		bad("proxy_policy %q accepts proxies without real TDX attestation; only a test network (is_test) may", c.ProxyPolicy)
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid client config: %w", errors.Join(errs...))
	}
	return nil
}

// HTTPAddr is the address of the API server.
func (c *Config) HTTPAddr() string {
	if c.HTTPListen != "" {
		return c.HTTPListen
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.HTTPPort))
}
