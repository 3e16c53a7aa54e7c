package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/node"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/trust"
)

// Devnet is what the commands that read a devnet know of its data
// directory: the commands default to the devnet in Dir, as `cocoon
// devnet` keeps it. The devnet command fills it in from package devnet,
// which no other command imports.
type Devnet struct {
	// Dir returns the default data directory.
	Dir func() string
	// ChainState and AdminKey name a data directory's chain state file
	// and its root admin's key file.
	ChainState, AdminKey func(dir string) string
	// Root is the root contract address the devnet in dir runs under,
	// empty when there is none; IsProxy reports whether addr is its
	// proxy's client endpoint.
	Root    func(dir string) string
	IsProxy func(dir, addr string) bool
}

// ChainSource is the flags of the commands that read a chain: an
// emulated chain's state file, a devnet's data directory (its chain) or
// a TON global config, the devnet's in the default data directory when
// none is given.
type ChainSource struct {
	state, dataDir, tonConfig *string
	devnet                    Devnet
}

// NewChainSource defines the chain flags on fs.
func NewChainSource(fs *flag.FlagSet, d Devnet) ChainSource {
	return ChainSource{
		state:     fs.String("state", "", "emulated chain state `file` (as a devnet writes it)"),
		dataDir:   fs.String("data-dir", "", "a devnet's data `directory`, whose emulated chain to read (default "+d.Dir()+")"),
		tonConfig: fs.String("ton-config", "", "TON global config `file` of a real network"),
		devnet:    d,
	}
}

// Resolve returns the state file or the TON config the flags name.
func (c ChainSource) Resolve(cmd string) (state, tonConfig string, err error) {
	sources := 0
	for _, s := range []string{*c.state, *c.dataDir, *c.tonConfig} {
		if s != "" {
			sources++
		}
	}
	switch {
	case sources > 1:
		return "", "", UsageError{cmd + " takes at most one of --data-dir, --state and --ton-config"}
	case *c.dataDir != "":
		*c.state = c.devnet.ChainState(*c.dataDir)
	case sources == 0:
		*c.state = c.devnet.ChainState(c.devnet.Dir())
	}
	return *c.state, *c.tonConfig, nil
}

// Found checks that the state file Resolve named exists, saying where a
// devnet's comes from when it does not.
func Found(state string) error {
	if state == "" {
		return nil
	}
	if _, err := os.Stat(state); err != nil {
		return fmt.Errorf("opening chain state (is a devnet with --chain emulated using this directory? start one with `cocoon devnet`, or name a chain with --state or --ton-config): %w", err)
	}
	return nil
}

// OpenAddress parses args (flags before or after the address) for the
// one ADDRESS a chain command takes, runs check on the other flags, and
// opens the chain the flags of c (defined on fs) name; poll is how often
// to look at the account again, and close releases the chain.
func (c ChainSource) OpenAddress(ctx context.Context, fs *flag.FlagSet, args []string, check func() error) (addr *address.Address, chain ton.Chain, poll time.Duration, close func(), err error) {
	positional, err := Parse(fs, args)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	name := fs.Name()
	if len(positional) != 1 {
		return nil, nil, 0, nil, UsageError{name + " takes exactly one ADDRESS"}
	}
	state, tonConfig, err := c.Resolve(name)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	if addr, err = contracts.ParseAddress(positional[0]); err != nil {
		return nil, nil, 0, nil, Usagef("bad address %q", positional[0])
	}
	if err := check(); err != nil {
		return nil, nil, 0, nil, err
	}
	if err := Found(state); err != nil {
		return nil, nil, 0, nil, err
	}
	poll = 3 * time.Second
	if state != "" {
		poll = 200 * time.Millisecond
	}
	chain, close, err = node.OpenChain(ctx, state, tonConfig, nil)
	return addr, chain, poll, close, err
}

// Chain is the chain flags of the root's commands: an emulated state file
// or a real network, the devnet's chain by default.
type Chain struct {
	state, tonConfig *string
	devnet           Devnet
}

// NewChain defines the flags on fs.
func NewChain(fs *flag.FlagSet, d Devnet) Chain {
	return Chain{
		state:     fs.String("state", "", "emulated chain state file (as a devnet writes it)"),
		tonConfig: fs.String("ton-config", "", "TON global config file of a real network"),
		devnet:    d,
	}
}

// Check checks the chain flags. With neither --state nor --ton-config it
// takes the devnet's chain in the default data directory, and, where
// they are empty, that devnet's root as root and its admin key as key
// (nil for commands without them).
func (f Chain) Check(cmd string, root, key *string) error {
	if *f.state != "" && *f.tonConfig != "" {
		return UsageError{cmd + " needs one of --state and --ton-config, not both"}
	}
	if *f.tonConfig != "" {
		return nil
	}
	dir := f.devnet.Dir()
	if *f.state == "" {
		*f.state = f.devnet.ChainState(dir)
		if !exists(*f.state) {
			return Usagef("%s: no devnet chain at %s (start one with `cocoon devnet`), or name a chain with --state FILE or --ton-config FILE", cmd, *f.state)
		}
	} else {
		dir = filepath.Dir(*f.state)
	}
	if root != nil && *root == "" {
		*root = f.devnet.Root(dir)
	}
	if key != nil && *key == "" {
		if k := f.devnet.AdminKey(dir); exists(k) {
			*key = k
		}
	}
	return nil
}

// Open opens the chain. poll is how often to look for a sent message's
// effect; zero means the chain applies a message before SendExternal
// returns, so there is nothing to wait for.
func (f Chain) Open(ctx context.Context) (chain ton.Chain, poll time.Duration, close func(), err error) {
	if *f.state == "" {
		poll = 2 * time.Second
	} else if _, err := os.Stat(*f.state); err != nil {
		return nil, 0, nil, fmt.Errorf("opening chain state: %w", err)
	}
	chain, close, err = node.OpenChain(ctx, *f.state, *f.tonConfig, nil)
	return chain, poll, close, err
}

// RootLists name a root contract whose lists a verdict applies, as a role
// on that chain applies them: its chain and its address.
type RootLists struct {
	state, tonConfig, root *string
}

// NewRootLists defines the flags on fs.
func NewRootLists(fs *flag.FlagSet) RootLists {
	return RootLists{
		state:     fs.String("chain-state", "", "judge by the root of the emulated chain kept in this state `file` (a devnet's)"),
		tonConfig: fs.String("ton-config", "", "judge by the root on real TON, through the liteservers of this global config `file`"),
		root:      fs.String("root", "", "`address` of the COCOON root contract whose lists the verdict applies"),
	}
}

// Read reads the root's lists; nil when no root is named.
func (f RootLists) Read(ctx context.Context, log *slog.Logger) (*trust.Lists, error) {
	switch {
	case *f.state == "" && *f.tonConfig == "" && *f.root == "":
		return nil, nil
	case *f.root == "":
		return nil, UsageError{"--chain-state and --ton-config need --root ADDRESS"}
	case *f.state == "" && *f.tonConfig == "":
		return nil, UsageError{"--root needs a chain: --chain-state FILE or --ton-config FILE"}
	}
	l, err := node.ReadRootLists(ctx, *f.state, *f.tonConfig, *f.root, log)
	if err != nil {
		return nil, err
	}
	return &l, nil
}
