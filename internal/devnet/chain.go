package devnet

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/contracts/rootadmin"
	"github.com/cocoon-go/cocoon/internal/statefile"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
	"github.com/cocoon-go/cocoon/internal/trust"
)

// The chains a devnet runs on.
const (
	// ChainFake is the reference's fake-TON semantics: no chain at all,
	// pseudo-deployed contracts with a fixed stake; nothing moves.
	ChainFake = "fake"
	// ChainEmulated is the emulated TON chain: the contracts are deployed
	// at start and the roles move money through them.
	ChainEmulated = "emulated"
)

// File names in a devnet's data directory.
const (
	// ChainStateFile holds the emulated chain (`cocoon chain state
	// --state DIR/chain.json`).
	ChainStateFile = "chain.json"
	// KeysFile holds the node keys that fix the devnet's contract
	// addresses, so that a restarted devnet finds its contracts again.
	KeysFile = "keys.json"
	// LedgerFile is the proxy's ledger database.
	LedgerFile = "ledger.db"
	// AdminKeyFile holds the root owner's wallet seed in hex, as
	// `cocoon root … --owner-key` reads it.
	AdminKeyFile = "admin.key"
)

// Funding of the devnet's wallets from the faucet, in nanoTON: enough for
// thousands of operations at 0.7 TON of attached gas, whose excesses come
// back.
const (
	walletFunding = 1000 * billing.TON
	rootBalance   = billing.TON
)

// adminNetworkID is the network id of the admin's v5r1 wallet, the
// default of `cocoon root`'s --network-id.
const adminNetworkID = -239

// rootProxySeqno is the seqno of the devnet's proxy in the root's list.
const rootProxySeqno = 1

// Addresses are the accounts of a devnet on the emulated chain, printed at
// start so that a user can read them with `cocoon chain state`.
type Addresses struct {
	// Root is the root contract; Admin its owner's wallet.
	Root, Admin *address.Address
	// ProxyContract is the proxy's contract (deployed by the proxy at
	// start); ProxyWallet its cocoon wallet, which sends its messages;
	// ProxyOwner the owner_address of proxy.json, which owns both.
	ProxyContract, ProxyWallet, ProxyOwner *address.Address
	// ClientContract is the client's contract at the proxy (deployed by
	// the client on its first connection); ClientWallet its cocoon
	// wallet, which owns the contract (as `cocoon client` on a chain has
	// it); ClientOwner the owner_address of client.json, which owns the
	// wallet.
	ClientContract, ClientWallet, ClientOwner *address.Address
	// ClientGeneration is the generation of ClientContract (0 unless the
	// client opened a new contract after closing one: see
	// client.ProxyID); from 1 on, ClientContractOwner is the wallet's
	// subwallet that owns it, which the wallet funds.
	ClientGeneration    uint32
	ClientContractOwner *address.Address
	// WorkerContracts, WorkerWallets and WorkerOwners are per worker: the
	// contract at the proxy, the cocoon wallet that relays payouts and the
	// owner_address of worker-N.json, which owns both and receives the
	// payouts.
	WorkerContracts, WorkerWallets, WorkerOwners []*address.Address
}

// keyFile is the JSON layout of KeysFile. Seeds are hex Ed25519 seeds,
// addresses raw.
type keyFile struct {
	Root         string `json:"root_address,omitempty"`
	Admin        string `json:"admin_seed"`
	Proxy        string `json:"proxy_seed"`
	ProxyWallet  string `json:"proxy_wallet_seed"`
	ClientWallet string `json:"client_wallet_seed"`
	ClientSecret string `json:"client_secret"`
	// ProxyOwner and ClientOwner are the owner_address of proxy.json and
	// client.json. Key files of older devnets lack them; see loadKeys.
	ProxyOwner  string       `json:"proxy_owner_address,omitempty"`
	ClientOwner string       `json:"client_owner_address,omitempty"`
	Workers     []workerKeys `json:"workers"`
}

type workerKeys struct {
	Wallet string `json:"wallet_seed"`
	Owner  string `json:"owner_address"`
}

// nodeKeys are the decoded keys of a devnet.
type nodeKeys struct {
	admin, proxy, proxyWallet, clientWallet ed25519.PrivateKey
	clientSecret                            string
	workerWallets                           []ed25519.PrivateKey
	// proxyOwner, clientOwner and workerOwners are the nodes' config
	// owner_address: each owns the node's cocoon wallet, and the proxy's
	// and the workers' own their contracts.
	proxyOwner, clientOwner *address.Address
	workerOwners            []*address.Address
	// root is the root contract a previous run deployed, or nil.
	root *address.Address
	// olderWallets, for a key file of an older devnet whose admin owned
	// every wallet, are those wallets that are no longer the nodes': the
	// proxy's and the workers'. They keep their funds.
	olderWallets []*address.Address
}

func newSeed() string {
	var s [ed25519.SeedSize]byte
	rand.Read(s[:])
	return hex.EncodeToString(s[:])
}

func parseSeed(name, s string) (ed25519.PrivateKey, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != ed25519.SeedSize {
		return nil, fmt.Errorf("reading devnet keys: %s is not a hex Ed25519 seed of %d bytes", name, ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(b), nil
}

// loadKeys reads the keys of dir, adding fresh ones for what is missing
// (a new directory, or more workers than last time), and writes them back.
// An empty dir gives fresh keys kept in memory only.
//
// The proxy's and the client's owner default to the admin, whose key is
// in the directory. A key file of an older devnet, whose wallets were all
// owned by the admin and whose proxy contract by the proxy's wallet, gets
// that wallet as the proxy's owner instead: so its proxy contract, and the
// client and worker contracts under it, stay where they are. Its client
// wallet stays too (owned by the admin); the proxy's and the workers'
// wallets are now owned by their configs' owners, hence new, and the old
// ones keep their funds on chain under the admin's escape hatch.
func loadKeys(dir string, workers int) (*nodeKeys, error) {
	var kf keyFile
	path := ""
	if dir != "" {
		path = filepath.Join(dir, KeysFile)
		switch b, err := os.ReadFile(path); {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("reading devnet keys: %w", err)
		default:
			if err := json.Unmarshal(b, &kf); err != nil {
				return nil, fmt.Errorf("reading devnet keys %s: %w", path, err)
			}
		}
	}
	// A key file with wallets but no proxy owner is an older devnet's:
	// the wallets its admin owned are the proxy's and the workers'.
	var older []string
	if kf.ProxyWallet != "" && kf.ProxyOwner == "" {
		older = append(older, kf.ProxyWallet)
		for _, w := range kf.Workers {
			older = append(older, w.Wallet)
		}
	}
	for _, s := range []*string{&kf.Admin, &kf.Proxy, &kf.ProxyWallet, &kf.ClientWallet, &kf.ClientSecret} {
		if *s == "" {
			*s = newSeed()
		}
	}
	for len(kf.Workers) < workers {
		kf.Workers = append(kf.Workers, workerKeys{Wallet: newSeed(), Owner: contracts.NewOwnerAddress().StringRaw()})
	}
	k := &nodeKeys{clientSecret: kf.ClientSecret}
	var err error
	for _, s := range []struct {
		name, seed string
		dst        *ed25519.PrivateKey
	}{{"admin_seed", kf.Admin, &k.admin}, {"proxy_seed", kf.Proxy, &k.proxy}, {"proxy_wallet_seed", kf.ProxyWallet, &k.proxyWallet}, {"client_wallet_seed", kf.ClientWallet, &k.clientWallet}} {
		if *s.dst, err = parseSeed(s.name, s.seed); err != nil {
			return nil, err
		}
	}
	if err := k.owners(&kf, older); err != nil {
		return nil, err
	}
	for i, w := range kf.Workers[:workers] {
		key, err := parseSeed(fmt.Sprintf("workers[%d].wallet_seed", i), w.Wallet)
		if err != nil {
			return nil, err
		}
		owner, err := address.ParseRawAddr(w.Owner)
		if err != nil {
			return nil, fmt.Errorf("reading devnet keys: workers[%d].owner_address: %w", i, err)
		}
		k.workerWallets = append(k.workerWallets, key)
		k.workerOwners = append(k.workerOwners, owner)
	}
	if kf.Root != "" {
		if k.root, err = address.ParseRawAddr(kf.Root); err != nil {
			return nil, fmt.Errorf("reading devnet keys: root_address: %w", err)
		}
	}
	if path != "" {
		if err := writeKeys(dir, kf); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// owners sets the proxy's and the client's owner from kf, filling in
// kf's missing ones (see loadKeys). older are the wallet seeds of an older
// devnet's key file, the proxy's first: its admin owned those wallets,
// which k.olderWallets lists.
func (k *nodeKeys) owners(kf *keyFile, older []string) error {
	adminWallet, err := ton.NewV5R1(k.admin, adminNetworkID)
	if err != nil {
		return err
	}
	admin := adminWallet.Address()
	if len(older) > 0 {
		code, err := contracts.Code(contracts.Wallet)
		if err != nil {
			return err
		}
		for i, seed := range older {
			key, err := parseSeed(fmt.Sprintf("older wallet seed %d", i), seed)
			if err != nil {
				return err
			}
			w, err := ton.NewCocoonWallet(code, key, admin)
			if err != nil {
				return err
			}
			k.olderWallets = append(k.olderWallets, w.Address())
		}
		// The older devnet's proxy contract was owned by its wallet.
		kf.ProxyOwner = k.olderWallets[0].StringRaw()
	}
	for _, o := range []*string{&kf.ProxyOwner, &kf.ClientOwner} {
		if *o == "" {
			*o = admin.StringRaw()
		}
	}
	if k.proxyOwner, err = address.ParseRawAddr(kf.ProxyOwner); err != nil {
		return fmt.Errorf("reading devnet keys: proxy_owner_address: %w", err)
	}
	if k.clientOwner, err = address.ParseRawAddr(kf.ClientOwner); err != nil {
		return fmt.Errorf("reading devnet keys: client_owner_address: %w", err)
	}
	return nil
}

// saveRoot records the deployed root's address in dir's key file.
func saveRoot(dir string, root *address.Address) error {
	if dir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(dir, KeysFile))
	if err != nil {
		return fmt.Errorf("recording the root address: %w", err)
	}
	var kf keyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		return fmt.Errorf("recording the root address: %w", err)
	}
	kf.Root = root.StringRaw()
	return writeKeys(dir, kf)
}

// writeKeys writes the key file and the admin key file, readable by the
// owner only, each through a temporary file and a rename.
func writeKeys(dir string, kf keyFile) error {
	b, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return fmt.Errorf("writing devnet keys: %w", err)
	}
	for name, data := range map[string][]byte{KeysFile: append(b, '\n'), AdminKeyFile: []byte(kf.Admin + "\n")} {
		if err := statefile.Write(filepath.Join(dir, name), data); err != nil {
			return fmt.Errorf("writing devnet keys: %w", err)
		}
	}
	return nil
}

// tonNet is a devnet's emulated chain with its root contract and the
// nodes' wallets.
type tonNet struct {
	// chain is the emulated chain the nodes and the devnet share.
	chain  *emulated.Chain
	root   *address.Address
	params contracts.Params
	keys   *nodeKeys
	// admin is the root's owner: a v5r1 wallet of the admin key.
	admin *rootadmin.Wallet
	// proxyWallet, clientWallet and workerWallets are the nodes' cocoon
	// wallets, each owned (its escape hatch) by the node's owner, as the
	// role commands derive them from the node configs.
	proxyWallet, clientWallet *ton.CocoonWallet
	workerWallets             []*ton.CocoonWallet
	// deployed is set when this run deployed the root: the chain is new.
	deployed bool
	// models are the hashes of the workers' full model names, and
	// workerImages the workers' image hashes, which the root lists.
	models, workerImages []contracts.Hash
}

// FakeImageHash is the image hash of every fake TDX node: what the
// devnet's root lists in its proxy_hashes and worker_hashes.
var FakeImageHash = contracts.Hash(attest.Measurements{Kind: attest.KindFakeTDX}.ImageHash())

// openChain opens the emulated chain at statePath (empty: in memory) and
// makes sure the root contract is deployed with the proxy registered at
// desc ("workers_host:port clients_host:port"), the fake TDX image hash in
// its proxy_hashes, workerImages (the workers' fake image hashes) in its
// worker_hashes and the hashes of models, the workers' full model names,
// in its model_hashes, and that the wallets are funded.
// A chain that already holds the keys' root is reused: a changed proxy
// endpoint and any of those hashes it lacks are updated, by the admin. The
// chain's clock is clock (nil: the wall clock).
func openChain(ctx context.Context, statePath, dataDir string, keys *nodeKeys, desc string, models []string, workerImages []contracts.Hash, settle Settlement, clock func() time.Time) (*tonNet, error) {
	chain, err := emulated.New(emulated.Options{Path: statePath, Clock: clock})
	if err != nil {
		return nil, fmt.Errorf("opening the emulated chain: %w", err)
	}
	params, err := contracts.FakeTONParams()
	if err != nil {
		return nil, err
	}
	settle.closeDelays(&params)
	t := &tonNet{chain: chain, params: params, keys: keys}
	for _, h := range workerImages {
		if !slices.Contains(t.workerImages, h) {
			t.workerImages = append(t.workerImages, h)
		}
	}
	for _, m := range models {
		if h := contracts.Hash(trust.ModelHash(m)); !slices.Contains(t.models, h) {
			t.models = append(t.models, h)
		}
	}
	if t.admin, err = rootadmin.NewV5R1Wallet(keys.admin, adminNetworkID); err != nil {
		return nil, err
	}
	code, err := contracts.Code(contracts.Wallet)
	if err != nil {
		return nil, err
	}
	if t.proxyWallet, err = ton.NewCocoonWallet(code, keys.proxyWallet, keys.proxyOwner); err != nil {
		return nil, err
	}
	if t.clientWallet, err = ton.NewCocoonWallet(code, keys.clientWallet, keys.clientOwner); err != nil {
		return nil, err
	}
	for i, k := range keys.workerWallets {
		w, err := ton.NewCocoonWallet(code, k, keys.workerOwners[i])
		if err != nil {
			return nil, err
		}
		t.workerWallets = append(t.workerWallets, w)
	}

	// A wallet holding less than half its funding (a new one, or one a
	// long-lived devnet spent on gas) is sent its funding again. The
	// wallets of an older devnet that are no longer the nodes' are left
	// as they are.
	for _, a := range t.fundedAccounts() {
		acc, err := chain.Account(ctx, a)
		if err != nil && !errors.Is(err, ton.ErrNotFound) {
			return nil, fmt.Errorf("reading wallet %s: %w", a, err)
		}
		if err == nil && acc.Balance >= walletFunding/2 {
			continue
		}
		if err := chain.Fund(ctx, a, walletFunding); err != nil {
			return nil, err
		}
	}
	if keys.root != nil {
		switch acc, err := chain.Account(ctx, keys.root); {
		case err == nil && acc.Status == ton.StatusActive:
			t.root = keys.root
			if err := t.updateProxy(ctx, acc, desc); err != nil {
				return nil, err
			}
			if err := t.registerHashes(ctx, acc); err != nil {
				return nil, err
			}
		case err != nil && !errors.Is(err, ton.ErrNotFound):
			return nil, fmt.Errorf("reading the root contract: %w", err)
		}
	}
	if t.root == nil {
		if err := t.deploy(ctx, desc); err != nil {
			return nil, err
		}
		if err := saveRoot(dataDir, t.root); err != nil {
			return nil, err
		}
		t.deployed = true
	}
	return t, nil
}

// fundedAccounts are the wallets the faucet funds.
func (t *tonNet) fundedAccounts() []*address.Address {
	out := []*address.Address{t.admin.Address(), t.proxyWallet.Address(), t.clientWallet.Address()}
	for _, w := range t.workerWallets {
		out = append(out, w.Address())
	}
	return out
}

// rootConfig is the devnet's initial root: the fake-TON params, the
// fake-TDX image hash allowed for proxies and workers, the workers' model
// and the proxy. The roles check their peers against these lists as they
// do on TON.
func (t *tonNet) rootConfig(desc string) contracts.RootConfig {
	return contracts.RootConfig{
		Owner: t.admin.Address(), Version: 1,
		ProxyHashes: []contracts.Hash{FakeImageHash}, WorkerHashes: t.workerImages, ModelHashes: t.models,
		Proxies:        []contracts.RegisteredProxy{{Seqno: rootProxySeqno, Desc: desc}},
		LastProxySeqno: rootProxySeqno,
		Params:         t.params,
	}
}

func (t *tonNet) deploy(ctx context.Context, desc string) error {
	d, err := rootadmin.DeployRoot(ctx, t.chain, t.chain.Faucet(), t.rootConfig(desc), rootBalance, 0)
	if err != nil {
		return fmt.Errorf("deploying the root contract: %w", err)
	}
	t.root = d.Root
	return nil
}

// owner is the admin sending the root's owner operations; the emulated
// chain applies each before the wallet's send returns.
func (t *tonNet) owner() rootadmin.Owner {
	return rootadmin.Owner{Chain: t.chain, Root: t.root, Wallet: t.admin, Amount: billing.TON / 10}
}

// updateProxy points the root's entry of the proxy at desc when a
// restarted devnet listens elsewhere.
func (t *tonNet) updateProxy(ctx context.Context, root ton.Account, desc string) error {
	cfg, err := contracts.ParseRootConfig(root.Data)
	if err != nil {
		return err
	}
	for _, p := range cfg.Proxies {
		if p.Seqno == rootProxySeqno && p.Desc == desc {
			return nil
		}
	}
	if _, err := t.owner().Run(ctx, "update proxy", rootadmin.UpdateProxy(rootProxySeqno, desc)); err != nil {
		return fmt.Errorf("updating the proxy's endpoint in the root: %w", err)
	}
	return nil
}

// registerHashes adds, by the admin, what a reused root lacks of the fake
// TDX image hash in its proxy_hashes, the workers' image hashes in its
// worker_hashes and their models in its model_hashes: a restarted devnet runs again, also with
// another model, while a hash removed during a run stays removed for the
// rest of it.
func (t *tonNet) registerHashes(ctx context.Context, root ton.Account) error {
	cfg, err := contracts.ParseRootConfig(root.Data)
	if err != nil {
		return err
	}
	type registration struct {
		op   contracts.Op
		has  bool
		hash contracts.Hash
	}
	regs := []registration{{contracts.OpAddProxyType, cfg.HasProxyHash(FakeImageHash), FakeImageHash}}
	for _, h := range t.workerImages {
		regs = append(regs, registration{contracts.OpAddWorkerType, cfg.HasWorkerHash(h), h})
	}
	for _, h := range t.models {
		regs = append(regs, registration{contracts.OpAddModelType, cfg.HasModelHash(h), h})
	}
	for _, h := range regs {
		if h.has {
			continue
		}
		if _, err := t.owner().Run(ctx, h.op.String(), rootadmin.HashOp(h.op, h.hash)); err != nil {
			return fmt.Errorf("registering hash %x in the root: %w", h.hash, err)
		}
	}
	return nil
}

// addresses lists the network's accounts; the child contracts are derived
// under the root, whether deployed yet or not.
func (t *tonNet) addresses(c *contracts.Derivation) (*Addresses, error) {
	proxyOwner := t.keys.proxyOwner
	proxyKey := t.keys.proxy.Public().(ed25519.PublicKey)
	a := &Addresses{
		Root: t.root, Admin: t.admin.Address(),
		ProxyWallet: t.proxyWallet.Address(), ProxyOwner: proxyOwner,
		ClientWallet: t.clientWallet.Address(), ClientOwner: t.keys.clientOwner,
	}
	var err error
	if a.ProxyContract, err = c.ProxyAddress(proxyOwner, proxyKey); err != nil {
		return nil, err
	}
	if a.ClientContract, err = c.ClientAddress(a.ClientWallet, proxyOwner, proxyKey); err != nil {
		return nil, err
	}
	for i, w := range t.workerWallets {
		owner := t.keys.workerOwners[i]
		wc, err := c.WorkerAddress(owner, proxyOwner, proxyKey)
		if err != nil {
			return nil, err
		}
		a.WorkerContracts = append(a.WorkerContracts, wc)
		a.WorkerWallets = append(a.WorkerWallets, w.Address())
		a.WorkerOwners = append(a.WorkerOwners, owner)
	}
	return a, nil
}

// chainPoll is how often the adapters read an awaited chain state; the
// emulated chain applies a message before SendExternal returns, so the
// first read normally finds it.
const chainPoll = 100 * time.Millisecond
