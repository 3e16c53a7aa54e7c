package obs

import (
	"runtime"
	"strings"
	"testing"
)

func TestBuildVersion(t *testing.T) {
	// A revision is cut to 12 hex digits.
	got := BuildVersion("v1.2.3", "0123456789abcdef")
	if want := "v1.2.3 0123456789ab " + runtime.Version(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := BuildVersion("", ""); !strings.HasSuffix(got, runtime.Version()) {
		t.Errorf("without make build's values: got %q, want the toolchain's version at the end", got)
	}
}
