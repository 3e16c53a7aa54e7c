// Command cocoon is the single binary of cocoon-go: the client, proxy and
// worker roles of the COCOON network, a one-command local network, the
// built-in inference engine and the operator tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/cocoon-go/cocoon/internal/cli"
	"github.com/cocoon-go/cocoon/internal/obs"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		os.Exit(cli.Report(os.Stderr, err, os.Args[1:]))
	}
}

// usageError marks a mistake in the command line, reported with exit code 2.
type usageError = cli.UsageError

// command is one subcommand of the binary.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists every subcommand; each role registers itself in its own file.
var commands = map[string]command{
	"version": {summary: "print the module version, VCS revision and Go version"},
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printHelp(stderr)
		return cli.UsageError{Msg: "no command given"}
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		printHelp(stdout)
		return nil
	case "--version", "-version":
		name = "version"
	}
	cmd, ok := commands[name]
	if name == "version" {
		cmd, ok = command{summary: "print the version", run: runVersion}, true
	}
	if !ok {
		printHelp(stderr)
		return cli.Usagef("unknown command %q", name)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cmd.run(ctx, rest, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the command printed its help, as asked
	}
	return err
}

func printHelp(w io.Writer) {
	summaries := map[string]string{}
	for n, c := range commands {
		summaries[n] = c.summary
	}
	cli.Overview(w, summaries)
}

func runVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprintln(stdout, "cocoon version: print the module version, VCS revision and Go version (also: cocoon --version)")
		fmt.Fprintln(stdout, "\nUsage: cocoon version\n\nExamples:\n  cocoon version\n      cocoon v0.3.0-12-gabc1234 abc1234def56 go1.26.8\n  cocoon --version\n      the same")
		return nil
	}
	if len(args) != 0 {
		return cli.UsageError{Msg: "version takes no arguments"}
	}
	fmt.Fprintln(stdout, "cocoon", version())
	return nil
}

// buildVersion and buildRevision are set by `make build` from git
// (-ldflags -X), for a binary built where the toolchain records no VCS
// information.
var buildVersion, buildRevision string

// version reports the module version (git describe's, from make build,
// or the toolchain's), the VCS revision and the Go version.
func version() string { return obs.BuildVersion(buildVersion, buildRevision) }
