package rootadmin

import (
	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
)

// HashOp is one of the operations on the root's allowed hashes
// (contracts.OpAddWorkerType … contracts.OpDelProxyType) for h.
func HashOp(op contracts.Op, h contracts.Hash) Build {
	return func(q uint64, _ contracts.RootConfig) (*cell.Cell, error) { return contracts.RootHashBody(op, q, h) }
}

// RegisterProxy registers a proxy under the root's next seqno.
func RegisterProxy(desc string) Build {
	return func(q uint64, _ contracts.RootConfig) (*cell.Cell, error) {
		return contracts.RootRegisterProxyBody(q, desc)
	}
}

// UpdateProxy replaces the description of the proxy registered under
// seqno.
func UpdateProxy(seqno uint32, desc string) Build {
	return func(q uint64, _ contracts.RootConfig) (*cell.Cell, error) {
		return contracts.RootUpdateProxyBody(q, seqno, desc)
	}
}

// UnregisterProxy removes the proxy registered under seqno.
func UnregisterProxy(seqno uint32) Build {
	return func(q uint64, _ contracts.RootConfig) (*cell.Cell, error) {
		return contracts.RootUnregisterProxyBody(q, seqno), nil
	}
}

// SetOwner hands the root to owner.
func SetOwner(owner *address.Address) Build {
	return func(q uint64, _ contracts.RootConfig) (*cell.Cell, error) {
		return contracts.RootChangeOwnerBody(q, owner)
	}
}

// UpgradeContracts sets the proxy, worker and client code built into the
// binary as the code the root's params carry.
func UpgradeContracts() (Build, error) {
	p, err := contracts.ChildCodes(contracts.Params{})
	if err != nil {
		return nil, err
	}
	return func(q uint64, _ contracts.RootConfig) (*cell.Cell, error) {
		return contracts.RootUpgradeContractsBody(q, p.ProxyCode, p.WorkerCode, p.ClientCode)
	}, nil
}

// PriceChange is what SetPrices changes: the fields that are not nil.
type PriceChange struct {
	Price, Fee, MinProxyStake, MinClientStake *billing.NanoTON
	ProxyDelay, ClientDelay                   *uint32
}

// apply returns p with c's fields set.
func (c PriceChange) apply(p contracts.Params) contracts.Params {
	for _, f := range []struct {
		v   *billing.NanoTON
		dst *billing.NanoTON
	}{{c.Price, &p.PricePerToken}, {c.Fee, &p.WorkerFeePerToken}, {c.MinProxyStake, &p.MinProxyStake}, {c.MinClientStake, &p.MinClientStake}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if c.ProxyDelay != nil {
		p.ProxyDelayBeforeClose = *c.ProxyDelay
	}
	if c.ClientDelay != nil {
		p.ClientDelayBeforeClose = *c.ClientDelay
	}
	return p
}

// SetPrices changes what c sets of the root's params, the rest as they
// are, and returns the operation's name with it: the price and the fee
// alone go with the root's change_price ("change price"), anything else
// with change_params ("change params"); the price multipliers cannot be
// changed on chain.
func SetPrices(c PriceChange) (string, Build) {
	if c.ProxyDelay != nil || c.ClientDelay != nil || c.MinProxyStake != nil || c.MinClientStake != nil {
		return "change params", func(q uint64, before contracts.RootConfig) (*cell.Cell, error) {
			return contracts.RootChangeParamsBody(q, c.apply(before.Params))
		}
	}
	return "change price", func(q uint64, before contracts.RootConfig) (*cell.Cell, error) {
		p := c.apply(before.Params)
		return contracts.RootChangeFeesBody(q, p.PricePerToken, p.WorkerFeePerToken)
	}
}
