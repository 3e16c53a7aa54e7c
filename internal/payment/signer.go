package payment

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"sync"

	"github.com/xssnick/tonutils-go/address"
)

// Signer is the proxy's side: it signs payments with the proxy key and
// keeps the latest one per op and contract, so that the many updates
// carrying an unchanged count reuse one signature. It holds one entry per
// (op, contract) pair it has signed for. It is safe for concurrent use.
type Signer struct {
	key    ed25519.PrivateKey
	excess *address.Address

	mu     sync.Mutex // guards latest
	latest map[signerKey]Payment
}

type signerKey struct {
	op        Op
	workchain int32
	hash      [32]byte
}

// NewSigner returns a signer with the proxy key whose payments send their
// excess to excessTo, a std internal address: the proxy's cocoon wallet,
// as the reference has it. The reference's holders refuse a payment whose
// excess address is addr_none.
func NewSigner(key ed25519.PrivateKey, excessTo *address.Address) (*Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("creating payment signer: private key has %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	if !isStd(excessTo) {
		return nil, fmt.Errorf("creating payment signer: the excess address is not a std internal address")
	}
	return &Signer{key: slices.Clone(key), excess: excessTo.Copy(), latest: map[signerKey]Payment{}}, nil
}

// ExcessTo returns the excess address of the signer's payments.
func (s *Signer) ExcessTo() *address.Address { return s.excess.Copy() }

// Public returns the proxy's public key, which contracts and holders check
// payments against.
func (s *Signer) Public() ed25519.PublicKey {
	return s.key.Public().(ed25519.PublicKey)
}

// Sign returns a payment of op for tokens, zero included, to target with
// the signer's excess address (a holder that relays it on chain may put
// its own: Rewrap). A count equal to the latest one signed for the same op
// and target returns that payment again; any other count is signed afresh
// with a random query id.
func (s *Signer) Sign(op Op, target *address.Address, tokens int64) (Payment, error) {
	if !isStd(target) {
		return Payment{}, fmt.Errorf("signing payment: target is not a std internal address")
	}
	k := signerKey{op: op, workchain: target.Workchain()}
	copy(k.hash[:], target.Data())
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.latest[k]; ok && p.Tokens == tokens {
		return p, nil
	}
	p, err := Sign(s.key, op, RandomQueryID(), tokens, target, s.excess)
	if err != nil {
		return Payment{}, err
	}
	s.latest[k] = p
	return p, nil
}
