package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/cli"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantErr  bool
		wantCode int
		wantOut  string
	}{
		{name: "help", args: []string{"help"}, wantOut: "Commands:"},
		{name: "version", args: []string{"version"}, wantOut: "cocoon "},
		{name: "no command", args: nil, wantErr: true, wantCode: 2},
		{name: "unknown", args: []string{"frobnicate"}, wantErr: true, wantCode: 2},
		{name: "version with args", args: []string{"version", "x"}, wantErr: true, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(tt.args, &out, &errOut)
			if (err != nil) != tt.wantErr {
				t.Fatalf("run(%q) error = %v, want error %v", tt.args, err, tt.wantErr)
			}
			if err != nil && exitCode(err) != tt.wantCode {
				t.Errorf("exit code = %d, want %d", exitCode(err), tt.wantCode)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("stdout = %q, want it to contain %q", out.String(), tt.wantOut)
			}
		})
	}
}

func exitCode(err error) int { return cli.ExitCode(err) }

// runCmd runs cocoon with args and returns stdout and stderr together.
func runCmd(t testing.TB, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(args, &out, &errOut)
	return out.String() + errOut.String(), err
}
