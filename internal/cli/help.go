package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// Help is what `cocoon COMMAND -h` says besides the flags: the command's
// purpose in one line, its arguments and two examples or more.
type Help struct {
	Purpose string
	// Args is the usage line's arguments after [flags]; ArgDocs explain
	// each, one line apiece.
	Args    string
	ArgDocs []string
	// Examples are command lines and what each does.
	Examples [][2]string
	// Notes are paragraphs printed after the flags.
	Notes []string
}

// flagGroups names the group of the flags that several commands share;
// every other flag is among the command's own options.
var flagGroups = map[string]string{
	"config": "Config", "log-level": "Logging", "log-format": "Logging",
	"chain-state": "Chain", "ton-config": "Chain", "disable-ton": "Chain", "fake-ton-root": "Chain", "proxy-contract": "Chain", "root": "Chain", "node-wallet-key": "Chain", "state": "Chain",
	"data-dir": "Chain", "chain": "Chain", "network-id": "Chain",
	"key": "Sending (the root owner's wallet)", "wallet": "Sending (the root owner's wallet)", "wallet-owner": "Sending (the root owner's wallet)",
	"amount":            "Sending (the root owner's wallet)",
	"insecure-fake-tdx": "Attestation", "insecure-skip-attestation": "Attestation", "policy": "Attestation",
	"max-pow-difficulty": "Attestation", "pow-difficulty": "Attestation", "verify": "Attestation", "at": "Attestation",
	"pccs": "Attestation", "collateral-cache": "Attestation", "offline-collateral": "Attestation",
	"insecure-skip-collateral": "Attestation", "allow-tcb": "Attestation", "test": "Attestation",
	"json": "Output", "format": "Output", "v": "Output", "cpuprofile": "Output",
}

// groupOrder is the order the groups are printed in, after the command's
// own options.
var groupOrder = []string{"Config", "Chain", "Sending (the root owner's wallet)", "Attestation", "Logging", "Output"}

// NewFlagSet returns the flag set of the command name ("probe", "root
// show") whose help is h: errors go to stderr, and -h prints the help to
// stdout (the command then returns flag.ErrHelp, which exits 0).
func NewFlagSet(name string, h Help, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { h.print(stdout, fs) }
	return fs
}

// print writes the help of fs's command.
func (h Help) print(w io.Writer, fs *flag.FlagSet) {
	name := fs.Name()
	fmt.Fprintf(w, "cocoon %s: %s\n\n", name, h.Purpose)
	usage := "cocoon " + name
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		usage += " [flags]"
	}
	if h.Args != "" {
		usage += " " + h.Args
	}
	fmt.Fprintf(w, "Usage: %s\n", usage)
	if len(h.ArgDocs) > 0 {
		fmt.Fprintf(w, "\nArguments:\n")
		for _, a := range h.ArgDocs {
			fmt.Fprintf(w, "  %s\n", a)
		}
	}
	groups := map[string][]*flag.Flag{}
	fs.VisitAll(func(f *flag.Flag) {
		g := flagGroups[f.Name]
		if g == "" {
			g = "Options"
		}
		groups[g] = append(groups[g], f)
	})
	for _, g := range append([]string{"Options"}, groupOrder...) {
		if len(groups[g]) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", g)
		for _, f := range groups[g] {
			printFlag(w, f)
		}
	}
	for _, n := range h.Notes {
		fmt.Fprintf(w, "\n%s\n", n)
	}
	fmt.Fprintf(w, "\nExamples:\n")
	for _, e := range h.Examples {
		fmt.Fprintf(w, "  %s\n      %s\n", e[0], e[1])
	}
}

// printFlag writes one flag as "--name TYPE", its usage and its default.
func printFlag(w io.Writer, f *flag.Flag) {
	typ, usage := flag.UnquoteUsage(f)
	line := "  --" + f.Name
	if typ != "" {
		line += " " + typ
	}
	fmt.Fprintf(w, "%s\n      %s", line, strings.ReplaceAll(usage, "\n", "\n      "))
	if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
		fmt.Fprintf(w, " (default %s)", f.DefValue)
	}
	fmt.Fprintln(w)
}
