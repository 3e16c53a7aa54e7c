package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
	"github.com/cocoon-go/cocoon/internal/ton/liteclient"
)

func init() {
	commands["chain"] = command{summary: "read TON accounts and COCOON contract state", run: runChain}
}

const chainUsage = `Usage:
  cocoon chain state ADDRESS [--data-dir DIR | --state FILE | --ton-config FILE]
  cocoon chain wait ADDRESS --balance TON [--timeout D] [--data-dir DIR | --state FILE | --ton-config FILE]

state prints the account's status and balance and, for a COCOON contract, the
contract's state; wait waits until the account holds a balance, printing its
progress and a ton://transfer link to fund it. By default it reads the emulated chain of the devnet in
the default data directory (as ` + "`cocoon devnet`" + ` starts it); --data-dir names
another devnet's directory, --state an emulated chain state file, and
--ton-config reaches a real network through the liteservers of a TON
global config.`

func runChain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, chainUsage)
		return usageError{"chain needs a subcommand: state"}
	}
	switch args[0] {
	case "state":
		return runChainState(ctx, args[1:], stdout, stderr)
	case "wait":
		return runChainWait(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, chainUsage)
		return nil
	}
	fmt.Fprintln(stderr, chainUsage)
	return usageError{fmt.Sprintf("unknown chain subcommand %q", args[0])}
}

// chainArgs are the flags and the ADDRESS of the chain subcommands.
type chainArgs struct {
	statePath, dataDir, configPath *string
	addr                           *address.Address
}

// parseChainArgs defines the chain flags on fs, parses args (flags may
// come before or after the address) and the one ADDRESS.
func parseChainArgs(fs *flag.FlagSet, name string, args []string) (chainArgs, error) {
	c := chainArgs{
		statePath:  fs.String("state", "", "emulated chain state file (as a devnet writes it)"),
		dataDir:    fs.String("data-dir", "", "a devnet's data directory, whose emulated chain to read (default "+defaultDevnetDir()+")"),
		configPath: fs.String("ton-config", "", "TON global config file of a real network"),
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return c, err
			}
			return c, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != 1 {
		return c, usageError{name + " takes exactly one ADDRESS"}
	}
	sources := 0
	for _, s := range []string{*c.statePath, *c.dataDir, *c.configPath} {
		if s != "" {
			sources++
		}
	}
	switch {
	case sources > 1:
		return c, usageError{name + " takes at most one of --data-dir, --state and --ton-config"}
	case *c.dataDir != "":
		*c.statePath = devnetChainState(*c.dataDir)
	case sources == 0:
		*c.statePath = devnetChainState(defaultDevnetDir())
	}
	addr, err := address.ParseAddr(positional[0])
	if err != nil {
		if addr, err = address.ParseRawAddr(positional[0]); err != nil {
			return c, usageError{fmt.Sprintf("bad address %q", positional[0])}
		}
	}
	c.addr = addr
	return c, nil
}

// open opens the chain the flags name; close releases it.
func (c chainArgs) open(ctx context.Context) (chain ton.Chain, poll time.Duration, close func(), err error) {
	if *c.statePath != "" {
		if _, err := os.Stat(*c.statePath); err != nil {
			return nil, 0, nil, fmt.Errorf("opening chain state (is a devnet with --chain emulated using this directory? start one with `cocoon devnet`, or name a chain with --state or --ton-config): %w", err)
		}
		e, err := emulated.New(emulated.Options{Path: *c.statePath})
		if err != nil {
			return nil, 0, nil, err
		}
		return e, 200 * time.Millisecond, func() {}, nil
	}
	l, err := liteclient.Open(ctx, liteclient.Options{ConfigPath: *c.configPath})
	if err != nil {
		return nil, 0, nil, err
	}
	return l, 3 * time.Second, func() { l.Close() }, nil
}

func runChainState(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("chain state", stdout, stderr)
	c, err := parseChainArgs(fs, "chain state", args)
	if err != nil {
		return err
	}
	chain, _, closeChain, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer closeChain()
	acc, err := chain.Account(ctx, c.addr)
	if err != nil {
		return err
	}
	printAccount(stdout, acc)
	return nil
}

// runChainWait waits until an account holds a balance, saying how far it
// is and where to send the rest: how a person funds a wallet before a
// node deploys its contracts.
func runChainWait(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("chain wait", stdout, stderr)
	want := fs.String("balance", "", "the balance to wait for, in TON (required)")
	timeout := fs.Duration("timeout", 30*time.Minute, "how long to wait")
	c, err := parseChainArgs(fs, "chain wait", args)
	if err != nil {
		return err
	}
	target, err := billing.ParseTON(*want)
	if err != nil || target <= 0 {
		return usageError{fmt.Sprintf("chain wait needs --balance TON, a positive amount such as 2.5 (got %q)", *want)}
	}
	if *timeout <= 0 {
		return usageError{"--timeout must be positive"}
	}
	chain, poll, closeChain, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer closeChain()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	fmt.Fprintf(stdout, "waiting for %s to hold %s TON; send it with %s\n", friendly(c.addr), target, transferLink(c.addr, target))
	last := billing.NanoTON(-1)
	for {
		acc, err := chain.Account(ctx, c.addr)
		if err == nil && acc.Balance != last {
			last = acc.Balance
			if last >= target {
				fmt.Fprintf(stdout, "%s holds %s TON: funded\n", friendly(c.addr), last)
				return nil
			}
			fmt.Fprintf(stdout, "  %s of %s TON (%d%%)\n", last, target, int64(last)*100/int64(target))
		}
		select {
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return fmt.Errorf("%s holds %s of %s TON after %v: send the rest with %s, then run chain wait again", friendly(c.addr), max(last, 0), target, *timeout, transferLink(c.addr, target-max(last, 0)))
			}
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

// friendly is an address in the form wallets show for a transfer to an
// account that may not be deployed yet: user-friendly, non-bounceable.
func friendly(a *address.Address) string {
	c := a.Copy()
	c.SetBounce(false)
	return c.String()
}

// transferLink is a ton://transfer link that asks a wallet app to send
// amount to a.
func transferLink(a *address.Address, amount billing.NanoTON) string {
	return fmt.Sprintf("ton://transfer/%s?amount=%d", friendly(a), int64(amount))
}

func printAccount(w io.Writer, acc ton.Account) {
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
