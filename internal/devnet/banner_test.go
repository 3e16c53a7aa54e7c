package devnet

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFindModel(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.gguf", "a.gguf", "c.txt"} {
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	t.Setenv("COCOON_MODEL", dir)
	got, err := FindModel()
	if err != nil || got != filepath.Join(dir, "a.gguf") {
		t.Errorf("FindModel in a directory = %q, %v; want a.gguf", got, err)
	}
	t.Setenv("COCOON_MODEL", filepath.Join(dir, "b.gguf"))
	if got, err := FindModel(); err != nil || got != filepath.Join(dir, "b.gguf") {
		t.Errorf("FindModel of a file = %q, %v; want b.gguf", got, err)
	}
}
