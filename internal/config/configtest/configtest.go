// Package configtest runs the cases of the roles' config tables: each
// role's ParseConfig, given a JSON document, either refuses it with an
// error that names the cause, or fills in its defaults; and loads the
// config files a test's nodes were given (Load).
package configtest

import (
	"strings"
	"testing"
)

// Parse parses raw with parse. With wantErr it wants an error mentioning
// wantErr and returns false; without, it fails the test on an error and
// returns the config and true, for the case to check.
func Parse[C any](t *testing.T, parse func([]byte) (C, error), raw, wantErr string) (C, bool) {
	t.Helper()
	c, err := parse([]byte(raw))
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("ParseConfig error = %v, want one mentioning %q", err, wantErr)
		}
		return c, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return c, true
}

// Load loads the config file at path with load, a role's LoadConfig,
// failing the test when it cannot.
func Load[C any](t testing.TB, load func(path string) (C, error), path string) C {
	t.Helper()
	c, err := load(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
