package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"time"

	"github.com/cocoon-go/cocoon/internal/cli"
	"github.com/cocoon-go/cocoon/internal/node"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/probe"
	"github.com/cocoon-go/cocoon/internal/wire"
)

func init() {
	commands["probe"] = command{summary: "connect to a proxy as a client would and print its attestation and params", run: runProbe}
}

func runProbe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("probe", stdout, stderr)
	o := probe.Options{}
	var a node.Attestation
	fs.StringVar(&o.Policy, "policy", "tdx", "attestation the proxy must present: tdx, fake_tdx or any, with optional :imagehash,…")
	fs.BoolVar(&a.InsecureFakeTDX, "insecure-fake-tdx", false, "present a fake TDX quote (for a proxy's worker port on a test network) and accept fake quotes")
	fs.BoolVar(&a.InsecureSkipAttestation, "insecure-skip-attestation", false, "print the proxy's attestation without verifying it")
	fs.IntVar(&o.MaxPoW, "max-pow-difficulty", wire.DefaultMaxPoWDifficulty, "hardest proof of work to solve")
	fs.BoolVar(&o.IsTest, "test", false, "claim to be a test-network client (is_test)")
	timeout := fs.Duration("timeout", 30*time.Second, "time allowed for the whole probe")
	dataDir := fs.String("data-dir", devnetDirs.Dir(), "a devnet's data directory: a HOST:PORT its proxy.json names is probed as that devnet's clients connect")
	rootf := cli.NewRootLists(fs)
	if err := fs.Parse(args); err != nil {
		return cli.FlagError(err)
	}
	if fs.NArg() != 1 {
		return cli.UsageError{Msg: "probe takes one argument: the proxy's HOST:PORT"}
	}
	o.Addr = fs.Arg(0)
	if _, _, err := net.SplitHostPort(o.Addr); err != nil {
		return cli.Usagef("probe: %q is not HOST:PORT", o.Addr)
	}
	if devnetDirs.IsProxy(*dataDir, o.Addr) {
		if !cli.Given(fs, "policy") && !cli.Given(fs, "insecure-fake-tdx") && !cli.Given(fs, "test") {
			o.Policy, a.InsecureFakeTDX, o.IsTest = "fake_tdx", true, true
			fmt.Fprintf(stdout, "devnet proxy (%s): INSECURE fake TDX accepted, as a test-network client, as the devnet's clients connect; for development only\n",
				filepath.Join(*dataDir, "proxy.json"))
		}
	}
	log, _ := obs.NewLogger(stderr, "text", "warn")
	o.Logger, o.Skipped = log, a.InsecureSkipAttestation
	var err error
	if o.Verifier, err = a.Verifier(o.Policy, 0, log); err != nil {
		return cli.UsageError{Msg: err.Error()}
	}
	issuer, err := a.ClientIssuer(log)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if o.Certifier, err = node.Certifier(ctx, nil, issuer, log); err != nil {
		return err
	}
	if o.Root, err = rootf.Read(ctx, log); err != nil {
		return err
	}
	return cli.Misuse(probe.Run(ctx, stdout, o))
}
