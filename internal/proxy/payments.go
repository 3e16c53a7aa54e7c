package proxy

import (
	"crypto/ed25519"
	"fmt"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/tl"
)

// Contracts derives contract addresses as the root contract deploys them:
// the proxy's own contract and the client and worker contracts of owners
// at a proxy. devnet.Contracts is one.
type Contracts interface {
	ProxyAddress(owner *address.Address, key ed25519.PublicKey) (*address.Address, error)
	ClientAddress(owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey) (*address.Address, error)
	WorkerAddress(owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey) (*address.Address, error)
}

// contracts is the proxy's side of signed payments: its owner and contract
// addresses and the signer with its key.
type contracts struct {
	derive Contracts
	owner  *address.Address
	sc     *address.Address
	signer *payment.Signer
	// key signs the payments relayed on chain, apart from the signer's
	// cache of the payments sent to peers.
	key ed25519.PrivateKey
}

func newContracts(d Contracts, ownerAddress string, key ed25519.PrivateKey) (*contracts, error) {
	owner, err := address.ParseAddr(ownerAddress)
	if err != nil {
		return nil, fmt.Errorf("owner_address %q is not a TON address: %w", ownerAddress, err)
	}
	sc, err := d.ProxyAddress(owner, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	s, err := payment.NewSigner(key)
	if err != nil {
		return nil, err
	}
	return &contracts{derive: d, owner: owner, sc: sc, signer: s, key: key}, nil
}

// peerContract derives the contract of a client or worker from the owner
// address it sent; the account of the ledger is keyed by it.
func (p *Proxy) peerContract(kind billing.Kind, ownerAddress string) (*address.Address, error) {
	if p.contracts == nil {
		return nil, nil
	}
	owner, err := address.ParseAddr(ownerAddress)
	if err != nil {
		return nil, fmt.Errorf("%s owner address %q is not a TON address: %w", kind, ownerAddress, err)
	}
	derive := p.contracts.derive.WorkerAddress
	if kind == billing.KindClient {
		derive = p.contracts.derive.ClientAddress
	}
	return derive(owner, p.contracts.owner, p.pub[:])
}

// signed returns the proxy's signed payment to a client or worker
// contract for the tokens of its account committed to the database: what
// the proxy has durably recorded, and so what it can stand by after a
// crash. An account with nothing committed, or a proxy without contracts,
// gets proxy.signedPaymentEmpty.
func (p *Proxy) signed(kind billing.Kind, contract *address.Address, a billing.Account) tl.ProxySignedPaymentT {
	if p.contracts == nil || contract == nil || a.CommittedToDB == 0 {
		return emptyPayment
	}
	op := payment.OpWorkerPayout
	if kind == billing.KindClient {
		op = payment.OpClientCharge
	}
	pay, err := p.contracts.signer.Sign(op, contract, a.CommittedToDB)
	if err == nil {
		var boc []byte
		if boc, err = pay.BOC(); err == nil {
			return &tl.ProxySignedPayment{Data: boc}
		}
	}
	p.log.Error("signing a payment", "kind", kind, "contract", contract.String(), "err", err)
	return emptyPayment
}
