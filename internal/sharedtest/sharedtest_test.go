package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
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
