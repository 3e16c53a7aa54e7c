package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantPos []string
		wantV   bool
	}{
		{"flag first", []string{"-v", "a", "b"}, []string{"a", "b"}, true},
		{"flag between", []string{"a", "-v", "b"}, []string{"a", "b"}, true},
		{"flag last", []string{"a", "b", "-v"}, []string{"a", "b"}, true},
		{"no flag", []string{"a"}, []string{"a"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			v := fs.Bool("v", false, "")
			pos, err := Parse(fs, tc.args)
			if err != nil || !slices.Equal(pos, tc.wantPos) || *v != tc.wantV {
				t.Errorf("got %q, -v %v, %v; want %q, -v %v", pos, *v, err, tc.wantPos, tc.wantV)
			}
		})
	}
	fs := flag.NewFlagSet("root show", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := ParseFlagsOnly(fs, []string{"stray"}); ExitCode(err) != 2 || err.Error() != "root show takes flags only" {
		t.Errorf("a stray argument: got %v, want a usage error", err)
	}
	if err := ParseFlags(fs, []string{"-nope"}); ExitCode(err) != 2 {
		t.Errorf("an unknown flag: got %v, want a usage error", err)
	}
	fs.Usage = func() {}
	if err := ParseFlags(fs, []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: got %v, want flag.ErrHelp passed through", err)
	}
}

func TestGroup(t *testing.T) {
	var got []string
	subs := map[string]Command{"state": func(_ context.Context, args []string, _, _ io.Writer) error {
		got = args
		return nil
	}}
	tests := []struct {
		name             string
		args             []string
		code             int
		stdout, stderr   string
		wantErr, wantArg string
	}{
		{"subcommand", []string{"state", "A"}, 0, "", "", "", "A"},
		{"help", []string{"-h"}, 0, "USAGE\n", "", "", ""},
		{"none", nil, 2, "", "USAGE\n", "chain needs a subcommand: state", ""},
		{"unknown", []string{"nope"}, 2, "", "USAGE\n", `unknown chain subcommand "nope"`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got = nil
			var stdout, stderr bytes.Buffer
			err := Group(t.Context(), "chain", "USAGE", ": state", subs, tc.args, &stdout, &stderr)
			if (err == nil) != (tc.code == 0) || (err != nil && (ExitCode(err) != tc.code || err.Error() != tc.wantErr)) {
				t.Errorf("got %v, want exit %d %q", err, tc.code, tc.wantErr)
			}
			if stdout.String() != tc.stdout || stderr.String() != tc.stderr {
				t.Errorf("stdout %q, stderr %q; want %q, %q", stdout.String(), stderr.String(), tc.stdout, tc.stderr)
			}
			if tc.wantArg != "" && !slices.Equal(got, []string{tc.wantArg}) {
				t.Errorf("the subcommand got %q, want [%s]", got, tc.wantArg)
			}
		})
	}
}

func TestReport(t *testing.T) {
	var w bytes.Buffer
	if code := Report(&w, Usagef("bad --root"), []string{"root", "show", "--root", "x"}); code != 2 || w.String() != "cocoon: bad --root\nRun 'cocoon root show -h' for help.\n" {
		t.Errorf("a usage error: exit %d, %q", code, w.String())
	}
	w.Reset()
	if code := Report(&w, errors.New("chain down"), []string{"probe", "h:1"}); code != 1 || strings.Contains(w.String(), "-h") {
		t.Errorf("another error: exit %d, %q; want 1 and no hint", code, w.String())
	}
}

func TestHelp(t *testing.T) {
	var stdout bytes.Buffer
	fs := NewFlagSet("probe", Help{Purpose: "ask a proxy", Args: "HOST:PORT", ArgDocs: []string{"HOST:PORT  the proxy"},
		Examples: [][2]string{{"cocoon probe h:1", "the proxy at h:1"}}, Notes: []string{"A note."}}, &stdout, io.Discard)
	fs.String("policy", "tdx", "attestation to demand")
	fs.Int("n", 0, "a `count`")
	if err := ParseFlags(fs, []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	want := "cocoon probe: ask a proxy\n\nUsage: cocoon probe [flags] HOST:PORT\n\nArguments:\n  HOST:PORT  the proxy\n\n" +
		"Options:\n  --n count\n      a count\n\nAttestation:\n  --policy string\n      attestation to demand (default tdx)\n\n" +
		"A note.\n\nExamples:\n  cocoon probe h:1\n      the proxy at h:1\n"
	if stdout.String() != want {
		t.Errorf("got\n%s\nwant\n%s", stdout.String(), want)
	}
}
