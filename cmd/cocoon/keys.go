package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// loadKeyFile reads an Ed25519 key file: the 32-byte seed, or the 64-byte
// private key (seed and public key), in hex or base64. The key's bytes
// never appear in an error.
func loadKeyFile(path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	text := strings.TrimSpace(string(raw))
	var b []byte
	if h, err := hex.DecodeString(text); err == nil {
		b = h
	} else {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if d, err := enc.DecodeString(text); err == nil {
				b = d
				break
			}
		}
	}
	switch len(b) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(b), nil
	case ed25519.PrivateKeySize:
		key := ed25519.NewKeyFromSeed(b[:ed25519.SeedSize])
		if !key.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(b[ed25519.SeedSize:])) {
			return nil, fmt.Errorf("reading key file %s: its public half does not match its seed", path)
		}
		return key, nil
	}
	return nil, fmt.Errorf("reading key file %s: want an Ed25519 seed of 32 bytes (or a 64-byte private key) in hex or base64", path)
}
