package store

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/cocoon-go/cocoon/internal/billing"
)

// ledgerBucket holds every key of the store.
var ledgerBucket = []byte("ledger")

// Bolt is a Store in a bbolt file. Each Save is one bbolt read-write
// transaction, which bbolt commits atomically and syncs to disk before
// Save returns, so a crash leaves either the whole flush or none of it.
type Bolt struct {
	db     *bolt.DB
	signer signer
}

var _ Store = (*Bolt)(nil)

// OpenBolt opens (creating if needed) the ledger file at path, signing and
// verifying with key. It gives up after lockTimeout if another process
// holds the file.
func OpenBolt(path string, key ed25519.PrivateKey, lockTimeout time.Duration) (*Bolt, error) {
	s, err := newSigner(key)
	if err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return nil, fmt.Errorf("opening ledger file %s: %w", path, lockedError(path, err))
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(ledgerBucket)
		return err
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("creating ledger bucket in %s: %w", path, err), db.Close())
	}
	return &Bolt{db: db, signer: s}, nil
}

// Load implements Store.
func (b *Bolt) Load(ctx context.Context) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, fmt.Errorf("loading ledger: %w", err)
	}
	values := map[string][]byte{}
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(ledgerBucket).ForEach(func(k, v []byte) error {
			values[string(k)] = append([]byte(nil), v...)
			return nil
		})
	})
	if err != nil {
		return State{}, fmt.Errorf("loading ledger: %w", closedErr(err))
	}
	return loadValues(b.signer, values)
}

// Save implements Store.
func (b *Bolt) Save(ctx context.Context, f billing.Flush) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("saving flush %d: %w", f.Seqno, err)
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(ledgerBucket)
		var seqno, chainSeqno uint32
		if v := bk.Get([]byte(configKey)); v != nil {
			var err error
			if seqno, chainSeqno, err = b.signer.openConfig(v); err != nil {
				return err
			}
		}
		if err := checkFlush(f, seqno, chainSeqno); err != nil {
			return err
		}
		for _, r := range f.Records {
			k, v, err := b.signer.sealRecord(r)
			if err != nil {
				return err
			}
			if err := bk.Put([]byte(k), v); err != nil {
				return fmt.Errorf("writing record %q: %w", k, err)
			}
		}
		return bk.Put([]byte(configKey), b.signer.sealConfig(f.Seqno, f.ChainSeqno))
	})
	if err != nil {
		return fmt.Errorf("saving flush %d: %w", f.Seqno, closedErr(err))
	}
	return nil
}

// ProxyContract implements Store.
func (b *Bolt) ProxyContract(ctx context.Context) (string, error) {
	v, err := b.record(ctx, contractKey, "reading the proxy contract")
	if err != nil || v == nil {
		return "", err
	}
	return b.signer.openContract(v)
}

// SetProxyContract implements Store.
func (b *Bolt) SetProxyContract(ctx context.Context, addr string) error {
	v, err := b.signer.sealContract(addr)
	if err != nil {
		return err
	}
	return b.setRecord(ctx, contractKey, v, "recording the proxy contract")
}

// WindingContracts implements Store.
func (b *Bolt) WindingContracts(ctx context.Context) ([]string, error) {
	v, err := b.record(ctx, windingKey, "reading the proxy contracts being wound down")
	if err != nil || v == nil {
		return nil, err
	}
	return b.signer.openWinding(v)
}

// SetWindingContracts implements Store.
func (b *Bolt) SetWindingContracts(ctx context.Context, addrs []string) error {
	v, err := b.signer.sealWinding(addrs)
	if err != nil {
		return err
	}
	return b.setRecord(ctx, windingKey, v, "recording the proxy contracts being wound down")
}

// record reads the sealed record under key in the ledger bucket: a copy,
// or nil when there is none. what names the operation in errors.
func (b *Bolt) record(ctx context.Context, key, what string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var v []byte
	err := b.db.View(func(tx *bolt.Tx) error {
		if got := tx.Bucket(ledgerBucket).Get([]byte(key)); len(got) > 0 {
			v = append([]byte(nil), got...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, closedErr(err))
	}
	return v, nil
}

// setRecord writes the sealed record v under key in the ledger bucket.
func (b *Bolt) setRecord(ctx context.Context, key string, v []byte, what string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(ledgerBucket).Put([]byte(key), v)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, closedErr(err))
	}
	return nil
}

// Close implements Store.
func (b *Bolt) Close() error {
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("closing ledger file: %w", err)
	}
	return nil
}

// closedErr maps bbolt's closed-database error to ErrClosed.
func closedErr(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return err
}
