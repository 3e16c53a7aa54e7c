package tl

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

// TestReferenceFixturesRoundTrip decodes every object that the C++
// reference sent (../shared/testdata/reference, see its README.md) and
// checks that re-encoding gives its bytes back exactly, for the object and
// for the http.request or http.response nested in its query or answer.
func TestReferenceFixturesRoundTrip(t *testing.T) {
	files := sharedtest.References(t, "*.bin")
	if len(files) < 60 {
		t.Fatalf("found %d fixtures in testdata/reference, want at least 60", len(files))
	}
	nested := 0
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			o, err := Unmarshal(b)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			// The file is named after the constructor it holds.
			if want := strings.TrimSuffix(name[strings.LastIndex(name, "-")+1:], ".bin"); Name(o.TLID()) != want {
				t.Errorf("decoded a %s, the file name says %s", Name(o.TLID()), want)
			}
			if got := Marshal(o); !bytes.Equal(got, b) {
				t.Errorf("re-encoding differs:\n got %x\nwant %x", got, b)
			}
			var inner []byte
			switch m := o.(type) {
			case *ClientRunQueryEx:
				inner = m.Query
			case *ProxyRunQueryEx:
				inner = m.Query
			case *ClientQueryAnswerEx:
				inner = m.Answer
			case *ProxyQueryAnswerEx:
				inner = m.Answer
			default:
				return
			}
			io, err := Unmarshal(inner)
			if err != nil {
				t.Fatalf("Unmarshal of the nested object: %v", err)
			}
			switch io.(type) {
			case *HTTPRequest, *HTTPResponse:
			default:
				t.Errorf("nested object is a %s, want http.request or http.response", Name(io.TLID()))
			}
			if got := Marshal(io); !bytes.Equal(got, inner) {
				t.Errorf("re-encoding of the nested %s differs:\n got %x\nwant %x", Name(io.TLID()), got, inner)
			}
			nested++
		})
	}
	if nested < 16 {
		t.Errorf("checked %d nested http objects, want at least 16", nested)
	}
}
