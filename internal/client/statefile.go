package client

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/statefile"
)

// Phase is where a client contract stands in the client's fund recovery.
type Phase string

// The phases of a client contract: running until the client asks for its
// refund (the first owner_client_request_refund), refund-requested until
// the chain shows the contract closed, either because the proxy granted
// the refund or because the client claimed it by force after unlock_ts
// (the second request), and closed for good.
const (
	PhaseRunning         Phase = "running"
	PhaseRefundRequested Phase = "refund-requested"
	PhaseClosed          Phase = "closed"
)

func (p Phase) valid() bool {
	return p == PhaseRunning || p == PhaseRefundRequested || p == PhaseClosed
}

// stateFileVersion is the layout of the state file.
const stateFileVersion = 1

// stateFile is the persisted form of the client's contracts.
type stateFile struct {
	Version   int             `json:"version"`
	Owner     string          `json:"owner_address"`
	Contracts []contractState `json:"contracts"`
}

// contractState is one contract as persisted.
type contractState struct {
	// Address is the client contract's address, the key.
	Address    string `json:"client_sc_address"`
	ProxyOwner string `json:"proxy_owner_address"`
	ProxyKey   string `json:"proxy_public_key"` // hex
	// ProxySC is the proxy contract the client contract is at; files
	// written before it was kept lack it.
	ProxySC string `json:"proxy_sc_address,omitempty"`
	// Generation is the generation of the client's contracts the contract
	// belongs to (ProxyID.Generation); files written before generations
	// lack it, their contracts are generation 0.
	Generation uint32 `json:"generation,omitempty"`
	// Proxy is the proxy's client endpoint as last connected.
	Proxy    string `json:"proxy"`
	Phase    Phase  `json:"phase"`
	UnlockTS int64  `json:"unlock_ts"`
	// SupersededAt is when the proxy was first seen under a newer
	// contract than this one's (Unix seconds; zero while it is not), from
	// which the client waits ClientContract.CloseWait before it closes
	// this one itself, across restarts; files written before it was kept
	// lack it.
	SupersededAt int64 `json:"superseded_at,omitempty"`
	// The client's account at the proxy for this contract, as the
	// proxy's verified reports gave it: the highest signed charge (a BoC,
	// base64), the signed, committed and total tokens and the requests
	// the proxy reported billing. Files written before they were kept
	// lack them, as do contracts whose proxy has not reported yet.
	BestCharge   string `json:"best_charge,omitempty"`
	SignedTokens int64  `json:"signed_tokens,omitempty"`
	DBTokens     int64  `json:"tokens_committed_to_db,omitempty"`
	MaxTokens    int64  `json:"max_tokens,omitempty"`
	Requests     int64  `json:"requests,omitempty"`
	// PriceNano is the price per token of the contract's params, at
	// which its tokens are valued, once read (PriceKnown).
	PriceNano  int64 `json:"price_per_token_nano,string,omitempty"`
	PriceKnown bool  `json:"price_known,omitempty"`
}

// hasAccount reports whether the entry keeps the client's account at the
// proxy.
func (c contractState) hasAccount() bool {
	return c.BestCharge != "" || c.SignedTokens != 0 || c.DBTokens != 0 || c.MaxTokens != 0 || c.Requests != 0
}

// loadState reads the state file at path; a missing file is an empty
// state. owner is the client's owner address, which the file must name.
func loadState(path string, owner *address.Address) ([]contractState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the client state file: %w", err)
	}
	var f stateFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("reading the client state file %s: %w", path, err)
	}
	if err := f.check(owner); err != nil {
		return nil, fmt.Errorf("reading the client state file %s: %w", path, err)
	}
	return f.Contracts, nil
}

// check validates a decoded state file.
func (f *stateFile) check(owner *address.Address) error {
	if f.Version != stateFileVersion {
		return fmt.Errorf("version %d, want %d", f.Version, stateFileVersion)
	}
	o, err := address.ParseAddr(f.Owner)
	if err != nil {
		return fmt.Errorf("owner_address %q: %w", f.Owner, err)
	}
	if !o.Equals(owner) {
		return fmt.Errorf("the file holds the contracts of owner %s, not of this client's %s", o, owner)
	}
	seen := map[string]bool{}
	for i, c := range f.Contracts {
		a, err := address.ParseAddr(c.Address)
		if err != nil {
			return fmt.Errorf("contract %d: client_sc_address %q: %w", i, c.Address, err)
		}
		if seen[a.String()] {
			return fmt.Errorf("contract %d: %s is listed twice", i, a)
		}
		seen[a.String()] = true
		if _, err := c.proxyID(); err != nil {
			return fmt.Errorf("contract %d: %w", i, err)
		}
		if !c.Phase.valid() {
			return fmt.Errorf("contract %d: unknown phase %q", i, c.Phase)
		}
		if c.UnlockTS < 0 {
			return fmt.Errorf("contract %d: negative unlock_ts %d", i, c.UnlockTS)
		}
		if c.SupersededAt < 0 {
			return fmt.Errorf("contract %d: negative superseded_at %d", i, c.SupersededAt)
		}
		if c.SignedTokens < 0 || c.DBTokens < 0 || c.MaxTokens < 0 || c.Requests < 0 || c.PriceNano < 0 {
			return fmt.Errorf("contract %d: negative figures", i)
		}
		if c.hasAccount() && c.ProxySC == "" {
			return fmt.Errorf("contract %d: an account without proxy_sc_address", i)
		}
	}
	return nil
}

// proxyID decodes the proxy a persisted contract is at.
func (c contractState) proxyID() (ProxyID, error) {
	owner, err := address.ParseAddr(c.ProxyOwner)
	if err != nil {
		return ProxyID{}, fmt.Errorf("proxy_owner_address %q: %w", c.ProxyOwner, err)
	}
	key, err := hex.DecodeString(c.ProxyKey)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return ProxyID{}, fmt.Errorf("proxy_public_key is not %d bytes of hex", ed25519.PublicKeySize)
	}
	id := ProxyID{Owner: owner, Key: ed25519.PublicKey(key), Generation: c.Generation}
	if c.ProxySC != "" {
		if id.Contract, err = address.ParseAddr(c.ProxySC); err != nil {
			return ProxyID{}, fmt.Errorf("proxy_sc_address %q: %w", c.ProxySC, err)
		}
	}
	return id, nil
}

// encodeState is the state file's content.
func encodeState(owner *address.Address, contracts []contractState) []byte {
	b, _ := json.MarshalIndent(stateFile{Version: stateFileVersion, Owner: owner.String(), Contracts: contracts}, "", "  ") // plain structs always marshal
	return append(b, '\n')
}

// saveState writes the state file atomically.
func saveState(path string, b []byte) error {
	if err := statefile.Write(path, b); err != nil {
		return fmt.Errorf("writing the client state file: %w", err)
	}
	return nil
}
