package contracts

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

// Hash is a 256-bit hash as the root stores it (image, model or code hash).
type Hash [32]byte

// maxProxyDesc is the longest proxy description: its length is 7 bits.
const maxProxyDesc = 127

// RegisteredProxy is one entry of the root's registered_proxies dictionary.
type RegisteredProxy struct {
	Seqno uint32
	// Desc is "host:port", or "workers_host:port clients_host:port".
	Desc string
}

// WorkerAddr returns the endpoint workers connect to.
func (p RegisteredProxy) WorkerAddr() string {
	w, _, _ := strings.Cut(p.Desc, " ")
	return w
}

// ClientAddr returns the endpoint clients connect to (the second address
// when there are two, else the only one).
func (p RegisteredProxy) ClientAddr() string {
	w, c, ok := strings.Cut(p.Desc, " ")
	if !ok {
		return w
	}
	return c
}

// RootConfig is the root contract's storage: the network configuration
// (owner, version, a ref to the lists and a ref to the params). Hash lists are sorted and
// proxies are ordered by seqno.
type RootConfig struct {
	Owner          *address.Address
	Version        uint32
	ProxyHashes    []Hash
	Proxies        []RegisteredProxy
	LastProxySeqno uint32
	WorkerHashes   []Hash
	ModelHashes    []Hash
	Params         Params
}

// HasProxyHash reports whether h is an allowed proxy image hash.
func (r RootConfig) HasProxyHash(h Hash) bool { return hasHash(r.ProxyHashes, h) }

// HasWorkerHash reports whether h is an allowed worker image hash.
func (r RootConfig) HasWorkerHash(h Hash) bool { return hasHash(r.WorkerHashes, h) }

// HasModelHash reports whether h is an allowed model hash.
func (r RootConfig) HasModelHash(h Hash) bool { return hasHash(r.ModelHashes, h) }

func hasHash(list []Hash, h Hash) bool {
	_, ok := slices.BinarySearchFunc(list, h, func(a, b Hash) int { return bytes.Compare(a[:], b[:]) })
	return ok
}

// ParseRootConfig reads the root contract's data cell.
func ParseRootConfig(data *cell.Cell) (RootConfig, error) {
	if data == nil {
		return RootConfig{}, errors.New("reading root config: no data cell")
	}
	cfg, err := parseRoot(data)
	if err != nil {
		return RootConfig{}, fmt.Errorf("reading root config: %w", err)
	}
	return cfg, nil
}

func parseRoot(data *cell.Cell) (RootConfig, error) {
	s, err := data.BeginParse()
	if err != nil {
		return RootConfig{}, err
	}
	var cfg RootConfig
	if cfg.Owner, err = s.LoadAddr(); err != nil {
		return RootConfig{}, fmt.Errorf("reading owner: %w", err)
	}
	r := reader{s: s}
	cfg.Version = uint32(r.uint(32))
	inner := r.ref()
	paramsCell := r.ref()
	if r.err != nil {
		return RootConfig{}, r.err
	}
	if err := ended(s); err != nil {
		return RootConfig{}, err
	}
	if cfg.Params, err = ParseParams(paramsCell); err != nil {
		return RootConfig{}, err
	}
	d, err := inner.BeginParse()
	if err != nil {
		return RootConfig{}, err
	}
	if cfg.ProxyHashes, err = loadHashSet(d, "proxy hashes"); err != nil {
		return RootConfig{}, err
	}
	if cfg.Proxies, err = loadProxies(d); err != nil {
		return RootConfig{}, err
	}
	last, err := d.LoadUInt(32)
	if err != nil {
		return RootConfig{}, fmt.Errorf("reading last proxy seqno: %w", err)
	}
	cfg.LastProxySeqno = uint32(last)
	if cfg.WorkerHashes, err = loadHashSet(d, "worker hashes"); err != nil {
		return RootConfig{}, err
	}
	if cfg.ModelHashes, err = loadHashSet(d, "model hashes"); err != nil {
		return RootConfig{}, err
	}
	if err := ended(d); err != nil {
		return RootConfig{}, fmt.Errorf("reading root data: %w", err)
	}
	return cfg, nil
}

func loadHashSet(s *cell.Slice, what string) ([]Hash, error) {
	d, err := s.LoadDict(256)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	kvs, err := d.LoadAll()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	out := make([]Hash, 0, len(kvs))
	for _, kv := range kvs {
		k, err := kv.Key.LoadSlice(256)
		if err != nil {
			return nil, fmt.Errorf("reading %s key: %w", what, err)
		}
		if err := ended(kv.Value); err != nil {
			return nil, fmt.Errorf("reading %s value: %w", what, err)
		}
		out = append(out, Hash(k))
	}
	slices.SortFunc(out, func(a, b Hash) int { return bytes.Compare(a[:], b[:]) })
	return out, nil
}

func loadProxies(s *cell.Slice) ([]RegisteredProxy, error) {
	d, err := s.LoadDict(32)
	if err != nil {
		return nil, fmt.Errorf("reading registered proxies: %w", err)
	}
	kvs, err := d.LoadAll()
	if err != nil {
		return nil, fmt.Errorf("reading registered proxies: %w", err)
	}
	out := make([]RegisteredProxy, 0, len(kvs))
	for _, kv := range kvs {
		k, err := kv.Key.LoadUInt(32)
		if err != nil {
			return nil, fmt.Errorf("reading registered proxy key: %w", err)
		}
		desc, err := loadProxyDesc(kv.Value)
		if err != nil {
			return nil, fmt.Errorf("reading registered proxy %d: %w", k, err)
		}
		out = append(out, RegisteredProxy{Seqno: uint32(k), Desc: desc})
	}
	slices.SortFunc(out, func(a, b RegisteredProxy) int { return int64cmp(int64(a.Seqno), int64(b.Seqno)) })
	return out, nil
}

func int64cmp(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// loadProxyDesc reads type:uint1 (0) len:uint7 and exactly len bytes.
func loadProxyDesc(s *cell.Slice) (string, error) {
	r := reader{s: s}
	typ := r.uint(1)
	n := r.uint(7)
	if r.err == nil && typ != 0 {
		return "", fmt.Errorf("proxy description of type %d, want 0", typ)
	}
	b := r.bytes(uint(n))
	if r.err != nil {
		return "", r.err
	}
	if err := ended(s); err != nil {
		return "", err
	}
	return string(b), nil
}

// StoreProxyDesc appends a proxy description (type 0, length, bytes) to b,
// as register_proxy and update_proxy carry it.
func StoreProxyDesc(b *cell.Builder, desc string) error {
	if len(desc) > maxProxyDesc {
		return fmt.Errorf("proxy description of %d bytes, at most %d", len(desc), maxProxyDesc)
	}
	w := writer{b: b}
	w.uint(0, 1)
	w.uint(uint64(len(desc)), 7)
	w.slice([]byte(desc), uint(8*len(desc)))
	return w.err
}

// Cell encodes the root data cell; devnet deploys a root with it.
func (r RootConfig) Cell() (*cell.Cell, error) {
	c, err := r.cell()
	if err != nil {
		return nil, fmt.Errorf("encoding root config: %w", err)
	}
	return c, nil
}

func (r RootConfig) cell() (*cell.Cell, error) {
	proxyHashes, err := hashSet(r.ProxyHashes)
	if err != nil {
		return nil, err
	}
	workerHashes, err := hashSet(r.WorkerHashes)
	if err != nil {
		return nil, err
	}
	modelHashes, err := hashSet(r.ModelHashes)
	if err != nil {
		return nil, err
	}
	proxies := cell.NewDict(32)
	for _, p := range r.Proxies {
		v := cell.BeginCell()
		if err := StoreProxyDesc(v, p.Desc); err != nil {
			return nil, err
		}
		key := cell.BeginCell().MustStoreUInt(uint64(p.Seqno), 32).EndCell()
		if err := proxies.SetBuilder(key, v); err != nil {
			return nil, fmt.Errorf("storing proxy %d: %w", p.Seqno, err)
		}
	}
	inner := cell.BeginCell()
	w := writer{b: inner}
	w.dict(proxyHashes)
	w.dict(proxies)
	w.uint(uint64(r.LastProxySeqno), 32)
	w.dict(workerHashes)
	w.dict(modelHashes)
	if w.err != nil {
		return nil, w.err
	}
	params, err := r.Params.Cell()
	if err != nil {
		return nil, err
	}
	b := cell.BeginCell()
	if err := b.StoreAddr(r.Owner); err != nil {
		return nil, fmt.Errorf("storing owner: %w", err)
	}
	w = writer{b: b}
	w.uint(uint64(r.Version), 32)
	w.ref(inner.EndCell())
	w.ref(params)
	if w.err != nil {
		return nil, w.err
	}
	return b.EndCell(), nil
}

func hashSet(list []Hash) (*cell.Dictionary, error) {
	d := cell.NewDict(256)
	for _, h := range list {
		key := cell.BeginCell().MustStoreSlice(h[:], 256).EndCell()
		if err := d.SetBuilder(key, cell.BeginCell()); err != nil {
			return nil, fmt.Errorf("storing hash %x: %w", h, err)
		}
	}
	return d, nil
}

func (w *writer) dict(d *cell.Dictionary) {
	if w.err == nil {
		w.err = w.b.StoreDict(d)
	}
}
