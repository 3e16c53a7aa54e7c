package configtest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.json")
	if err := os.WriteFile(path, []byte(`{"a":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var loaded string
	got := Load(t, func(p string) (string, error) {
		loaded = p
		b, err := os.ReadFile(p)
		return string(b), err
	}, path)
	if loaded != path || got != `{"a":1}` {
		t.Errorf("got %q loaded from %q, want the file's content from %q", got, loaded, path)
	}
}
