package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadKeyFile(t *testing.T) {
	seed := bytes.Repeat([]byte{9}, ed25519.SeedSize)
	key := ed25519.NewKeyFromSeed(seed)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))
	mismatched := append(append([]byte{}, seed...), other.Public().(ed25519.PublicKey)...)
	tests := []struct {
		name    string
		content string
		want    string // empty: the key loads
	}{
		{"hex seed", hex.EncodeToString(seed) + "\n", ""},
		{"upper-case hex seed", strings.ToUpper(hex.EncodeToString(seed)), ""},
		{"base64 seed", base64.StdEncoding.EncodeToString(seed), ""},
		{"unpadded base64 seed", base64.RawStdEncoding.EncodeToString(seed), ""},
		{"hex private key", hex.EncodeToString(key), ""},
		{"mismatched private key", hex.EncodeToString(mismatched), "does not match"},
		{"short seed", hex.EncodeToString(seed[:31]), "32 bytes"},
		{"not a key", "correct horse battery staple", "32 bytes"},
		{"empty", "", "32 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := loadKeyFile(path)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("loadKeyFile: %v", err)
				}
				if !got.Equal(key) {
					t.Error("got another key than the file's")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), hex.EncodeToString(seed[:8])) {
				t.Errorf("the error %q shows the key", err)
			}
		})
	}
}
