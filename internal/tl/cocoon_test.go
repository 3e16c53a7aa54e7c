package tl

import (
	"bytes"
	"os"
	"testing"

	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

func TestCocoonCancelQuery(t *testing.T) {
	// The id is the CRC32 of the declaration, fixed once peers speak it.
	if CocoonCancelQueryID != 0x65f4e9e4 {
		t.Errorf("cocoon.cancelQuery id = %#08x, want %#08x", CocoonCancelQueryID, 0x65f4e9e4)
	}
	in := &CocoonCancelQuery{RequestID: [32]byte{1, 2, 3, 31: 0xff}}
	b := Marshal(in)
	obj, err := Unmarshal(b)
	if err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	out, ok := obj.(*CocoonCancelQuery)
	if !ok || out.RequestID != in.RequestID {
		t.Errorf("round trip gave %#v, want %#v", obj, in)
	}
	if _, err := Unmarshal(b[:len(b)-1]); err == nil {
		t.Error("Unmarshal of a truncated cancel succeeded")
	}
}

// TestOwnConstructorsAreNotReferences checks that our ids clash with no
// constructor of the reference schema.
func TestOwnConstructorsAreNotReferences(t *testing.T) {
	src, err := os.ReadFile(sharedtest.Path(t, "reference/cocoon_api.tl"))
	if err != nil {
		t.Fatal(err)
	}
	for name, id := range schemaIDs(t, string(src)) {
		if ownConstructors[id] {
			t.Errorf("own constructor %#08x has the id of the reference's %s", id, name)
		}
	}
}

func FuzzCocoonCancelQuery(f *testing.F) {
	f.Add(Marshal(&CocoonCancelQuery{RequestID: [32]byte{7}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m CocoonCancelQuery
		if UnmarshalAs(b, &m) != nil {
			return
		}
		enc := Marshal(&m)
		var again CocoonCancelQuery
		if err := UnmarshalAs(enc, &again); err != nil {
			t.Fatalf("re-decoding %x: %v", enc, err)
		}
		if again != m || !bytes.Equal(Marshal(&again), enc) {
			t.Fatalf("round trip changed %#v to %#v", m, again)
		}
	})
}
