package store

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/cocoon-go/cocoon/internal/billing"
)

// MemoryFile is the storage behind Memory stores: sealed values by key.
// It outlives the stores opened on it, as a file outlives a process, so
// tests and devnet can restart a proxy on the same ledger. It is safe for
// concurrent use.
type MemoryFile struct {
	mu     sync.Mutex // guards values
	values map[string][]byte
}

// NewMemoryFile returns empty storage.
func NewMemoryFile() *MemoryFile {
	return &MemoryFile{values: map[string][]byte{}}
}

// Memory is a Store kept in a MemoryFile, encoded and signed exactly as
// the bbolt store does.
type Memory struct {
	file   *MemoryFile
	signer signer

	mu     sync.Mutex // guards closed
	closed bool
}

var _ Store = (*Memory)(nil)

// OpenMemory opens a store on f, signing and verifying with key.
func OpenMemory(f *MemoryFile, key ed25519.PrivateKey) (*Memory, error) {
	s, err := newSigner(key)
	if err != nil {
		return nil, err
	}
	return &Memory{file: f, signer: s}, nil
}

func (m *Memory) check(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	return ctx.Err()
}

// Load implements Store.
func (m *Memory) Load(ctx context.Context) (State, error) {
	if err := m.check(ctx); err != nil {
		return State{}, fmt.Errorf("loading ledger: %w", err)
	}
	m.file.mu.Lock()
	values := maps.Clone(m.file.values)
	m.file.mu.Unlock()
	return loadValues(m.signer, values)
}

// loadValues verifies and decodes a snapshot of stored values.
func loadValues(s signer, values map[string][]byte) (State, error) {
	var st State
	if v, ok := values[configKey]; ok {
		var err error
		if st.Seqno, st.ChainSeqno, err = s.openConfig(v); err != nil {
			return State{}, fmt.Errorf("loading ledger: %w", err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if k == configKey || k == contractKey || k == windingKey {
			continue
		}
		r, err := s.openRecord(k, values[k])
		if err != nil {
			return State{}, fmt.Errorf("loading ledger: %w", err)
		}
		if r.Seqno > st.Seqno {
			return State{}, fmt.Errorf("loading ledger: record %q written at seqno %d after the stored %d: %w", k, r.Seqno, st.Seqno, ErrCorrupt)
		}
		st.Records = append(st.Records, r)
	}
	if len(st.Records) > 0 && values[configKey] == nil {
		return State{}, fmt.Errorf("loading ledger: %w: %w", ErrCorrupt, errNoConfig)
	}
	sortRecords(st.Records)
	return st, nil
}

// Save implements Store.
func (m *Memory) Save(ctx context.Context, f billing.Flush) error {
	if err := m.check(ctx); err != nil {
		return fmt.Errorf("saving flush %d: %w", f.Seqno, err)
	}
	m.file.mu.Lock()
	defer m.file.mu.Unlock()
	var seqno, chainSeqno uint32
	if v, ok := m.file.values[configKey]; ok {
		var err error
		if seqno, chainSeqno, err = m.signer.openConfig(v); err != nil {
			return fmt.Errorf("saving flush %d: %w", f.Seqno, err)
		}
	}
	if err := checkFlush(f, seqno, chainSeqno); err != nil {
		return err
	}
	batch := make(map[string][]byte, len(f.Records)+1)
	for _, r := range f.Records {
		k, v, err := m.signer.sealRecord(r)
		if err != nil {
			return fmt.Errorf("saving flush %d: %w", f.Seqno, err)
		}
		batch[k] = v
	}
	batch[configKey] = m.signer.sealConfig(f.Seqno, f.ChainSeqno)
	maps.Copy(m.file.values, batch)
	return nil
}

// Close implements Store.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// ProxyContract implements Store.
func (m *Memory) ProxyContract(ctx context.Context) (string, error) {
	if err := m.check(ctx); err != nil {
		return "", fmt.Errorf("reading the proxy contract: %w", err)
	}
	m.file.mu.Lock()
	v, ok := m.file.values[contractKey]
	m.file.mu.Unlock()
	if !ok {
		return "", nil
	}
	return m.signer.openContract(v)
}

// SetProxyContract implements Store.
func (m *Memory) SetProxyContract(ctx context.Context, addr string) error {
	if err := m.check(ctx); err != nil {
		return fmt.Errorf("recording the proxy contract: %w", err)
	}
	v, err := m.signer.sealContract(addr)
	if err != nil {
		return err
	}
	m.file.mu.Lock()
	m.file.values[contractKey] = v
	m.file.mu.Unlock()
	return nil
}

// WindingContracts implements Store.
func (m *Memory) WindingContracts(ctx context.Context) ([]string, error) {
	if err := m.check(ctx); err != nil {
		return nil, fmt.Errorf("reading the proxy contracts being wound down: %w", err)
	}
	m.file.mu.Lock()
	v, ok := m.file.values[windingKey]
	m.file.mu.Unlock()
	if !ok {
		return nil, nil
	}
	return m.signer.openWinding(v)
}

// SetWindingContracts implements Store.
func (m *Memory) SetWindingContracts(ctx context.Context, addrs []string) error {
	if err := m.check(ctx); err != nil {
		return fmt.Errorf("recording the proxy contracts being wound down: %w", err)
	}
	v, err := m.signer.sealWinding(addrs)
	if err != nil {
		return err
	}
	m.file.mu.Lock()
	m.file.values[windingKey] = v
	m.file.mu.Unlock()
	return nil
}
