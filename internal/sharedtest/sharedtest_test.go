package sharedtest

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPathFindsModel(t *testing.T) {
	p := Path(t, "models/stories260K.gguf")
	st, err := os.Stat(p)
	if err != nil {
		t.Fatalf("stat %s: %v", p, err)
	}
	if st.Size() != 1185376 {
		t.Errorf("size of %s = %d, want 1185376", p, st.Size())
	}
}

func TestReferencesMatch(t *testing.T) {
	files := References(t, "*.boc")
	if len(files) == 0 {
		t.Fatal("got no reference payments, want the captured BoCs")
	}
	for _, f := range files {
		if filepath.Ext(f) != ".boc" || filepath.Dir(f) != Path(t, "testdata/reference") {
			t.Errorf("got %s, want a .boc file of testdata/reference", f)
		}
	}
}

func TestLog(t *testing.T) {
	var l Log
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				if n, err := l.Write([]byte("line\n")); n != 5 || err != nil {
					t.Errorf("Write = %d, %v, want 5, nil", n, err)
				}
			}
		})
	}
	wg.Wait()
	if got := strings.Count(l.String(), "line\n"); got != 400 {
		t.Errorf("the log holds %d lines, want 400", got)
	}
	big := make([]byte, logLimit)
	l.Write(big)
	l.Write([]byte("past the limit"))
	if s := l.String(); strings.Contains(s, "past the limit") || !strings.HasSuffix(s, "[14 more bytes dropped]") {
		t.Errorf("a log past its limit ends %q, want what came after dropped and counted", s[len(s)-40:])
	}
}

func TestClock(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	c := NewClock(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("got %v, want %v", got, start)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { c.Advance(time.Second) })
	}
	wg.Wait()
	if got, want := c.Now(), start.Add(4*time.Second); !got.Equal(want) {
		t.Errorf("after four advances of a second: got %v, want %v", got, want)
	}
	var zero Clock
	if got := zero.Now(); !got.IsZero() {
		t.Errorf("zero clock: got %v, want the zero time", got)
	}
}
