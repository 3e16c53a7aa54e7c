package emulated

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"

	"github.com/cocoon-go/cocoon/internal/statefile"
	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

// stateVersion is the layout of the state file.
const stateVersion = 1

// maxStateFile bounds the state file a chain loads.
const maxStateFile = 1 << 30

// stateFile is the JSON layout of a saved chain. Cells are BoC bytes.
type stateFile struct {
	Version  int            `json:"version"`
	LT       uint64         `json:"lt"`
	Accounts []stateAccount `json:"accounts"`
}

type stateAccount struct {
	Address      string   `json:"address"`
	ShardAccount []byte   `json:"shard_account"`
	StorageStat  []byte   `json:"storage_stat,omitempty"`
	Transactions [][]byte `json:"transactions,omitempty"`
}

// genSize is the size of a state file's generation, which every save
// draws anew and records in the lock file.
const genSize = 16

// begin starts an operation: it takes mu and, with a state file, the lock
// file's lock, and loads the state file when another process saved it
// since this chain last read or wrote it. end releases both.
func (c *Chain) begin() (end func(), err error) {
	c.mu.Lock()
	if c.path == "" {
		return c.mu.Unlock, nil
	}
	lf, err := lockFile(c.path + ".lock")
	if err != nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("locking chain state: %w", err)
	}
	c.held = lf
	end = func() {
		c.held = nil
		lf.Close()
		c.mu.Unlock()
	}
	var gen [genSize]byte
	n, err := lf.ReadAt(gen[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		end()
		return nil, fmt.Errorf("reading chain state generation: %w", err)
	}
	if c.stale || (n == genSize && gen != c.gen) {
		if err := c.load(); err != nil {
			end()
			return nil, err
		}
		c.gen, c.stale = gen, false
	}
	return end, nil
}

// save writes the state file atomically and records a new generation in
// the lock file. The caller is inside begin.
func (c *Chain) save() error {
	st := stateFile{Version: stateVersion, LT: c.lt}
	keys := make([]string, 0, len(c.accounts))
	for k := range c.accounts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		acc := c.accounts[k]
		sc := acc.prepared.ShardAccountCell()
		if sc == nil {
			return fmt.Errorf("saving chain: account %s has no state cell", k)
		}
		sa := stateAccount{Address: k, ShardAccount: sc.ToBOC()}
		if acc.stat != nil {
			sa.StorageStat = acc.stat.ToBOC()
		}
		for _, t := range acc.txs {
			sa.Transactions = append(sa.Transactions, t.cell.ToBOC())
		}
		st.Accounts = append(st.Accounts, sa)
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("saving chain: %w", err)
	}
	if err := statefile.Write(c.path, raw); err != nil {
		return fmt.Errorf("saving chain: %w", err)
	}
	var gen [genSize]byte
	rand.Read(gen[:])
	if _, err := c.held.WriteAt(gen[:], 0); err != nil {
		// Other processes would not see this save; the next operation
		// loads the file again.
		c.stale = true
		return fmt.Errorf("saving chain: recording its generation: %w", err)
	}
	c.gen = gen
	return nil
}

// load reads the state file when it exists.
func (c *Chain) load() error {
	f, err := os.Open(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("loading chain: %w", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxStateFile+1))
	if err != nil {
		return fmt.Errorf("loading chain: %w", err)
	}
	if len(raw) > maxStateFile {
		return fmt.Errorf("loading chain: state file larger than %d bytes", maxStateFile)
	}
	accounts, lt, err := decodeState(raw)
	if err != nil {
		return fmt.Errorf("loading chain %s: %w", c.path, err)
	}
	c.accounts, c.lt = accounts, lt
	return nil
}

func decodeState(raw []byte) (map[string]*account, uint64, error) {
	var st stateFile
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, 0, err
	}
	if st.Version != stateVersion {
		return nil, 0, fmt.Errorf("state version %d, want %d", st.Version, stateVersion)
	}
	accounts := make(map[string]*account, len(st.Accounts))
	for _, sa := range st.Accounts {
		acc, err := decodeAccount(sa)
		if err != nil {
			return nil, 0, fmt.Errorf("account %s: %w", sa.Address, err)
		}
		accounts[key(acc.addr)] = acc
	}
	return accounts, st.LT, nil
}

func decodeAccount(sa stateAccount) (*account, error) {
	addr, err := address.ParseRawAddr(sa.Address)
	if err != nil {
		return nil, err
	}
	sc, err := cell.FromBOC(sa.ShardAccount)
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	var shard tlb.ShardAccount
	if err := tlb.Parse(&shard, sc); err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	p, err := tvm.PrepareAccount(&shard, addr)
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	acc := &account{addr: addr, prepared: p}
	if len(sa.StorageStat) > 0 {
		if acc.stat, err = cell.FromBOC(sa.StorageStat); err != nil {
			return nil, fmt.Errorf("reading storage stat: %w", err)
		}
	}
	if err := acc.snapshot(); err != nil {
		return nil, err
	}
	for i, raw := range sa.Transactions {
		tc, err := cell.FromBOC(raw)
		if err != nil {
			return nil, fmt.Errorf("reading transaction %d: %w", i, err)
		}
		st, err := storeTx(tc)
		if err != nil {
			return nil, fmt.Errorf("reading transaction %d: %w", i, err)
		}
		acc.txs = append(acc.txs, st)
	}
	return acc, nil
}
