package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// help is what `cocoon COMMAND -h` says besides the flags: the command's
// purpose in one line, its arguments and two examples or more.
type help struct {
	purpose string
	// args is the usage line's arguments after [flags]; argDocs explain
	// each, one line apiece.
	args     string
	argDocs  []string
	examples []example
	// notes are paragraphs printed after the flags.
	notes []string
}

// example is a command line and what it does.
type example struct{ cmd, does string }

// flagGroups names the group of the flags that several commands share;
// every other flag is among the command's own options.
var flagGroups = map[string]string{
	"config": "Config", "log-level": "Logging", "log-format": "Logging",
	"chain-state": "Chain", "ton-config": "Chain", "disable-ton": "Chain", "fake-ton-root": "Chain", "proxy-contract": "Chain", "root": "Chain", "node-wallet-key": "Chain", "state": "Chain",
	"data-dir": "Chain", "chain": "Chain", "network-id": "Chain",
	"key": "Sending (the root owner's wallet)", "wallet": "Sending (the root owner's wallet)", "wallet-owner": "Sending (the root owner's wallet)",
	"amount":            "Sending (the root owner's wallet)",
	"insecure-fake-tdx": "Attestation", "insecure-skip-attestation": "Attestation", "policy": "Attestation",
	"max-pow-difficulty": "Attestation", "pow-difficulty": "Attestation", "verify": "Attestation", "at": "Attestation",
	"pccs": "Attestation", "collateral-cache": "Attestation", "offline-collateral": "Attestation",
	"insecure-skip-collateral": "Attestation", "allow-tcb": "Attestation", "test": "Attestation",
	"json": "Output", "format": "Output", "v": "Output", "cpuprofile": "Output",
}

// groupOrder is the order the groups are printed in, after the command's
// own options.
var groupOrder = []string{"Config", "Chain", "Sending (the root owner's wallet)", "Attestation", "Logging", "Output"}

// newFlagSet returns the flag set of the command name ("probe", "root
// show"): errors go to stderr, and -h prints the command's help to stdout
// (the command then returns flag.ErrHelp, which exits 0).
func newFlagSet(name string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { printCommandHelp(stdout, fs) }
	return fs
}

// printCommandHelp writes the help of fs's command.
func printCommandHelp(w io.Writer, fs *flag.FlagSet) {
	name := fs.Name()
	h := helps[name]
	fmt.Fprintf(w, "cocoon %s: %s\n\n", name, h.purpose)
	usage := "cocoon " + name
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		usage += " [flags]"
	}
	if h.args != "" {
		usage += " " + h.args
	}
	fmt.Fprintf(w, "Usage: %s\n", usage)
	if len(h.argDocs) > 0 {
		fmt.Fprintf(w, "\nArguments:\n")
		for _, a := range h.argDocs {
			fmt.Fprintf(w, "  %s\n", a)
		}
	}
	groups := map[string][]*flag.Flag{}
	fs.VisitAll(func(f *flag.Flag) {
		g := flagGroups[f.Name]
		if g == "" {
			g = "Options"
		}
		groups[g] = append(groups[g], f)
	})
	for _, g := range append([]string{"Options"}, groupOrder...) {
		if len(groups[g]) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", g)
		for _, f := range groups[g] {
			printFlag(w, f)
		}
	}
	for _, n := range h.notes {
		fmt.Fprintf(w, "\n%s\n", n)
	}
	fmt.Fprintf(w, "\nExamples:\n")
	for _, e := range h.examples {
		fmt.Fprintf(w, "  %s\n      %s\n", e.cmd, e.does)
	}
}

// flagGiven reports whether the command line set the flag name.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// printFlag writes one flag as "--name TYPE", its usage and its default.
func printFlag(w io.Writer, f *flag.Flag) {
	typ, usage := flag.UnquoteUsage(f)
	line := "  --" + f.Name
	if typ != "" {
		line += " " + typ
	}
	fmt.Fprintf(w, "%s\n      %s", line, strings.ReplaceAll(usage, "\n", "\n      "))
	if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
		fmt.Fprintf(w, " (default %s)", f.DefValue)
	}
	fmt.Fprintln(w)
}

// sendNote explains the flags of the root operations that send a message.
const sendNote = "The root's owner wallet, whose Ed25519 seed (32 bytes in hex or base64) is in --key, sends the operation; the command waits for the root's transaction and reports its exit code. Without --state or --ton-config the devnet's emulated chain in the default data directory is used, with its root and admin key."

const configNote = "Every field of the config file, with its default and unit: docs/CONFIG.md."

// helps is the help of every command with flags, by flag set name.
var helps = map[string]help{
	"devnet": {
		purpose: "run a whole local network (client, proxy, workers, engine) in one process, for development",
		notes:   []string{"It prints the client's API URL, every contract's address and the commands that run each node on its own. Fake TDX attestation: never for real money."},
		examples: []example{
			{"cocoon devnet", "the built-in engine on ../shared/models/stories260K.gguf, API on http://127.0.0.1:10000/v1"},
			{"cocoon devnet --engine-url http://127.0.0.1:8000 --model-name Qwen/Qwen3-8B --workers 2", "two workers in front of a vLLM (or SGLang, llama.cpp, Ollama) server"},
		},
	},
	"client": {
		purpose: "run a client: the OpenAI-compatible API in front of the network, paying its proxies",
		notes:   []string{configNote},
		examples: []example{
			{"cocoon client --config ~/.cache/cocoon/devnet/client.json --insecure-fake-tdx", "the devnet's client on its own, once the devnet is stopped"},
			{"cocoon client --config client.json --ton-config testnet-global.config.json", "a client on TON testnet (docs/CLIENT.md)"},
		},
	},
	"proxy": {
		purpose: "run a proxy: accept workers and clients, route requests, meter tokens, sign payments",
		notes:   []string{configNote},
		examples: []example{
			{"cocoon proxy --config ~/.cache/cocoon/devnet/proxy.json --insecure-fake-tdx", "the devnet's proxy on its own, once the devnet is stopped"},
			{"cocoon proxy --config proxy.json --ton-config mainnet-global.config.json", "a proxy on TON (docs/PROXY.md)"},
		},
	},
	"worker": {
		purpose: "run a worker: serve the proxies' requests on an inference engine and earn TON per token",
		notes:   []string{configNote},
		examples: []example{
			{"cocoon worker --config ~/.cache/cocoon/devnet/worker-0.json --insecure-fake-tdx", "the devnet's worker on its own, once the devnet is stopped"},
			{"cocoon worker --config worker.json", "a worker in a TDX guest, attesting with real quotes (docs/WORKER.md)"},
		},
	},
	"engine": {
		purpose: "serve a GGUF model with the built-in CPU engine as an OpenAI-compatible server",
		examples: []example{
			{"cocoon engine --model ../shared/models/stories260K.gguf --listen 127.0.0.1:8000", "the test model on port 8000"},
			{"cocoon engine --model model.gguf --name my-model --threads 4", "another model under the name requests use"},
		},
	},
	"probe": {
		purpose: "connect to a proxy as a client would and print its attestation and params",
		args:    "HOST:PORT",
		argDocs: []string{"HOST:PORT  the proxy's client endpoint (a devnet's is its proxy's clients address, port 11002 by default)"},
		notes:   []string{"A HOST:PORT that the devnet in --data-dir lists as its proxy is probed as that devnet's clients are configured: fake TDX accepted, as a test-network client, and the output says so. Any other proxy must present a real TDX quote (--policy)."},
		examples: []example{
			{"cocoon probe 127.0.0.1:11002", "the devnet's proxy"},
			{"cocoon probe --policy tdx:0123…cdef proxy.example.org:11002", "a proxy on TON, which must run the image of that hash"},
		},
	},
	"attest gen-cert": {
		purpose: "generate an RA-TLS certificate, its key and the image hash of its quote",
		examples: []example{
			{"cocoon attest gen-cert --tdx fake --out /tmp/cert", "a certificate with a fake quote (proves nothing)"},
			{"cocoon attest gen-cert --tdx tdx --out /etc/cocoon", "in a TDX guest: a certificate with a real quote"},
		},
	},
	"attest inspect": {
		purpose: "decode an RA-TLS certificate or a TDX quote, and optionally verify it",
		args:    "FILE",
		argDocs: []string{"FILE  a PEM or DER certificate, or a raw quote"},
		examples: []example{
			{"cocoon attest inspect /tmp/cert/cert.pem", "print the measurements and image hash"},
			{"cocoon attest inspect --verify ../shared/testdata/tdx/quote.dat", "verify a quote against Intel's collateral"},
		},
	},
	"chain state": {
		purpose: "print an account's balance and, for a COCOON contract, its decoded state",
		args:    "ADDRESS",
		argDocs: []string{"ADDRESS  a TON address in any form (the devnet prints its contracts')"},
		notes:   []string{"By default it reads the emulated chain of the devnet in the default data directory."},
		examples: []example{
			{"cocoon chain state EQCAoLrV4KHMlhO__t_hhCgz2rLELDtUu0hzaGx8nD0KRcLi", "a contract of the devnet"},
			{"cocoon chain state --ton-config testnet-global.config.json EQ…", "an account on TON testnet"},
		},
	},
	"explorer": {
		purpose: "serve the network explorer: the root, its proxies, their workers and clients, the value locked",
		notes:   []string{"Without --state or --ton-config it reads the devnet's emulated chain in the default data directory. On a devnet's chain --root defaults to the devnet's root, whose proxies are then asked as the devnet's clients ask them: fake TDX accepted, and the output says so, unless --policy or --insecure-fake-tdx is given."},
		examples: []example{
			{"cocoon explorer", "the devnet's network on http://127.0.0.1:8080"},
			{"cocoon explorer --ton-config global.config.json --root EQ… --listen 127.0.0.1:9090", "a network on TON"},
		},
	},
	"chain wait": {
		purpose: "wait until an account holds a balance, printing its progress and a ton://transfer link to fund it",
		args:    "ADDRESS",
		argDocs: []string{"ADDRESS  the account to fund, such as the wallet `cocoon root wallet-address` prints"},
		examples: []example{
			{"cocoon chain wait --ton-config testnet-global.config.json UQ… --balance 2", "until the wallet holds 2 TON on testnet"},
			{"cocoon chain wait UQ… --balance 0.5 --timeout 5m", "on the devnet's emulated chain, for at most 5 minutes"},
		},
	},
	"bench": {
		purpose: "measure the routed path (client, proxy, worker) against the backend alone: requests/s, latency, CPU",
		examples: []example{
			{"cocoon bench", "the default load, printed as a table"},
			{"cocoon bench --requests 2000 --concurrency 30 --json", "a heavier run as JSON"},
		},
	},
	"root show": {
		purpose: "print the root contract's hashes, registered proxies, prices and params",
		notes:   []string{"Without --state or --ton-config it reads the devnet's emulated chain in the default data directory, and its root."},
		examples: []example{
			{"cocoon root show", "the devnet's root"},
			{"cocoon root show --ton-config mainnet-global.config.json --root EQ… --json", "a root on TON as JSON"},
		},
	},
	"root add-proxy-hash":    rootHashHelp("add a proxy image hash to the root's allow-list", "add-proxy-hash"),
	"root del-proxy-hash":    rootHashHelp("remove a proxy image hash from the root's allow-list", "del-proxy-hash"),
	"root add-worker-hash":   rootHashHelp("add a worker image hash to the root's allow-list", "add-worker-hash"),
	"root del-worker-hash":   rootHashHelp("remove a worker image hash from the root's allow-list", "del-worker-hash"),
	"root add-model-hash":    rootHashHelp("add a model hash (sha256 of name@commit:verity) to the root's allow-list", "add-model-hash"),
	"root del-model-hash":    rootHashHelp("remove a model hash from the root's allow-list", "del-model-hash"),
	"root register-proxy":    rootSendHelp("register a proxy's endpoints in the root", "register-proxy", `--addr "1.2.3.4:11001 1.2.3.4:11002"`),
	"root update-proxy":      rootSendHelp("change the endpoints of a registered proxy", "update-proxy", `--seqno 1 --addr "1.2.3.4:11001 1.2.3.4:11002"`),
	"root unregister-proxy":  rootSendHelp("remove a registered proxy from the root", "unregister-proxy", "--seqno 1"),
	"root set-prices":        rootSendHelp("change the root's prices or params (price per token in TON, fee, delays, stakes)", "set-prices", "--price 0.000000002 --fee 0.000000001"),
	"root set-owner":         rootSendHelp("hand the root to another owner", "set-owner", "--new-owner EQ…"),
	"root upgrade-contracts": rootSendHelp("set the proxy, worker and client code built into this binary in the root", "upgrade-contracts", ""),
	"root deploy": {
		purpose: "deploy a root contract on an emulated chain, owned by the key's wallet, and fund that wallet",
		examples: []example{
			{"cocoon root deploy --state /tmp/chain.json --owner-key owner.key", "a root with the default params"},
			{"cocoon root deploy --state /tmp/chain.json --owner-key owner.key --price 0.000000005 --fund 100", "with a price and 100 TON for the owner"},
		},
	},
	"root wallet-address": {
		purpose: "print the address of a key's wallet: the one to fund, and the owner a root must name",
		examples: []example{
			{"cocoon root wallet-address --key owner.key", "the v5r1 wallet of the key on mainnet"},
			{"cocoon root wallet-address --key owner.key --network-id -3", "the same on testnet"},
		},
	},
}

func rootHashHelp(purpose, name string) help {
	return help{
		purpose: purpose, args: "HASH",
		argDocs: []string{"HASH  64 hex digits (an image hash as `cocoon attest inspect` prints it)"},
		notes:   []string{sendNote},
		examples: []example{
			{"cocoon root " + name + " 5f0e…c3a1", "on the devnet's root, sent by its admin"},
			{"cocoon root " + name + " --ton-config testnet-global.config.json --root EQ… --key owner.key 5f0e…c3a1", "on a root on TON testnet"},
		},
	}
}

func rootSendHelp(purpose, name, args string) help {
	if args != "" {
		args = " " + args
	}
	return help{
		purpose: purpose,
		notes:   []string{sendNote},
		examples: []example{
			{"cocoon root " + name + args, "on the devnet's root, sent by its admin"},
			{"cocoon root " + name + " --ton-config testnet-global.config.json --root EQ… --key owner.key" + args, "on a root on TON testnet"},
		},
	}
}
