package ton

import (
	"context"
	"fmt"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/contracts"
)

// ReadRootConfig reads the root contract's configuration from its data.
func ReadRootConfig(ctx context.Context, chain Chain, root *address.Address) (contracts.RootConfig, error) {
	return readData(ctx, chain, "root", root, contracts.ParseRootConfig)
}

// ReadProxyData reads a proxy contract's storage, from which its
// children's addresses derive.
func ReadProxyData(ctx context.Context, chain Chain, proxy *address.Address) (contracts.ProxyData, error) {
	return readData(ctx, chain, "proxy", proxy, contracts.ParseProxyData)
}

// readData reads the data of the contract (what, for errors) at a with
// parse; a contract that is not active is ErrNotFound.
func readData[D any](ctx context.Context, chain Chain, what string, a *address.Address, parse func(*cell.Cell) (D, error)) (D, error) {
	var zero D
	acc, err := chain.Account(ctx, a)
	if err != nil {
		return zero, fmt.Errorf("reading %s %s: %w", what, a, err)
	}
	if acc.Status != StatusActive {
		return zero, fmt.Errorf("reading %s %s: account is %s: %w", what, a, acc.Status, ErrNotFound)
	}
	return parse(acc.Data)
}
