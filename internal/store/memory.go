package store

import (
	"crypto/ed25519"
	"maps"
	"slices"
	"sync"
)

// MemoryFile is storage in memory: sealed values by key. It outlives the
// ledgers opened on it, as a file outlives a process, so tests and devnet
// can restart a proxy on the same ledger. It is safe for concurrent use.
type MemoryFile struct {
	mu     sync.Mutex // guards values
	values map[string][]byte
}

// NewMemoryFile returns empty storage.
func NewMemoryFile() *MemoryFile {
	return &MemoryFile{values: map[string][]byte{}}
}

// OpenMemory opens a ledger on f, encoded and signed exactly as in a
// bbolt file, signing and verifying with key. Closing it leaves f as it
// is, for the next ledger opened on it.
func OpenMemory(f *MemoryFile, key ed25519.PrivateKey) (*Ledger, error) {
	return Open(&memoryBackend{file: f}, key)
}

// memoryBackend is one opening of a MemoryFile.
type memoryBackend struct {
	file *MemoryFile

	mu     sync.Mutex // guards closed
	closed bool
}

var _ Backend = (*memoryBackend)(nil)

func (m *memoryBackend) check() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	return nil
}

func (m *memoryBackend) Values() (map[string][]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	m.file.mu.Lock()
	defer m.file.mu.Unlock()
	return maps.Clone(m.file.values), nil
}

func (m *memoryBackend) Get(key string) ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	m.file.mu.Lock()
	defer m.file.mu.Unlock()
	return slices.Clone(m.file.values[key]), nil
}

func (m *memoryBackend) Update(key string, fn func(current []byte) (map[string][]byte, error)) error {
	if err := m.check(); err != nil {
		return err
	}
	m.file.mu.Lock()
	defer m.file.mu.Unlock()
	batch, err := fn(slices.Clone(m.file.values[key]))
	if err != nil {
		return err
	}
	maps.Copy(m.file.values, batch)
	return nil
}

func (m *memoryBackend) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}
