package vendorcache

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var errUnavailable = errors.New("test vendor unavailable")

func TestGet(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/doc":
			w.Header().Set("X-Issuer-Chain", "chain")
			w.Write([]byte("12345678"))
		case "/big":
			w.Write(make([]byte, 9))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	header, body, err := Get(ctx, srv.Client(), srv.URL+"/doc", 8, errUnavailable)
	if err != nil || string(body) != "12345678" || header.Get("X-Issuer-Chain") != "chain" {
		t.Errorf("got %q, header %v, %v; want the body and its header", body, header, err)
	}
	if _, _, err := Get(ctx, srv.Client(), srv.URL+"/absent", 8, errUnavailable); !errors.Is(err, errUnavailable) {
		t.Errorf("404: got %v, want %v", err, errUnavailable)
	}
	if _, _, err := Get(ctx, srv.Client(), srv.URL+"/big", 8, errUnavailable); err == nil {
		t.Error("9 bytes with a limit of 8: got nil error, want a refusal")
	}
}

func TestMemory(t *testing.T) {
	now := time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
	var m Memory
	if _, ok := m.Get("a", now); ok {
		t.Error("zero memory: got a response, want none")
	}
	m.Put(Response{URL: "a", Body: []byte("A"), Expires: now.Add(time.Hour)}, 2)
	if r, ok := m.Get("a", now); !ok || string(r.Body) != "A" {
		t.Errorf("got %q, %v; want A", r.Body, ok)
	}
	if _, ok := m.Get("a", now.Add(time.Hour)); ok {
		t.Error("at its expiry: got the response, want none")
	}
	m.Put(Response{URL: "b", Expires: now.Add(time.Hour)}, 2)
	m.Put(Response{URL: "c", Expires: now.Add(time.Hour)}, 2)
	if _, ok := m.Get("a", now); ok {
		t.Error("after filling the memory: got a, want it emptied")
	}
	if _, ok := m.Get("c", now); !ok {
		t.Error("after filling the memory: got no c, want the latest kept")
	}
}

func TestDisk(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	want := Response{URL: "https://vendor.example/doc", Header: map[string][]string{"A": {"b"}}, Body: []byte("doc"),
		Expires: time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)}
	if err := Write(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir, want.URL)
	if err != nil || got.URL != want.URL || string(got.Body) != "doc" || got.Header["A"][0] != "b" || !got.Expires.Equal(want.Expires) {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
	if _, err := Read(dir, "https://vendor.example/absent"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent: got %v, want %v", err, os.ErrNotExist)
	}
	// A file under another URL's name is refused.
	if err := os.Rename(file(dir, want.URL), file(dir, "https://vendor.example/other")); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir, "https://vendor.example/other"); err == nil {
		t.Error("file holding another URL: got nil error, want a refusal")
	}
}
