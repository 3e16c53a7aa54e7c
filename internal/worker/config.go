package worker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
)

// Config is a worker's JSON configuration file. Fields named as in the
// reference's workerRunner.config keep their meaning; the others are ours.
type Config struct {
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
	// chain_state and node_wallet_key at the top level of the file.
	chainconf.Chain
	// PayoutEvery is how often, with a chain, the worker checks each
	// proxy's signed payout against its worker contract (default 15 s; the
	// reference: 10–20 s).
	PayoutEvery Duration `json:"payout_every"`
	// MinPayoutNano is the least value, in nanoTON, worth a payout: the
	// signed tokens not yet paid out times the worker fee per token
	// (default 10 TON, the reference's figure in the unit it meant).
	MinPayoutNano int64 `json:"min_payout_nano"`
	// PaymentPollEvery is how often the worker asks each proxy for its
	// latest signed payment (default 15 s, the reference's period).
	PaymentPollEvery Duration `json:"payment_poll_every"`
	// StateFile, when set, keeps the worker's account at each proxy
	// contract across restarts: the proxy's figures and best signed
	// payout, so that /jsonstats shows what every contract earned and a
	// proxy that lost committed tokens is caught; empty keeps them in
	// memory.
	StateFile string `json:"state_file"`
}

// Duration is a configured period: in JSON a Go duration string such as
// "15s" or "500ms", or a number of seconds.
type Duration time.Duration

// UnmarshalJSON reads a duration string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("parsing duration: %w", err)
		}
		*d = Duration(v)
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("parsing duration: want a string such as \"15s\" or a number of seconds: %w", err)
	}
	if math.Abs(f) > float64(math.MaxInt64)/float64(time.Second) {
		return fmt.Errorf("parsing duration: %g seconds is out of range", f)
	}
	*d = Duration(f * float64(time.Second))
	return nil
}

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Defaults of the worker.
const (
	DefaultMaxActiveRequests = 200
	DefaultHTTPPort          = 12000
	DefaultMaxPoWDifficulty  = 28
	DefaultPayoutEvery       = Duration(15 * time.Second)
	DefaultMinPayoutNano     = int64(10 * billing.TON)
	DefaultPaymentPollEvery  = Duration(15 * time.Second)
	// minPayoutEvery bounds how often the chain is asked.
	minPayoutEvery = Duration(10 * time.Millisecond)
)

// LoadConfig reads and validates a configuration file.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading worker config: %w", err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes a configuration, fills in defaults and validates it.
// Unknown fields are errors, so that a misspelt option is not ignored.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("decoding worker config: %w", err)
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
