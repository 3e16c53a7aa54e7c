package store_test

import (
	"crypto/ed25519"
	"testing"

	"github.com/cocoon-go/cocoon/internal/store"
	"github.com/cocoon-go/cocoon/internal/store/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		f := store.NewMemoryFile()
		return func(key ed25519.PrivateKey) (store.Store, error) { return store.OpenMemory(f, key) }
	})
}

func TestOpenRefusesShortKey(t *testing.T) {
	if _, err := store.OpenMemory(store.NewMemoryFile(), storetest.Key[:8]); err == nil {
		t.Error("OpenMemory with a short key succeeded")
	}
}
