// Package tltest decodes, for tests, the TL objects the C++ reference
// sent (../shared/testdata/reference): the fixtures the roles' interop
// tests replay and compare their own messages with.
package tltest

import (
	"testing"

	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/tl"
)

// Reference decodes the boxed TL object in the fixture name.
func Reference(t testing.TB, name string) tl.Object {
	t.Helper()
	obj, err := tl.Unmarshal(sharedtest.Reference(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return obj
}
