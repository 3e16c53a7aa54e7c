// Package cli is the plumbing of cocoon's command line, which cmd/cocoon
// declares its commands with: usage errors (exit code 2), flag sets whose
// -h prints a command's purpose, arguments, flags by group, notes and
// examples, flags among positional arguments, and the flag groups several
// commands share: a chain to read (an emulated chain's state file, a
// devnet's data directory or TON's liteservers), a root's lists to judge
// by, the root owner's wallet that sends an operation, and every role's
// flags over its config. It chooses nothing itself: the devnet's
// defaults reach it as a Devnet from the devnet command.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/attest/evidence"
	"github.com/cocoon-go/cocoon/internal/contracts"
)

// UsageError marks a mistake in the command line, reported with exit
// code 2 and a hint to run the command's -h.
type UsageError struct{ Msg string }

func (e UsageError) Error() string { return e.Msg }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error { return UsageError{fmt.Sprintf(format, args...)} }

// ExitCode is the exit status of a command that ended with err: 2 for a
// usage error, 1 for any other.
func ExitCode(err error) int {
	if errors.As(err, new(UsageError)) {
		return 2
	}
	return 1
}

// FlagError passes flag.ErrHelp (the help was printed, as asked) through
// and marks other flag errors as usage errors.
func FlagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return UsageError{err.Error()}
}

// Given reports whether the command line set the flag name.
func Given(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// Parse parses flags that may come before, between or after the
// positional arguments, and returns the positional ones.
func Parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, FlagError(err)
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// ParseFlags parses the flags of a command that takes no positional
// arguments.
func ParseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return FlagError(err)
	}
	if fs.NArg() != 0 {
		return Usagef("%s takes no arguments, got %q", fs.Name(), fs.Args())
	}
	return nil
}

// exists reports whether a file is there.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ParseFlagsOnly parses the flags of a command that takes no positional
// arguments, as Parse does: flags may follow a stray argument, which is
// then refused.
func ParseFlagsOnly(fs *flag.FlagSet, args []string) error {
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return UsageError{fs.Name() + " takes flags only"}
	}
	return nil
}

// Misuse reports evidence's Misuse, a mistake in what was asked, as a
// usage error.
func Misuse(err error) error {
	var m evidence.Misuse
	if errors.As(err, &m) {
		return UsageError{err.Error()}
	}
	return err
}

// Command is a command's body: it runs with args, the words after its
// name, until ctx ends.
type Command func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// Group runs the subcommand of the command name ("root", "chain") that
// args begin with: usage, the group's usage text, goes to stdout for -h
// and to stderr with a usage error for a missing (need says what is
// wanted) or unknown subcommand.
func Group(ctx context.Context, name, usage, need string, subs map[string]Command, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return UsageError{name + " needs a subcommand" + need}
	}
	if run, ok := subs[args[0]]; ok {
		return run(ctx, args[1:], stdout, stderr)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return Usagef("unknown %s subcommand %q", name, args[0])
}

// Addresses collects the TON addresses of a repeatable flag.
type Addresses []*address.Address

func (p *Addresses) String() string { return fmt.Sprint(len(*p)) }

// Set adds one address.
func (p *Addresses) Set(s string) error {
	a, err := contracts.ParseAddress(s)
	if err != nil {
		return fmt.Errorf("bad address %q: %w", s, err)
	}
	*p = append(*p, a)
	return nil
}

// Report writes the error a command line (args, after the binary's name)
// ended with to w, for a usage error with the -h to run, and returns the
// exit status.
func Report(w io.Writer, err error, args []string) int {
	fmt.Fprintln(w, "cocoon:", err)
	if errors.As(err, new(UsageError)) && len(args) > 0 {
		cmd := args[0]
		if len(args) > 1 && (cmd == "root" || cmd == "chain" || cmd == "attest") && !strings.HasPrefix(args[1], "-") {
			cmd += " " + args[1]
		}
		fmt.Fprintf(w, "Run 'cocoon %s -h' for help.\n", cmd)
	}
	return ExitCode(err)
}

// Overview writes the binary's help: what it is and its commands, each
// with its summary.
func Overview(w io.Writer, summaries map[string]string) {
	fmt.Fprintln(w, "cocoon: confidential AI inference on TON (client, proxy and worker of the COCOON network)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: cocoon COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	fmt.Fprintf(w, "  %-10s %s\n", "help", "show this help")
	for _, n := range slices.Sorted(maps.Keys(summaries)) {
		fmt.Fprintf(w, "  %-10s %s\n", n, summaries[n])
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'cocoon COMMAND -h' for a command's purpose, arguments, flags and examples;")
	fmt.Fprintln(w, "'cocoon --version' for the version. Start with 'cocoon devnet' (README.md).")
}
