// Package configtest runs the cases of the roles' config tables: each
// role's ParseConfig, given a JSON document, either refuses it with an
// error that names the cause, or fills in its defaults.
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
