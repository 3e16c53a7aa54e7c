// Package boltstore keeps the proxy's ledger (package store) in a bbolt
// file: the production backend, which only the composition of a proxy
// with a db_path links.
package boltstore

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/cocoon-go/cocoon/internal/store"
)

// ledgerBucket holds every key of the store.
var ledgerBucket = []byte("ledger")

// backend is a store.Backend in a bbolt file. Each Update is one bbolt
// read-write transaction, which bbolt commits atomically and syncs to
// disk before it returns, so a crash leaves either the whole flush or
// none of it.
type backend struct {
	db *bolt.DB
}

var _ store.Backend = (*backend)(nil)

// Open opens (creating if needed) the ledger file at path, signing and
// verifying with key. It gives up after lockTimeout if another process
// holds the file.
func Open(path string, key ed25519.PrivateKey, lockTimeout time.Duration) (*store.Ledger, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("opening store: private key has %d bytes, want %d", len(key), ed25519.PrivateKeySize)
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
	l, err := store.Open(&backend{db: db}, key)
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return l, nil
}

func (b *backend) Values() (map[string][]byte, error) {
	values := map[string][]byte{}
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(ledgerBucket).ForEach(func(k, v []byte) error {
			values[string(k)] = append([]byte(nil), v...)
			return nil
		})
	})
	if err != nil {
		return nil, closedErr(err)
	}
	return values, nil
}

func (b *backend) Get(key string) ([]byte, error) {
	var v []byte
	err := b.db.View(func(tx *bolt.Tx) error {
		if got := tx.Bucket(ledgerBucket).Get([]byte(key)); len(got) > 0 {
			v = append([]byte(nil), got...)
		}
		return nil
	})
	if err != nil {
		return nil, closedErr(err)
	}
	return v, nil
}

func (b *backend) Update(key string, fn func(current []byte) (map[string][]byte, error)) error {
	err := b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(ledgerBucket)
		var current []byte
		if got := bk.Get([]byte(key)); got != nil {
			current = append([]byte(nil), got...)
		}
		batch, err := fn(current)
		if err != nil {
			return err
		}
		for k, v := range batch {
			if err := bk.Put([]byte(k), v); err != nil {
				return fmt.Errorf("writing record %q: %w", k, err)
			}
		}
		return nil
	})
	return closedErr(err)
}

func (b *backend) Close() error {
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("closing ledger file: %w", err)
	}
	return nil
}

// closedErr maps bbolt's closed-database error to store.ErrClosed.
func closedErr(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return fmt.Errorf("%w: %w", store.ErrClosed, err)
	}
	return err
}
