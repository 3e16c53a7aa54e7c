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
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cocoon:", err)
		var u usageError
		if errors.As(err, &u) && len(os.Args) > 1 {
			cmd := os.Args[1]
			if len(os.Args) > 2 && (cmd == "root" || cmd == "chain" || cmd == "attest") && !strings.HasPrefix(os.Args[2], "-") {
				cmd += " " + os.Args[2]
			}
			fmt.Fprintf(os.Stderr, "Run 'cocoon %s -h' for help.\n", cmd)
		}
		os.Exit(exitCode(err))
	}
}

// usageError marks a mistake in the command line, reported with exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

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
		return usageError{"no command given"}
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
		return usageError{fmt.Sprintf("unknown command %q", name)}
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
	fmt.Fprintln(w, "cocoon: confidential AI inference on TON (client, proxy and worker of the COCOON network)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: cocoon COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "  %-10s %s\n", "help", "show this help")
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'cocoon COMMAND -h' for a command's purpose, arguments, flags and examples;")
	fmt.Fprintln(w, "'cocoon --version' for the version. Start with 'cocoon devnet' (README.md).")
}

func runVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprintln(stdout, "cocoon version: print the module version, VCS revision and Go version (also: cocoon --version)")
		fmt.Fprintln(stdout, "\nUsage: cocoon version\n\nExamples:\n  cocoon version\n      cocoon v0.3.0-12-gabc1234 abc1234def56 go1.26.8\n  cocoon --version\n      the same")
		return nil
	}
	if len(args) != 0 {
		return usageError{"version takes no arguments"}
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
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v, rev, dirty := info.Main.Version, buildRevision, false
	if buildVersion != "" {
		v = buildVersion
	}
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && rev == "":
			rev = s.Value
		case s.Key == "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	switch {
	case rev == "":
		rev = "revision unknown (build with make build)"
	case dirty && buildRevision == "":
		rev += "-dirty"
	}
	return v + " " + rev + " " + info.GoVersion
}
