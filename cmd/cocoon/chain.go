package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainview"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/node"
	"github.com/cocoon-go/cocoon/internal/ton"
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

// chainSource is the flags of the commands that read a chain: an
// emulated chain's state file, a devnet's data directory (its chain) or a
// TON global config, the devnet's in the default data directory when none
// is given.
type chainSource struct {
	state, dataDir, tonConfig *string
}

func newChainSource(fs *flag.FlagSet) chainSource {
	return chainSource{
		state:     fs.String("state", "", "emulated chain state `file` (as a devnet writes it)"),
		dataDir:   fs.String("data-dir", "", "a devnet's data `directory`, whose emulated chain to read (default "+defaultDevnetDir()+")"),
		tonConfig: fs.String("ton-config", "", "TON global config `file` of a real network"),
	}
}

// resolve returns the state file or the TON config the flags name.
func (c chainSource) resolve(cmd string) (state, tonConfig string, err error) {
	sources := 0
	for _, s := range []string{*c.state, *c.dataDir, *c.tonConfig} {
		if s != "" {
			sources++
		}
	}
	switch {
	case sources > 1:
		return "", "", usageError{cmd + " takes at most one of --data-dir, --state and --ton-config"}
	case *c.dataDir != "":
		*c.state = devnetChainState(*c.dataDir)
	case sources == 0:
		*c.state = devnetChainState(defaultDevnetDir())
	}
	return *c.state, *c.tonConfig, nil
}

// found checks that the state file resolve named exists, saying where a
// devnet's comes from when it does not.
func found(state string) error {
	if state == "" {
		return nil
	}
	if _, err := os.Stat(state); err != nil {
		return fmt.Errorf("opening chain state (is a devnet with --chain emulated using this directory? start one with `cocoon devnet`, or name a chain with --state or --ton-config): %w", err)
	}
	return nil
}

// parseChainArgs defines the chain flags on fs, parses args (flags may
// come before or after the address) and the one ADDRESS, and opens the
// chain; close releases it.
func parseChainArgs(ctx context.Context, fs *flag.FlagSet, name string, args []string, check func() error) (addr *address.Address, chain ton.Chain, poll time.Duration, close func(), err error) {
	src := newChainSource(fs)
	positional, err := rootParse(fs, args)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	if len(positional) != 1 {
		return nil, nil, 0, nil, usageError{name + " takes exactly one ADDRESS"}
	}
	state, tonConfig, err := src.resolve(name)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	if addr, err = contracts.ParseAddress(positional[0]); err != nil {
		return nil, nil, 0, nil, usageError{fmt.Sprintf("bad address %q", positional[0])}
	}
	if err := check(); err != nil {
		return nil, nil, 0, nil, err
	}
	if err := found(state); err != nil {
		return nil, nil, 0, nil, err
	}
	poll = 3 * time.Second
	if state != "" {
		poll = 200 * time.Millisecond
	}
	chain, close, err = node.OpenChain(ctx, state, tonConfig, nil)
	return addr, chain, poll, close, err
}

func runChainState(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("chain state", stdout, stderr)
	addr, chain, _, closeChain, err := parseChainArgs(ctx, fs, "chain state", args, func() error { return nil })
	if err != nil {
		return err
	}
	defer closeChain()
	acc, err := chain.Account(ctx, addr)
	if err != nil {
		return err
	}
	chainview.Account(stdout, acc)
	return nil
}

// runChainWait waits until an account holds a balance, saying how far it
// is and where to send the rest: how a person funds a wallet before a
// node deploys its contracts.
func runChainWait(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("chain wait", stdout, stderr)
	want := fs.String("balance", "", "the balance to wait for, in TON (required)")
	timeout := fs.Duration("timeout", 30*time.Minute, "how long to wait")
	var target billing.NanoTON
	addr, chain, poll, closeChain, err := parseChainArgs(ctx, fs, "chain wait", args, func() error {
		var err error
		if target, err = billing.ParseTON(*want); err != nil || target <= 0 {
			return usageError{fmt.Sprintf("chain wait needs --balance TON, a positive amount such as 2.5 (got %q)", *want)}
		}
		if *timeout <= 0 {
			return usageError{"--timeout must be positive"}
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer closeChain()
	return chainview.WaitBalance(ctx, stdout, chain, addr, target, poll, *timeout)
}
