package main

import (
	"context"
	"io"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainview"
	"github.com/cocoon-go/cocoon/internal/cli"
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
	return cli.Group(ctx, "chain", chainUsage, ": state", map[string]cli.Command{"state": runChainState, "wait": runChainWait}, args, stdout, stderr)
}

func runChainState(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("chain state", stdout, stderr)
	addr, chain, _, closeChain, err := cli.NewChainSource(fs, devnetDirs).OpenAddress(ctx, fs, args, func() error { return nil })
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
	addr, chain, poll, closeChain, err := cli.NewChainSource(fs, devnetDirs).OpenAddress(ctx, fs, args, func() error {
		var err error
		if target, err = billing.ParseTON(*want); err != nil || target <= 0 {
			return cli.Usagef("chain wait needs --balance TON, a positive amount such as 2.5 (got %q)", *want)
		}
		if *timeout <= 0 {
			return cli.UsageError{Msg: "--timeout must be positive"}
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer closeChain()
	return chainview.WaitBalance(ctx, stdout, chain, addr, target, poll, *timeout)
}
