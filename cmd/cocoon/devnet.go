package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cocoon-go/cocoon/internal/cli"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/devnet"
	"github.com/cocoon-go/cocoon/internal/obs"
)

func init() {
	commands["devnet"] = command{summary: "run a whole local network (proxy, workers, client) in one process", run: runDevnet}
}

func runDevnet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("devnet", stdout, stderr)
	workers := fs.Int("workers", 1, "number of workers")
	model := fs.String("model", "", "GGUF model `file` for the built-in engine (default: the first *.gguf in $COCOON_MODEL or ../shared/models)")
	engineURL := fs.String("engine-url", "", "forward to this OpenAI-compatible server instead of the built-in engine")
	modelName := fs.String("model-name", "", "model name to serve (required with --engine-url; default: the GGUF file's name)")
	portsBase := fs.Int("ports-base", 10000, "client HTTP on N, proxy on N+1000..N+1002, worker k on N+2000+10k; 0 picks free ports")
	chain := fs.String("chain", devnet.ChainEmulated, "chain the money moves on: emulated (contracts deployed at start) or fake (the reference's fake TON, nothing moves)")
	dataDir := fs.String("data-dir", devnet.DefaultDir(), "directory for the node configs and keys and, with --chain emulated, the chain state (a restarted devnet reuses its contracts; --chain fake uses DIR/fake); empty keeps everything in memory")
	pow := fs.Int("pow-difficulty", devnet.DefaultPoWDifficulty, "proof-of-work difficulty of the proxy")
	logLevel := fs.String("log-level", "warn", "log level: debug, info, warn or error")
	apiKeys := fs.String("api-keys", "", "comma-separated bearer keys the client API demands (default: none)")
	fakeTON := fs.String("disable-ton", "", "with --chain fake: run under the reference's fake-TON root config `file` (its runners' --disable-ton FILE), deriving the contracts its runners derive")
	fakeRoot := fs.String("fake-ton-root", "", "with --disable-ton: the root contract `address` its contracts derive under (default: the reference's local network's, "+contracts.ReferenceLocalRoot+")")
	fakeSpeech := fs.Bool("fake-speech", false, "add a worker in front of the FAKE speech engine (model "+devnet.FakeSpeechModel+"): vLLM's Whisper API, recognising nothing; for development only")
	speechURL := fs.String("speech-engine-url", "", "add a worker in front of this speech engine (vLLM serving Whisper) for /v1/audio/transcriptions and /translations")
	speechModel := fs.String("speech-model", "", "the model name the speech engine serves (required with --speech-engine-url)")
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *workers < 1 || *workers > 100:
		return cli.UsageError{Msg: "--workers must be between 1 and 100"}
	case *speechURL != "" && *speechModel == "":
		return cli.UsageError{Msg: "--speech-engine-url needs --speech-model"}
	case *speechURL == "" && *speechModel != "":
		return cli.UsageError{Msg: "--speech-model needs --speech-engine-url"}
	case *portsBase < 0 || *portsBase+2000+10*(*workers+2) > 65535:
		return cli.UsageError{Msg: "--ports-base leaves no room for every port"}
	case *engineURL != "" && *modelName == "":
		return cli.UsageError{Msg: "--engine-url needs --model-name"}
	case *engineURL != "" && *model != "":
		return cli.UsageError{Msg: "give --model or --engine-url, not both"}
	case *chain != devnet.ChainEmulated && *chain != devnet.ChainFake:
		return cli.Usagef("unknown --chain %q: want emulated or fake", *chain)
	case *fakeTON != "" && *chain != devnet.ChainFake:
		return cli.UsageError{Msg: "--disable-ton needs --chain fake"}
	case *fakeRoot != "" && *fakeTON == "":
		return cli.UsageError{Msg: "--fake-ton-root needs --disable-ton"}
	}
	if *chain == devnet.ChainFake && !cli.Given(fs, "data-dir") {
		// Fake TON's configs name no chain: they go beside, not over, the
		// emulated devnet's.
		*dataDir = filepath.Join(devnet.DefaultDir(), "fake")
	}
	var keys []string
	if *apiKeys != "" {
		keys = strings.Split(*apiKeys, ",")
	}
	log, err := obs.NewLogger(stderr, "text", *logLevel)
	if err != nil {
		return cli.UsageError{Msg: err.Error()}
	}
	if *engineURL == "" && *model == "" {
		if *model, err = devnet.FindModel(); err != nil {
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
	fmt.Fprintf(stderr, "starting devnet: fake TDX attestation and %s; for development only\n", devnet.ChainName(*chain))
	n, err := devnet.Start(ctx, devnet.Options{
		Workers: *workers, ModelPath: *model, EngineURL: *engineURL, Model: *modelName,
		PortsBase: *portsBase, DataDir: *dataDir, PoWDifficulty: *pow, Logger: log, APIKeys: keys,
		Chain: *chain, Extra: extra, FakeTONConfig: *fakeTON, FakeTONRoot: *fakeRoot,
	})
	if err != nil {
		return err
	}
	defer n.Close()
	n.PrintBanner(stdout, selfCommand(), *dataDir, keys)
	<-ctx.Done()
	fmt.Fprintln(stderr, "stopping devnet")
	return nil
}

// devnetDirs is the devnet's data directory, as the commands that read a
// devnet (chain, explorer, probe, root) default to it; only this file of
// the command imports package devnet.
var devnetDirs = cli.Devnet{
	Dir:        devnet.DefaultDir,
	ChainState: func(dir string) string { return filepath.Join(dir, devnet.ChainStateFile) },
	AdminKey:   func(dir string) string { return filepath.Join(dir, devnet.AdminKeyFile) },
	Root:       devnet.RootOf, IsProxy: devnet.IsProxy,
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
