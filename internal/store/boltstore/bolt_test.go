package boltstore_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/store"
	"github.com/cocoon-go/cocoon/internal/store/boltstore"
	"github.com/cocoon-go/cocoon/internal/store/storetest"
)

func TestBoltConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "ledger.db")
		return func(key ed25519.PrivateKey) (store.Store, error) { return boltstore.Open(path, key, time.Second) }
	})
}

// TestBoltTampered flips one byte of each stored value in turn and checks
// that loading fails with an error naming the key.
func TestBoltTampered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := boltstore.Open(path, storetest.Key, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	f := billing.Flush{Seqno: 1, Records: []billing.Record{
		{Kind: billing.KindClient, Address: "0:aa", Owner: "o", Tokens: 5, Seqno: 1},
		{Kind: billing.KindWorker, Address: "0:bb", Owner: "o", Tokens: 5, Seqno: 1},
	}}
	if err := s.Save(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"config", "client_0:aa", "worker_0:bb"} {
		t.Run(key, func(t *testing.T) {
			flip(t, path, key, 3)
			s, err := boltstore.Open(path, storetest.Key, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Load(context.Background())
			if cerr := s.Close(); cerr != nil {
				t.Fatal(cerr)
			}
			if !errors.Is(err, store.ErrTampered) {
				t.Fatalf("Load = %v, want ErrTampered", err)
			}
			if !strings.Contains(err.Error(), `"`+key+`"`) {
				t.Errorf("error %q does not name key %q", err, key)
			}
			flip(t, path, key, 3) // restore for the next case
		})
	}
}

func flip(t *testing.T, path, key string, at int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("ledger"))
		v := append([]byte(nil), b.Get([]byte(key))...)
		if len(v) <= at {
			return errors.New("value too short to flip")
		}
		v[at] ^= 0x01
		return b.Put([]byte(key), v)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBoltLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := boltstore.Open(path, storetest.Key, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := boltstore.Open(path, storetest.Key, 50*time.Millisecond); err == nil {
		t.Error("opening a file another store holds succeeded, want an error")
	}
}

func TestOpenRefusesShortKey(t *testing.T) {
	if _, err := boltstore.Open(filepath.Join(t.TempDir(), "x.db"), nil, time.Second); err == nil {
		t.Error("Open without a key succeeded")
	}
}

func BenchmarkBoltSave(b *testing.B) {
	s, err := boltstore.Open(filepath.Join(b.TempDir(), "ledger.db"), storetest.Key, time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	recs := make([]billing.Record, 100)
	b.ReportAllocs()
	seq := uint32(0)
	for b.Loop() {
		seq++
		for i := range recs {
			recs[i] = billing.Record{Kind: billing.KindClient, Address: "0:" + strings.Repeat("a", 60) + string(rune('a'+i%26)) + string(rune('a'+i/26)), Owner: "owner", Tokens: int64(seq), Seqno: seq}
		}
		if err := s.Save(context.Background(), billing.Flush{Seqno: seq, Records: recs}); err != nil {
			b.Fatal(err)
		}
	}
}
