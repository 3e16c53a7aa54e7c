package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/devnet"
	"github.com/cocoon-go/cocoon/internal/obs"
)

func init() {
	commands["devnet"] = command{summary: "run a whole local network (proxy, workers, client) in one process", run: runDevnet}
}

func runDevnet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("devnet", stdout, stderr)
	fs.SetOutput(stderr)
	workers := fs.Int("workers", 1, "number of workers")
	model := fs.String("model", "", "GGUF model `file` for the built-in engine (default: the first *.gguf in $COCOON_MODEL or ../shared/models)")
	engineURL := fs.String("engine-url", "", "forward to this OpenAI-compatible server instead of the built-in engine")
	modelName := fs.String("model-name", "", "model name to serve (required with --engine-url; default: the GGUF file's name)")
	portsBase := fs.Int("ports-base", 10000, "client HTTP on N, proxy on N+1000..N+1002, worker k on N+2000+10k; 0 picks free ports")
	chain := fs.String("chain", devnet.ChainEmulated, "chain the money moves on: emulated (contracts deployed at start) or fake (the reference's fake TON, nothing moves)")
	dataDir := fs.String("data-dir", defaultDevnetDir(), "directory for the node configs and keys and, with --chain emulated, the chain state (a restarted devnet reuses its contracts; --chain fake uses DIR/fake); empty keeps everything in memory")
	pow := fs.Int("pow-difficulty", devnet.DefaultPoWDifficulty, "proof-of-work difficulty of the proxy")
	logLevel := fs.String("log-level", "warn", "log level: debug, info, warn or error")
	apiKeys := fs.String("api-keys", "", "comma-separated bearer keys the client API demands (default: none)")
	fakeTON := fs.String("disable-ton", "", "with --chain fake: run under the reference's fake-TON root config `file` (its runners' --disable-ton FILE), deriving the contracts its runners derive")
	fakeRoot := fs.String("fake-ton-root", "", "with --disable-ton: the root contract `address` its contracts derive under (default: the reference's local network's, "+contracts.ReferenceLocalRoot+")")
	fakeSpeech := fs.Bool("fake-speech", false, "add a worker in front of the FAKE speech engine (model "+devnet.FakeSpeechModel+"): vLLM's Whisper API, recognising nothing; for development only")
	speechURL := fs.String("speech-engine-url", "", "add a worker in front of this speech engine (vLLM serving Whisper) for /v1/audio/transcriptions and /translations")
	speechModel := fs.String("speech-model", "", "the model name the speech engine serves (required with --speech-engine-url)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	switch {
	case fs.NArg() != 0:
		return usageError{fmt.Sprintf("devnet takes no arguments, got %q", fs.Args())}
	case *workers < 1 || *workers > 100:
		return usageError{"--workers must be between 1 and 100"}
	case *speechURL != "" && *speechModel == "":
		return usageError{"--speech-engine-url needs --speech-model"}
	case *speechURL == "" && *speechModel != "":
		return usageError{"--speech-model needs --speech-engine-url"}
	case *portsBase < 0 || *portsBase+2000+10*(*workers+2) > 65535:
		return usageError{"--ports-base leaves no room for every port"}
	case *engineURL != "" && *modelName == "":
		return usageError{"--engine-url needs --model-name"}
	case *engineURL != "" && *model != "":
		return usageError{"give --model or --engine-url, not both"}
	case *chain != devnet.ChainEmulated && *chain != devnet.ChainFake:
		return usageError{fmt.Sprintf("unknown --chain %q: want emulated or fake", *chain)}
	case *fakeTON != "" && *chain != devnet.ChainFake:
		return usageError{"--disable-ton needs --chain fake"}
	case *fakeRoot != "" && *fakeTON == "":
		return usageError{"--fake-ton-root needs --disable-ton"}
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if *chain == devnet.ChainFake && !explicit["data-dir"] {
		// Fake TON's configs name no chain: they go beside, not over, the
		// emulated devnet's.
		*dataDir = filepath.Join(defaultDevnetDir(), "fake")
	}
	var keys []string
	if *apiKeys != "" {
		keys = strings.Split(*apiKeys, ",")
	}
	log, err := obs.NewLogger(stderr, "text", *logLevel)
	if err != nil {
		return usageError{err.Error()}
	}
	if *engineURL == "" && *model == "" {
		if *model, err = findModel(); err != nil {
			return err
		}
	}
	var extra []devnet.ExtraWorker
	if *fakeSpeech {
		extra = append(extra, devnet.FakeSpeechWorker())
	}
	if *speechURL != "" {
		extra = append(extra, devnet.SpeechWorker(*speechURL, *speechModel))
	}
	fmt.Fprintf(stderr, "starting devnet: fake TDX attestation and %s; for development only\n", chainName(*chain))
	n, err := devnet.Start(ctx, devnet.Options{
		Workers: *workers, ModelPath: *model, EngineURL: *engineURL, Model: *modelName,
		PortsBase: *portsBase, DataDir: *dataDir, PoWDifficulty: *pow, Logger: log, APIKeys: keys,
		Chain: *chain, Extra: extra, FakeTONConfig: *fakeTON, FakeTONRoot: *fakeRoot,
	})
	if err != nil {
		return err
	}
	defer n.Close()
	printDevnet(stdout, selfCommand(), n, *dataDir, keys)
	<-ctx.Done()
	fmt.Fprintln(stderr, "stopping devnet")
	return nil
}

// findModel returns the first GGUF file in $COCOON_MODEL (a file or a
// directory), $COCOON_SHARED/models, or the models directory of the
// shared folder beside the checkout (../shared/models from its root,
// found from any directory inside it).
func findModel() (string, error) {
	var places []string
	if env := os.Getenv("COCOON_MODEL"); env != "" {
		if st, err := os.Stat(env); err == nil && !st.IsDir() {
			return env, nil
		}
		places = append(places, env)
	}
	if env := os.Getenv("COCOON_SHARED"); env != "" {
		places = append(places, filepath.Join(env, "models"))
	}
	places = append(places, filepath.Join("..", "shared", "models"))
	if wd, err := os.Getwd(); err == nil {
		for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				places = append(places, filepath.Join(filepath.Dir(d), "shared", "models"))
				break
			}
		}
	}
	for _, dir := range places {
		files, _ := filepath.Glob(filepath.Join(dir, "*.gguf"))
		sort.Strings(files)
		if len(files) > 0 {
			return files[0], nil
		}
	}
	return "", errors.New("no model: pass --model FILE.gguf, set COCOON_MODEL, or put a GGUF file in ../shared/models beside the checkout")
}

// defaultDevnetDir is where `cocoon devnet` keeps its state unless told
// otherwise, and where `cocoon chain state` looks for the chain: the
// user's cache directory, or a directory under the temporary one.
func defaultDevnetDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "cocoon", "devnet")
}

// devnetChainState is the emulated chain's state file of the devnet whose
// data directory is dir: what the commands that read a devnet's chain
// default to.
func devnetChainState(dir string) string { return filepath.Join(dir, devnet.ChainStateFile) }

// devnetAdminKey is the root owner's key file of the devnet whose data
// directory is dir.
func devnetAdminKey(dir string) string { return filepath.Join(dir, devnet.AdminKeyFile) }

func chainName(chain string) string {
	if chain == devnet.ChainFake {
		return "fake TON"
	}
	return "an emulated TON chain"
}

// selfCommand is how the banner names this binary so that its commands
// run as printed: the path it was started by (./bin/cocoon from make
// devnet), or cocoon when it was found on PATH.
func selfCommand() string {
	if strings.ContainsRune(os.Args[0], filepath.Separator) {
		return os.Args[0]
	}
	return "cocoon"
}

func printDevnet(w io.Writer, bin string, n *devnet.Network, dataDir string, keys []string) {
	fmt.Fprintf(w, "COCOON devnet is up (fake TDX, %s: for development only)\n\n", chainName(n.ChainKind))
	fmt.Fprintf(w, "  client API   %s/v1   stats %s/stats\n", n.ClientURL, n.ClientURL)
	fmt.Fprintf(w, "  proxy        workers %s, clients %s, stats %s/stats\n", n.ProxyWorkersAddr, n.ProxyClientsAddr, n.ProxyURL)
	for i, u := range n.WorkerURLs {
		fmt.Fprintf(w, "  worker %-5d stats %s/stats\n", i, u)
	}
	fmt.Fprintf(w, "  explorer     %s\n", n.ExplorerURL)
	fmt.Fprintf(w, "  wallet       %s/wallet\n", n.ClientURL)
	for i, u := range n.WorkerURLs {
		fmt.Fprintf(w, "  earnings %-3d %s/earnings\n", i, u)
	}
	fmt.Fprintf(w, "  model        %s\n", n.Model)
	for _, m := range n.ExtraModels {
		fmt.Fprintf(w, "  model        %s (audio)\n", m)
	}
	if dataDir != "" {
		fmt.Fprintf(w, "  data         %s\n", dataDir)
	}
	if a := n.Addresses; a != nil {
		fmt.Fprintf(w, "\nContracts and wallets on the emulated chain:\n")
		row := func(name string, addr fmt.Stringer, note string, args ...any) {
			fmt.Fprintf(w, "  %-18s %s ("+note+")\n", append([]any{name, addr}, args...)...)
		}
		row("root", a.Root, "admin wallet %s", a.Admin)
		row("proxy contract", a.ProxyContract, "wallet %s, owner %s", a.ProxyWallet, a.ProxyOwner)
		if a.ClientGeneration == 0 {
			row("client contract", a.ClientContract, "wallet and owner %s", a.ClientWallet)
		} else {
			row("client contract", a.ClientContract, "generation %d: owner %s, funded by the wallet %s", a.ClientGeneration, a.ClientContractOwner, a.ClientWallet)
		}
		for i := range a.WorkerContracts {
			row(fmt.Sprintf("worker %d contract", i), a.WorkerContracts[i], "wallet %s, owner %s", a.WorkerWallets[i], a.WorkerOwners[i])
		}
		if n.ChainStatePath != "" {
			state := ""
			if n.ChainStatePath != devnetChainState(defaultDevnetDir()) {
				state = " --state " + n.ChainStatePath
			}
			fmt.Fprintf(w, "Read one with:\n  %s chain state%s %s\n  %s root show%s\n", bin, state, a.ClientContract, bin, state)
			fmt.Fprintf(w, "Explore the chain on its own (while the devnet runs, or after):\n  %s explorer%s --root %s --policy fake_tdx --insecure-fake-tdx\n", bin, state, a.Root)
		}
	}
	printTrust(w, n, dataDir)
	if dataDir != "" {
		printRerun(w, bin, n, dataDir)
	}
	body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"Once upon a time"}],"stream":true,"max_tokens":64}`, n.Model)
	auth := ""
	if len(keys) > 0 {
		auth = fmt.Sprintf("-H 'Authorization: Bearer %s' ", keys[0])
	}
	fmt.Fprintf(w, "\nTry:\n  curl -N %s%s/v1/chat/completions -d '%s'\n", auth, n.ClientURL, strings.ReplaceAll(body, "'", `'\''`))
	for _, m := range n.ExtraModels {
		fmt.Fprintf(w, "  curl %s%s/v1/audio/transcriptions -F model=%s -F file=@voice.wav\n", auth, n.ClientURL, m)
	}
	fmt.Fprintf(w, "\nPress Ctrl-C to stop.\n")
}

// printTrust says how to probe the proxy as a client judges it and, on the
// emulated chain, how the root's lists admit and evict nodes.
func printTrust(w io.Writer, n *devnet.Network, dataDir string) {
	root := ""
	if a := n.Addresses; a != nil && n.ChainStatePath != "" {
		root = fmt.Sprintf(" --chain-state %s --root %s", n.ChainStatePath, a.Root)
	}
	fmt.Fprintf(w, "\nProbe the proxy as a client would, by its attestation and the root's lists:\n")
	fmt.Fprintf(w, "  cocoon probe --test --policy fake_tdx --insecure-fake-tdx%s %s\n", root, n.ProxyClientsAddr)
	if root == "" || dataDir == "" {
		return
	}
	fmt.Fprintf(w, "The root admits nodes by their image and model hashes, read every %v; take the workers' image off it, and put it back:\n", n.RootPollEvery)
	for _, op := range []string{"del-worker-hash", "add-worker-hash"} {
		fmt.Fprintf(w, "  cocoon root %s --root %s --state %s --key %s %x\n", op, n.Addresses.Root, n.ChainStatePath, filepath.Join(dataDir, devnet.AdminKeyFile), devnet.FakeImageHash)
	}
}

// printRerun says how to run the devnet's nodes on their own from the
// configs in dataDir, on the same chain with the same wallets and
// contracts: once the devnet is stopped, as they take its ports, its
// ledger and its client state.
func printRerun(w io.Writer, bin string, n *devnet.Network, dataDir string) {
	fmt.Fprintf(w, "\nRun the nodes on their own from their configs, once the devnet is stopped (each in a terminal of its own):\n")
	if n.ModelPath != "" && len(n.EngineURLs) > 0 {
		model := n.ModelPath
		if abs, err := filepath.Abs(model); err == nil {
			model = abs
		}
		fmt.Fprintf(w, "  %s engine --model %s --name %s --listen %s\n", bin, model, n.Model, strings.TrimPrefix(n.EngineURLs[0], "http://"))
	}
	fmt.Fprintf(w, "  %s proxy --config %s --insecure-fake-tdx\n", bin, filepath.Join(dataDir, "proxy.json"))
	for i := range n.WorkerURLs {
		note := ""
		if x := i - (len(n.WorkerURLs) - len(n.ExtraModels)); x >= 0 && n.ExtraModels[x] == devnet.FakeSpeechModel {
			note = "   (its engine, the fake speech engine, runs inside the devnet only)"
		}
		fmt.Fprintf(w, "  %s worker --config %s --insecure-fake-tdx%s\n", bin, filepath.Join(dataDir, fmt.Sprintf("worker-%d.json", i)), note)
	}
	fmt.Fprintf(w, "  %s client --config %s --insecure-fake-tdx\n", bin, filepath.Join(dataDir, "client.json"))
}
