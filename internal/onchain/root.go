package onchain

import (
	"context"
	"errors"
	"fmt"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/contracts"
	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// ChildCodes returns params with the proxy, worker and client code built
// into the binary set, as a root stores them.
func ChildCodes(params ton.Params) (ton.Params, error) {
	for _, c := range []struct {
		name string
		dst  **cell.Cell
	}{{contracts.Proxy, &params.ProxyCode}, {contracts.Worker, &params.WorkerCode}, {contracts.Client, &params.ClientCode}} {
		code, err := Code(c.name)
		if err != nil {
			return ton.Params{}, err
		}
		*c.dst = code
	}
	return params, nil
}

// DeployRoot deploys a root contract with storage cfg from w, with amount
// of TON, and returns its address once it is active. A root already
// active at that address is returned as it is.
func DeployRoot(ctx context.Context, w *Wallet, cfg ton.RootConfig, amount billing.NanoTON) (*address.Address, error) {
	code, err := Code(contracts.Root)
	if err != nil {
		return nil, fmt.Errorf("deploying root: %w", err)
	}
	data, err := cfg.Cell()
	if err != nil {
		return nil, fmt.Errorf("deploying root: %w", err)
	}
	addr, err := ton.AddressOf(code, data)
	if err != nil {
		return nil, fmt.Errorf("deploying root: %w", err)
	}
	_, err = active(ctx, w.chain, addr)
	switch {
	case err == nil:
		return addr, nil
	case !errors.Is(err, ton.ErrNotFound):
		return nil, fmt.Errorf("deploying root: %w", err)
	}
	if err := w.Send(ctx, ton.Transfer{To: addr, Amount: amount, StateInit: ton.StateInit(code, data)}); err != nil {
		return nil, fmt.Errorf("deploying root %s: %w", addr, err)
	}
	err = await(ctx, w.poll, "the root's deployment", func() (bool, error) {
		_, err := active(ctx, w.chain, addr)
		if errors.Is(err, ton.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return nil, err
	}
	return addr, nil
}
