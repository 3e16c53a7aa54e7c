// Package chainview reads accounts and COCOON contracts on a chain for
// people: an account and the contract its data decodes as, the root
// contract's configuration (as text or JSON), and a wait for a balance
// with its progress and a ton://transfer link to fund it. `cocoon chain`
// and `cocoon root` print with it.
package chainview

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// Friendly is an address in the form wallets show for a transfer to an
// account that may not be deployed yet: user-friendly, non-bounceable.
func Friendly(a *address.Address) string {
	c := a.Copy()
	c.SetBounce(false)
	return c.String()
}

// TransferLink is a ton://transfer link that asks a wallet app to send
// amount to a.
func TransferLink(a *address.Address, amount billing.NanoTON) string {
	return fmt.Sprintf("ton://transfer/%s?amount=%d", Friendly(a), int64(amount))
}

// Account prints an account: its status, balance and hashes and, for a
// COCOON contract, its decoded state.
func Account(w io.Writer, acc ton.Account) {
	fmt.Fprintf(w, "address:   %s\n", acc.Address.StringRaw())
	fmt.Fprintf(w, "status:    %s\n", acc.Status)
	fmt.Fprintf(w, "balance:   %s TON (the account's; a client contract's own record of its client's balance is below)\n", acc.Balance)
	fmt.Fprintf(w, "code hash: %s\n", hexOrNone(acc.CodeHash()))
	fmt.Fprintf(w, "data hash: %s\n", hexOrNone(acc.DataHash()))
	fmt.Fprintf(w, "last lt:   %d\n", acc.LastLT)
	fmt.Fprintf(w, "last hash: %s\n", hexOrNone(acc.LastHash))
	if acc.Data != nil {
		printContract(w, acc)
	}
}

func hexOrNone(b []byte) string {
	if b == nil {
		return "none"
	}
	return hex.EncodeToString(b)
}

// printContract prints the COCOON contract state the data decodes as, if
// any: the layouts are strict, so at most one normally fits.
func printContract(w io.Writer, acc ton.Account) {
	if r, err := contracts.ParseRootConfig(acc.Data); err == nil {
		fmt.Fprintln(w, "contract:  root")
		fmt.Fprintf(w, "  owner %s, version %d, params version %d, unique id %d, test %v\n", r.Owner, r.Version, r.Params.ParamsVersion, r.Params.UniqueID, r.Params.IsTest)
		fmt.Fprintf(w, "  price per token %s TON, worker fee per token %s TON\n", r.Params.PricePerToken, r.Params.WorkerFeePerToken)
		fmt.Fprintf(w, "  %d proxy hashes, %d worker hashes, %d model hashes, last proxy seqno %d\n", len(r.ProxyHashes), len(r.WorkerHashes), len(r.ModelHashes), r.LastProxySeqno)
		for _, p := range r.Proxies {
			fmt.Fprintf(w, "  proxy %d: %s\n", p.Seqno, p.Desc)
		}
		return
	}
	if p, err := contracts.ParseProxyData(acc.Data); err == nil {
		fmt.Fprintln(w, "contract:  proxy")
		fmt.Fprintf(w, "  owner %s, state %s, earned %s TON, stake %s TON, unlock %d\n", p.Owner, contractState(p.State), p.Balance, p.Stake, p.UnlockTS)
		fmt.Fprintf(w, "  price per token %s TON, worker fee per token %s TON, params version %d\n", p.Params.PricePerToken, p.Params.WorkerFeePerToken, p.Params.ParamsVersion)
		return
	}
	if c, err := contracts.ParseClientData(acc.Data); err == nil {
		fmt.Fprintln(w, "contract:  client")
		fmt.Fprintf(w, "  owner %s, proxy %s, state %s, recorded balance %s TON, stake %s TON, tokens used %d, unlock %d\n", c.Owner, c.Proxy, contractState(c.State), c.Balance, c.Stake, c.TokensUsed, c.UnlockTS)
		return
	}
	if k, err := contracts.ParseWorkerData(acc.Data); err == nil {
		fmt.Fprintln(w, "contract:  worker")
		fmt.Fprintf(w, "  owner %s, proxy %s, state %s, tokens %d\n", k.Owner, k.Proxy, contractState(k.State), k.Tokens)
		return
	}
	if d, err := contracts.ParseWalletData(acc.Data); err == nil {
		fmt.Fprintln(w, "contract:  cocoon wallet")
		fmt.Fprintf(w, "  owner %s, seqno %d, status %d\n", d.Owner, d.Seqno, d.Status)
	}
}

// contractState names the state of a proxy, client or worker contract.
func contractState(s uint8) string {
	switch s {
	case 0:
		return "0 (normal)"
	case 1:
		return "1 (closing)"
	case 2:
		return "2 (closed)"
	}
	return strconv.Itoa(int(s))
}

// RootJSON is what root show --json prints: addresses in the
// user-friendly form, hashes in hex, amounts as integer nanoTON strings.
type RootJSON struct {
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

// RootConfigJSON is the root config r of the root at root as `cocoon root
// show --json` prints it.
func RootConfigJSON(root *address.Address, r contracts.RootConfig) RootJSON {
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
	for _, c := range p.CodeHashes() {
		if c.Hash != nil {
			codes[c.Name] = hex.EncodeToString(c.Hash)
		}
	}
	proxies := make([]rootProxyJSON, len(r.Proxies))
	for i, px := range r.Proxies {
		proxies[i] = rootProxyJSON{Seqno: px.Seqno, Desc: px.Desc}
	}
	return RootJSON{
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

// PrintRootConfig writes the root's configuration as RootConfig does, or
// with asJSON as indented JSON (RootConfigJSON): `cocoon root show`.
func PrintRootConfig(w io.Writer, root *address.Address, r contracts.RootConfig, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(RootConfigJSON(root, r))
	}
	RootConfig(w, root, r)
	return nil
}

// RootConfig prints the root config r of the root at root.
func RootConfig(w io.Writer, root *address.Address, r contracts.RootConfig) {
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
	for _, c := range p.CodeHashes() {
		h := "none"
		if c.Hash != nil {
			h = hex.EncodeToString(c.Hash)
		}
		fmt.Fprintf(w, "%-6s code hash:      %s\n", c.Name, h)
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

// WaitBalance waits until the account at a on chain holds target, reading
// it every poll and printing its progress to w, with a ton://transfer link
// for what is missing: how a person funds a wallet before a node deploys
// its contracts. It gives up after timeout, saying how much is missing.
func WaitBalance(ctx context.Context, w io.Writer, chain ton.Chain, a *address.Address, target billing.NanoTON, poll, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fmt.Fprintf(w, "waiting for %s to hold %s TON; send it with %s\n", Friendly(a), target, TransferLink(a, target))
	last := billing.NanoTON(-1)
	for {
		acc, err := chain.Account(ctx, a)
		if err == nil && acc.Balance != last {
			last = acc.Balance
			if last >= target {
				fmt.Fprintf(w, "%s holds %s TON: funded\n", Friendly(a), last)
				return nil
			}
			fmt.Fprintf(w, "  %s of %s TON (%d%%)\n", last, target, int64(last)*100/int64(target))
		}
		select {
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return fmt.Errorf("%s holds %s of %s TON after %v: send the rest with %s, then run chain wait again", Friendly(a), max(last, 0), target, timeout, TransferLink(a, target-max(last, 0)))
			}
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}
