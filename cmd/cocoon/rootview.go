package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"strconv"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
)

// rootConfigJSON is what root show --json prints: addresses in the
// user-friendly form, hashes in hex, amounts as integer nanoTON strings.
type rootConfigJSON struct {
	Root              string            `json:"root"`
	Owner             string            `json:"owner"`
	Version           uint32            `json:"version"`
	ParamsVersion     uint32            `json:"params_version"`
	UniqueID          uint32            `json:"unique_id"`
	IsTest            bool              `json:"is_test"`
	PricePerToken     string            `json:"price_per_token_nano"`
	WorkerFeePerToken string            `json:"worker_fee_per_token_nano"`
	Multipliers       map[string]uint32 `json:"multipliers"`
	ProxyDelay        uint32            `json:"proxy_delay_before_close_s"`
	ClientDelay       uint32            `json:"client_delay_before_close_s"`
	MinProxyStake     string            `json:"min_proxy_stake_nano"`
	MinClientStake    string            `json:"min_client_stake_nano"`
	CodeHashes        map[string]string `json:"code_hashes"`
	ProxyHashes       []string          `json:"proxy_hashes"`
	WorkerHashes      []string          `json:"worker_hashes"`
	ModelHashes       []string          `json:"model_hashes"`
	Proxies           []rootProxyJSON   `json:"registered_proxies"`
	LastProxySeqno    uint32            `json:"last_proxy_seqno"`
}

type rootProxyJSON struct {
	Seqno uint32 `json:"seqno"`
	Desc  string `json:"desc"`
}

func newRootConfigJSON(root *address.Address, r contracts.RootConfig) rootConfigJSON {
	p := r.Params
	nano := func(n billing.NanoTON) string { return strconv.FormatInt(int64(n), 10) }
	hashes := func(list []contracts.Hash) []string {
		out := make([]string, len(list))
		for i, h := range list {
			out[i] = hex.EncodeToString(h[:])
		}
		return out
	}
	codes := map[string]string{}
	for name, c := range map[string]*cell.Cell{"proxy": p.ProxyCode, "worker": p.WorkerCode, "client": p.ClientCode} {
		if c != nil {
			codes[name] = hex.EncodeToString(c.Hash())
		}
	}
	proxies := make([]rootProxyJSON, len(r.Proxies))
	for i, px := range r.Proxies {
		proxies[i] = rootProxyJSON{Seqno: px.Seqno, Desc: px.Desc}
	}
	return rootConfigJSON{
		Root: root.String(), Owner: fmt.Sprint(r.Owner), Version: r.Version,
		ParamsVersion: p.ParamsVersion, UniqueID: p.UniqueID, IsTest: p.IsTest,
		PricePerToken: nano(p.PricePerToken), WorkerFeePerToken: nano(p.WorkerFeePerToken),
		Multipliers: map[string]uint32{"prompt": p.PromptMultiplier, "cached": p.CachedMultiplier, "completion": p.CompletionMultiplier, "reasoning": p.ReasoningMultiplier},
		ProxyDelay:  p.ProxyDelayBeforeClose, ClientDelay: p.ClientDelayBeforeClose,
		MinProxyStake: nano(p.MinProxyStake), MinClientStake: nano(p.MinClientStake),
		CodeHashes:  codes,
		ProxyHashes: hashes(r.ProxyHashes), WorkerHashes: hashes(r.WorkerHashes), ModelHashes: hashes(r.ModelHashes),
		Proxies: proxies, LastProxySeqno: r.LastProxySeqno,
	}
}

func printRootConfig(w io.Writer, root *address.Address, r contracts.RootConfig) {
	p := r.Params
	fmt.Fprintf(w, "root:                  %s\n", root)
	fmt.Fprintf(w, "owner:                 %s\n", r.Owner)
	fmt.Fprintf(w, "version:               %d\n", r.Version)
	fmt.Fprintf(w, "params version:        %d (struct version %d)\n", p.ParamsVersion, p.StructVersion)
	fmt.Fprintf(w, "unique id:             %d\n", p.UniqueID)
	fmt.Fprintf(w, "test network:          %v\n", p.IsTest)
	fmt.Fprintf(w, "price per token:       %s TON (%d nanoTON)\n", p.PricePerToken, int64(p.PricePerToken))
	fmt.Fprintf(w, "worker fee per token:  %s TON (%d nanoTON)\n", p.WorkerFeePerToken, int64(p.WorkerFeePerToken))
	fmt.Fprintf(w, "multipliers (1/10000): prompt %d, cached %d, completion %d, reasoning %d\n", p.PromptMultiplier, p.CachedMultiplier, p.CompletionMultiplier, p.ReasoningMultiplier)
	fmt.Fprintf(w, "close delays:          proxy %d s, client %d s\n", p.ProxyDelayBeforeClose, p.ClientDelayBeforeClose)
	fmt.Fprintf(w, "minimum stakes:        proxy %s TON, client %s TON\n", p.MinProxyStake, p.MinClientStake)
	for _, c := range []struct {
		name string
		code *cell.Cell
	}{{"proxy", p.ProxyCode}, {"worker", p.WorkerCode}, {"client", p.ClientCode}} {
		h := "none"
		if c.code != nil {
			h = hex.EncodeToString(c.code.Hash())
		}
		fmt.Fprintf(w, "%-6s code hash:      %s\n", c.name, h)
	}
	for _, l := range []struct {
		name string
		list []contracts.Hash
	}{{"proxy", r.ProxyHashes}, {"worker", r.WorkerHashes}, {"model", r.ModelHashes}} {
		fmt.Fprintf(w, "%s hashes: %d\n", l.name, len(l.list))
		for _, h := range l.list {
			fmt.Fprintf(w, "  %x\n", h[:])
		}
	}
	fmt.Fprintf(w, "registered proxies: %d (last seqno %d)\n", len(r.Proxies), r.LastProxySeqno)
	for _, px := range r.Proxies {
		fmt.Fprintf(w, "  %d: %s\n", px.Seqno, px.Desc)
	}
}
