package rootadmin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
)

// Sender sends internal messages from one account and returns once they
// are sent: a node's cocoon wallet (onchain.Wallet), or the emulated
// chain's faucet (emulated.Faucet).
type Sender interface {
	Address() *address.Address
	Send(ctx context.Context, msgs ...ton.Transfer) error
}

// Deployed is the root DeployRoot found or deployed.
type Deployed struct {
	Root *address.Address
	// Existed is set when the root was active already and nothing was
	// sent.
	Existed bool
}

// DeployRoot deploys the root contract with storage cfg and the root code
// built into the binary from from, sending it amount of TON, and returns
// its address once it is active. poll is how often to read it while
// waiting; zero means the chain applies a message before the send
// returns (the emulated chain), so one read decides. A root already
// active at that address is returned as it is.
func DeployRoot(ctx context.Context, chain ton.Chain, from Sender, cfg contracts.RootConfig, amount billing.NanoTON, poll time.Duration) (Deployed, error) {
	if poll < 0 {
		return Deployed{}, fmt.Errorf("deploying root: poll interval %v, want positive or zero", poll)
	}
	addr, init, err := contracts.RootAddress(cfg)
	if err != nil {
		return Deployed{}, fmt.Errorf("deploying root: %w", err)
	}
	switch _, err := ton.Active(ctx, chain, addr); {
	case err == nil:
		return Deployed{Root: addr, Existed: true}, nil
	case !errors.Is(err, ton.ErrNotFound):
		return Deployed{}, fmt.Errorf("deploying root: %w", err)
	}
	if err := from.Send(ctx, ton.Transfer{To: addr, Amount: amount, StateInit: init}); err != nil {
		return Deployed{}, fmt.Errorf("deploying root %s: %w", addr, err)
	}
	for {
		_, err := ton.Active(ctx, chain, addr)
		switch {
		case err == nil:
			return Deployed{Root: addr}, nil
		case !errors.Is(err, ton.ErrNotFound):
			return Deployed{}, fmt.Errorf("waiting for the root's deployment: %w", err)
		case poll == 0:
			return Deployed{}, fmt.Errorf("deploying root %s: %w", addr, err)
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return Deployed{}, fmt.Errorf("waiting for the root's deployment: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// Deployment is a root `cocoon root deploy` deploys on an emulated chain.
type Deployment struct {
	// State is the chain's state file, created when absent.
	State string
	// Wallet owns the root; Params are its params without the child
	// codes, which the binary's compiled ones complete.
	Wallet *Wallet
	Params contracts.Params
	// Balance is what the root is deployed with; Fund what the faucet
	// then sends the owner's wallet (zero for nothing).
	Balance, Fund billing.NanoTON
}

// DeployEmulated deploys d's root (version 1) from the emulated chain's
// faucet, funds the owner's wallet, and prints both to w.
func DeployEmulated(ctx context.Context, w io.Writer, d Deployment) error {
	params, err := contracts.ChildCodes(d.Params)
	if err != nil {
		return err
	}
	chain, err := emulated.New(emulated.Options{Path: d.State})
	if err != nil {
		return err
	}
	cfg := contracts.RootConfig{Owner: d.Wallet.Address(), Version: 1, Params: params}
	r, err := DeployRoot(ctx, chain, chain.Faucet(), cfg, d.Balance, 0)
	if err != nil {
		return err
	}
	if r.Existed {
		fmt.Fprintf(w, "root:         %s (already deployed)\n", r.Root)
	} else {
		fmt.Fprintf(w, "root:         %s\n", r.Root)
	}
	if d.Fund > 0 {
		if err := chain.Fund(ctx, d.Wallet.Address(), d.Fund); err != nil {
			return fmt.Errorf("funding owner wallet %s: %w", d.Wallet.Address(), err)
		}
	}
	fmt.Fprintf(w, "owner wallet: %s (%s), funded with %s TON\n", d.Wallet.Address(), d.Wallet.Kind(), d.Fund)
	return nil
}
