package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/contracts"
	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/devnet"
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
		op    ton.RootOp
		model bool
	}{
		"add-proxy-hash":  {ton.RootAddProxyType, false},
		"del-proxy-hash":  {ton.RootDelProxyType, false},
		"add-worker-hash": {ton.RootAddWorkerType, false},
		"del-worker-hash": {ton.RootDelWorkerType, false},
		"add-model-hash":  {ton.RootAddModelType, true},
		"del-model-hash":  {ton.RootDelModelType, true},
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
		*f.state = filepath.Join(dir, devnet.ChainStateFile)
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
		if k := filepath.Join(dir, devnet.AdminKeyFile); fileExists(k) {
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
func rootParseHash(s string) (ton.Hash, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(ton.Hash{}) {
		return ton.Hash{}, usageError{fmt.Sprintf("bad hash %q: want 64 hex digits", s)}
	}
	return ton.Hash(b), nil
}

// rootLoadKey reads an Ed25519 key file: the 32-byte seed, or the 64-byte
// private key (seed and public key), in hex or base64. The key's bytes
// never appear in an error.
func rootLoadKey(path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	text := strings.TrimSpace(string(raw))
	var b []byte
	if h, err := hex.DecodeString(text); err == nil {
		b = h
	} else {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if d, err := enc.DecodeString(text); err == nil {
				b = d
				break
			}
		}
	}
	switch len(b) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(b), nil
	case ed25519.PrivateKeySize:
		key := ed25519.NewKeyFromSeed(b[:ed25519.SeedSize])
		if !key.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(b[ed25519.SeedSize:])) {
			return nil, fmt.Errorf("reading key file %s: its public half does not match its seed", path)
		}
		return key, nil
	}
	return nil, fmt.Errorf("reading key file %s: want an Ed25519 seed of 32 bytes (or a 64-byte private key) in hex or base64", path)
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

// rootWallet is the owner's wallet: its address, the balance below which
// it refuses to send, and how it sends one transfer.
type rootWallet struct {
	kind     string
	addr     *address.Address
	minimum  billing.NanoTON
	transfer func(ctx context.Context, chain ton.Chain, t ton.Transfer) error
}

// cocoonWalletMinimum is the balance below which a cocoon wallet refuses
// every external (contracts.md §7.2, exit code 1035).
const cocoonWalletMinimum = 2 * billing.TON

func (f rootWalletFlags) open(key ed25519.PrivateKey) (rootWallet, error) {
	switch *f.kind {
	case "v5r1":
		if *f.owner != "" {
			return rootWallet{}, usageError{"--wallet-owner is for --wallet cocoon only"}
		}
		w, err := ton.NewV5R1(key, int32(*f.networkID))
		if err != nil {
			return rootWallet{}, err
		}
		return rootWallet{kind: "v5r1", addr: w.Address(), transfer: func(ctx context.Context, c ton.Chain, t ton.Transfer) error {
			return w.Send(ctx, c, t)
		}}, nil
	case "cocoon":
		owner, err := rootParseAddr("wallet-owner", *f.owner)
		if err != nil {
			return rootWallet{}, err
		}
		raw, err := contracts.BOC(contracts.Wallet)
		if err != nil {
			return rootWallet{}, err
		}
		code, err := cell.FromBOC(raw)
		if err != nil {
			return rootWallet{}, fmt.Errorf("decoding the cocoon wallet code: %w", err)
		}
		w, err := ton.NewCocoonWallet(code, key, owner)
		if err != nil {
			return rootWallet{}, err
		}
		return rootWallet{kind: "cocoon", addr: w.Address(), minimum: cocoonWalletMinimum, transfer: func(ctx context.Context, c ton.Chain, t ton.Transfer) error {
			return w.Send(ctx, c, time.Hour, t)
		}}, nil
	}
	return rootWallet{}, usageError{fmt.Sprintf("unknown --wallet %q: want v5r1 or cocoon", *f.kind)}
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

// rootBuild builds the body of an operation for a query id from the
// root's configuration before it.
type rootBuild func(queryID uint64, before ton.RootConfig) (*cell.Cell, error)

// send checks the flags, then has the owner's wallet send the operation
// built by build to the root and waits for the root's transaction.
func (f rootSendFlags) send(ctx context.Context, cmd, opName string, build rootBuild, stdout, stderr io.Writer) error {
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
	key, err := rootLoadKey(*f.key)
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
	op := rootOp{chain: chain, root: root, wallet: w, amount: amount, log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	return op.run(ctx, opName, build, stdout)
}

// rootOp is one owner operation on its way to the root.
type rootOp struct {
	chain  rootChain
	root   *address.Address
	wallet rootWallet
	amount billing.NanoTON
	log    *slog.Logger
}

func (o rootOp) run(ctx context.Context, opName string, build rootBuild, stdout io.Writer) error {
	acc, err := o.chain.Account(ctx, o.root)
	if err != nil {
		return fmt.Errorf("reading root %s: %w", o.root, err)
	}
	if acc.Status != ton.StatusActive {
		return fmt.Errorf("reading root %s: the account is %s, not a deployed root", o.root, acc.Status)
	}
	before, err := ton.ParseRootConfig(acc.Data)
	if err != nil {
		return fmt.Errorf("reading root %s: %w", o.root, err)
	}
	if err := o.checkFunds(ctx); err != nil {
		return err
	}
	queryID := rand.Uint64()
	body, err := build(queryID, before)
	if err != nil {
		return err
	}
	bs, err := body.BeginParse()
	if err != nil {
		return fmt.Errorf("building %s: %w", opName, err)
	}
	opcode, err := bs.LoadUInt(32)
	if err != nil {
		return fmt.Errorf("building %s: %w", opName, err)
	}
	t := ton.Transfer{To: o.root, Amount: o.amount, Bounce: true, Body: body, Mode: ton.ModePayFeesSeparately}
	if err := o.wallet.transfer(ctx, o.chain, t); err != nil {
		return fmt.Errorf("sending %s from %s wallet %s: %w", opName, o.wallet.kind, o.wallet.addr, err)
	}
	tx, err := awaitRootTx(ctx, o.chain, o.root, o.wallet.addr, acc.LastLT, uint32(opcode), queryID, o.chain.poll, o.log)
	if err != nil {
		return fmt.Errorf("waiting for the root to run %s: %w", opName, err)
	}
	if err := rootOutcome(tx, opName, o.wallet.addr, before.Owner); err != nil {
		return err
	}
	after, err := ton.ReadRootConfig(ctx, o.chain, o.root)
	if err != nil {
		return fmt.Errorf("reading root %s after %s: %w", o.root, opName, err)
	}
	fmt.Fprintf(stdout, "%s done: root %s, transaction lt %d hash %s\n", opName, o.root, tx.LT, hex.EncodeToString(tx.Hash))
	fmt.Fprintf(stdout, "root version %d -> %d, params version %d -> %d\n", before.Version, after.Version, before.Params.ParamsVersion, after.Params.ParamsVersion)
	if after.LastProxySeqno != before.LastProxySeqno {
		fmt.Fprintf(stdout, "proxy registered under seqno %d\n", after.LastProxySeqno)
	}
	return nil
}

// checkFunds refuses early when the wallet cannot pay for the message: the
// wallet would only drop it, and on a real chain that shows as a timeout.
func (o rootOp) checkFunds(ctx context.Context) error {
	acc, err := o.chain.Account(ctx, o.wallet.addr)
	if errors.Is(err, ton.ErrNotFound) {
		return fmt.Errorf("owner %s wallet %s does not exist on the chain: fund it first", o.wallet.kind, o.wallet.addr)
	}
	if err != nil {
		return fmt.Errorf("reading owner wallet %s: %w", o.wallet.addr, err)
	}
	if need := o.amount + o.wallet.minimum; acc.Balance <= need {
		return fmt.Errorf("owner %s wallet %s holds %s TON, not more than the %s TON it needs to send this: fund it first", o.wallet.kind, o.wallet.addr, acc.Balance, need)
	}
	return nil
}

// errNoRootTx reports that the root shows no transaction for the message.
var errNoRootTx = errors.New("the root has no transaction for the message")

// awaitRootTx finds the root's transaction after afterLT whose inbound
// message came from the wallet with op and queryID. With poll zero the
// chain has already applied everything, so one scan decides; otherwise
// it polls until ctx ends.
func awaitRootTx(ctx context.Context, chain ton.Chain, root, from *address.Address, afterLT uint64, op uint32, queryID uint64, poll time.Duration, log *slog.Logger) (ton.Tx, error) {
	const page = 100
	for {
		txs, err := chain.Transactions(ctx, root, afterLT, page)
		if err != nil {
			if ctx.Err() != nil || poll == 0 {
				return ton.Tx{}, fmt.Errorf("listing the root's transactions: %w", err)
			}
			log.Warn("listing the root's transactions", "root", root.String(), "error", err)
		}
		for _, tx := range txs {
			if rootTxAnswers(tx, from, op, queryID) {
				return tx, nil
			}
			afterLT = tx.LT
		}
		if len(txs) == page {
			continue
		}
		if poll == 0 {
			return ton.Tx{}, fmt.Errorf("%w: the wallet sent nothing (too little balance, or the wrong --wallet?)", errNoRootTx)
		}
		timer := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ton.Tx{}, fmt.Errorf("%w yet (%w): the wallet may have dropped the external (wrong key or --wallet, or a concurrent send)", errNoRootTx, ctx.Err())
		case <-timer.C:
		}
	}
}

func rootTxAnswers(tx ton.Tx, from *address.Address, op uint32, queryID uint64) bool {
	if tx.In == nil || tx.In.Kind != ton.Internal || tx.In.Src == nil || !tx.In.Src.Equals(from) || tx.In.Body == nil {
		return false
	}
	s, err := tx.In.Body.BeginParse()
	if err != nil {
		return false
	}
	gotOp, err := s.LoadUInt(32)
	if err != nil || uint32(gotOp) != op {
		return false
	}
	gotQuery, err := s.LoadUInt(64)
	return err == nil && gotQuery == queryID
}

// rootExitCodes explains the exit codes the root throws (contracts.md §2).
var rootExitCodes = map[int32]string{
	9:    "cell underflow: the message body is malformed",
	1004: "msg_format_mismatch: the proxy description is not plain text",
	1008: "stored_data_damaged: the root's params are not struct version 3",
	1010: "expected_message_from_owner: the sender is not the root's owner",
	1012: "unknown_op: the root does not know this operation",
	2000: "unknown_proxy_type: no proxy is registered under that seqno",
}

// rootOutcome turns the root's transaction into nil or a clear error.
func rootOutcome(tx ton.Tx, opName string, from, owner *address.Address) error {
	if tx.Success {
		return nil
	}
	if tx.Skipped {
		return fmt.Errorf("root did not run %s (transaction lt %d): its compute phase was skipped; attach more --amount", opName, tx.LT)
	}
	if tx.ExitCode == 0 || tx.ExitCode == 1 {
		return fmt.Errorf("root ran %s but its action phase failed (transaction lt %d)", opName, tx.LT)
	}
	why, ok := rootExitCodes[tx.ExitCode]
	if !ok {
		why = "unknown code"
	}
	if tx.ExitCode == 1010 && owner != nil {
		why += fmt.Sprintf(" (wallet %s, owner %s)", from, owner)
	}
	return fmt.Errorf("root refused %s (transaction lt %d): exit code %d, %s", opName, tx.LT, tx.ExitCode, why)
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

// rootConfigJSON is what root show --json prints: addresses in the
// user-friendly form, hashes in hex, amounts as integer nanoTON strings.
type rootConfigJSON struct {
	Root              string            `json:"root"`
	Owner             string            `json:"owner"`
	Version           uint32            `json:"version"`
	ParamsVersion     uint32            `json:"params_version"`
	UniqueID          uint32            `json:"unique_id"`
	IsTest            bool              `json:"is_test"`
	PricePerToken     string            `json:"price_per_token_nano"`
	WorkerFeePerToken string            `json:"worker_fee_per_token_nano"`
	Multipliers       map[string]uint32 `json:"multipliers"`
	ProxyDelay        uint32            `json:"proxy_delay_before_close_s"`
	ClientDelay       uint32            `json:"client_delay_before_close_s"`
	MinProxyStake     string            `json:"min_proxy_stake_nano"`
	MinClientStake    string            `json:"min_client_stake_nano"`
	CodeHashes        map[string]string `json:"code_hashes"`
	ProxyHashes       []string          `json:"proxy_hashes"`
	WorkerHashes      []string          `json:"worker_hashes"`
	ModelHashes       []string          `json:"model_hashes"`
	Proxies           []rootProxyJSON   `json:"registered_proxies"`
	LastProxySeqno    uint32            `json:"last_proxy_seqno"`
}

type rootProxyJSON struct {
	Seqno uint32 `json:"seqno"`
	Desc  string `json:"desc"`
}

func newRootConfigJSON(root *address.Address, r ton.RootConfig) rootConfigJSON {
	p := r.Params
	nano := func(n billing.NanoTON) string { return strconv.FormatInt(int64(n), 10) }
	hashes := func(list []ton.Hash) []string {
		out := make([]string, len(list))
		for i, h := range list {
			out[i] = hex.EncodeToString(h[:])
		}
		return out
	}
	codes := map[string]string{}
	for name, c := range map[string]*cell.Cell{"proxy": p.ProxyCode, "worker": p.WorkerCode, "client": p.ClientCode} {
		if c != nil {
			codes[name] = hex.EncodeToString(c.Hash())
		}
	}
	proxies := make([]rootProxyJSON, len(r.Proxies))
	for i, px := range r.Proxies {
		proxies[i] = rootProxyJSON{Seqno: px.Seqno, Desc: px.Desc}
	}
	return rootConfigJSON{
		Root: root.String(), Owner: fmt.Sprint(r.Owner), Version: r.Version,
		ParamsVersion: p.ParamsVersion, UniqueID: p.UniqueID, IsTest: p.IsTest,
		PricePerToken: nano(p.PricePerToken), WorkerFeePerToken: nano(p.WorkerFeePerToken),
		Multipliers: map[string]uint32{"prompt": p.PromptMultiplier, "cached": p.CachedMultiplier, "completion": p.CompletionMultiplier, "reasoning": p.ReasoningMultiplier},
		ProxyDelay:  p.ProxyDelayBeforeClose, ClientDelay: p.ClientDelayBeforeClose,
		MinProxyStake: nano(p.MinProxyStake), MinClientStake: nano(p.MinClientStake),
		CodeHashes:  codes,
		ProxyHashes: hashes(r.ProxyHashes), WorkerHashes: hashes(r.WorkerHashes), ModelHashes: hashes(r.ModelHashes),
		Proxies: proxies, LastProxySeqno: r.LastProxySeqno,
	}
}

func printRootConfig(w io.Writer, root *address.Address, r ton.RootConfig) {
	p := r.Params
	fmt.Fprintf(w, "root:                  %s\n", root)
	fmt.Fprintf(w, "owner:                 %s\n", r.Owner)
	fmt.Fprintf(w, "version:               %d\n", r.Version)
	fmt.Fprintf(w, "params version:        %d (struct version %d)\n", p.ParamsVersion, p.StructVersion)
	fmt.Fprintf(w, "unique id:             %d\n", p.UniqueID)
	fmt.Fprintf(w, "test network:          %v\n", p.IsTest)
	fmt.Fprintf(w, "price per token:       %s TON (%d nanoTON)\n", p.PricePerToken, int64(p.PricePerToken))
	fmt.Fprintf(w, "worker fee per token:  %s TON (%d nanoTON)\n", p.WorkerFeePerToken, int64(p.WorkerFeePerToken))
	fmt.Fprintf(w, "multipliers (1/10000): prompt %d, cached %d, completion %d, reasoning %d\n", p.PromptMultiplier, p.CachedMultiplier, p.CompletionMultiplier, p.ReasoningMultiplier)
	fmt.Fprintf(w, "close delays:          proxy %d s, client %d s\n", p.ProxyDelayBeforeClose, p.ClientDelayBeforeClose)
	fmt.Fprintf(w, "minimum stakes:        proxy %s TON, client %s TON\n", p.MinProxyStake, p.MinClientStake)
	for _, c := range []struct {
		name string
		code *cell.Cell
	}{{"proxy", p.ProxyCode}, {"worker", p.WorkerCode}, {"client", p.ClientCode}} {
		h := "none"
		if c.code != nil {
			h = hex.EncodeToString(c.code.Hash())
		}
		fmt.Fprintf(w, "%-6s code hash:      %s\n", c.name, h)
	}
	for _, l := range []struct {
		name string
		list []ton.Hash
	}{{"proxy", r.ProxyHashes}, {"worker", r.WorkerHashes}, {"model", r.ModelHashes}} {
		fmt.Fprintf(w, "%s hashes: %d\n", l.name, len(l.list))
		for _, h := range l.list {
			fmt.Fprintf(w, "  %x\n", h[:])
		}
	}
	fmt.Fprintf(w, "registered proxies: %d (last seqno %d)\n", len(r.Proxies), r.LastProxySeqno)
	for _, px := range r.Proxies {
		fmt.Fprintf(w, "  %d: %s\n", px.Seqno, px.Desc)
	}
}

func runRootHash(ctx context.Context, name string, op ton.RootOp, model bool, args []string, stdout, stderr io.Writer) error {
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
	var h ton.Hash
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
	opName := strings.ReplaceAll(name, "-", " ")
	return sf.send(ctx, "root "+name, opName, func(q uint64, _ ton.RootConfig) (*cell.Cell, error) {
		return ton.RootHashBody(op, q, h)
	}, stdout, stderr)
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
	pos, err := rootParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError{"root " + name + " takes flags only"}
	}
	if addr != nil {
		if err := rootCheckDesc(*addr); err != nil {
			return err
		}
	}
	if seqno != nil && (*seqno == 0 || *seqno > 1<<32-1) {
		return usageError{"root " + name + " needs --seqno N (1 to 4294967295)"}
	}
	var build rootBuild
	switch name {
	case "register-proxy":
		build = func(q uint64, _ ton.RootConfig) (*cell.Cell, error) { return ton.RootRegisterProxyBody(q, *addr) }
	case "update-proxy":
		build = func(q uint64, _ ton.RootConfig) (*cell.Cell, error) {
			return ton.RootUpdateProxyBody(q, uint32(*seqno), *addr)
		}
	default:
		build = func(q uint64, _ ton.RootConfig) (*cell.Cell, error) {
			return ton.RootUnregisterProxyBody(q, uint32(*seqno)), nil
		}
	}
	return sf.send(ctx, "root "+name, strings.ReplaceAll(name, "-", " "), build, stdout, stderr)
}

// rootMaxDesc is the longest proxy description an update_proxy body
// (op, query id, seqno, type and length: 136 bits) carries in one cell.
const rootMaxDesc = (1023 - 136) / 8

// rootCheckDesc accepts "host:port" or two of them separated by one
// space, as the reference reads a registered proxy.
func rootCheckDesc(desc string) error {
	if desc == "" {
		return usageError{`--addr "HOST:PORT [HOST:PORT]" is required`}
	}
	parts := strings.Split(desc, " ")
	if len(parts) > 2 {
		return usageError{fmt.Sprintf("bad --addr %q: one or two HOST:PORT separated by one space", desc)}
	}
	for _, p := range parts {
		host, port, err := net.SplitHostPort(p)
		if err != nil || host == "" || port == "" {
			return usageError{fmt.Sprintf("bad --addr %q: %q is not HOST:PORT", desc, p)}
		}
	}
	if len(desc) > rootMaxDesc {
		return usageError{fmt.Sprintf("bad --addr: %d bytes, at most %d", len(desc), rootMaxDesc)}
	}
	return nil
}

// rootChangeParams is the op of change_params, which internal/ton has no
// builder for (contracts.md §3.2).
const rootChangeParams = 0x022fa189

func rootChangeParamsBody(queryID uint64, p ton.Params) (*cell.Cell, error) {
	b := cell.BeginCell().MustStoreUInt(rootChangeParams, 32).MustStoreUInt(queryID, 64)
	for _, step := range []func() error{
		func() error { return b.StoreCoins(uint64(p.PricePerToken)) },
		func() error { return b.StoreCoins(uint64(p.WorkerFeePerToken)) },
		func() error { return b.StoreUInt(uint64(p.ProxyDelayBeforeClose), 32) },
		func() error { return b.StoreUInt(uint64(p.ClientDelayBeforeClose), 32) },
		func() error { return b.StoreCoins(uint64(p.MinProxyStake)) },
		func() error { return b.StoreCoins(uint64(p.MinClientStake)) },
	} {
		if err := step(); err != nil {
			return nil, fmt.Errorf("building change_params: %w", err)
		}
	}
	return b.EndCell(), nil
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
	pos, err := rootParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError{"root set-prices takes flags only"}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	amounts := map[string]billing.NanoTON{}
	for name, v := range map[string]string{"price": *price, "fee": *fee, "min-proxy-stake": *minProxy, "min-client-stake": *minClient} {
		if !set[name] {
			continue
		}
		if amounts[name], err = rootParseTON(name, v); err != nil {
			return err
		}
	}
	for name, v := range map[string]uint{"proxy-delay": *proxyDelay, "client-delay": *clientDelay} {
		if v > 1<<32-1 {
			return usageError{fmt.Sprintf("bad --%s: %d seconds does not fit 32 bits", name, v)}
		}
	}
	full := set["proxy-delay"] || set["client-delay"] || set["min-proxy-stake"] || set["min-client-stake"]
	if !full && !set["price"] && !set["fee"] {
		return usageError{"root set-prices: give at least one of --price, --fee, --proxy-delay, --client-delay, --min-proxy-stake, --min-client-stake"}
	}
	apply := func(p ton.Params) ton.Params {
		for name, dst := range map[string]*billing.NanoTON{"price": &p.PricePerToken, "fee": &p.WorkerFeePerToken, "min-proxy-stake": &p.MinProxyStake, "min-client-stake": &p.MinClientStake} {
			if set[name] {
				*dst = amounts[name]
			}
		}
		if set["proxy-delay"] {
			p.ProxyDelayBeforeClose = uint32(*proxyDelay)
		}
		if set["client-delay"] {
			p.ClientDelayBeforeClose = uint32(*clientDelay)
		}
		return p
	}
	if full {
		return sf.send(ctx, "root set-prices", "change params", func(q uint64, before ton.RootConfig) (*cell.Cell, error) {
			return rootChangeParamsBody(q, apply(before.Params))
		}, stdout, stderr)
	}
	return sf.send(ctx, "root set-prices", "change price", func(q uint64, before ton.RootConfig) (*cell.Cell, error) {
		p := apply(before.Params)
		return ton.RootChangeFeesBody(q, p.PricePerToken, p.WorkerFeePerToken)
	}, stdout, stderr)
}

func runRootSetOwner(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("root set-owner", stdout, stderr)
	fs.SetOutput(stderr)
	sf := newRootSendFlags(fs)
	newOwner := fs.String("new-owner", "", "address of the root's next owner")
	pos, err := rootParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError{"root set-owner takes flags only"}
	}
	owner, err := rootParseAddr("new-owner", *newOwner)
	if err != nil {
		return err
	}
	return sf.send(ctx, "root set-owner", "change owner", func(q uint64, _ ton.RootConfig) (*cell.Cell, error) {
		return ton.RootChangeOwnerBody(q, owner)
	}, stdout, stderr)
}

// rootUpgradeContracts is the op of upgrade_contracts (contracts.md §3.2).
const rootUpgradeContracts = 0xa2370f61

func runRootUpgrade(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("root upgrade-contracts", stdout, stderr)
	fs.SetOutput(stderr)
	sf := newRootSendFlags(fs)
	pos, err := rootParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError{"root upgrade-contracts takes flags only"}
	}
	codes, err := rootChildCodes()
	if err != nil {
		return err
	}
	return sf.send(ctx, "root upgrade-contracts", "upgrade contracts", func(q uint64, _ ton.RootConfig) (*cell.Cell, error) {
		b := cell.BeginCell().MustStoreUInt(rootUpgradeContracts, 32).MustStoreUInt(q, 64)
		for _, c := range codes {
			b.MustStoreRef(c)
		}
		return b.EndCell(), nil
	}, stdout, stderr)
}

// rootChildCodes returns the proxy, worker and client code built into the
// binary, in that order.
func rootChildCodes() ([3]*cell.Cell, error) {
	var out [3]*cell.Cell
	for i, name := range []string{contracts.Proxy, contracts.Worker, contracts.Client} {
		c, err := rootCode(name)
		if err != nil {
			return out, err
		}
		out[i] = c
	}
	return out, nil
}

func rootCode(name string) (*cell.Cell, error) {
	raw, err := contracts.BOC(name)
	if err != nil {
		return nil, err
	}
	c, err := cell.FromBOC(raw)
	if err != nil {
		return nil, fmt.Errorf("decoding the %s contract code: %w", name, err)
	}
	return c, nil
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
	pos, err := rootParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError{"root deploy takes flags only"}
	}
	if *state == "" {
		return usageError{"root deploy needs --state FILE: it deploys on an emulated chain only"}
	}
	if *keyPath == "" {
		return usageError{"root deploy needs --owner-key FILE"}
	}
	amounts := map[string]billing.NanoTON{}
	for name, v := range map[string]string{"fund": *fund, "balance": *balance, "price": *price, "fee": *fee, "min-proxy-stake": *minProxy, "min-client-stake": *minClient} {
		if amounts[name], err = rootParseTON(name, v); err != nil {
			return err
		}
	}
	if amounts["balance"] == 0 {
		return usageError{"--balance must be positive"}
	}
	for name, v := range map[string]uint{"unique-id": *uniqueID, "proxy-delay": *proxyDelay, "client-delay": *clientDelay} {
		if v > 1<<32-1 {
			return usageError{fmt.Sprintf("bad --%s: %d does not fit 32 bits", name, v)}
		}
	}
	key, err := rootLoadKey(*keyPath)
	if err != nil {
		return err
	}
	w, err := wf.open(key)
	if err != nil {
		return err
	}
	codes, err := rootChildCodes()
	if err != nil {
		return err
	}
	rootCodeCell, err := rootCode(contracts.Root)
	if err != nil {
		return err
	}
	cfg := ton.RootConfig{
		Owner:   w.addr,
		Version: 1,
		Params: ton.Params{
			StructVersion: ton.ParamsStructVersion, ParamsVersion: 1, UniqueID: uint32(*uniqueID), IsTest: *isTest,
			PricePerToken: amounts["price"], WorkerFeePerToken: amounts["fee"],
			PromptMultiplier: billing.MultiplierOne, CachedMultiplier: billing.MultiplierOne,
			CompletionMultiplier: billing.MultiplierOne, ReasoningMultiplier: billing.MultiplierOne,
			ProxyDelayBeforeClose: uint32(*proxyDelay), ClientDelayBeforeClose: uint32(*clientDelay),
			MinProxyStake: amounts["min-proxy-stake"], MinClientStake: amounts["min-client-stake"],
			ProxyCode: codes[0], WorkerCode: codes[1], ClientCode: codes[2],
		},
	}
	data, err := cfg.Cell()
	if err != nil {
		return err
	}
	addr, err := ton.AddressOf(rootCodeCell, data)
	if err != nil {
		return err
	}
	chain, err := emulated.New(emulated.Options{Path: *state})
	if err != nil {
		return err
	}
	switch acc, err := chain.Account(ctx, addr); {
	case err == nil && acc.Status == ton.StatusActive:
		fmt.Fprintf(stdout, "root:         %s (already deployed)\n", addr)
	case err == nil || errors.Is(err, ton.ErrNotFound):
		if _, err := chain.Deploy(ctx, rootCodeCell, data, amounts["balance"], nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "root:         %s\n", addr)
	default:
		return fmt.Errorf("reading root %s: %w", addr, err)
	}
	if amounts["fund"] > 0 {
		if err := chain.Fund(ctx, w.addr, amounts["fund"]); err != nil {
			return fmt.Errorf("funding owner wallet %s: %w", w.addr, err)
		}
	}
	fmt.Fprintf(stdout, "owner wallet: %s (%s), funded with %s TON\n", w.addr, w.kind, amounts["fund"])
	return nil
}

func runRootWalletAddress(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("root wallet-address", stdout, stderr)
	fs.SetOutput(stderr)
	keyPath := fs.String("key", "", "file holding the wallet's Ed25519 seed (hex or base64)")
	fund := fs.String("fund", "", "TON the printed ton://transfer link asks for (default: none, the wallet app asks)")
	wf := newRootWalletFlags(fs)
	pos, err := rootParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError{"root wallet-address takes flags only"}
	}
	if *keyPath == "" {
		return usageError{"root wallet-address needs --key FILE"}
	}
	key, err := rootLoadKey(*keyPath)
	if err != nil {
		return err
	}
	w, err := wf.open(key)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s wallet: %s (raw %s)\n", w.kind, w.addr, w.addr.StringRaw())
	link := "ton://transfer/" + friendly(w.addr)
	if *fund != "" {
		amount, err := rootParseTON("fund", *fund)
		if err != nil {
			return err
		}
		link = transferLink(w.addr, amount)
	}
	fmt.Fprintf(stdout, "fund it:        %s\nthen wait with: cocoon chain wait %s --balance TON [--ton-config FILE]\n", link, friendly(w.addr))
	return nil
}
