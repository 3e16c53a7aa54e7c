package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/devnet"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
	"github.com/cocoon-go/cocoon/internal/ton/liteclient"
)

func init() {
	commands["chain"] = command{summary: "read TON accounts and COCOON contract state", run: runChain}
}

const chainUsage = `Usage:
  cocoon chain state ADDRESS [--data-dir DIR | --state FILE | --ton-config FILE]

It prints the account's status and balance and, for a COCOON contract, the
contract's state. By default it reads the emulated chain of the devnet in
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
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, chainUsage)
		return nil
	}
	fmt.Fprintln(stderr, chainUsage)
	return usageError{fmt.Sprintf("unknown chain subcommand %q", args[0])}
}

func runChainState(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("chain state", stdout, stderr)
	fs.SetOutput(stderr)
	statePath := fs.String("state", "", "emulated chain state file (as a devnet writes it)")
	dataDir := fs.String("data-dir", "", "a devnet's data directory, whose emulated chain to read (default "+defaultDevnetDir()+")")
	configPath := fs.String("ton-config", "", "TON global config file of a real network")
	// Flags may come before or after the address.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != 1 {
		return usageError{"chain state takes exactly one ADDRESS"}
	}
	sources := 0
	for _, s := range []string{*statePath, *dataDir, *configPath} {
		if s != "" {
			sources++
		}
	}
	switch {
	case sources > 1:
		return usageError{"chain state takes at most one of --data-dir, --state and --ton-config"}
	case *dataDir != "":
		*statePath = filepath.Join(*dataDir, devnet.ChainStateFile)
	case sources == 0:
		*statePath = filepath.Join(defaultDevnetDir(), devnet.ChainStateFile)
	}
	addr, err := address.ParseAddr(positional[0])
	if err != nil {
		if addr, err = address.ParseRawAddr(positional[0]); err != nil {
			return usageError{fmt.Sprintf("bad address %q", positional[0])}
		}
	}
	var chain ton.Chain
	if *statePath != "" {
		if _, err := os.Stat(*statePath); err != nil {
			return fmt.Errorf("opening chain state (is a devnet with --chain emulated using this directory?): %w", err)
		}
		c, err := emulated.New(emulated.Options{Path: *statePath})
		if err != nil {
			return err
		}
		chain = c
	} else {
		c, err := liteclient.Open(ctx, liteclient.Options{ConfigPath: *configPath})
		if err != nil {
			return err
		}
		defer c.Close()
		chain = c
	}
	acc, err := chain.Account(ctx, addr)
	if err != nil {
		return err
	}
	printAccount(stdout, acc)
	return nil
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
	if r, err := ton.ParseRootConfig(acc.Data); err == nil {
		fmt.Fprintln(w, "contract:  root")
		fmt.Fprintf(w, "  owner %s, version %d, params version %d, unique id %d, test %v\n", r.Owner, r.Version, r.Params.ParamsVersion, r.Params.UniqueID, r.Params.IsTest)
		fmt.Fprintf(w, "  price per token %s TON, worker fee per token %s TON\n", r.Params.PricePerToken, r.Params.WorkerFeePerToken)
		fmt.Fprintf(w, "  %d proxy hashes, %d worker hashes, %d model hashes, last proxy seqno %d\n", len(r.ProxyHashes), len(r.WorkerHashes), len(r.ModelHashes), r.LastProxySeqno)
		for _, p := range r.Proxies {
			fmt.Fprintf(w, "  proxy %d: %s\n", p.Seqno, p.Desc)
		}
		return
	}
	if p, err := ton.ParseProxyData(acc.Data); err == nil {
		fmt.Fprintln(w, "contract:  proxy")
		fmt.Fprintf(w, "  owner %s, state %s, earned %s TON, stake %s TON, unlock %d\n", p.Owner, contractState(p.State), p.Balance, p.Stake, p.UnlockTS)
		fmt.Fprintf(w, "  price per token %s TON, worker fee per token %s TON, params version %d\n", p.Params.PricePerToken, p.Params.WorkerFeePerToken, p.Params.ParamsVersion)
		return
	}
	if c, err := ton.ParseClientData(acc.Data); err == nil {
		fmt.Fprintln(w, "contract:  client")
		fmt.Fprintf(w, "  owner %s, proxy %s, state %s, recorded balance %s TON, stake %s TON, tokens used %d, unlock %d\n", c.Owner, c.Proxy, contractState(c.State), c.Balance, c.Stake, c.TokensUsed, c.UnlockTS)
		return
	}
	if k, err := ton.ParseWorkerData(acc.Data); err == nil {
		fmt.Fprintln(w, "contract:  worker")
		fmt.Fprintf(w, "  owner %s, proxy %s, state %s, tokens %d\n", k.Owner, k.Proxy, contractState(k.State), k.Tokens)
		return
	}
	if d, err := ton.ParseWalletData(acc.Data); err == nil {
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
