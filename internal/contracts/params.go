package contracts

import (
	"errors"
	"fmt"
	"math"

	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
)

// ParamsStructVersion is the CocoonParams layout the contracts accept.
const ParamsStructVersion = 3

// Defaults the C++ reader applies to fields that older params versions lack.
const (
	defaultMultiplier = 10000
	defaultMinStake   = billing.TON
)

// Params is the CocoonParams cell: the network's economic parameters and
// the code of the child contracts.
type Params struct {
	// StructVersion is 3 on the deployed network; versions 0–2 are read
	// with the C++ reader's defaults and written back in their own layout.
	StructVersion     uint8
	ParamsVersion     uint32
	UniqueID          uint32
	IsTest            bool
	PricePerToken     billing.NanoTON
	WorkerFeePerToken billing.NanoTON
	// Price multipliers in units of 1/10000.
	PromptMultiplier, CachedMultiplier, CompletionMultiplier, ReasoningMultiplier uint32
	// Delays before a close completes, in seconds.
	ProxyDelayBeforeClose, ClientDelayBeforeClose uint32
	MinProxyStake, MinClientStake                 billing.NanoTON
	// Code of the child contracts; nil where absent.
	ProxyCode, WorkerCode, ClientCode *cell.Cell
}

// WithoutCode returns the params as workers and clients store them.
func (p Params) WithoutCode() Params {
	p.ProxyCode, p.WorkerCode, p.ClientCode = nil, nil, nil
	return p
}

// ForProxy returns the params as a proxy stores them: without proxy code.
func (p Params) ForProxy() Params {
	p.ProxyCode = nil
	return p
}

// Prices are the prices of the params, as the ledger bills at them.
func (p Params) Prices() billing.Prices {
	return billing.Prices{
		PricePerToken: p.PricePerToken, WorkerFeePerToken: p.WorkerFeePerToken,
		PromptMult: p.PromptMultiplier, CachedMult: p.CachedMultiplier,
		CompletionMult: p.CompletionMultiplier, ReasoningMult: p.ReasoningMultiplier,
	}
}

// ParseParams reads a CocoonParams cell. It rejects trailing data.
func ParseParams(c *cell.Cell) (Params, error) {
	if c == nil {
		return Params{}, errors.New("reading params: no cell")
	}
	s, err := c.BeginParse()
	if err != nil {
		return Params{}, fmt.Errorf("reading params: %w", err)
	}
	p, err := loadParams(s)
	if err != nil {
		return Params{}, fmt.Errorf("reading params: %w", err)
	}
	if err := ended(s); err != nil {
		return Params{}, fmt.Errorf("reading params: %w", err)
	}
	return p, nil
}

func loadParams(s *cell.Slice) (Params, error) {
	var p Params
	r := reader{s: s}
	p.StructVersion = uint8(r.uint(8))
	if r.err == nil && p.StructVersion > ParamsStructVersion {
		return Params{}, fmt.Errorf("params struct version %d, want at most %d", p.StructVersion, ParamsStructVersion)
	}
	p.ParamsVersion = uint32(r.uint(32))
	p.UniqueID = uint32(r.uint(32))
	p.IsTest = r.bit()
	p.PricePerToken = r.coins()
	p.WorkerFeePerToken = r.coins()
	p.PromptMultiplier, p.CachedMultiplier = defaultMultiplier, defaultMultiplier
	p.CompletionMultiplier, p.ReasoningMultiplier = defaultMultiplier, defaultMultiplier
	if p.StructVersion >= 3 {
		p.PromptMultiplier = uint32(r.uint(32))
	}
	if p.StructVersion >= 2 {
		p.CachedMultiplier = uint32(r.uint(32))
	}
	if p.StructVersion >= 3 {
		p.CompletionMultiplier = uint32(r.uint(32))
	}
	if p.StructVersion >= 2 {
		p.ReasoningMultiplier = uint32(r.uint(32))
	}
	p.ProxyDelayBeforeClose = uint32(r.uint(32))
	p.ClientDelayBeforeClose = uint32(r.uint(32))
	p.MinProxyStake, p.MinClientStake = defaultMinStake, defaultMinStake
	if p.StructVersion >= 1 {
		p.MinProxyStake = r.coins()
		p.MinClientStake = r.coins()
	}
	p.ProxyCode = r.maybeRef()
	p.WorkerCode = r.maybeRef()
	p.ClientCode = r.maybeRef()
	if r.err != nil {
		return Params{}, r.err
	}
	return p, nil
}

// Cell encodes the params in the layout of their StructVersion.
func (p Params) Cell() (*cell.Cell, error) {
	b := cell.BeginCell()
	if err := p.store(b); err != nil {
		return nil, fmt.Errorf("encoding params: %w", err)
	}
	return b.EndCell(), nil
}

func (p Params) store(b *cell.Builder) error {
	if p.StructVersion > ParamsStructVersion {
		return fmt.Errorf("params struct version %d, want at most %d", p.StructVersion, ParamsStructVersion)
	}
	w := writer{b: b}
	w.uint(uint64(p.StructVersion), 8)
	w.uint(uint64(p.ParamsVersion), 32)
	w.uint(uint64(p.UniqueID), 32)
	w.bit(p.IsTest)
	w.coins(p.PricePerToken)
	w.coins(p.WorkerFeePerToken)
	if p.StructVersion >= 3 {
		w.uint(uint64(p.PromptMultiplier), 32)
	}
	if p.StructVersion >= 2 {
		w.uint(uint64(p.CachedMultiplier), 32)
	}
	if p.StructVersion >= 3 {
		w.uint(uint64(p.CompletionMultiplier), 32)
	}
	if p.StructVersion >= 2 {
		w.uint(uint64(p.ReasoningMultiplier), 32)
	}
	w.uint(uint64(p.ProxyDelayBeforeClose), 32)
	w.uint(uint64(p.ClientDelayBeforeClose), 32)
	if p.StructVersion >= 1 {
		w.coins(p.MinProxyStake)
		w.coins(p.MinClientStake)
	}
	w.maybeRef(p.ProxyCode)
	w.maybeRef(p.WorkerCode)
	w.maybeRef(p.ClientCode)
	return w.err
}

// reader loads fields from a slice, keeping the first error.
type reader struct {
	s   *cell.Slice
	err error
}

func (r *reader) uint(bits uint) uint64 {
	if r.err != nil {
		return 0
	}
	v, err := r.s.LoadUInt(bits)
	if err != nil {
		r.err = fmt.Errorf("reading %d-bit field: %w", bits, err)
	}
	return v
}

func (r *reader) bit() bool {
	return r.uint(1) == 1
}

func (r *reader) bytes(n uint) []byte {
	if r.err != nil {
		return nil
	}
	v, err := r.s.LoadSlice(8 * n)
	if err != nil {
		r.err = fmt.Errorf("reading %d bytes: %w", n, err)
	}
	return v
}

func (r *reader) coins() billing.NanoTON {
	if r.err != nil {
		return 0
	}
	v, err := r.s.LoadCoins()
	if err != nil {
		r.err = fmt.Errorf("reading coins: %w", err)
		return 0
	}
	if v > math.MaxInt64 {
		r.err = fmt.Errorf("coins %d above the nanoTON range", v)
		return 0
	}
	return billing.NanoTON(v)
}

func (r *reader) maybeRef() *cell.Cell {
	if r.err != nil {
		return nil
	}
	s, err := r.s.LoadMaybeRef()
	if err != nil {
		r.err = fmt.Errorf("reading optional reference: %w", err)
		return nil
	}
	if s == nil {
		return nil
	}
	c, err := s.ToCell()
	if err != nil {
		r.err = fmt.Errorf("reading optional reference: %w", err)
	}
	return c
}

func (r *reader) ref() *cell.Cell {
	if r.err != nil {
		return nil
	}
	c, err := r.s.LoadRefCell()
	if err != nil {
		r.err = fmt.Errorf("reading reference: %w", err)
	}
	return c
}

// writer stores fields into a builder, keeping the first error.
type writer struct {
	b   *cell.Builder
	err error
}

func (w *writer) uint(v uint64, bits uint) {
	if w.err == nil {
		w.err = w.b.StoreUInt(v, bits)
	}
}

func (w *writer) bit(v bool) {
	if w.err == nil {
		w.err = w.b.StoreBoolBit(v)
	}
}

func (w *writer) coins(v billing.NanoTON) {
	if w.err != nil {
		return
	}
	if v < 0 {
		w.err = fmt.Errorf("negative amount %d nanoTON", int64(v))
		return
	}
	w.err = w.b.StoreCoins(uint64(v))
}

func (w *writer) maybeRef(c *cell.Cell) {
	if w.err == nil {
		w.err = w.b.StoreMaybeRef(c)
	}
}

func (w *writer) ref(c *cell.Cell) {
	if w.err != nil {
		return
	}
	if c == nil {
		w.err = errors.New("missing reference")
		return
	}
	w.err = w.b.StoreRef(c)
}

func (w *writer) slice(v []byte, bits uint) {
	if w.err == nil {
		w.err = w.b.StoreSlice(v, bits)
	}
}

// ended fails when a slice has bits or references left.
func ended(s *cell.Slice) error {
	if s.BitsLeft() != 0 || s.RefsNum() != 0 {
		return fmt.Errorf("%d bits and %d references left over", s.BitsLeft(), s.RefsNum())
	}
	return nil
}

// CodeHash is the hash of one child contract's code that params carry;
// Hash is nil when the params carry none.
type CodeHash struct {
	Name string
	Hash []byte
}

// CodeHashes are the hashes of the proxy, worker and client code the
// params carry, in that order.
func (p Params) CodeHashes() []CodeHash {
	out := make([]CodeHash, 0, 3)
	for _, c := range []struct {
		name string
		code *cell.Cell
	}{{"proxy", p.ProxyCode}, {"worker", p.WorkerCode}, {"client", p.ClientCode}} {
		h := CodeHash{Name: c.name}
		if c.code != nil {
			h.Hash = c.code.Hash()
		}
		out = append(out, h)
	}
	return out
}
