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
// at a proxy. contracts.Derivation is one.
type Contracts interface {
	ProxyAddress(owner *address.Address, key ed25519.PublicKey) (*address.Address, error)
	ClientAddress(owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey) (*address.Address, error)
	WorkerAddress(owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey) (*address.Address, error)
}

// contracts is the proxy's side of signed payments: its owner address and
// the signer with its key.
type contracts struct {
	owner  *address.Address
	signer *payment.Signer
	// key signs the payments relayed on chain, apart from the signer's
	// cache of the payments sent to peers.
	key ed25519.PrivateKey
}

// instance is a proxy contract of the proxy with the derivation of its
// clients' and workers' contracts and its prices: the one it serves
// under, or an older one it winds down.
type instance struct {
	sc     *address.Address
	derive Contracts
	prices billing.Prices

	// The wind-down's state, touched only by the chain loop's goroutine:
	// members caches which ledger accounts are the instance's; state and
	// unlockTS are the contract's as last read, closed is set once it is
	// closed; settledPolls counts the consecutive polls that found every
	// client and worker contract of it settled.
	members      map[string]bool
	state        int
	unlockTS     int64
	closed       bool
	settledPolls int
}

func newContracts(d Contracts, ownerAddress string, wallet *address.Address, key ed25519.PrivateKey, prices billing.Prices) (*contracts, *instance, error) {
	owner, err := address.ParseAddr(ownerAddress)
	if err != nil {
		return nil, nil, fmt.Errorf("owner_address %q is not a TON address: %w", ownerAddress, err)
	}
	sc, err := d.ProxyAddress(owner, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, nil, err
	}
	if wallet == nil {
		wallet = owner
	}
	s, err := payment.NewSigner(key, wallet)
	if err != nil {
		return nil, nil, err
	}
	return &contracts{owner: owner, signer: s, key: key}, &instance{sc: sc, derive: d, prices: prices}, nil
}

// peerContract derives the contract of a client or worker from the owner
// address it sent under the proxy contract the proxy serves under, which
// it returns too; the account of the ledger is keyed by the contract.
func (p *Proxy) peerContract(kind billing.Kind, ownerAddress string) (*address.Address, *instance, error) {
	in := p.inst.Load()
	if in == nil {
		return nil, nil, nil
	}
	sc, err := p.derivePeer(in, kind, ownerAddress)
	return sc, in, err
}

// derivePeer derives the contract of a client or worker of owner under
// the instance in.
func (p *Proxy) derivePeer(in *instance, kind billing.Kind, ownerAddress string) (*address.Address, error) {
	owner, err := address.ParseAddr(ownerAddress)
	if err != nil {
		return nil, fmt.Errorf("%s owner address %q is not a TON address: %w", kind, ownerAddress, err)
	}
	derive := in.derive.WorkerAddress
	if kind == billing.KindClient {
		derive = in.derive.ClientAddress
	}
	return derive(owner, p.contracts.owner, p.pub[:])
}

// signed returns the proxy's signed payment to a client or worker
// contract for the tokens of its account committed to the database: what
// the proxy has durably recorded, and so what it can stand by after a
// crash. A count of 0 is signed too, as the reference does: its workers
// refuse proxy.signedPaymentEmpty ("tokens_committed_to_blockchain is too
// low"). Only a proxy without contracts sends proxy.signedPaymentEmpty.
func (p *Proxy) signed(kind billing.Kind, contract *address.Address, a billing.Account) tl.ProxySignedPaymentT {
	if p.contracts == nil || contract == nil {
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

// workerPayment returns the signed payment that goes with a request to the
// worker of wc, as the reference's proxy.runQueryEx carries one.
func (p *Proxy) workerPayment(wc *workerConn) tl.ProxySignedPaymentT {
	a, err := p.ledger.Worker(wc.account)
	if err != nil {
		p.log.Error("reading the worker's account for its payment", "remote", wc.remote, "err", err)
		return emptyPayment
	}
	return p.signed(billing.KindWorker, wc.contract, a)
}
