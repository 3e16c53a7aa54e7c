package main

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestEveryCommandHelp runs every command's -h: each says its purpose in
// one line, its usage, its flags grouped and two examples, on stdout, and
// exits 0.
func TestEveryCommandHelp(t *testing.T) {
	// Every root operation rootUsage lists has a help of its own.
	for _, m := range regexp.MustCompile(`cocoon root ([a-z-]+)`).FindAllStringSubmatch(rootUsage, -1) {
		if _, ok := helps["root "+m[1]]; !ok {
			t.Errorf("root %s has no help", m[1])
		}
	}
	for name := range commands {
		if _, ok := helps[name]; !ok && name != "version" && name != "root" && name != "chain" && name != "attest" {
			t.Errorf("command %s has no help", name)
		}
	}
	for _, name := range append(helpNames(), "root", "chain", "attest", "version") {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append(strings.Fields(name), "-h")
			if err := run(args, &out, &errOut); err != nil {
				t.Fatalf("%q: got %v, want exit 0", args, err)
			}
			help := out.String()
			if _, ok := helps[name]; !ok {
				if !strings.Contains(help, "cocoon") {
					t.Errorf("%q printed %q", args, help)
				}
				return
			}
			h := helps[name]
			if h.Purpose == "" || strings.Contains(h.Purpose, "\n") {
				t.Errorf("purpose %q: want one line", h.Purpose)
			}
			for _, want := range []string{"cocoon " + name + ": " + h.Purpose + "\n", "\nUsage: cocoon " + name, "\nExamples:\n"} {
				if !strings.Contains(help, want) {
					t.Errorf("help lacks %q:\n%s", want, help)
				}
			}
			if len(h.Examples) < 2 {
				t.Errorf("%d examples, want 2 or more", len(h.Examples))
			}
			if h.Args != "" && !strings.Contains(help, "\nArguments:\n") {
				t.Errorf("help takes %s but does not explain it:\n%s", h.Args, help)
			}
			if strings.Contains(help, "Usage of") || errOut.Len() != 0 {
				t.Errorf("the flag package's bare usage, or output on stderr: %q %q", help, errOut.String())
			}
		})
	}
}

// helpNames lists the commands that have a help, in order, for tests.
func helpNames() []string {
	names := make([]string, 0, len(helps))
	for n := range helps {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
