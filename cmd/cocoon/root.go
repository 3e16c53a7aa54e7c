package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainview"
	"github.com/cocoon-go/cocoon/internal/cli"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/contracts/rootadmin"
	"github.com/cocoon-go/cocoon/internal/ton"
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
	subs := map[string]cli.Command{"show": runRootShow, "deploy": runRootDeploy, "wallet-address": runRootWalletAddress,
		"register-proxy": rootProxyOp("register-proxy"), "update-proxy": rootProxyOp("update-proxy"), "unregister-proxy": rootProxyOp("unregister-proxy"),
		"set-prices": rootOp("set-prices", rootSetPrices), "set-owner": rootOp("set-owner", rootSetOwner),
		"upgrade-contracts": rootOp("upgrade-contracts", func(*flag.FlagSet) func() (string, rootadmin.Build, error) {
			return func() (string, rootadmin.Build, error) {
				build, err := rootadmin.UpgradeContracts()
				return "upgrade contracts", build, err
			}
		})}
	for name, op := range map[string]contracts.Op{"add-proxy-hash": contracts.OpAddProxyType, "del-proxy-hash": contracts.OpDelProxyType,
		"add-worker-hash": contracts.OpAddWorkerType, "del-worker-hash": contracts.OpDelWorkerType,
		"add-model-hash": contracts.OpAddModelType, "del-model-hash": contracts.OpDelModelType} {
		subs[name] = func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return runRootHash(ctx, name, op, strings.HasSuffix(name, "-model-hash"), args, stdout, stderr)
		}
	}
	return cli.Group(ctx, "root", rootUsage, "", subs, args, stdout, stderr)
}

func runRootShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("root show", stdout, stderr)
	cf := cli.NewChain(fs, devnetDirs)
	rootFlag := fs.String("root", "", "address of the root contract")
	asJSON := fs.Bool("json", false, "print the configuration as JSON")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return cli.UsageError{Msg: "root show takes no arguments"}
	}
	if err := cf.Check("root show", rootFlag, nil); err != nil {
		return err
	}
	root, err := cli.ParseAddr("root", *rootFlag)
	if err != nil {
		return err
	}
	chain, _, closeChain, err := cf.Open(ctx)
	if err != nil {
		return err
	}
	defer closeChain()
	cfg, err := ton.ReadRootConfig(ctx, chain, root)
	if err != nil {
		return err
	}
	return chainview.PrintRootConfig(stdout, root, cfg, *asJSON)
}

func runRootHash(ctx context.Context, name string, op contracts.Op, model bool, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("root "+name, stdout, stderr)
	sf := cli.NewSend(fs, devnetDirs)
	var modelName *string
	if model {
		modelName = fs.String("model-name", "", "full model name (name@commit:verity); its sha256 is the hash")
	}
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	var h contracts.Hash
	switch {
	case model && *modelName != "" && len(pos) == 0:
		h = sha256.Sum256([]byte(*modelName))
		fmt.Fprintf(stdout, "model %q hashes to %x\n", *modelName, h[:])
	case len(pos) == 1 && (!model || *modelName == ""):
		if h, err = cli.ParseHash(pos[0]); err != nil {
			return err
		}
	case model:
		return cli.UsageError{Msg: "root " + name + " takes one HASH or --model-name NAME"}
	default:
		return cli.UsageError{Msg: "root " + name + " takes one HASH"}
	}
	return sf.Send(ctx, "root "+name, strings.ReplaceAll(name, "-", " "), rootadmin.HashOp(op, h), stdout, stderr)
}

// rootOp is a root operation that takes flags only: flags defines its
// own on fs, besides SEND's, and returns what turns them into the
// operation (named opName, or by name when that is empty) once parsed.
func rootOp(name string, flags func(fs *flag.FlagSet) func() (opName string, build rootadmin.Build, err error)) cli.Command {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		fs := newFlagSet("root "+name, stdout, stderr)
		sf := cli.NewSend(fs, devnetDirs)
		op := flags(fs)
		if err := cli.ParseFlagsOnly(fs, args); err != nil {
			return err
		}
		opName, build, err := op()
		if err != nil {
			return err
		}
		return sf.Send(ctx, "root "+name, cmp.Or(opName, strings.ReplaceAll(name, "-", " ")), build, stdout, stderr)
	}
}

// rootProxyOp registers a proxy, updates or unregisters it.
func rootProxyOp(name string) cli.Command {
	return rootOp(name, func(fs *flag.FlagSet) func() (string, rootadmin.Build, error) {
		var addr *string
		if name != "unregister-proxy" {
			addr = fs.String("addr", "", `proxy endpoints: "HOST:PORT" or "WORKERS_HOST:PORT CLIENTS_HOST:PORT"`)
		}
		var seqno *uint
		if name != "register-proxy" {
			seqno = fs.Uint("seqno", 0, "seqno of the registered proxy")
		}
		return func() (string, rootadmin.Build, error) {
			if addr != nil {
				if err := cli.CheckProxyDesc(*addr); err != nil {
					return "", nil, err
				}
			}
			if seqno != nil && (*seqno == 0 || *seqno > 1<<32-1) {
				return "", nil, cli.UsageError{Msg: "root " + name + " needs --seqno N (1 to 4294967295)"}
			}
			switch name {
			case "register-proxy":
				return "", rootadmin.RegisterProxy(*addr), nil
			case "update-proxy":
				return "", rootadmin.UpdateProxy(uint32(*seqno), *addr), nil
			}
			return "", rootadmin.UnregisterProxy(uint32(*seqno)), nil
		}
	})
}

// rootSetPrices changes what of the root's params its flags give.
func rootSetPrices(fs *flag.FlagSet) func() (string, rootadmin.Build, error) {
	price := fs.String("price", "", "price per token in TON (e.g. 0.00000002)")
	fee := fs.String("fee", "", "worker fee per token in TON")
	proxyDelay := fs.Uint("proxy-delay", 0, "seconds a closing proxy waits before it can complete")
	clientDelay := fs.Uint("client-delay", 0, "seconds a closing client waits before a forced refund")
	minProxy := fs.String("min-proxy-stake", "", "minimum proxy stake in TON")
	minClient := fs.String("min-client-stake", "", "minimum client stake in TON")
	return func() (string, rootadmin.Build, error) {
		var c rootadmin.PriceChange
		for name, a := range map[string]struct {
			v   string
			dst **billing.NanoTON
		}{"price": {*price, &c.Price}, "fee": {*fee, &c.Fee}, "min-proxy-stake": {*minProxy, &c.MinProxyStake}, "min-client-stake": {*minClient, &c.MinClientStake}} {
			if !cli.Given(fs, name) {
				continue
			}
			n, err := cli.ParseTON(name, a.v)
			if err != nil {
				return "", nil, err
			}
			*a.dst = &n
		}
		for name, d := range map[string]struct {
			v   uint
			dst **uint32
		}{"proxy-delay": {*proxyDelay, &c.ProxyDelay}, "client-delay": {*clientDelay, &c.ClientDelay}} {
			if d.v > 1<<32-1 {
				return "", nil, cli.Usagef("bad --%s: %d seconds does not fit 32 bits", name, d.v)
			}
			if cli.Given(fs, name) {
				s := uint32(d.v)
				*d.dst = &s
			}
		}
		if c == (rootadmin.PriceChange{}) {
			return "", nil, cli.UsageError{Msg: "root set-prices: give at least one of --price, --fee, --proxy-delay, --client-delay, --min-proxy-stake, --min-client-stake"}
		}
		opName, build := rootadmin.SetPrices(c)
		return opName, build, nil
	}
}

// rootSetOwner hands the root to --new-owner.
func rootSetOwner(fs *flag.FlagSet) func() (string, rootadmin.Build, error) {
	newOwner := fs.String("new-owner", "", "address of the root's next owner")
	return func() (string, rootadmin.Build, error) {
		owner, err := cli.ParseAddr("new-owner", *newOwner)
		return "change owner", rootadmin.SetOwner(owner), err
	}
}

func runRootDeploy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("root deploy", stdout, stderr)
	state := fs.String("state", "", "emulated chain state file (created when absent)")
	keyPath := fs.String("owner-key", "", "file holding the owner wallet's Ed25519 seed (hex or base64)")
	wf := cli.NewWallet(fs)
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
	if err := cli.ParseFlagsOnly(fs, args); err != nil {
		return err
	}
	if *state == "" {
		return cli.UsageError{Msg: "root deploy needs --state FILE: it deploys on an emulated chain only"}
	}
	if *keyPath == "" {
		return cli.UsageError{Msg: "root deploy needs --owner-key FILE"}
	}
	amounts := map[string]billing.NanoTON{}
	for name, v := range map[string]string{"fund": *fund, "balance": *balance, "price": *price, "fee": *fee, "min-proxy-stake": *minProxy, "min-client-stake": *minClient} {
		n, err := cli.ParseTON(name, v)
		if err != nil {
			return err
		}
		amounts[name] = n
	}
	if amounts["balance"] == 0 {
		return cli.UsageError{Msg: "--balance must be positive"}
	}
	for name, v := range map[string]uint{"unique-id": *uniqueID, "proxy-delay": *proxyDelay, "client-delay": *clientDelay} {
		if v > 1<<32-1 {
			return cli.Usagef("bad --%s: %d does not fit 32 bits", name, v)
		}
	}
	w, err := wf.OpenKey(*keyPath)
	if err != nil {
		return err
	}
	return rootadmin.DeployEmulated(ctx, stdout, rootadmin.Deployment{State: *state, Wallet: w, Balance: amounts["balance"], Fund: amounts["fund"],
		Params: contracts.Params{
			StructVersion: contracts.ParamsStructVersion, ParamsVersion: 1, UniqueID: uint32(*uniqueID), IsTest: *isTest,
			PricePerToken: amounts["price"], WorkerFeePerToken: amounts["fee"],
			PromptMultiplier: billing.MultiplierOne, CachedMultiplier: billing.MultiplierOne,
			CompletionMultiplier: billing.MultiplierOne, ReasoningMultiplier: billing.MultiplierOne,
			ProxyDelayBeforeClose: uint32(*proxyDelay), ClientDelayBeforeClose: uint32(*clientDelay),
			MinProxyStake: amounts["min-proxy-stake"], MinClientStake: amounts["min-client-stake"],
		}})
}

func runRootWalletAddress(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("root wallet-address", stdout, stderr)
	keyPath := fs.String("key", "", "file holding the wallet's Ed25519 seed (hex or base64)")
	fund := fs.String("fund", "", "TON the printed ton://transfer link asks for (default: none, the wallet app asks)")
	wf := cli.NewWallet(fs)
	if err := cli.ParseFlagsOnly(fs, args); err != nil {
		return err
	}
	if *keyPath == "" {
		return cli.UsageError{Msg: "root wallet-address needs --key FILE"}
	}
	w, err := wf.OpenKey(*keyPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s wallet: %s (raw %s)\n", w.Kind(), w.Address(), w.Address().StringRaw())
	link := "ton://transfer/" + chainview.Friendly(w.Address())
	if *fund != "" {
		amount, err := cli.ParseTON("fund", *fund)
		if err != nil {
			return err
		}
		link = chainview.TransferLink(w.Address(), amount)
	}
	fmt.Fprintf(stdout, "fund it:        %s\nthen wait with: cocoon chain wait %s --balance TON [--ton-config FILE]\n", link, chainview.Friendly(w.Address()))
	return nil
}
