package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cocoon-go/cocoon/internal/engine/gguf"
)

func TestLoadPath(t *testing.T) {
	data := synthGGUF(t, 7, gguf.TensorF32)
	sum := sha256.Sum256(data)
	pin := hex.EncodeToString(sum[:])
	file := filepath.Join(t.TempDir(), "tiny.gguf")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(context.Background(), file, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "tiny" || m.SHA256() != pin {
		t.Errorf("got name %q sha256 %s, want tiny %s", m.Name(), m.SHA256(), pin)
	}
	if _, err := Load(context.Background(), file+"#sha256="+pin, "", nil); err != nil {
		t.Errorf("loading with the right pin: %v", err)
	}
	wrong := strings.Repeat("0", 64)
	if _, err := Load(context.Background(), file+"#sha256="+wrong, "", nil); err == nil {
		t.Error("loading with a wrong pin: got no error")
	}
	if _, err := Load(context.Background(), filepath.Join(t.TempDir(), "absent.gguf"), "", nil); err == nil {
		t.Error("loading an absent file: got no error")
	}
}

func TestLoadURL(t *testing.T) {
	data := synthGGUF(t, 8, gguf.TensorF32)
	sum := sha256.Sum256(data)
	pin := hex.EncodeToString(sum[:])
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/models/tiny.gguf":
			_, _ = w.Write(data)
		case "/models/corrupt.gguf":
			_, _ = w.Write(data[:len(data)-1])
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cache := t.TempDir()
	var progress bytes.Buffer
	src := srv.URL + "/models/tiny.gguf#sha256=" + pin
	m, err := Load(context.Background(), src, cache, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "tiny" || m.SHA256() != pin {
		t.Errorf("got name %q sha256 %s, want tiny %s", m.Name(), m.SHA256(), pin)
	}
	if !strings.Contains(progress.String(), "downloading tiny.gguf") {
		t.Errorf("got progress %q, want a download bar", progress.String())
	}
	if _, err := Load(context.Background(), src, cache, nil); err != nil {
		t.Fatal(err)
	}
	if got := hits.Load(); got != 1 {
		t.Errorf("got %d downloads, want 1 (the second load reads the cache)", got)
	}

	tests := []struct{ name, src, cache string }{
		{"unpinned", srv.URL + "/models/tiny.gguf", cache},
		{"bad pin", srv.URL + "/models/tiny.gguf#sha256=xyz", cache},
		{"corrupt download", srv.URL + "/models/corrupt.gguf#sha256=" + pin[:60] + "0000", cache},
		{"not found", srv.URL + "/models/none.gguf#sha256=" + pin, t.TempDir()},
		{"no cache dir", srv.URL + "/models/tiny.gguf#sha256=" + pin, ""},
	}
	for _, tt := range tests {
		if _, err := Load(context.Background(), tt.src, tt.cache, nil); err == nil {
			t.Errorf("%s: got no error", tt.name)
		}
	}
	entries, err := os.ReadDir(cache)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("cache holds %d files, want only the verified model", len(entries))
	}
}
