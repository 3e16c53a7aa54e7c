package tl

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

// TestReferenceFixtures decodes every TL object the reference sent in
// the captures of ../shared/testdata/reference (the .bin files): each is
// the constructor its name says, and re-encodes to the same bytes, and so
// do the http.request and http.response nested in queries and answers,
// and the signed payment BoC extracted beside it (.boc).
func TestReferenceFixtures(t *testing.T) {
	dir := sharedtest.Path(t, "testdata/reference")
	files, err := filepath.Glob(filepath.Join(dir, "*.bin"))
	if err != nil || len(files) != 64 {
		t.Fatalf("found %d reference objects (%v), want 64", len(files), err)
	}
	nested := 0
	for _, f := range files {
		name := filepath.Base(f)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := Unmarshal(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		// <scenario>-<role>-<peer>-<seq>-<constructor>.bin
		parts := strings.SplitN(strings.TrimSuffix(name, ".bin"), "-", 5)
		if got := Name(obj.TLID()); len(parts) != 5 || got != parts[4] {
			t.Errorf("%s decodes as %s", name, got)
		}
		if again := Marshal(obj); !bytes.Equal(again, b) {
			t.Errorf("%s re-encodes differently", name)
		}
		var inner []byte
		var into Object
		switch m := obj.(type) {
		case *ClientRunQueryEx:
			inner, into = m.Query, new(HTTPRequest)
		case *ProxyRunQueryEx:
			inner, into = m.Query, new(HTTPRequest)
		case *ClientQueryAnswerEx:
			inner, into = m.Answer, new(HTTPResponse)
		case *ProxyQueryAnswerEx:
			inner, into = m.Answer, new(HTTPResponse)
		}
		if into != nil {
			nested++
			if err := UnmarshalAs(inner, into); err != nil {
				t.Errorf("%s: nested %T: %v", name, into, err)
			} else if again := Marshal(into); !bytes.Equal(again, inner) {
				t.Errorf("%s: nested %T re-encodes differently", name, into)
			}
		}
		if boc, err := os.ReadFile(strings.TrimSuffix(f, ".bin") + ".boc"); err == nil {
			if !bytes.Contains(b, boc) {
				t.Errorf("%s does not carry the BoC of its .boc", name)
			}
		}
	}
	if nested != 16 {
		t.Errorf("decoded %d nested http objects, want 16", nested)
	}
}
