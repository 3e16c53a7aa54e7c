package contracts

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
)

// The fixed parts of a pseudo root config, as the reference's fake-TON
// mode sets them (RootContractConfig::load_from_tl of rootConfig.pseudo):
// unique_id 13, is_test, delays 600 and 300 s, 1 TON stakes, multipliers 1.0.
const (
	pseudoStructVersion = 1
	pseudoUniqueID      = 13
	pseudoProxyDelay    = 600
	pseudoClientDelay   = 300
)

// maxPseudoConfig bounds a pseudo root config file; the reference's is
// under 5 KiB.
const maxPseudoConfig = 1 << 20

// pseudoJSON is rootConfig.pseudo as TON's from_json reads it: int256 as
// base64, ints as numbers or strings, codes as hex BoCs; keys outside the
// schema (the reference's file has model_names and proxy_hash) are
// ignored, missing ones are zero.
type pseudoJSON struct {
	ProxyHashes       []string      `json:"proxy_hashes"`
	WorkerHashes      []string      `json:"worker_hashes"`
	ModelHashes       []string      `json:"model_hashes"`
	ModelTypes        []string      `json:"model_types"`
	RegisteredProxies []pseudoProxy `json:"registered_proxies"`
	PricePerToken     jsonInt       `json:"price_per_token"`
	WorkerFeePerToken jsonInt       `json:"worker_fee_per_token"`
	LastProxySeqno    jsonInt       `json:"last_proxy_seqno"`
	Version           jsonInt       `json:"version"`
	ParamsVersion     jsonInt       `json:"params_version"`
	ProxySCCode       string        `json:"proxy_sc_code"`
	WorkerSCCode      string        `json:"worker_sc_code"`
	ClientSCCode      string        `json:"client_sc_code"`
	RootOwnerAddress  string        `json:"root_owner_address"`
}

type pseudoProxy struct {
	Seqno   jsonInt `json:"seqno"`
	Address string  `json:"address"`
}

// jsonInt is a TL int in JSON: a number, or a string holding one.
type jsonInt int64

func (i *jsonInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return fmt.Errorf("want a 32-bit integer, got %s", b)
	}
	*i = jsonInt(v)
	return nil
}

// ParsePseudoRootConfig reads the reference's fake-TON root config: the
// JSON rootConfig.pseudo that its runners take with --disable-ton (the
// reference's spec/fake-ton/fake-ton-config.json, rendered). It yields
// what the reference derives from it: its hash lists (model_types hashed
// by their base name, as model hashes), registered proxies, last proxy
// seqno and version, an owner, and params of struct version 1 with the
// file's params_version, price and fee and the fixed rest (unique_id 13,
// is_test, close delays 600 and 300 s, 1 TON minimum stakes, multipliers
// 1.0), whose codes are the file's (an empty code is an empty cell).
func ParsePseudoRootConfig(b []byte) (RootConfig, error) {
	if len(b) > maxPseudoConfig {
		return RootConfig{}, fmt.Errorf("reading pseudo root config: %d bytes, more than %d", len(b), maxPseudoConfig)
	}
	var j pseudoJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return RootConfig{}, fmt.Errorf("reading pseudo root config: %w", err)
	}
	cfg, err := j.config()
	if err != nil {
		return RootConfig{}, fmt.Errorf("reading pseudo root config: %w", err)
	}
	return cfg, nil
}

func (j *pseudoJSON) config() (RootConfig, error) {
	var cfg RootConfig
	var err error
	for _, l := range []struct {
		what string
		in   []string
		out  *[]Hash
	}{{"proxy_hashes", j.ProxyHashes, &cfg.ProxyHashes}, {"worker_hashes", j.WorkerHashes, &cfg.WorkerHashes}, {"model_hashes", j.ModelHashes, &cfg.ModelHashes}} {
		for i, s := range l.in {
			h, err := base64.StdEncoding.DecodeString(s)
			if err != nil || len(h) != len(Hash{}) {
				return RootConfig{}, fmt.Errorf("%s[%d] %q is not a base64 256-bit hash", l.what, i, s)
			}
			*l.out = append(*l.out, Hash(h))
		}
	}
	for _, t := range j.ModelTypes {
		base, _, _ := strings.Cut(t, "@")
		cfg.ModelHashes = append(cfg.ModelHashes, sha256.Sum256([]byte(base)))
	}
	for _, l := range []*[]Hash{&cfg.ProxyHashes, &cfg.WorkerHashes, &cfg.ModelHashes} {
		slices.SortFunc(*l, func(a, b Hash) int { return bytes.Compare(a[:], b[:]) })
	}
	for i, p := range j.RegisteredProxies {
		if p.Seqno < 0 {
			return RootConfig{}, fmt.Errorf("registered_proxies[%d]: negative seqno %d", i, p.Seqno)
		}
		if err := checkProxyDesc(p.Address); err != nil {
			return RootConfig{}, fmt.Errorf("registered_proxies[%d]: %w", i, err)
		}
		cfg.Proxies = append(cfg.Proxies, RegisteredProxy{Seqno: uint32(p.Seqno), Desc: p.Address})
	}
	slices.SortStableFunc(cfg.Proxies, func(a, b RegisteredProxy) int { return int64cmp(int64(a.Seqno), int64(b.Seqno)) })
	for _, f := range []struct {
		what string
		v    jsonInt
	}{{"price_per_token", j.PricePerToken}, {"worker_fee_per_token", j.WorkerFeePerToken}, {"last_proxy_seqno", j.LastProxySeqno}, {"version", j.Version}, {"params_version", j.ParamsVersion}} {
		if f.v < 0 {
			return RootConfig{}, fmt.Errorf("%s %d is negative", f.what, f.v)
		}
	}
	cfg.LastProxySeqno, cfg.Version = uint32(j.LastProxySeqno), uint32(j.Version)
	if cfg.Owner, err = parseUserAddress(j.RootOwnerAddress); err != nil {
		return RootConfig{}, fmt.Errorf("root_owner_address: %w", err)
	}
	p := Params{
		StructVersion: pseudoStructVersion, ParamsVersion: uint32(j.ParamsVersion), UniqueID: pseudoUniqueID, IsTest: true,
		PricePerToken: billing.NanoTON(j.PricePerToken), WorkerFeePerToken: billing.NanoTON(j.WorkerFeePerToken),
		PromptMultiplier: defaultMultiplier, CachedMultiplier: defaultMultiplier,
		CompletionMultiplier: defaultMultiplier, ReasoningMultiplier: defaultMultiplier,
		ProxyDelayBeforeClose: pseudoProxyDelay, ClientDelayBeforeClose: pseudoClientDelay,
		MinProxyStake: defaultMinStake, MinClientStake: defaultMinStake,
	}
	for _, c := range []struct {
		what string
		hex  string
		dst  **cell.Cell
	}{{"proxy_sc_code", j.ProxySCCode, &p.ProxyCode}, {"worker_sc_code", j.WorkerSCCode, &p.WorkerCode}, {"client_sc_code", j.ClientSCCode, &p.ClientCode}} {
		if *c.dst, err = pseudoCode(c.hex); err != nil {
			return RootConfig{}, fmt.Errorf("%s: %w", c.what, err)
		}
	}
	cfg.Params = p
	return cfg, nil
}

// checkProxyDesc checks a registered proxy's description as the root
// stores it: "ip:port", or "ip:port_for_workers ip:port_for_clients".
func checkProxyDesc(desc string) error {
	if desc == "" || len(desc) > maxProxyDesc {
		return fmt.Errorf("address %q: want 1 to %d bytes", desc, maxProxyDesc)
	}
	parts := strings.Split(desc, " ")
	if len(parts) > 2 {
		return fmt.Errorf("address %q: want one or two host:port", desc)
	}
	for _, p := range parts {
		if _, port, ok := strings.Cut(p, ":"); !ok || port == "" {
			return fmt.Errorf("address %q: %q is not host:port", desc, p)
		}
	}
	return nil
}

// pseudoCode decodes a code given as a hex BoC; empty is an empty cell,
// as the reference has it.
func pseudoCode(h string) (*cell.Cell, error) {
	if h == "" {
		return cell.BeginCell().EndCell(), nil
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("not a hex BoC: %w", err)
	}
	c, err := cell.FromBOC(b)
	if err != nil {
		return nil, fmt.Errorf("decoding the BoC: %w", err)
	}
	return c, nil
}

// parseUserAddress reads a std address in user-friendly or raw form.
func parseUserAddress(s string) (*address.Address, error) {
	if s == "" {
		return nil, errors.New("missing")
	}
	if a, err := address.ParseAddr(s); err == nil {
		return a, nil
	}
	a, err := address.ParseRawAddr(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a TON address", s)
	}
	return a, nil
}
