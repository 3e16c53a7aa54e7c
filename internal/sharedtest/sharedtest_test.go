package sharedtest

import (
	"os"
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
