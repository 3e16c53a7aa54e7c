// Package sharedtest holds what the tests of many packages share: it
// locates the reference material that sits in ../shared beside the
// repository (schemas, a real TDX quote, the stories260K model, the bytes
// the reference sent), and checks that a package's tests leave no
// goroutine running (VerifyTestMain); Log collects what nodes write
// concurrently, for a test to search or print; Clock is a time source
// that a test advances. The material is read in place,
// never copied into the repo. A test that needs it is skipped when it is
// absent, except under CI=true, where its absence is a failure.
package sharedtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// Dir returns the shared directory: $COCOON_SHARED if set, otherwise
// ../shared next to the module root found above the working directory.
// It returns "" when neither exists.
func Dir() string {
	if d := os.Getenv("COCOON_SHARED"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
		return ""
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			s := filepath.Join(filepath.Dir(d), "shared")
			if st, err := os.Stat(s); err == nil && st.IsDir() {
				return s
			}
			return ""
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Path returns the path of rel inside the shared directory. When the file
// is missing it skips the test, or fails it when CI=true.
func Path(t testing.TB, rel string) string {
	t.Helper()
	d := Dir()
	if d != "" {
		p := filepath.Join(d, rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := "reference file ../shared/" + rel + " is absent (set COCOON_SHARED to the shared directory)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + ": required under CI=true")
	}
	t.Skip(msg)
	return ""
}

// Reference returns the bytes of one file of testdata/reference, what
// the running C++ reference sent (its README.md and DECODED.txt describe
// each), as Path finds it.
func Reference(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(Path(t, "testdata/reference/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// References returns the paths of the files of testdata/reference whose
// names match pattern (as filepath.Match reads it), sorted, as Path finds
// the directory.
func References(t testing.TB, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(Path(t, "testdata/reference"), pattern))
	if err != nil {
		t.Fatalf("finding reference files %s: %v", pattern, err)
	}
	return files
}

// VerifyTestMain runs a package's tests, then fails them if a goroutine
// they started is still running: a TestMain for the packages that run
// servers and sessions. Idle HTTP keep-alive connections are let be.
func VerifyTestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

// Go runs run in a goroutine with a context of its own, as a test runs a
// node's loop: stop cancels that context and returns once run has
// returned.
func Go(run func(ctx context.Context)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(ctx)
	}()
	return ctx, func() {
		cancel()
		<-done
	}
}
