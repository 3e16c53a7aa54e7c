package main

import (
	"flag"
	"io"

	"github.com/cocoon-go/cocoon/internal/cli"
)

// newFlagSet returns the flag set of the command name ("probe", "root
// show"), whose -h prints its help.
func newFlagSet(name string, stdout, stderr io.Writer) *flag.FlagSet {
	return cli.NewFlagSet(name, helps[name], stdout, stderr)
}

// sendNote explains the flags of the root operations that send a message.
const sendNote = "The root's owner wallet, whose Ed25519 seed (32 bytes in hex or base64) is in --key, sends the operation; the command waits for the root's transaction and reports its exit code. Without --state or --ton-config the devnet's emulated chain in the default data directory is used, with its root and admin key."

const configNote = "Every field of the config file, with its default and unit: docs/CONFIG.md."

// helps is the help of every command with flags, by flag set name.
var helps = map[string]cli.Help{
	"devnet": {
		Purpose: "run a whole local network (client, proxy, workers, engine) in one process, for development",
		Notes:   []string{"It prints the client's API URL, every contract's address and the commands that run each node on its own. Fake TDX attestation: never for real money."},
		Examples: [][2]string{
			{"cocoon devnet", "the built-in engine on ../shared/models/stories260K.gguf, API on http://127.0.0.1:10000/v1"},
			{"cocoon devnet --engine-url http://127.0.0.1:8000 --model-name Qwen/Qwen3-8B --workers 2", "two workers in front of a vLLM (or SGLang, llama.cpp, Ollama) server"},
		},
	},
	"client": {
		Purpose: "run a client: the OpenAI-compatible API in front of the network, paying its proxies",
		Notes:   []string{configNote},
		Examples: [][2]string{
			{"cocoon client --config ~/.cache/cocoon/devnet/client.json --insecure-fake-tdx", "the devnet's client on its own, once the devnet is stopped"},
			{"cocoon client --config client.json --ton-config testnet-global.config.json", "a client on TON testnet (docs/CLIENT.md)"},
		},
	},
	"proxy": {
		Purpose: "run a proxy: accept workers and clients, route requests, meter tokens, sign payments",
		Notes:   []string{configNote},
		Examples: [][2]string{
			{"cocoon proxy --config ~/.cache/cocoon/devnet/proxy.json --insecure-fake-tdx", "the devnet's proxy on its own, once the devnet is stopped"},
			{"cocoon proxy --config proxy.json --ton-config mainnet-global.config.json", "a proxy on TON (docs/PROXY.md)"},
		},
	},
	"worker": {
		Purpose: "run a worker: serve the proxies' requests on an inference engine and earn TON per token",
		Notes:   []string{configNote},
		Examples: [][2]string{
			{"cocoon worker --config ~/.cache/cocoon/devnet/worker-0.json --insecure-fake-tdx", "the devnet's worker on its own, once the devnet is stopped"},
			{"cocoon worker --config worker.json", "a worker in a TDX guest, attesting with real quotes (docs/WORKER.md)"},
		},
	},
	"engine": {
		Purpose: "serve a GGUF model with the built-in CPU engine as an OpenAI-compatible server",
		Examples: [][2]string{
			{"cocoon engine --model ../shared/models/stories260K.gguf --listen 127.0.0.1:8000", "the test model on port 8000"},
			{"cocoon engine --model model.gguf --name my-model --threads 4", "another model under the name requests use"},
		},
	},
	"probe": {
		Purpose: "connect to a proxy as a client would and print its attestation and params",
		Args:    "HOST:PORT",
		ArgDocs: []string{"HOST:PORT  the proxy's client endpoint (a devnet's is its proxy's clients address, port 11002 by default)"},
		Notes:   []string{"A HOST:PORT that the devnet in --data-dir lists as its proxy is probed as that devnet's clients are configured: fake TDX accepted, as a test-network client, and the output says so. Any other proxy must present a real TDX quote (--policy)."},
		Examples: [][2]string{
			{"cocoon probe 127.0.0.1:11002", "the devnet's proxy"},
			{"cocoon probe --policy tdx:0123…cdef proxy.example.org:11002", "a proxy on TON, which must run the image of that hash"},
		},
	},
	"attest gen-cert": {
		Purpose: "generate an RA-TLS certificate, its key and the image hash of its quote",
		Examples: [][2]string{
			{"cocoon attest gen-cert --tdx fake --out /tmp/cert", "a certificate with a fake quote (proves nothing)"},
			{"cocoon attest gen-cert --tdx tdx --out /etc/cocoon", "in a TDX guest: a certificate with a real quote"},
		},
	},
	"attest inspect": {
		Purpose: "decode an RA-TLS certificate or a TDX quote, and optionally verify it",
		Args:    "FILE",
		ArgDocs: []string{"FILE  a PEM or DER certificate, or a raw quote"},
		Examples: [][2]string{
			{"cocoon attest inspect /tmp/cert/cert.pem", "print the measurements and image hash"},
			{"cocoon attest inspect --verify ../shared/testdata/tdx/quote.dat", "verify a quote against Intel's collateral"},
		},
	},
	"chain state": {
		Purpose: "print an account's balance and, for a COCOON contract, its decoded state",
		Args:    "ADDRESS",
		ArgDocs: []string{"ADDRESS  a TON address in any form (the devnet prints its contracts')"},
		Notes:   []string{"By default it reads the emulated chain of the devnet in the default data directory."},
		Examples: [][2]string{
			{"cocoon chain state EQCAoLrV4KHMlhO__t_hhCgz2rLELDtUu0hzaGx8nD0KRcLi", "a contract of the devnet"},
			{"cocoon chain state --ton-config testnet-global.config.json EQ…", "an account on TON testnet"},
		},
	},
	"explorer": {
		Purpose: "serve the network explorer: the root, its proxies, their workers and clients, the value locked",
		Notes:   []string{"Without --state or --ton-config it reads the devnet's emulated chain in the default data directory. On a devnet's chain --root defaults to the devnet's root, whose proxies are then asked as the devnet's clients ask them: fake TDX accepted, and the output says so, unless --policy or --insecure-fake-tdx is given."},
		Examples: [][2]string{
			{"cocoon explorer", "the devnet's network on http://127.0.0.1:8080"},
			{"cocoon explorer --ton-config global.config.json --root EQ… --listen 127.0.0.1:9090", "a network on TON"},
		},
	},
	"chain wait": {
		Purpose: "wait until an account holds a balance, printing its progress and a ton://transfer link to fund it",
		Args:    "ADDRESS",
		ArgDocs: []string{"ADDRESS  the account to fund, such as the wallet `cocoon root wallet-address` prints"},
		Examples: [][2]string{
			{"cocoon chain wait --ton-config testnet-global.config.json UQ… --balance 2", "until the wallet holds 2 TON on testnet"},
			{"cocoon chain wait UQ… --balance 0.5 --timeout 5m", "on the devnet's emulated chain, for at most 5 minutes"},
		},
	},
	"bench": {
		Purpose: "measure the routed path (client, proxy, worker) against the backend alone: requests/s, latency, CPU",
		Examples: [][2]string{
			{"cocoon bench", "the default load, printed as a table"},
			{"cocoon bench --requests 2000 --concurrency 30 --json", "a heavier run as JSON"},
		},
	},
	"root show": {
		Purpose: "print the root contract's hashes, registered proxies, prices and params",
		Notes:   []string{"Without --state or --ton-config it reads the devnet's emulated chain in the default data directory, and its root."},
		Examples: [][2]string{
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
		Purpose: "deploy a root contract on an emulated chain, owned by the key's wallet, and fund that wallet",
		Examples: [][2]string{
			{"cocoon root deploy --state /tmp/chain.json --owner-key owner.key", "a root with the default params"},
			{"cocoon root deploy --state /tmp/chain.json --owner-key owner.key --price 0.000000005 --fund 100", "with a price and 100 TON for the owner"},
		},
	},
	"root wallet-address": {
		Purpose: "print the address of a key's wallet: the one to fund, and the owner a root must name",
		Examples: [][2]string{
			{"cocoon root wallet-address --key owner.key", "the v5r1 wallet of the key on mainnet"},
			{"cocoon root wallet-address --key owner.key --network-id -3", "the same on testnet"},
		},
	},
}

func rootHashHelp(purpose, name string) cli.Help {
	return cli.Help{
		Purpose: purpose, Args: "HASH",
		ArgDocs: []string{"HASH  64 hex digits (an image hash as `cocoon attest inspect` prints it)"},
		Notes:   []string{sendNote},
		Examples: [][2]string{
			{"cocoon root " + name + " 5f0e…c3a1", "on the devnet's root, sent by its admin"},
			{"cocoon root " + name + " --ton-config testnet-global.config.json --root EQ… --key owner.key 5f0e…c3a1", "on a root on TON testnet"},
		},
	}
}

func rootSendHelp(purpose, name, args string) cli.Help {
	if args != "" {
		args = " " + args
	}
	return cli.Help{
		Purpose: purpose,
		Notes:   []string{sendNote},
		Examples: [][2]string{
			{"cocoon root " + name + args, "on the devnet's root, sent by its admin"},
			{"cocoon root " + name + " --ton-config testnet-global.config.json --root EQ… --key owner.key" + args, "on a root on TON testnet"},
		},
	}
}
