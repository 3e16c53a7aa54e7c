package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/trust"
)

// rootFlags name a root contract whose lists a verdict applies too, as a
// role on that chain applies them: its chain and its address.
type rootFlags struct {
	state, tonConfig, root *string
}

func newRootFlags(fs *flag.FlagSet) rootFlags {
	return rootFlags{
		state:     fs.String("chain-state", "", "judge by the root of the emulated chain kept in this state `file` (a devnet's)"),
		tonConfig: fs.String("ton-config", "", "judge by the root on real TON, through the liteservers of this global config `file`"),
		root:      fs.String("root", "", "`address` of the COCOON root contract whose lists the verdict applies"),
	}
}

// lists reads the root's lists; nil when no root is named.
func (f rootFlags) lists(ctx context.Context, log *slog.Logger) (*trust.Lists, error) {
	if *f.state == "" && *f.tonConfig == "" && *f.root == "" {
		return nil, nil
	}
	if *f.root == "" {
		return nil, usageError{"--chain-state and --ton-config need --root ADDRESS"}
	}
	rc, err := openRoleChain(ctx, log, chainSpec{state: *f.state, tonConfig: *f.tonConfig, root: *f.root}, "", false)
	if err != nil {
		return nil, err
	}
	if rc == nil {
		return nil, usageError{"--root needs a chain: --chain-state FILE or --ton-config FILE"}
	}
	defer rc.close()
	l, err := onchain.RootLists(ctx, rc.chain, rc.root)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// bindRoot keeps v at the root's list of peers, as a role's gate does.
func bindRoot(v *ratls.Verifier, l *trust.Lists, peers trust.Peers) error {
	g := trust.New(trust.Config{})
	if err := g.Bind(peers, v); err != nil {
		return usageError{err.Error()}
	}
	return g.Update(*l)
}

// printRoot prints the root a verdict applies.
func printRoot(w io.Writer, l *trust.Lists, now time.Time) {
	fmt.Fprintf(w, "root:          %s version %d, read at chain time %s (%v old): %d proxy, %d worker and %d model hashes, %d proxies\n",
		l.Root, l.Version, l.AsOf.UTC().Format(time.RFC3339), max(now.Sub(l.AsOf), 0).Truncate(time.Second),
		len(l.ProxyHashes), len(l.WorkerHashes), len(l.ModelHashes), len(l.Proxies))
}

// printVerdict prints the verdict on a peer that policy verified, or err;
// `cocoon probe` and `cocoon attest inspect --verify` print it alike.
func printVerdict(w io.Writer, policy string, peer *ratls.Peer, err error) error {
	if err != nil {
		fmt.Fprintf(w, "verdict:       REJECTED: %v\n", err)
		return errors.New("verification failed")
	}
	fmt.Fprintf(w, "verdict:       OK (policy %s): peer key %x, image hash %x, TCB %s\n", policy, []byte(peer.PublicKey), peer.ImageHash, statusOf(peer.Measurements))
	return nil
}
