// Package store owns the proxy's durable ledger: the Store interface the
// proxy flushes its billing records through, and Ledger, its one
// implementation, over a Backend of sealed values: in memory here (for
// tests, and a devnet on fake TON or without a data directory) or in a
// bbolt file (package store/boltstore, for production and a devnet's data
// directory, so that only what composes a proxy with it links bbolt).
// Every record is signed with the proxy's Ed25519 key and verified on
// load; every flush is written as one atomic batch.
package store

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cocoon-go/cocoon/internal/billing"
)

var (
	// ErrStaleSeqno reports a flush whose seqno is not above the stored one.
	ErrStaleSeqno = errors.New("flush seqno is not above the stored seqno")
	// ErrTampered reports a record whose signature does not verify.
	ErrTampered = errors.New("record signature does not verify")
	// ErrCorrupt reports a record that does not decode.
	ErrCorrupt = errors.New("record does not decode")
	// ErrClosed reports use of a closed store.
	ErrClosed = errors.New("store is closed")
)

// State is everything a store holds: the last flush written, the last
// flush confirmed on chain, and every account record, ordered by kind and
// address.
type State struct {
	Seqno      uint32
	ChainSeqno uint32
	Records    []billing.Record
}

// Store keeps the proxy's ledger across restarts.
type Store interface {
	// Load reads and verifies everything stored. A record that fails its
	// signature or does not decode is an error naming its key.
	Load(ctx context.Context) (State, error)
	// Save writes one flush atomically: its records and its seqno land
	// together or not at all. The seqno must be above the stored one and
	// the chain seqno must neither go back nor pass the seqno.
	Save(ctx context.Context, f billing.Flush) error
	// ProxyContract returns the proxy contract recorded by
	// SetProxyContract: the contract the ledger's accounts are at; ""
	// when none is.
	ProxyContract(ctx context.Context) (string, error)
	// SetProxyContract records the proxy contract the ledger's accounts
	// are at, replacing any recorded before.
	SetProxyContract(ctx context.Context, addr string) error
	// WindingContracts returns the older proxy contracts recorded by
	// SetWindingContracts, which the proxy winds down; nil when none is.
	WindingContracts(ctx context.Context) ([]string, error)
	// SetWindingContracts records the older proxy contracts being wound
	// down, replacing any recorded before.
	SetWindingContracts(ctx context.Context, addrs []string) error
	// Close releases the store.
	Close() error
}

// maxField bounds an address or owner string in a record.
const maxField = 255

// configKey is the key of the seqno record; contractKey the key of the
// proxy contract's record; windingKey the key of the record of the older
// proxy contracts being wound down.
const (
	configKey   = "config"
	contractKey = "contract"
	windingKey  = "winding"
)

// recordKey is the key of an account record: "client_<address>" or
// "worker_<address>", the namespaces the reference uses.
func recordKey(k billing.Kind, addr string) string {
	return k.String() + "_" + addr
}

func parseKey(key string) (billing.Kind, string, error) {
	kind, addr, ok := strings.Cut(key, "_")
	if !ok || addr == "" {
		return 0, "", fmt.Errorf("key %q has no kind prefix", key)
	}
	switch kind {
	case "client":
		return billing.KindClient, addr, nil
	case "worker":
		return billing.KindWorker, addr, nil
	}
	return 0, "", fmt.Errorf("key %q has unknown kind %q", key, kind)
}

// checkFlush validates a flush against the stored seqnos before anything
// is written.
func checkFlush(f billing.Flush, seqno, chainSeqno uint32) error {
	if f.Seqno <= seqno {
		return fmt.Errorf("over stored %d: %w", seqno, ErrStaleSeqno)
	}
	if f.ChainSeqno < chainSeqno || f.ChainSeqno > f.Seqno {
		return fmt.Errorf("chain seqno %d outside [%d, %d]", f.ChainSeqno, chainSeqno, f.Seqno)
	}
	seen := make(map[string]bool, len(f.Records))
	for _, r := range f.Records {
		if err := checkRecord(r); err != nil {
			return err
		}
		if r.Seqno > f.Seqno {
			return fmt.Errorf("%s %s written at later seqno %d", r.Kind, r.Address, r.Seqno)
		}
		k := recordKey(r.Kind, r.Address)
		if seen[k] {
			return fmt.Errorf("%s appears twice", k)
		}
		seen[k] = true
	}
	return nil
}

// signer signs and verifies stored values with the proxy key.
type signer struct {
	key ed25519.PrivateKey
	pub ed25519.PublicKey
}

func newSigner(key ed25519.PrivateKey) (signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return signer{}, fmt.Errorf("opening store: private key has %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	return signer{key: slices.Clone(key), pub: slices.Clone(key.Public().(ed25519.PublicKey))}, nil
}

// sigContext separates store signatures from every other use of the key.
const sigContext = "cocoon-go proxy ledger record v1\x00"

func signedMessage(key string, body []byte) []byte {
	m := make([]byte, 0, len(sigContext)+len(key)+1+len(body))
	m = append(m, sigContext...)
	m = append(m, key...)
	m = append(m, 0)
	return append(m, body...)
}

// seal returns body followed by a signature over the key and the body, so
// that a record cannot be moved to another key.
func (s signer) seal(key string, body []byte) []byte {
	sig := ed25519.Sign(s.key, signedMessage(key, body))
	return append(slices.Clip(body), sig...)
}

// open verifies a sealed value and returns its body.
func (s signer) open(key string, value []byte) ([]byte, error) {
	if len(value) < ed25519.SignatureSize {
		return nil, fmt.Errorf("verifying record %q: %w: %d bytes", key, ErrCorrupt, len(value))
	}
	body, sig := value[:len(value)-ed25519.SignatureSize], value[len(value)-ed25519.SignatureSize:]
	if !ed25519.Verify(s.pub, signedMessage(key, body), sig) {
		return nil, fmt.Errorf("verifying record %q: %w", key, ErrTampered)
	}
	return body, nil
}

func (s signer) sealRecord(r billing.Record) (string, []byte, error) {
	body, err := encodeRecord(r)
	if err != nil {
		return "", nil, err
	}
	key := recordKey(r.Kind, r.Address)
	return key, s.seal(key, body), nil
}

func (s signer) openRecord(key string, value []byte) (billing.Record, error) {
	body, err := s.open(key, value)
	if err != nil {
		return billing.Record{}, err
	}
	r, err := decodeRecord(key, body)
	if err != nil {
		return billing.Record{}, fmt.Errorf("decoding record %q: %w", key, err)
	}
	return r, nil
}

func (s signer) sealConfig(seqno, chainSeqno uint32) []byte {
	return s.seal(configKey, encodeConfig(seqno, chainSeqno))
}

func (s signer) openConfig(value []byte) (seqno, chainSeqno uint32, err error) {
	body, err := s.open(configKey, value)
	if err != nil {
		return 0, 0, err
	}
	seqno, chainSeqno, err = decodeConfig(body)
	if err != nil {
		return 0, 0, fmt.Errorf("decoding record %q: %w", configKey, err)
	}
	return seqno, chainSeqno, nil
}

func (s signer) sealContract(addr string) ([]byte, error) {
	if addr == "" || len(addr) > maxField {
		return nil, fmt.Errorf("recording the proxy contract: address of %d bytes, want 1 to %d", len(addr), maxField)
	}
	return s.seal(contractKey, []byte(addr)), nil
}

func (s signer) openContract(value []byte) (string, error) {
	body, err := s.open(contractKey, value)
	if err != nil {
		return "", fmt.Errorf("reading the proxy contract: %w", err)
	}
	return string(body), nil
}

func (s signer) sealWinding(addrs []string) ([]byte, error) {
	for _, a := range addrs {
		if a == "" || len(a) > maxField || strings.Contains(a, "\n") {
			return nil, fmt.Errorf("recording the proxy contracts being wound down: address %q, want 1 to %d bytes and no line break", a, maxField)
		}
	}
	return s.seal(windingKey, []byte(strings.Join(addrs, "\n"))), nil
}

func (s signer) openWinding(value []byte) ([]string, error) {
	body, err := s.open(windingKey, value)
	if err != nil {
		return nil, fmt.Errorf("reading the proxy contracts being wound down: %w", err)
	}
	if len(body) == 0 {
		return nil, nil
	}
	return strings.Split(string(body), "\n"), nil
}

// sortRecords orders records as a State lists them.
func sortRecords(recs []billing.Record) {
	slices.SortFunc(recs, func(a, b billing.Record) int {
		if a.Kind != b.Kind {
			return int(a.Kind) - int(b.Kind)
		}
		return strings.Compare(a.Address, b.Address)
	})
}
