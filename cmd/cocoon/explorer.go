package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/cocoon-go/cocoon/internal/cli"
	"github.com/cocoon-go/cocoon/internal/node"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/wire"
)

func init() {
	commands["explorer"] = command{summary: "serve the network explorer: root, proxies, workers, clients, value locked", run: runExplorer}
}

func runExplorer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("explorer", stdout, stderr)
	src := cli.NewChainSource(fs, devnetDirs)
	rootFlag := fs.String("root", "", "`address` of the COCOON root contract (default: the devnet's, on a devnet's chain)")
	var cfg node.ExplorerConfig
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:8080", "`address` to serve the explorer on")
	fs.StringVar(&cfg.AccessHash, "access-hash", "", "demand ?access_hash=`VALUE` on every page, as a role's http_access_hash does")
	fs.Var((*cli.Addresses)(&cfg.ProxyContracts), "proxy-contract", "show this proxy contract `address` too (repeatable)")
	fs.BoolVar(&cfg.Locate, "locate", true, "ask each proxy the root registers for its contract, as a client connecting to it learns it")
	fs.StringVar(&cfg.Policy, "policy", "tdx", "attestation the proxies must present when asked: tdx, fake_tdx or any")
	fs.BoolVar(&cfg.Attestation.InsecureFakeTDX, "insecure-fake-tdx", false, "accept the fake TDX quotes of a test network's proxies (proves nothing)")
	fs.IntVar(&cfg.MaxPoW, "max-pow-difficulty", wire.DefaultMaxPoWDifficulty, "hardest proof of work to solve when asking a proxy")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	var err error
	if cfg.State, cfg.TonConfig, err = src.Resolve("explorer"); err != nil {
		return err
	}
	if err := cli.Found(cfg.State); err != nil {
		return err
	}
	if *rootFlag == "" && cfg.State != "" {
		dir := filepath.Dir(cfg.State)
		if *rootFlag = devnetDirs.Root(dir); *rootFlag != "" && !cli.Given(fs, "policy") && !cli.Given(fs, "insecure-fake-tdx") {
			cfg.Policy, cfg.Attestation.InsecureFakeTDX = "fake_tdx", true
			fmt.Fprintf(stdout, "devnet root (%s): INSECURE fake TDX accepted from its proxies, as the devnet's clients accept it; for development only\n", filepath.Join(dir, "proxy.json"))
		}
	}
	if cfg.Root, err = cli.ParseAddr("root", *rootFlag); err != nil {
		return err
	}
	log, err := obs.NewLogger(stderr, "text", *logLevel)
	if err != nil {
		return cli.UsageError{Msg: err.Error()}
	}
	e, err := node.NewExplorer(ctx, cfg, log)
	var choice node.ChoiceError
	if errors.As(err, &choice) {
		return cli.UsageError{Msg: err.Error()}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "explorer on http://%s/explorer\n", e.Addr())
	return e.Run(ctx)
}
