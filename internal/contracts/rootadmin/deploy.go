package rootadmin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
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
