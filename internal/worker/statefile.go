package worker

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/statefile"
)

// stateFileVersion is the layout of the worker's state file.
const stateFileVersion = 1

// saveEvery is how often the worker writes its state file when an
// account changed; it also writes it when it stops.
const saveEvery = 2 * time.Second

// stateFile is the persisted form of the worker's accounts.
type stateFile struct {
	Version  int            `json:"version"`
	Owner    string         `json:"owner_address"`
	Accounts []accountState `json:"accounts"`
}

// accountState is one account at a proxy contract as persisted: the
// proxy and the contracts as checked, the proxy's figures and the best
// signed payout.
type accountState struct {
	// Proxy is the proxy's worker endpoint as last connected.
	Proxy      string `json:"proxy"`
	ProxyOwner string `json:"proxy_owner_address"`
	ProxyKey   string `json:"proxy_public_key"` // hex
	ProxySC    string `json:"proxy_sc_address"`
	// WorkerSC is the worker contract, the key.
	WorkerSC string `json:"worker_sc_address"`
	// BestPayout is the BoC of the highest signed payout, base64; empty
	// when none came.
	BestPayout   string `json:"best_payout,omitempty"`
	SignedTokens int64  `json:"signed_tokens"`
	DBTokens     int64  `json:"tokens_committed_to_db"`
	MaxTokens    int64  `json:"max_tokens"`
	Requests     int64  `json:"requests"`
	// FeeNano is the worker fee per token of the contract's params, when
	// read (FeeKnown).
	FeeNano    int64 `json:"fee_per_token_nano,string"`
	FeeKnown   bool  `json:"fee_known"`
	Superseded bool  `json:"superseded"`
}

// loadState reads the worker's state file; a missing file is an empty
// state. The file must name owner.
func loadState(path string, owner *address.Address) ([]accountState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the worker state file: %w", err)
	}
	var f stateFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("reading the worker state file %s: %w", path, err)
	}
	if f.Version != stateFileVersion {
		return nil, fmt.Errorf("reading the worker state file %s: version %d, want %d", path, f.Version, stateFileVersion)
	}
	o, err := address.ParseAddr(f.Owner)
	if err != nil || !o.Equals(owner) {
		return nil, fmt.Errorf("reading the worker state file %s: it holds the accounts of owner %q, not of this worker's %s", path, f.Owner, owner)
	}
	return f.Accounts, nil
}

// restore builds the account a state entry describes: its contracts must
// parse and the best payout, if any, verify as the proxy's for the
// worker contract.
func (st accountState) restore() (*account, error) {
	a := &account{Holding: payment.Holding{Endpoint: st.Proxy, Requests: st.Requests, Signed: st.SignedTokens, DB: st.DBTokens, Max: st.MaxTokens},
		superseded: st.Superseded, fee: billing.NanoTON(st.FeeNano), feeKnown: st.FeeKnown}
	var err error
	if a.ProxyOwner, err = address.ParseAddr(st.ProxyOwner); err != nil {
		return nil, fmt.Errorf("proxy_owner_address %q: %w", st.ProxyOwner, err)
	}
	if a.ProxySC, err = address.ParseAddr(st.ProxySC); err != nil {
		return nil, fmt.Errorf("proxy_sc_address %q: %w", st.ProxySC, err)
	}
	if a.Own, err = address.ParseAddr(st.WorkerSC); err != nil {
		return nil, fmt.Errorf("worker_sc_address %q: %w", st.WorkerSC, err)
	}
	key, err := hex.DecodeString(st.ProxyKey)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("proxy_public_key is not %d bytes of hex", ed25519.PublicKeySize)
	}
	a.Key = ed25519.PublicKey(key)
	switch {
	case st.SignedTokens < 0 || st.DBTokens < 0 || st.MaxTokens < 0 || st.Requests < 0 || st.FeeNano < 0:
		return nil, errors.New("negative figures")
	case st.DBTokens > st.MaxTokens:
		return nil, fmt.Errorf("%d tokens committed of %d", st.DBTokens, st.MaxTokens)
	}
	if st.BestPayout != "" {
		if a.Best, err = base64.StdEncoding.DecodeString(st.BestPayout); err != nil {
			return nil, fmt.Errorf("best_payout: %w", err)
		}
	}
	if err := a.CheckBest("best_payout", "payout", workerOps...); err != nil {
		return nil, err
	}
	return a, nil
}

// persisted is the state entry of an account with contracts; the caller
// holds a.mu and the Worker's mu.
func (a *account) persisted() accountState {
	st := accountState{
		Proxy: a.Endpoint, ProxyOwner: a.ProxyOwner.String(), ProxyKey: hex.EncodeToString(a.Key),
		ProxySC: a.ProxySC.String(), WorkerSC: a.Own.String(),
		SignedTokens: a.Signed, DBTokens: a.DB, MaxTokens: a.Max,
		Requests: a.Requests, FeeNano: int64(a.fee), FeeKnown: a.feeKnown, Superseded: a.superseded,
	}
	if a.Best != nil {
		st.BestPayout = base64.StdEncoding.EncodeToString(a.Best)
	}
	return st
}

// restoreAccounts loads the state file into the accounts, before Run.
func (w *Worker) restoreAccounts() error {
	if w.cfg.StateFile == "" || w.contracts == nil {
		return nil
	}
	saved, err := loadState(w.cfg.StateFile, w.owner)
	if err != nil {
		return err
	}
	for i, st := range saved {
		a, err := st.restore()
		if err != nil {
			return fmt.Errorf("reading the worker state file %s: account %d: %w", w.cfg.StateFile, i, err)
		}
		k := accountKey(a.Endpoint, a.Own)
		if w.accounts[k] != nil {
			return fmt.Errorf("reading the worker state file %s: account %d: %s is listed twice", w.cfg.StateFile, i, a.Own)
		}
		w.accounts[k] = a
	}
	w.lastSaved = w.stateBytes()
	return nil
}

// stateBytes encodes the accounts with contracts as the state file keeps
// them, in the order of their keys.
func (w *Worker) stateBytes() []byte {
	w.mu.Lock()
	var list []accountState
	for _, k := range slices.Sorted(maps.Keys(w.accounts)) {
		a := w.accounts[k]
		if a.Own == nil {
			continue
		}
		a.mu.Lock()
		list = append(list, a.persisted())
		a.mu.Unlock()
	}
	w.mu.Unlock()
	b, _ := json.MarshalIndent(stateFile{Version: stateFileVersion, Owner: w.owner.String(), Accounts: list}, "", "  ") // plain structs always marshal
	return append(b, '\n')
}

// saveState writes the state file when the accounts changed since the
// last write. Only saveLoop calls it.
func (w *Worker) saveState() error {
	b := w.stateBytes()
	if bytes.Equal(b, w.lastSaved) {
		return nil
	}
	if err := statefile.Write(w.cfg.StateFile, b); err != nil {
		return fmt.Errorf("writing the worker state file: %w", err)
	}
	w.lastSaved = b
	return nil
}

// saveLoop writes the state file every saveEvery while ctx lasts, and
// once more after done is closed, when every connection has ended.
func (w *Worker) saveLoop(ctx context.Context, done <-chan struct{}) {
	t := time.NewTicker(saveEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			if err := w.saveState(); err != nil {
				w.log.Error("writing the worker state file", "err", err)
			}
			return
		case <-t.C:
			if err := w.saveState(); err != nil && ctx.Err() == nil {
				w.log.Warn("writing the worker state file", "err", err)
			}
		}
	}
}
