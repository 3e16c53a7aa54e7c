package ton

import (
	"context"
	"fmt"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/contracts"
)

// ReadRootConfig reads the root contract's configuration from its data.
func ReadRootConfig(ctx context.Context, chain Chain, root *address.Address) (contracts.RootConfig, error) {
	acc, err := chain.Account(ctx, root)
	if err != nil {
		return contracts.RootConfig{}, fmt.Errorf("reading root %s: %w", root, err)
	}
	if acc.Status != StatusActive {
		return contracts.RootConfig{}, fmt.Errorf("reading root %s: account is %s: %w", root, acc.Status, ErrNotFound)
	}
	return contracts.ParseRootConfig(acc.Data)
}

// ReadProxyData reads a proxy contract's storage, from which its
// children's addresses derive.
func ReadProxyData(ctx context.Context, chain Chain, proxy *address.Address) (contracts.ProxyData, error) {
	acc, err := chain.Account(ctx, proxy)
	if err != nil {
		return contracts.ProxyData{}, fmt.Errorf("reading proxy %s: %w", proxy, err)
	}
	if acc.Status != StatusActive {
		return contracts.ProxyData{}, fmt.Errorf("reading proxy %s: account is %s: %w", proxy, acc.Status, ErrNotFound)
	}
	return contracts.ParseProxyData(acc.Data)
}
