package worker

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/config"
	"github.com/cocoon-go/cocoon/internal/openai"
)

// Config is a worker's JSON configuration file. Fields named as in the
// reference's workerRunner.config keep their meaning; the others are ours.
type Config struct {
	// IsTest marks a node of a test network: it may accept peers without
	// real TDX attestation (fake_tdx or any policies) and says so to its
	// peers (the reference's is_test).
	IsTest bool `json:"is_test"`
	// HTTPPort serves stats and control on 127.0.0.1; HTTPListen, when set,
	// names the address instead.
	HTTPPort   int    `json:"http_port"`
	HTTPListen string `json:"http_listen"`
	// OwnerAddress is the TON address that owns this worker's earnings.
	OwnerAddress string `json:"owner_address"`
	// Proxies are the "host:port" worker endpoints of the proxies to serve.
	Proxies []string `json:"proxies"`
	// ProxyConnections is how many proxies share this worker's capacity;
	// 0 means len(Proxies).
	ProxyConnections int `json:"proxy_connections"`
	// ModelName is the full model name, Org/Model@commit:verity; requests
	// name the base, the part before '@'.
	ModelName string `json:"model_name"`
	// Coefficient is the price coefficient, 1000 = 1.0x.
	Coefficient int `json:"coefficient"`
	// ForwardRequestsTo is the engine: an OpenAI-compatible base URL, or
	// the reference's bare "host:port".
	ForwardRequestsTo string `json:"forward_requests_to"`
	// MaxActiveRequests bounds requests in flight over all proxies
	// (default 200).
	MaxActiveRequests int `json:"max_active_requests"`
	// ProxyPolicy is what a proxy must attest, in the reference router's
	// syntax "tdx|fake_tdx|any[:imagehash,…]" (default "tdx").
	ProxyPolicy string `json:"proxy_policy"`
	// MaxPoWDifficulty is the hardest proof of work solved (default 28).
	MaxPoWDifficulty int `json:"max_pow_difficulty"`
	// HTTPAccessHash, when set, guards the stats and control pages.
	HTTPAccessHash string `json:"http_access_hash"`
	// Chain names the chain: root_contract_address, ton_config_filename,
	// chain_state and node_wallet_key at the top level of the file, with
	// root_poll_every, max_root_age and insecure_skip_hash_checks. On a
	// chain the worker accepts a proxy only if its attested image hash is
	// in the root's proxy_hashes, and takes requests only while the root
	// lists its own image hash in worker_hashes and the sha256 of its
	// model_name in model_hashes.
	chainconf.Chain
	// CheckProxyHashes is the reference's switch (check_proxy_hashes):
	// true asks for the check above, which is on anyway; false does not
	// switch it off (insecure_skip_hash_checks does, on a test network).
	CheckProxyHashes *bool `json:"check_proxy_hashes"`
	// ImageHash is the worker's own image hash as the reference's config
	// states it (image_hash: 32 bytes in base64, or 64 hex digits). Set,
	// it must be the image hash the worker attests.
	ImageHash string `json:"image_hash"`
	// PayoutEvery is how often, with a chain, the worker checks each
	// proxy's signed payout against its worker contract (default 15 s; the
	// reference: 10–20 s).
	PayoutEvery config.Duration `json:"payout_every"`
	// MinPayoutNano is the least value, in nanoTON, worth a payout: the
	// signed tokens not yet paid out times the worker fee per token
	// (default 10 TON, the reference's figure in the unit it meant).
	MinPayoutNano int64 `json:"min_payout_nano"`
	// PaymentPollEvery is how often the worker asks each proxy for its
	// latest signed payment (default 15 s, the reference's period).
	PaymentPollEvery config.Duration `json:"payment_poll_every"`
	// StateFile, when set, keeps the worker's account at each proxy
	// contract across restarts: the proxy's figures and best signed
	// payout, so that /jsonstats shows what every contract earned and a
	// proxy that lost committed tokens is caught; empty keeps them in
	// memory.
	StateFile string `json:"state_file"`
	// Endpoints are the OpenAI endpoints the engine serves, of
	// /v1/chat/completions, /v1/completions, /v1/embeddings,
	// /v1/audio/transcriptions and /v1/audio/translations (default the
	// first two, what the reference's workers serve). The worker declares
	// them to cocoon-go proxies, which route by model and endpoint, and
	// refuses requests for any other.
	Endpoints []string `json:"endpoints"`
	// AudioTokensPerSecond is the rate at which audio the engine reports
	// as a duration (usage of type "duration", as vLLM's Whisper does) is
	// billed: this many prompt tokens per second of audio, rounded up. A
	// cocoon-go proxy may cap it. Required with an audio endpoint.
	AudioTokensPerSecond int64 `json:"audio_tokens_per_second"`
}

// Defaults of the worker.
const (
	DefaultMaxActiveRequests = 200
	DefaultHTTPPort          = 12000
	DefaultMaxPoWDifficulty  = 28
	DefaultPayoutEvery       = config.Duration(15 * time.Second)
	DefaultMinPayoutNano     = int64(10 * billing.TON)
	DefaultPaymentPollEvery  = config.Duration(15 * time.Second)
	// MaxAudioTokensPerSecond bounds audio_tokens_per_second.
	MaxAudioTokensPerSecond = 1_000_000
	// minPayoutEvery bounds how often the chain is asked.
	minPayoutEvery = config.Duration(10 * time.Millisecond)
)

// LoadConfig reads and validates a configuration file.
func LoadConfig(path string) (Config, error) {
	return config.Load(path, "worker config", ParseConfig)
}

// ParseConfig decodes a configuration, fills in defaults and validates it.
// Unknown fields are errors, so that a misspelt option is not ignored.
func ParseConfig(b []byte) (Config, error) {
	c, err := config.Decode[Config](b, "worker config")
	if err != nil {
		return Config{}, err
	}
	if c.HTTPPort == 0 && c.HTTPListen == "" {
		c.HTTPPort = DefaultHTTPPort
	}
	if c.MaxActiveRequests == 0 {
		c.MaxActiveRequests = DefaultMaxActiveRequests
	}
	if c.ProxyConnections == 0 {
		c.ProxyConnections = len(c.Proxies)
	}
	if c.ProxyPolicy == "" {
		c.ProxyPolicy = "tdx"
	}
	if c.MaxPoWDifficulty == 0 {
		c.MaxPoWDifficulty = DefaultMaxPoWDifficulty
	}
	if c.PayoutEvery == 0 {
		c.PayoutEvery = DefaultPayoutEvery
	}
	if c.MinPayoutNano == 0 {
		c.MinPayoutNano = DefaultMinPayoutNano
	}
	if c.PaymentPollEvery == 0 {
		c.PaymentPollEvery = DefaultPaymentPollEvery
	}
	if len(c.Endpoints) == 0 {
		c.Endpoints = append([]string(nil), openai.ReferenceEndpoints...)
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
	if c.ModelName == "" {
		bad("model_name is empty")
	}
	if strings.ContainsAny(c.ModelName, " \t\n") {
		bad("model_name %q contains white space", c.ModelName)
	}
	if c.Coefficient < 0 || c.Coefficient >= 1_000_000_000 {
		bad("coefficient %d outside [0, 1e9)", c.Coefficient)
	}
	if c.ForwardRequestsTo == "" {
		bad("forward_requests_to is empty: name the engine's URL")
	}
	if len(c.Proxies) == 0 {
		bad("proxies is empty: name at least one proxy's worker endpoint host:port")
	}
	for _, p := range c.Proxies {
		if _, _, err := net.SplitHostPort(p); err != nil {
			bad("proxy %q: %v", p, err)
		}
	}
	if c.ProxyConnections < 1 {
		bad("proxy_connections %d: want at least 1", c.ProxyConnections)
	}
	if c.MaxActiveRequests < 1 {
		bad("max_active_requests %d: want at least 1", c.MaxActiveRequests)
	}
	if c.HTTPPort < 0 || c.HTTPPort > 65535 {
		bad("http_port %d outside [0, 65535]", c.HTTPPort)
	}
	if c.MaxPoWDifficulty < 0 || c.MaxPoWDifficulty > 64 {
		bad("max_pow_difficulty %d outside [0, 64]", c.MaxPoWDifficulty)
	}
	for _, p := range c.Chain.Problems(c.OwnerAddress, "relays payouts") {
		bad("%s", p)
	}
	if c.PayoutEvery != 0 && c.PayoutEvery < minPayoutEvery {
		bad("payout_every %v: want at least %v", time.Duration(c.PayoutEvery), time.Duration(minPayoutEvery))
	}
	if c.PaymentPollEvery != 0 && c.PaymentPollEvery < minPayoutEvery {
		bad("payment_poll_every %v: want at least %v", time.Duration(c.PaymentPollEvery), time.Duration(minPayoutEvery))
	}
	if c.MinPayoutNano < 0 {
		bad("min_payout_nano %d is negative", c.MinPayoutNano)
	}
	for _, p := range c.Chain.TrustProblems(c.IsTest, c.CheckProxyHashes, "check_proxy_hashes") {
		bad("%s", p)
	}
	if _, err := chainconf.ParseImageHash(c.ImageHash); err != nil {
		bad("%v", err)
	}
	audio := false
	for i, e := range c.Endpoints {
		if !openai.IsEndpoint(e) {
			bad("endpoints: %q is not one of %s", e, strings.Join(openai.Endpoints, ", "))
		}
		if slices.Contains(c.Endpoints[:i], e) {
			bad("endpoints: %q is listed twice", e)
		}
		audio = audio || openai.IsAudio(e)
	}
	switch {
	case c.AudioTokensPerSecond < 0 || c.AudioTokensPerSecond > MaxAudioTokensPerSecond:
		bad("audio_tokens_per_second %d outside [0, %d]", c.AudioTokensPerSecond, MaxAudioTokensPerSecond)
	case audio && c.AudioTokensPerSecond == 0:
		bad("audio_tokens_per_second is 0 with an audio endpoint: say how many tokens a second of audio is billed as")
	}
	if p, err := attest.ParsePolicy(c.ProxyPolicy); err != nil {
		bad("proxy_policy: %v", err)
	} else if !c.IsTest && p.Require != attest.KindTDX {
		bad("proxy_policy %q accepts proxies without real TDX attestation; only a test network (is_test) may", c.ProxyPolicy)
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid worker config: %w", errors.Join(errs...))
	}
	return nil
}

// HTTPAddr is the address of the stats and control server.
func (c *Config) HTTPAddr() string {
	if c.HTTPListen != "" {
		return c.HTTPListen
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.HTTPPort))
}

// BaseModel is the model name requests use: the part before '@'.
func (c *Config) BaseModel() string {
	base, _, _ := strings.Cut(c.ModelName, "@")
	return base
}
