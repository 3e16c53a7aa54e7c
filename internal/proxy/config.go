package proxy

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/config"
)

// Config is a proxy's JSON configuration file. Fields named as in the
// reference's proxyRunner.config keep their meaning; the others are ours.
type Config struct {
	// IsTest marks a node of a test network: it may accept peers without
	// real TDX attestation (fake_tdx or any policies) and says so to its
	// peers (the reference's is_test).
	IsTest bool `json:"is_test"`
	// WorkersListen and ClientsListen are the public endpoints for workers
	// and clients (the reference's router ports 11001 and 11002).
	WorkersListen string `json:"workers_listen"`
	ClientsListen string `json:"clients_listen"`
	// HTTPPort serves stats and control on 127.0.0.1; HTTPListen, when set,
	// names the address instead.
	HTTPPort   int    `json:"http_port"`
	HTTPListen string `json:"http_listen"`
	// OwnerAddress is the TON address that owns the proxy's earnings.
	OwnerAddress string `json:"owner_address"`
	// MachineSpecificPrivateKey is the base64 Ed25519 seed the proxy signs
	// payments with; its public key goes to clients and workers.
	MachineSpecificPrivateKey string `json:"machine_specific_private_key"`
	// DBPath, when set, is the ledger file (bbolt); it needs
	// MachineSpecificPrivateKey, which signs its records. Without it the
	// ledger lives in memory.
	DBPath string `json:"db_path"`
	// PoWDifficulty is the proof of work demanded before TLS (default 20).
	PoWDifficulty int `json:"pow_difficulty"`
	// WorkerPolicy and ClientPolicy are what workers and clients must
	// attest, in the router's syntax "tdx|fake_tdx|any[:imagehash,…]"
	// (defaults "tdx" and "any", as the reference's router ports).
	WorkerPolicy string `json:"worker_policy"`
	ClientPolicy string `json:"client_policy"`
	// HTTPAccessHash, when set, guards the stats and control pages.
	HTTPAccessHash string `json:"http_access_hash"`
	// Chain names the chain: root_contract_address, ton_config_filename,
	// chain_state and node_wallet_key at the top level of the file, with
	// root_poll_every, max_root_age and insecure_skip_hash_checks. On a
	// chain the proxy admits a worker only if its attested image hash is
	// in the root's worker_hashes and the sha256 of its full model name in
	// model_hashes, and evicts it within root_poll_every once either is
	// not.
	chainconf.Chain
	// CheckWorkerHashes is the reference's switch (check_worker_hashes):
	// true asks for the check above, which is on anyway; false does not
	// switch it off (insecure_skip_hash_checks does, on a test network).
	CheckWorkerHashes *bool `json:"check_worker_hashes"`
	// ImageHash is the proxy's own image hash as the reference's config
	// states it (image_hash: 32 bytes in base64, or 64 hex digits); the
	// stats show whether the root lists it. Set, it must be the image
	// hash the proxy attests.
	ImageHash string `json:"image_hash"`
	// ChainCommitEvery is how often, with a chain, the proxy commits its
	// latest flushed ledger seqno on chain (default 45 s; the reference:
	// 30–60 s).
	ChainCommitEvery config.Duration `json:"chain_commit_every"`
	// ChainPollEvery is how often, with a chain, the proxy reads its
	// clients' and workers' contracts and moves money (default 5 s).
	ChainPollEvery config.Duration `json:"chain_poll_every"`
	// ChargeThresholdNano is the least value, in nanoTON, of committed but
	// uncharged usage worth charging a client for (default 1 TON, the
	// reference's figure).
	ChargeThresholdNano int64 `json:"charge_threshold_nano"`
	// PayoutThresholdNano is the least worker earning, in nanoTON, of
	// committed but unpaid usage worth a payout (default 10 TON, the
	// reference's figure).
	PayoutThresholdNano int64 `json:"payout_threshold_nano"`
	// WithdrawThresholdNano is the least commission, in nanoTON, credited
	// to the proxy contract and not yet paid to its owner that is worth
	// an ext_proxy_payout_request (default 10 TON, the reference's
	// figure).
	WithdrawThresholdNano int64 `json:"withdraw_threshold_nano"`
	// MaxAudioTokensPerSecond caps the rate at which a worker bills audio
	// seconds (its audio_tokens_per_second): a worker that declares more
	// is billed at this (default 100).
	MaxAudioTokensPerSecond int64 `json:"max_audio_tokens_per_second"`
}

// Defaults of the proxy.
const (
	DefaultHTTPPort      = 11000
	DefaultWorkersListen = ":11001"
	DefaultClientsListen = ":11002"
	DefaultPoWDifficulty = 20
	// DefaultChainCommitEvery and DefaultChainPollEvery are the periods of
	// the chain loop; DefaultChargeThresholdNano,
	// DefaultPayoutThresholdNano and DefaultWithdrawThresholdNano the
	// reference's thresholds: a client is charged once its ready tokens
	// are worth 1 TON, a worker paid once worth 10 TON, the proxy's
	// earnings withdrawn at 10 TON.
	DefaultChainCommitEvery      = config.Duration(45 * time.Second)
	DefaultChainPollEvery        = config.Duration(5 * time.Second)
	DefaultChargeThresholdNano   = int64(billing.TON)
	DefaultPayoutThresholdNano   = int64(10 * billing.TON)
	DefaultWithdrawThresholdNano = int64(10 * billing.TON)
	// DefaultMaxAudioTokensPerSecond caps a worker's audio rate.
	DefaultMaxAudioTokensPerSecond = 100
	// maxAudioRate bounds max_audio_tokens_per_second.
	maxAudioRate = 1_000_000
	// minChainEvery bounds how often the chain is asked.
	minChainEvery = config.Duration(10 * time.Millisecond)
)

// LoadConfig reads and validates a configuration file.
func LoadConfig(path string) (Config, error) {
	return config.Load(path, "proxy config", ParseConfig)
}

// ParseConfig decodes a configuration, fills in defaults and validates it.
// Unknown fields are errors, so that a misspelt option is not ignored.
func ParseConfig(b []byte) (Config, error) {
	c, err := config.Decode[Config](b, "proxy config")
	if err != nil {
		return Config{}, err
	}
	if c.HTTPPort == 0 && c.HTTPListen == "" {
		c.HTTPPort = DefaultHTTPPort
	}
	if c.WorkersListen == "" {
		c.WorkersListen = DefaultWorkersListen
	}
	if c.ClientsListen == "" {
		c.ClientsListen = DefaultClientsListen
	}
	if c.PoWDifficulty == 0 {
		c.PoWDifficulty = DefaultPoWDifficulty
	}
	if c.WorkerPolicy == "" {
		c.WorkerPolicy = "tdx"
	}
	if c.ClientPolicy == "" {
		c.ClientPolicy = "any"
	}
	c.chainDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// chainDefaults fills in the chain loop's periods and thresholds left
// zero, in ParseConfig and for configs built in code.
func (c *Config) chainDefaults() {
	if c.ChainCommitEvery == 0 {
		c.ChainCommitEvery = DefaultChainCommitEvery
	}
	if c.ChainPollEvery == 0 {
		c.ChainPollEvery = DefaultChainPollEvery
	}
	if c.ChargeThresholdNano == 0 {
		c.ChargeThresholdNano = DefaultChargeThresholdNano
	}
	if c.PayoutThresholdNano == 0 {
		c.PayoutThresholdNano = DefaultPayoutThresholdNano
	}
	if c.WithdrawThresholdNano == 0 {
		c.WithdrawThresholdNano = DefaultWithdrawThresholdNano
	}
	if c.MaxAudioTokensPerSecond == 0 {
		c.MaxAudioTokensPerSecond = DefaultMaxAudioTokensPerSecond
	}
	c.RootDefaults()
}

// Validate checks a configuration.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.MaxAudioTokensPerSecond < 0 || c.MaxAudioTokensPerSecond > maxAudioRate {
		bad("max_audio_tokens_per_second %d outside [0, %d]", c.MaxAudioTokensPerSecond, maxAudioRate)
	}
	for name, addr := range map[string]string{"workers_listen": c.WorkersListen, "clients_listen": c.ClientsListen} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad("%s %q: %v", name, addr, err)
		}
	}
	if c.HTTPPort < 0 || c.HTTPPort > 65535 {
		bad("http_port %d outside [0, 65535]", c.HTTPPort)
	}
	if c.PoWDifficulty < 0 || c.PoWDifficulty > 28 {
		bad("pow_difficulty %d outside [0, 28] (clients refuse more than 28)", c.PoWDifficulty)
	}
	if p, err := attest.ParsePolicy(c.WorkerPolicy); err != nil {
		bad("worker_policy: %v", err)
	} else if !c.IsTest && p.Require != attest.KindTDX {
		bad("worker_policy %q accepts workers without real TDX attestation; only a test network (is_test) may", c.WorkerPolicy)
	}
	if _, err := attest.ParsePolicy(c.ClientPolicy); err != nil {
		bad("client_policy: %v", err)
	}
	if c.DBPath != "" && c.MachineSpecificPrivateKey == "" {
		bad("db_path needs machine_specific_private_key: the ledger's records are signed with it and checked on every start")
	}
	for _, p := range c.Chain.Problems(c.OwnerAddress, "commits the ledger and moves money") {
		bad("%s", p)
	}
	for name, d := range map[string]config.Duration{"chain_commit_every": c.ChainCommitEvery, "chain_poll_every": c.ChainPollEvery} {
		if d != 0 && d < minChainEvery {
			bad("%s %v: want at least %v", name, time.Duration(d), time.Duration(minChainEvery))
		}
	}
	if c.ChargeThresholdNano < 0 {
		bad("charge_threshold_nano %d is negative", c.ChargeThresholdNano)
	}
	if c.PayoutThresholdNano < 0 {
		bad("payout_threshold_nano %d is negative", c.PayoutThresholdNano)
	}
	if c.WithdrawThresholdNano < 0 {
		bad("withdraw_threshold_nano %d is negative", c.WithdrawThresholdNano)
	}
	if c.MachineSpecificPrivateKey != "" {
		if _, err := c.SigningSeed(); err != nil {
			bad("%v", err)
		}
	}
	for _, p := range c.Chain.TrustProblems(c.IsTest, c.CheckWorkerHashes, "check_worker_hashes") {
		bad("%s", p)
	}
	if _, err := chainconf.ParseImageHash(c.ImageHash); err != nil {
		bad("%v", err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid proxy config: %w", errors.Join(errs...))
	}
	return nil
}

// SigningSeed decodes MachineSpecificPrivateKey.
func (c *Config) SigningSeed() ([32]byte, error) {
	b, err := base64.StdEncoding.DecodeString(c.MachineSpecificPrivateKey)
	if err != nil || len(b) != 32 {
		return [32]byte{}, errors.New("machine_specific_private_key: want 32 bytes in base64")
	}
	return [32]byte(b), nil
}

// HTTPAddr is the address of the stats and control server.
func (c *Config) HTTPAddr() string {
	if c.HTTPListen != "" {
		return c.HTTPListen
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.HTTPPort))
}
