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
	"syscall"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "cocoon:", err)
		}
		os.Exit(exitCode(err))
	}
}

// usageError marks a mistake in the command line, reported with exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
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
	"version": {summary: "print the version", run: runVersion},
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
	}
	cmd, ok := commands[name]
	if !ok {
		printHelp(stderr)
		return usageError{fmt.Sprintf("unknown command %q", name)}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cmd.run(ctx, rest, stdout, stderr)
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
	fmt.Fprintln(w, "Run 'cocoon COMMAND -h' for the flags of a command.")
}

func runVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) != 0 {
		return usageError{"version takes no arguments"}
	}
	fmt.Fprintln(stdout, "cocoon", version())
	return nil
}

// version reports the module version and, when built from a checkout, the
// VCS revision recorded by the Go toolchain.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v + " " + info.GoVersion
}
