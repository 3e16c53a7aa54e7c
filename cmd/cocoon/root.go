package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/contracts/rootadmin"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
	"github.com/cocoon-go/cocoon/internal/ton/liteclient"
)

func init() {
	commands["root"] = command{summary: "administer the COCOON root contract: hashes, proxies, prices", run: runRoot}
}

const rootUsage = `Usage:
  cocoon root show --root ADDR CHAIN [--json]
  cocoon root add-proxy-hash HASH   SEND      cocoon root del-proxy-hash HASH   SEND
  cocoon root add-worker-hash HASH  SEND      cocoon root del-worker-hash HASH  SEND
  cocoon root add-model-hash (HASH | --model-name NAME) SEND
  cocoon root del-model-hash (HASH | --model-name NAME) SEND
  cocoon root register-proxy --addr "HOST:PORT [HOST:PORT]" SEND
  cocoon root update-proxy --seqno N --addr "HOST:PORT [HOST:PORT]" SEND
  cocoon root unregister-proxy --seqno N SEND
  cocoon root set-prices [--price TON] [--fee TON] [--proxy-delay S] [--client-delay S]
                         [--min-proxy-stake TON] [--min-client-stake TON] SEND
  cocoon root set-owner --new-owner ADDR SEND
  cocoon root upgrade-contracts SEND
  cocoon root deploy --state FILE --owner-key FILE [--wallet v5r1|cocoon] [--fund TON] [params]
  cocoon root wallet-address --key FILE [--wallet v5r1|cocoon] [--wallet-owner ADDR] [--network-id N]

CHAIN is --state FILE (the emulated chain a devnet keeps) or --ton-config FILE
(a real network through the liteservers of a TON global config).
SEND is --root ADDR CHAIN --key FILE [--wallet v5r1|cocoon] [--wallet-owner ADDR]
[--network-id N] [--amount TON] [--timeout D]: the owner's wallet, whose Ed25519
seed (32 bytes in hex or base64) is in FILE, sends the operation to the root;
the command waits for the root's transaction and reports its exit code.

HASH is 64 hex digits; a model hash is sha256 of the full model name
("name@commit:verity"). register-proxy gives workers the first address and
clients the second (or both the only one). set-prices changes only what is
given: price and fee alone use the root's change_price; delays or minimum
stakes use change_params (the price multipliers cannot be changed on chain).
upgrade-contracts sets the proxy, worker and client code built into this
binary. deploy works on an emulated chain only: it deploys a root owned by
the key's wallet and funds that wallet from the faucet. wallet-address
prints the address of the key's wallet: the one to fund, and the owner a
root must name.`

func runRoot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, rootUsage)
		return usageError{"root needs a subcommand"}
	}
	name, rest := args[0], args[1:]
	hashOps := map[string]struct {
		op    contracts.Op
		model bool
	}{
		"add-proxy-hash":  {contracts.OpAddProxyType, false},
		"del-proxy-hash":  {contracts.OpDelProxyType, false},
		"add-worker-hash": {contracts.OpAddWorkerType, false},
		"del-worker-hash": {contracts.OpDelWorkerType, false},
		"add-model-hash":  {contracts.OpAddModelType, true},
		"del-model-hash":  {contracts.OpDelModelType, true},
	}
	if h, ok := hashOps[name]; ok {
		return runRootHash(ctx, name, h.op, h.model, rest, stdout, stderr)
	}
	switch name {
	case "show":
		return runRootShow(ctx, rest, stdout, stderr)
	case "register-proxy", "update-proxy", "unregister-proxy":
		return runRootProxy(ctx, name, rest, stdout, stderr)
	case "set-prices":
		return runRootSetPrices(ctx, rest, stdout, stderr)
	case "set-owner":
		return runRootSetOwner(ctx, rest, stdout, stderr)
	case "upgrade-contracts":
		return runRootUpgrade(ctx, rest, stdout, stderr)
	case "deploy":
		return runRootDeploy(ctx, rest, stdout, stderr)
	case "wallet-address":
		return runRootWalletAddress(rest, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, rootUsage)
		return nil
	}
	fmt.Fprintln(stderr, rootUsage)
	return usageError{fmt.Sprintf("unknown root subcommand %q", name)}
}

// rootParse parses flags that may come before, between or after the
// positional arguments, and returns the positional ones.
func rootParse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// rootParseFlagsOnly parses the flags of a subcommand that takes no
// positional arguments.
func rootParseFlagsOnly(fs *flag.FlagSet, args []string) error {
	pos, err := rootParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError{fs.Name() + " takes flags only"}
	}
	return nil
}

// rootChainFlags choose the chain: an emulated state file or a real
// network.
type rootChainFlags struct {
	state, tonConfig *string
}

func newRootChainFlags(fs *flag.FlagSet) rootChainFlags {
	return rootChainFlags{
		state:     fs.String("state", "", "emulated chain state file (as a devnet writes it)"),
		tonConfig: fs.String("ton-config", "", "TON global config file of a real network"),
	}
}

// check checks the chain flags. With neither --state nor --ton-config
// it takes the devnet's chain in the default data directory, and, where
// they are empty, that devnet's root as root and its admin key as key
// (nil for commands without them).
func (f rootChainFlags) check(cmd string, root, key *string) error {
	if *f.state != "" && *f.tonConfig != "" {
		return usageError{cmd + " needs one of --state and --ton-config, not both"}
	}
	if *f.tonConfig != "" {
		return nil
	}
	dir := defaultDevnetDir()
	if *f.state == "" {
		*f.state = devnetChainState(dir)
		if _, err := os.Stat(*f.state); err != nil {
			return usageError{fmt.Sprintf("%s: no devnet chain at %s (start one with `cocoon devnet`), or name a chain with --state FILE or --ton-config FILE", cmd, *f.state)}
		}
	} else {
		dir = filepath.Dir(*f.state)
	}
	if root != nil && *root == "" {
		var cfg struct {
			Root string `json:"root_contract_address"`
		}
		if b, err := os.ReadFile(filepath.Join(dir, "proxy.json")); err == nil && json.Unmarshal(b, &cfg) == nil && cfg.Root != "" {
			*root = cfg.Root
		}
	}
	if key != nil && *key == "" {
		if k := devnetAdminKey(dir); fileExists(k) {
			*key = k
		}
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// rootChain is an opened chain. poll is how often to look for a sent
// message's effect; zero means the chain applies a message before
// SendExternal returns, so there is nothing to wait for.
type rootChain struct {
	ton.Chain
	poll  time.Duration
	close func()
}

func (f rootChainFlags) open(ctx context.Context) (rootChain, error) {
	if *f.state != "" {
		if _, err := os.Stat(*f.state); err != nil {
			return rootChain{}, fmt.Errorf("opening chain state: %w", err)
		}
		c, err := emulated.New(emulated.Options{Path: *f.state})
		if err != nil {
			return rootChain{}, err
		}
		return rootChain{Chain: c, close: func() {}}, nil
	}
	c, err := liteclient.Open(ctx, liteclient.Options{ConfigPath: *f.tonConfig})
	if err != nil {
		return rootChain{}, err
	}
	return rootChain{Chain: c, poll: 2 * time.Second, close: func() { c.Close() }}, nil
}

func rootParseAddr(flagName, s string) (*address.Address, error) {
	if s == "" {
		return nil, usageError{fmt.Sprintf("--%s ADDR is required (the devnet's is read from the proxy.json beside its chain state)", flagName)}
	}
	a, err := address.ParseAddr(s)
	if err != nil {
		if a, err = address.ParseRawAddr(s); err != nil {
			return nil, usageError{fmt.Sprintf("bad --%s address %q", flagName, s)}
		}
	}
	return a, nil
}

func rootParseTON(flagName, s string) (billing.NanoTON, error) {
	n, err := billing.ParseTON(s)
	if err != nil {
		return 0, usageError{fmt.Sprintf("bad --%s: %v", flagName, err)}
	}
	if n < 0 {
		return 0, usageError{fmt.Sprintf("bad --%s: negative amount %s TON", flagName, s)}
	}
	return n, nil
}

// rootParseHash reads a 256-bit hash written as 64 hex digits.
func rootParseHash(s string) (contracts.Hash, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(contracts.Hash{}) {
		return contracts.Hash{}, usageError{fmt.Sprintf("bad hash %q: want 64 hex digits", s)}
	}
	return contracts.Hash(b), nil
}

// rootWalletFlags choose the wallet that signs for the root's owner.
type rootWalletFlags struct {
	kind, owner *string
	networkID   *int
}

func newRootWalletFlags(fs *flag.FlagSet) rootWalletFlags {
	return rootWalletFlags{
		kind:      fs.String("wallet", "v5r1", "wallet contract of the key: v5r1 or cocoon"),
		owner:     fs.String("wallet-owner", "", "owner address stored in the cocoon wallet (with --wallet cocoon)"),
		networkID: fs.Int("network-id", -239, "network global id of the v5r1 wallet (-239 mainnet, -3 testnet)"),
	}
}

func (f rootWalletFlags) open(key ed25519.PrivateKey) (*rootadmin.Wallet, error) {
	switch *f.kind {
	case rootadmin.KindV5R1:
		if *f.owner != "" {
			return nil, usageError{"--wallet-owner is for --wallet cocoon only"}
		}
		return rootadmin.NewV5R1Wallet(key, int32(*f.networkID))
	case rootadmin.KindCocoon:
		owner, err := rootParseAddr("wallet-owner", *f.owner)
		if err != nil {
			return nil, err
		}
		return rootadmin.NewCocoonWallet(key, owner)
	}
	return nil, usageError{fmt.Sprintf("unknown --wallet %q: want v5r1 or cocoon", *f.kind)}
}

// rootSendFlags are the flags of every command that changes the root.
type rootSendFlags struct {
	chain   rootChainFlags
	wallet  rootWalletFlags
	root    *string
	key     *string
	amount  *string
	timeout *time.Duration
}

func newRootSendFlags(fs *flag.FlagSet) rootSendFlags {
	return rootSendFlags{
		chain:   newRootChainFlags(fs),
		wallet:  newRootWalletFlags(fs),
		root:    fs.String("root", "", "address of the root contract"),
		key:     fs.String("key", "", "file holding the owner wallet's Ed25519 seed (hex or base64)"),
		amount:  fs.String("amount", "0.05", "TON attached to the message; the root returns what it does not spend"),
		timeout: fs.Duration("timeout", 2*time.Minute, "how long to wait for the chain and the root's transaction"),
	}
}

// send checks the flags, then has the owner's wallet send the operation
// built by build to the root, waits for the root's transaction and
// prints what changed.
func (f rootSendFlags) send(ctx context.Context, cmd, opName string, build rootadmin.Build, stdout, stderr io.Writer) error {
	if err := f.chain.check(cmd, f.root, f.key); err != nil {
		return err
	}
	root, err := rootParseAddr("root", *f.root)
	if err != nil {
		return err
	}
	if *f.key == "" {
		return usageError{cmd + " needs --key FILE (the owner wallet's seed)"}
	}
	amount, err := rootParseTON("amount", *f.amount)
	if err != nil {
		return err
	}
	if *f.timeout <= 0 {
		return usageError{"--timeout must be positive"}
	}
	key, err := loadKeyFile(*f.key)
	if err != nil {
		return err
	}
	w, err := f.wallet.open(key)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *f.timeout)
	defer cancel()
	chain, err := f.chain.open(ctx)
	if err != nil {
		return err
	}
	defer chain.close()
	owner := rootadmin.Owner{Chain: chain, Root: root, Wallet: w, Amount: amount, Poll: chain.poll,
		Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	r, err := owner.Run(ctx, opName, build)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s done: root %s, transaction lt %d hash %s\n", opName, root, r.Tx.LT, hex.EncodeToString(r.Tx.Hash))
	fmt.Fprintf(stdout, "root version %d -> %d, params version %d -> %d\n", r.Before.Version, r.After.Version, r.Before.Params.ParamsVersion, r.After.Params.ParamsVersion)
	if r.After.LastProxySeqno != r.Before.LastProxySeqno {
		fmt.Fprintf(stdout, "proxy registered under seqno %d\n", r.After.LastProxySeqno)
	}
	return nil
}

func runRootShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("root show", stdout, stderr)
	fs.SetOutput(stderr)
	cf := newRootChainFlags(fs)
	rootFlag := fs.String("root", "", "address of the root contract")
	asJSON := fs.Bool("json", false, "print the configuration as JSON")
	pos, err := rootParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError{"root show takes no arguments"}
	}
	if err := cf.check("root show", rootFlag, nil); err != nil {
		return err
	}
	root, err := rootParseAddr("root", *rootFlag)
	if err != nil {
		return err
	}
	chain, err := cf.open(ctx)
	if err != nil {
		return err
	}
	defer chain.close()
	cfg, err := ton.ReadRootConfig(ctx, chain, root)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(newRootConfigJSON(root, cfg))
	}
	printRootConfig(stdout, root, cfg)
	return nil
}

func runRootHash(ctx context.Context, name string, op contracts.Op, model bool, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("root "+name, stdout, stderr)
	fs.SetOutput(stderr)
	sf := newRootSendFlags(fs)
	var modelName *string
	if model {
		modelName = fs.String("model-name", "", "full model name (name@commit:verity); its sha256 is the hash")
	}
	pos, err := rootParse(fs, args)
	if err != nil {
		return err
	}
	var h contracts.Hash
	switch {
	case model && *modelName != "" && len(pos) == 0:
		h = sha256.Sum256([]byte(*modelName))
		fmt.Fprintf(stdout, "model %q hashes to %x\n", *modelName, h[:])
	case len(pos) == 1 && (!model || *modelName == ""):
		if h, err = rootParseHash(pos[0]); err != nil {
			return err
		}
	case model:
		return usageError{"root " + name + " takes one HASH or --model-name NAME"}
	default:
		return usageError{"root " + name + " takes one HASH"}
	}
	return sf.send(ctx, "root "+name, strings.ReplaceAll(name, "-", " "), rootadmin.HashOp(op, h), stdout, stderr)
}

func runRootProxy(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("root "+name, stdout, stderr)
	fs.SetOutput(stderr)
	sf := newRootSendFlags(fs)
	var addr *string
	if name != "unregister-proxy" {
		addr = fs.String("addr", "", `proxy endpoints: "HOST:PORT" or "WORKERS_HOST:PORT CLIENTS_HOST:PORT"`)
	}
	var seqno *uint
	if name != "register-proxy" {
		seqno = fs.Uint("seqno", 0, "seqno of the registered proxy")
	}
	if err := rootParseFlagsOnly(fs, args); err != nil {
		return err
	}
	if addr != nil {
		if err := rootCheckDesc(*addr); err != nil {
			return err
		}
	}
	if seqno != nil && (*seqno == 0 || *seqno > 1<<32-1) {
		return usageError{"root " + name + " needs --seqno N (1 to 4294967295)"}
	}
	var build rootadmin.Build
	switch name {
	case "register-proxy":
		build = rootadmin.RegisterProxy(*addr)
	case "update-proxy":
		build = rootadmin.UpdateProxy(uint32(*seqno), *addr)
	default:
		build = rootadmin.UnregisterProxy(uint32(*seqno))
	}
	return sf.send(ctx, "root "+name, strings.ReplaceAll(name, "-", " "), build, stdout, stderr)
}

// rootCheckDesc checks --addr: "host:port" or two of them separated by
// one space, as the root takes a proxy's description.
func rootCheckDesc(desc string) error {
	if desc == "" {
		return usageError{`--addr "HOST:PORT [HOST:PORT]" is required`}
	}
	switch err := contracts.CheckProxyDesc(desc); {
	case errors.Is(err, contracts.ErrProxyDescTooLong):
		return usageError{fmt.Sprintf("bad --addr: %d bytes, at most %d", len(desc), contracts.MaxProxyDescUpdate)}
	case err != nil:
		return usageError{fmt.Sprintf("bad --addr %q: %v", desc, err)}
	}
	return nil
}

func runRootSetPrices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("root set-prices", stdout, stderr)
	fs.SetOutput(stderr)
	sf := newRootSendFlags(fs)
	price := fs.String("price", "", "price per token in TON (e.g. 0.00000002)")
	fee := fs.String("fee", "", "worker fee per token in TON")
	proxyDelay := fs.Uint("proxy-delay", 0, "seconds a closing proxy waits before it can complete")
	clientDelay := fs.Uint("client-delay", 0, "seconds a closing client waits before a forced refund")
	minProxy := fs.String("min-proxy-stake", "", "minimum proxy stake in TON")
	minClient := fs.String("min-client-stake", "", "minimum client stake in TON")
	if err := rootParseFlagsOnly(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var c rootadmin.PriceChange
	for name, a := range map[string]struct {
		v   string
		dst **billing.NanoTON
	}{"price": {*price, &c.Price}, "fee": {*fee, &c.Fee}, "min-proxy-stake": {*minProxy, &c.MinProxyStake}, "min-client-stake": {*minClient, &c.MinClientStake}} {
		if !set[name] {
			continue
		}
		n, err := rootParseTON(name, a.v)
		if err != nil {
			return err
		}
		*a.dst = &n
	}
	for name, d := range map[string]struct {
		v   uint
		dst **uint32
	}{"proxy-delay": {*proxyDelay, &c.ProxyDelay}, "client-delay": {*clientDelay, &c.ClientDelay}} {
		if d.v > 1<<32-1 {
			return usageError{fmt.Sprintf("bad --%s: %d seconds does not fit 32 bits", name, d.v)}
		}
		if set[name] {
			s := uint32(d.v)
			*d.dst = &s
		}
	}
	if c == (rootadmin.PriceChange{}) {
		return usageError{"root set-prices: give at least one of --price, --fee, --proxy-delay, --client-delay, --min-proxy-stake, --min-client-stake"}
	}
	opName, build := rootadmin.SetPrices(c)
	return sf.send(ctx, "root set-prices", opName, build, stdout, stderr)
}

func runRootSetOwner(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("root set-owner", stdout, stderr)
	fs.SetOutput(stderr)
	sf := newRootSendFlags(fs)
	newOwner := fs.String("new-owner", "", "address of the root's next owner")
	if err := rootParseFlagsOnly(fs, args); err != nil {
		return err
	}
	owner, err := rootParseAddr("new-owner", *newOwner)
	if err != nil {
		return err
	}
	return sf.send(ctx, "root set-owner", "change owner", rootadmin.SetOwner(owner), stdout, stderr)
}

func runRootUpgrade(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("root upgrade-contracts", stdout, stderr)
	fs.SetOutput(stderr)
	sf := newRootSendFlags(fs)
	if err := rootParseFlagsOnly(fs, args); err != nil {
		return err
	}
	build, err := rootadmin.UpgradeContracts()
	if err != nil {
		return err
	}
	return sf.send(ctx, "root upgrade-contracts", "upgrade contracts", build, stdout, stderr)
}

func runRootDeploy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("root deploy", stdout, stderr)
	fs.SetOutput(stderr)
	state := fs.String("state", "", "emulated chain state file (created when absent)")
	keyPath := fs.String("owner-key", "", "file holding the owner wallet's Ed25519 seed (hex or base64)")
	wf := newRootWalletFlags(fs)
	fund := fs.String("fund", "10", "TON the faucet sends the owner wallet (0 for none)")
	balance := fs.String("balance", "1", "TON the root is deployed with")
	price := fs.String("price", "0.000000002", "price per token in TON")
	fee := fs.String("fee", "0.000000001", "worker fee per token in TON")
	uniqueID := fs.Uint("unique-id", 13, "unique id of the network")
	isTest := fs.Bool("test", true, "mark the network as a test network")
	proxyDelay := fs.Uint("proxy-delay", 600, "seconds a closing proxy waits")
	clientDelay := fs.Uint("client-delay", 300, "seconds a closing client waits")
	minProxy := fs.String("min-proxy-stake", "1", "minimum proxy stake in TON")
	minClient := fs.String("min-client-stake", "1", "minimum client stake in TON")
	if err := rootParseFlagsOnly(fs, args); err != nil {
		return err
	}
	if *state == "" {
		return usageError{"root deploy needs --state FILE: it deploys on an emulated chain only"}
	}
	if *keyPath == "" {
		return usageError{"root deploy needs --owner-key FILE"}
	}
	amounts := map[string]billing.NanoTON{}
	for name, v := range map[string]string{"fund": *fund, "balance": *balance, "price": *price, "fee": *fee, "min-proxy-stake": *minProxy, "min-client-stake": *minClient} {
		n, err := rootParseTON(name, v)
		if err != nil {
			return err
		}
		amounts[name] = n
	}
	if amounts["balance"] == 0 {
		return usageError{"--balance must be positive"}
	}
	for name, v := range map[string]uint{"unique-id": *uniqueID, "proxy-delay": *proxyDelay, "client-delay": *clientDelay} {
		if v > 1<<32-1 {
			return usageError{fmt.Sprintf("bad --%s: %d does not fit 32 bits", name, v)}
		}
	}
	key, err := loadKeyFile(*keyPath)
	if err != nil {
		return err
	}
	w, err := wf.open(key)
	if err != nil {
		return err
	}
	params, err := contracts.ChildCodes(contracts.Params{
		StructVersion: contracts.ParamsStructVersion, ParamsVersion: 1, UniqueID: uint32(*uniqueID), IsTest: *isTest,
		PricePerToken: amounts["price"], WorkerFeePerToken: amounts["fee"],
		PromptMultiplier: billing.MultiplierOne, CachedMultiplier: billing.MultiplierOne,
		CompletionMultiplier: billing.MultiplierOne, ReasoningMultiplier: billing.MultiplierOne,
		ProxyDelayBeforeClose: uint32(*proxyDelay), ClientDelayBeforeClose: uint32(*clientDelay),
		MinProxyStake: amounts["min-proxy-stake"], MinClientStake: amounts["min-client-stake"],
	})
	if err != nil {
		return err
	}
	chain, err := emulated.New(emulated.Options{Path: *state})
	if err != nil {
		return err
	}
	cfg := contracts.RootConfig{Owner: w.Address(), Version: 1, Params: params}
	d, err := rootadmin.DeployRoot(ctx, chain, chain.Faucet(), cfg, amounts["balance"], 0)
	if err != nil {
		return err
	}
	if d.Existed {
		fmt.Fprintf(stdout, "root:         %s (already deployed)\n", d.Root)
	} else {
		fmt.Fprintf(stdout, "root:         %s\n", d.Root)
	}
	if amounts["fund"] > 0 {
		if err := chain.Fund(ctx, w.Address(), amounts["fund"]); err != nil {
			return fmt.Errorf("funding owner wallet %s: %w", w.Address(), err)
		}
	}
	fmt.Fprintf(stdout, "owner wallet: %s (%s), funded with %s TON\n", w.Address(), w.Kind(), amounts["fund"])
	return nil
}

func runRootWalletAddress(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("root wallet-address", stdout, stderr)
	fs.SetOutput(stderr)
	keyPath := fs.String("key", "", "file holding the wallet's Ed25519 seed (hex or base64)")
	fund := fs.String("fund", "", "TON the printed ton://transfer link asks for (default: none, the wallet app asks)")
	wf := newRootWalletFlags(fs)
	if err := rootParseFlagsOnly(fs, args); err != nil {
		return err
	}
	if *keyPath == "" {
		return usageError{"root wallet-address needs --key FILE"}
	}
	key, err := loadKeyFile(*keyPath)
	if err != nil {
		return err
	}
	w, err := wf.open(key)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s wallet: %s (raw %s)\n", w.Kind(), w.Address(), w.Address().StringRaw())
	link := "ton://transfer/" + friendly(w.Address())
	if *fund != "" {
		amount, err := rootParseTON("fund", *fund)
		if err != nil {
			return err
		}
		link = transferLink(w.Address(), amount)
	}
	fmt.Fprintf(stdout, "fund it:        %s\nthen wait with: cocoon chain wait %s --balance TON [--ton-config FILE]\n", link, friendly(w.Address()))
	return nil
}
