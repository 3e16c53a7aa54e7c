package ton

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
)

// Contract states shared by proxy, client and worker contracts.
const (
	StateNormal  uint8 = 0
	StateClosing uint8 = 1
	StateClosed  uint8 = 2
)

// StateInit returns the StateInit (code, data) of a contract; code may be
// nil, as FunC builds it when a proxy's params lack a child's code.
func StateInit(code, data *cell.Cell) *tlb.StateInit {
	return &tlb.StateInit{Code: code, Data: data}
}

// AddressOf returns the workchain-0 address of a contract: the hash of
// its StateInit cell (contracts.md §1.6).
func AddressOf(code, data *cell.Cell) (*address.Address, error) {
	c, err := tlb.ToCell(StateInit(code, data))
	if err != nil {
		return nil, fmt.Errorf("encoding state init: %w", err)
	}
	return address.NewAddress(0, 0, c.Hash()), nil
}

// ProxyData is a proxy contract's storage (contracts.md §4.1).
type ProxyData struct {
	Owner     *address.Address
	PublicKey ed25519.PublicKey
	Root      *address.Address
	State     uint8
	Balance   billing.NanoTON
	Stake     billing.NanoTON
	UnlockTS  uint32
	Params    Params
}

// NewProxyData returns the initial data of a proxy contract deployed under
// a root with the given params (stake 0, as the C++ runner deploys it).
func NewProxyData(owner, root *address.Address, key ed25519.PublicKey, rootParams Params) ProxyData {
	return ProxyData{Owner: owner, PublicKey: key, Root: root, Params: rootParams.ForProxy()}
}

// Cell encodes the proxy data.
func (d ProxyData) Cell() (*cell.Cell, error) {
	params, err := d.Params.Cell()
	if err != nil {
		return nil, fmt.Errorf("encoding proxy data: %w", err)
	}
	b := cell.BeginCell()
	w := writer{b: b}
	w.addr(d.Owner)
	w.key(d.PublicKey)
	w.addr(d.Root)
	w.uint(uint64(d.State), 2)
	w.coins(d.Balance)
	w.coins(d.Stake)
	w.uint(uint64(d.UnlockTS), 32)
	w.ref(params)
	if w.err != nil {
		return nil, fmt.Errorf("encoding proxy data: %w", w.err)
	}
	return b.EndCell(), nil
}

// ParseProxyData reads a proxy contract's data cell.
func ParseProxyData(c *cell.Cell) (ProxyData, error) {
	var d ProxyData
	err := parseCell(c, func(r *reader) {
		d.Owner = r.addr()
		d.PublicKey = r.key()
		d.Root = r.addr()
		d.State = uint8(r.uint(2))
		d.Balance = r.coins()
		d.Stake = r.coins()
		d.UnlockTS = uint32(r.uint(32))
		d.Params = r.params()
	})
	if err != nil {
		return ProxyData{}, fmt.Errorf("reading proxy data: %w", err)
	}
	return d, nil
}

// ClientData is a client contract's storage (contracts.md §5.1).
type ClientData struct {
	State          uint8
	Balance        billing.NanoTON
	Stake          billing.NanoTON
	TokensUsed     uint64
	UnlockTS       uint32
	SecretHash     Hash
	Owner          *address.Address
	Proxy          *address.Address
	ProxyPublicKey ed25519.PublicKey
	Params         Params
}

// NewClientData returns the initial data of the client contract of owner
// at the proxy contract proxyAddr whose storage is proxy.
func NewClientData(owner, proxyAddr *address.Address, proxy ProxyData) ClientData {
	return ClientData{
		Stake:          proxy.Params.MinClientStake,
		Owner:          owner,
		Proxy:          proxyAddr,
		ProxyPublicKey: proxy.PublicKey,
		Params:         proxy.Params.WithoutCode(),
	}
}

// Cell encodes the client data.
func (d ClientData) Cell() (*cell.Cell, error) {
	params, err := d.Params.Cell()
	if err != nil {
		return nil, fmt.Errorf("encoding client data: %w", err)
	}
	cb := cell.BeginCell()
	cw := writer{b: cb}
	cw.addr(d.Owner)
	cw.addr(d.Proxy)
	cw.key(d.ProxyPublicKey)
	if cw.err != nil {
		return nil, fmt.Errorf("encoding client data: %w", cw.err)
	}
	b := cell.BeginCell()
	w := writer{b: b}
	w.uint(uint64(d.State), 2)
	w.coins(d.Balance)
	w.coins(d.Stake)
	w.uint(d.TokensUsed, 64)
	w.uint(uint64(d.UnlockTS), 32)
	w.slice(d.SecretHash[:], 256)
	w.ref(cb.EndCell())
	w.ref(params)
	if w.err != nil {
		return nil, fmt.Errorf("encoding client data: %w", w.err)
	}
	return b.EndCell(), nil
}

// ParseClientData reads a client contract's data cell.
func ParseClientData(c *cell.Cell) (ClientData, error) {
	var d ClientData
	err := parseCell(c, func(r *reader) {
		d.State = uint8(r.uint(2))
		d.Balance = r.coins()
		d.Stake = r.coins()
		d.TokensUsed = r.uint(64)
		d.UnlockTS = uint32(r.uint(32))
		copy(d.SecretHash[:], r.bytes(32))
		constCell := r.ref()
		d.Params = r.params()
		if r.err != nil {
			return
		}
		r.err = parseCell(constCell, func(cr *reader) {
			d.Owner = cr.addr()
			d.Proxy = cr.addr()
			d.ProxyPublicKey = cr.key()
		})
	})
	if err != nil {
		return ClientData{}, fmt.Errorf("reading client data: %w", err)
	}
	return d, nil
}

// WorkerData is a worker contract's storage (contracts.md §6.1).
type WorkerData struct {
	Owner          *address.Address
	Proxy          *address.Address
	ProxyPublicKey ed25519.PublicKey
	State          uint8
	Tokens         uint64
	Params         Params
}

// NewWorkerData returns the initial data of the worker contract of owner
// at the proxy contract proxyAddr whose storage is proxy.
func NewWorkerData(owner, proxyAddr *address.Address, proxy ProxyData) WorkerData {
	return WorkerData{
		Owner:          owner,
		Proxy:          proxyAddr,
		ProxyPublicKey: proxy.PublicKey,
		Params:         proxy.Params.WithoutCode(),
	}
}

// Cell encodes the worker data.
func (d WorkerData) Cell() (*cell.Cell, error) {
	params, err := d.Params.Cell()
	if err != nil {
		return nil, fmt.Errorf("encoding worker data: %w", err)
	}
	b := cell.BeginCell()
	w := writer{b: b}
	w.addr(d.Owner)
	w.addr(d.Proxy)
	w.key(d.ProxyPublicKey)
	w.uint(uint64(d.State), 2)
	w.uint(d.Tokens, 64)
	w.ref(params)
	if w.err != nil {
		return nil, fmt.Errorf("encoding worker data: %w", w.err)
	}
	return b.EndCell(), nil
}

// ParseWorkerData reads a worker contract's data cell.
func ParseWorkerData(c *cell.Cell) (WorkerData, error) {
	var d WorkerData
	err := parseCell(c, func(r *reader) {
		d.Owner = r.addr()
		d.Proxy = r.addr()
		d.ProxyPublicKey = r.key()
		d.State = uint8(r.uint(2))
		d.Tokens = r.uint(64)
		d.Params = r.params()
	})
	if err != nil {
		return WorkerData{}, fmt.Errorf("reading worker data: %w", err)
	}
	return d, nil
}

// ClientAddress derives the client contract of owner at a proxy contract
// from the proxy's stored data (contracts.md §1.6, §8.9).
func ClientAddress(owner, proxyAddr *address.Address, proxy ProxyData) (*address.Address, error) {
	data, err := NewClientData(owner, proxyAddr, proxy).Cell()
	if err != nil {
		return nil, err
	}
	return AddressOf(proxy.Params.ClientCode, data)
}

// WorkerAddress derives the worker contract of owner at a proxy contract
// from the proxy's stored data.
func WorkerAddress(owner, proxyAddr *address.Address, proxy ProxyData) (*address.Address, error) {
	data, err := NewWorkerData(owner, proxyAddr, proxy).Cell()
	if err != nil {
		return nil, err
	}
	return AddressOf(proxy.Params.WorkerCode, data)
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

// parseCell parses a whole cell with fn and requires it to end.
func parseCell(c *cell.Cell, fn func(r *reader)) error {
	if c == nil {
		return errors.New("no cell")
	}
	s, err := c.BeginParse()
	if err != nil {
		return err
	}
	r := reader{s: s}
	fn(&r)
	if r.err != nil {
		return r.err
	}
	return ended(s)
}

func (r *reader) addr() *address.Address {
	if r.err != nil {
		return nil
	}
	a, err := r.s.LoadAddr()
	if err != nil {
		r.err = fmt.Errorf("reading address: %w", err)
	}
	return a
}

func (r *reader) key() ed25519.PublicKey {
	b := r.bytes(32)
	if r.err != nil {
		return nil
	}
	return ed25519.PublicKey(b)
}

func (r *reader) params() Params {
	c := r.ref()
	if r.err != nil {
		return Params{}
	}
	p, err := ParseParams(c)
	if err != nil {
		r.err = err
	}
	return p
}

func (w *writer) addr(a *address.Address) {
	if w.err == nil {
		w.err = w.b.StoreAddr(a)
	}
}

func (w *writer) key(k ed25519.PublicKey) {
	if w.err != nil {
		return
	}
	if len(k) != ed25519.PublicKeySize {
		w.err = fmt.Errorf("public key of %d bytes, want %d", len(k), ed25519.PublicKeySize)
		return
	}
	w.slice(k, 256)
}
