package contracts

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm/cell"

	compiled "github.com/cocoon-go/cocoon/contracts"
)

// Names of the COCOON contracts, as their compiled code is named.
const (
	Root   = compiled.Root
	Proxy  = compiled.Proxy
	Worker = compiled.Worker
	Client = compiled.Client
	Wallet = compiled.Wallet
)

// Code returns the compiled code of the named contract (Root, Proxy, …),
// built from the Tolk sources in contracts/.
func Code(name string) (*cell.Cell, error) {
	raw, err := compiled.BOC(name)
	if err != nil {
		return nil, err
	}
	c, err := cell.FromBOC(raw)
	if err != nil {
		return nil, fmt.Errorf("decoding the %s contract code: %w", name, err)
	}
	return c, nil
}

// ChildCodes returns params with the proxy, worker and client code built
// into the binary set, as a root stores them.
func ChildCodes(params Params) (Params, error) {
	for _, c := range []struct {
		name string
		dst  **cell.Cell
	}{{Proxy, &params.ProxyCode}, {Worker, &params.WorkerCode}, {Client, &params.ClientCode}} {
		code, err := Code(c.name)
		if err != nil {
			return Params{}, err
		}
		*c.dst = code
	}
	return params, nil
}

// StateInit returns the StateInit (code, data) of a contract; code may be
// nil, as FunC builds it when a proxy's params lack a child's code.
func StateInit(code, data *cell.Cell) *tlb.StateInit {
	return &tlb.StateInit{Code: code, Data: data}
}

// AddressOf returns the workchain-0 address of a contract: the hash of
// its StateInit cell (code and data as refs, no split depth, special or
// library).
func AddressOf(code, data *cell.Cell) (*address.Address, error) {
	c, err := tlb.ToCell(StateInit(code, data))
	if err != nil {
		return nil, fmt.Errorf("encoding state init: %w", err)
	}
	return address.NewAddress(0, 0, c.Hash()), nil
}

// ClientAddress derives the client contract of owner at a proxy contract
// from the proxy's stored data: its params stay those it was deployed
// with, whatever the root's are now.
func ClientAddress(owner, proxyAddr *address.Address, proxy ProxyData) (*address.Address, error) {
	a, _, err := ClientInit(owner, proxyAddr, proxy)
	return a, err
}

// ClientInit derives the client contract of owner at a proxy contract
// from the proxy's stored data, as ClientAddress does: its address and
// the StateInit that deploys it.
func ClientInit(owner, proxyAddr *address.Address, proxy ProxyData) (*address.Address, *tlb.StateInit, error) {
	return childInit(proxy.Params.ClientCode, NewClientData(owner, proxyAddr, proxy))
}

// WorkerAddress derives the worker contract of owner at a proxy contract
// from the proxy's stored data.
func WorkerAddress(owner, proxyAddr *address.Address, proxy ProxyData) (*address.Address, error) {
	a, _, err := WorkerInit(owner, proxyAddr, proxy)
	return a, err
}

// WorkerInit derives the worker contract of owner at a proxy contract
// from the proxy's stored data, as WorkerAddress does: its address and
// the StateInit that deploys it.
func WorkerInit(owner, proxyAddr *address.Address, proxy ProxyData) (*address.Address, *tlb.StateInit, error) {
	return childInit(proxy.Params.WorkerCode, NewWorkerData(owner, proxyAddr, proxy))
}

// childInit is the address and StateInit of a proxy's child contract of
// code with data.
func childInit(code *cell.Cell, data interface{ Cell() (*cell.Cell, error) }) (*address.Address, *tlb.StateInit, error) {
	c, err := data.Cell()
	if err != nil {
		return nil, nil, err
	}
	a, err := AddressOf(code, c)
	if err != nil {
		return nil, nil, err
	}
	return a, StateInit(code, c), nil
}

// ProxyAddress derives a proxy contract deployed from the root's current
// params and proxy code.
func ProxyAddress(owner, root *address.Address, key ed25519.PublicKey, rootParams Params) (*address.Address, error) {
	if rootParams.ProxyCode == nil {
		return nil, errors.New("deriving proxy address: root params carry no proxy code")
	}
	data, err := NewProxyData(owner, root, key, rootParams).Cell()
	if err != nil {
		return nil, err
	}
	return AddressOf(rootParams.ProxyCode, data)
}

// RootAddress returns the address of the root contract deployed with
// storage cfg and the root code built into the binary, and its StateInit.
func RootAddress(cfg RootConfig) (*address.Address, *tlb.StateInit, error) {
	code, err := Code(Root)
	if err != nil {
		return nil, nil, fmt.Errorf("deriving the root address: %w", err)
	}
	data, err := cfg.Cell()
	if err != nil {
		return nil, nil, fmt.Errorf("deriving the root address: %w", err)
	}
	addr, err := AddressOf(code, data)
	if err != nil {
		return nil, nil, fmt.Errorf("deriving the root address: %w", err)
	}
	return addr, StateInit(code, data), nil
}

// Derivation derives the addresses of the proxy, client and worker
// contracts under one root contract, as the root deploys them and as the
// reference recomputes them: the hash of the StateInit
// of the contract's code from the root params and its initial data. It
// needs no chain: the params are given (a fake-TON root's, or those a
// deployed proxy contract stores). It serves the roles' Contracts
// dependencies.
type Derivation struct {
	root   *address.Address
	params Params
}

// NewDerivation returns the derivation under the root contract root whose
// params (with all three child codes) are params.
func NewDerivation(root *address.Address, params Params) (*Derivation, error) {
	if root == nil || params.ProxyCode == nil || params.ClientCode == nil || params.WorkerCode == nil {
		return nil, errors.New("deriving contract addresses: need the root address and the proxy, client and worker codes")
	}
	return &Derivation{root: root, params: params}, nil
}

// ProxyAddress is the contract of the proxy owned by owner with signing
// key key.
func (d *Derivation) ProxyAddress(owner *address.Address, key ed25519.PublicKey) (*address.Address, error) {
	a, err := ProxyAddress(owner, d.root, key, d.params)
	if err != nil {
		return nil, fmt.Errorf("deriving the proxy contract address: %w", err)
	}
	return a, nil
}

func (d *Derivation) proxy(owner *address.Address, key ed25519.PublicKey) (*address.Address, ProxyData, error) {
	pa, err := d.ProxyAddress(owner, key)
	if err != nil {
		return nil, ProxyData{}, err
	}
	return pa, NewProxyData(owner, d.root, key, d.params), nil
}

// ClientAddress is the contract of the client owned by owner at the proxy
// owned by proxyOwner with key proxyKey.
func (d *Derivation) ClientAddress(owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey) (*address.Address, error) {
	return d.child("client", ClientAddress, owner, proxyOwner, proxyKey)
}

// WorkerAddress is the contract of the worker owned by owner at the proxy
// owned by proxyOwner with key proxyKey.
func (d *Derivation) WorkerAddress(owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey) (*address.Address, error) {
	return d.child("worker", WorkerAddress, owner, proxyOwner, proxyKey)
}

// child is the contract (a client's or a worker's, what) that derive
// derives for owner at the proxy owned by proxyOwner with key proxyKey.
func (d *Derivation) child(what string, derive func(owner, proxyAddr *address.Address, proxy ProxyData) (*address.Address, error),
	owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey) (*address.Address, error) {
	pa, pd, err := d.proxy(proxyOwner, proxyKey)
	if err != nil {
		return nil, err
	}
	a, err := derive(owner, pa, pd)
	if err != nil {
		return nil, fmt.Errorf("deriving the %s contract address: %w", what, err)
	}
	return a, nil
}

// ClientContract checks that proxySC is the contract of the proxy owned
// by proxyOwner with key proxyKey under these params and returns the
// client contract of owner under it.
func (d *Derivation) ClientContract(_ context.Context, owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey, proxySC *address.Address) (*address.Address, error) {
	if err := d.checkProxy(proxyOwner, proxyKey, proxySC); err != nil {
		return nil, err
	}
	return d.ClientAddress(owner, proxyOwner, proxyKey)
}

// WorkerContract checks that proxySC is the contract of the proxy owned
// by proxyOwner with key proxyKey under these params and returns the
// worker contract of owner under it.
func (d *Derivation) WorkerContract(_ context.Context, owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey, proxySC *address.Address) (*address.Address, error) {
	if err := d.checkProxy(proxyOwner, proxyKey, proxySC); err != nil {
		return nil, err
	}
	return d.WorkerAddress(owner, proxyOwner, proxyKey)
}

// checkProxy checks that proxySC derives from the proxy's owner and key.
func (d *Derivation) checkProxy(owner *address.Address, key ed25519.PublicKey, proxySC *address.Address) error {
	want, err := d.ProxyAddress(owner, key)
	if err != nil {
		return err
	}
	if !proxySC.Equals(want) {
		return fmt.Errorf("proxy contract %s is not %s, derived from its owner and key", proxySC, want)
	}
	return nil
}

// NewOwnerAddress returns a random std address in workchain 0: the owner
// of a contract whose owner holds no key, as a devnet node's or a probe's.
func NewOwnerAddress() *address.Address {
	var h [32]byte
	rand.Read(h[:])
	return address.NewAddress(0, 0, h[:])
}
