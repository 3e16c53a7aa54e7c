package store

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"maps"
	"slices"

	"github.com/cocoon-go/cocoon/internal/billing"
)

// Backend is the storage under a Ledger: sealed values by key. Its
// implementations are MemoryFile's (OpenMemory) and the bbolt file of
// package store/boltstore. After Close every call fails with ErrClosed.
type Backend interface {
	// Values returns a copy of every stored value, by key, as one
	// consistent view.
	Values() (map[string][]byte, error)
	// Get returns a copy of the value under key; nil when there is none.
	Get(key string) ([]byte, error)
	// Update reads the value under key (nil when there is none) and
	// writes the values fn returns for it, in one step that lands whole
	// or not at all: nothing is written when fn fails.
	Update(key string, fn func(current []byte) (map[string][]byte, error)) error
	// Close releases the storage.
	Close() error
}

// Ledger is a Store over a Backend: it seals every value it writes with
// the proxy's key and verifies every value it reads.
type Ledger struct {
	b      Backend
	signer signer
}

var _ Store = (*Ledger)(nil)

// Open returns the ledger kept in b, signing and verifying with key.
func Open(b Backend, key ed25519.PrivateKey) (*Ledger, error) {
	s, err := newSigner(key)
	if err != nil {
		return nil, err
	}
	return &Ledger{b: b, signer: s}, nil
}

// Load implements Store.
func (l *Ledger) Load(ctx context.Context) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, fmt.Errorf("loading ledger: %w", err)
	}
	values, err := l.b.Values()
	if err != nil {
		return State{}, fmt.Errorf("loading ledger: %w", err)
	}
	return loadValues(l.signer, values)
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
func (l *Ledger) Save(ctx context.Context, f billing.Flush) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("saving flush %d: %w", f.Seqno, err)
	}
	err := l.b.Update(configKey, func(current []byte) (map[string][]byte, error) {
		var seqno, chainSeqno uint32
		if current != nil {
			var err error
			if seqno, chainSeqno, err = l.signer.openConfig(current); err != nil {
				return nil, err
			}
		}
		if err := checkFlush(f, seqno, chainSeqno); err != nil {
			return nil, err
		}
		batch := make(map[string][]byte, len(f.Records)+1)
		for _, r := range f.Records {
			k, v, err := l.signer.sealRecord(r)
			if err != nil {
				return nil, err
			}
			batch[k] = v
		}
		batch[configKey] = l.signer.sealConfig(f.Seqno, f.ChainSeqno)
		return batch, nil
	})
	if err != nil {
		return fmt.Errorf("saving flush %d: %w", f.Seqno, err)
	}
	return nil
}

// ProxyContract implements Store.
func (l *Ledger) ProxyContract(ctx context.Context) (string, error) {
	v, err := l.get(ctx, contractKey, "reading the proxy contract")
	if err != nil || v == nil {
		return "", err
	}
	return l.signer.openContract(v)
}

// SetProxyContract implements Store.
func (l *Ledger) SetProxyContract(ctx context.Context, addr string) error {
	v, err := l.signer.sealContract(addr)
	if err != nil {
		return err
	}
	return l.put(ctx, contractKey, v, "recording the proxy contract")
}

// WindingContracts implements Store.
func (l *Ledger) WindingContracts(ctx context.Context) ([]string, error) {
	v, err := l.get(ctx, windingKey, "reading the proxy contracts being wound down")
	if err != nil || v == nil {
		return nil, err
	}
	return l.signer.openWinding(v)
}

// SetWindingContracts implements Store.
func (l *Ledger) SetWindingContracts(ctx context.Context, addrs []string) error {
	v, err := l.signer.sealWinding(addrs)
	if err != nil {
		return err
	}
	return l.put(ctx, windingKey, v, "recording the proxy contracts being wound down")
}

// get reads the sealed value under key: nil when there is none. what
// names the operation in errors.
func (l *Ledger) get(ctx context.Context, key, what string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	v, err := l.b.Get(key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// put writes the sealed value v under key.
func (l *Ledger) put(ctx context.Context, key string, v []byte, what string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	err := l.b.Update(key, func([]byte) (map[string][]byte, error) { return map[string][]byte{key: v}, nil })
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Close implements Store.
func (l *Ledger) Close() error { return l.b.Close() }
