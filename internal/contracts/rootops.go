package contracts

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
)

func rootBody(op Op, queryID uint64) *cell.Builder {
	return cell.BeginCell().MustStoreUInt(uint64(op), 32).MustStoreUInt(queryID, 64)
}

// RootHashBody builds the body of one of the hash operations
// (OpAddWorkerType … OpDelProxyType).
func RootHashBody(op Op, queryID uint64, h Hash) (*cell.Cell, error) {
	switch op {
	case OpAddWorkerType, OpDelWorkerType, OpAddModelType, OpDelModelType, OpAddProxyType, OpDelProxyType:
	default:
		return nil, fmt.Errorf("building root message: op %#x takes no hash", uint32(op))
	}
	return rootBody(op, queryID).MustStoreSlice(h[:], 256).EndCell(), nil
}

// RootRegisterProxyBody builds register_proxy for desc ("host:port" or
// "workers_host:port clients_host:port").
func RootRegisterProxyBody(queryID uint64, desc string) (*cell.Cell, error) {
	b := rootBody(OpRegisterProxy, queryID)
	if err := StoreProxyDesc(b, desc); err != nil {
		return nil, fmt.Errorf("building register_proxy: %w", err)
	}
	return b.EndCell(), nil
}

// RootUpdateProxyBody builds update_proxy, replacing proxy seqno's desc.
func RootUpdateProxyBody(queryID uint64, seqno uint32, desc string) (*cell.Cell, error) {
	b := rootBody(OpUpdateProxy, queryID).MustStoreUInt(uint64(seqno), 32)
	if err := StoreProxyDesc(b, desc); err != nil {
		return nil, fmt.Errorf("building update_proxy: %w", err)
	}
	return b.EndCell(), nil
}

// RootUnregisterProxyBody builds unregister_proxy.
func RootUnregisterProxyBody(queryID uint64, seqno uint32) *cell.Cell {
	return rootBody(OpUnregisterProxy, queryID).MustStoreUInt(uint64(seqno), 32).EndCell()
}

// RootChangeFeesBody builds change_price: the price per token and the
// worker's fee per token.
func RootChangeFeesBody(queryID uint64, price, workerFee billing.NanoTON) (*cell.Cell, error) {
	b := rootBody(OpChangeFees, queryID)
	w := writer{b: b}
	w.coins(price)
	w.coins(workerFee)
	if w.err != nil {
		return nil, fmt.Errorf("building change_price: %w", w.err)
	}
	return b.EndCell(), nil
}

// RootChangeOwnerBody builds change_owner.
func RootChangeOwnerBody(queryID uint64, owner *address.Address) (*cell.Cell, error) {
	b := rootBody(OpChangeOwner, queryID)
	if err := b.StoreAddr(owner); err != nil {
		return nil, fmt.Errorf("building change_owner: %w", err)
	}
	return b.EndCell(), nil
}

// RootChangeParamsBody builds change_params from p: the prices, the close
// delays and the minimum stakes (the price multipliers cannot be changed
// on chain).
func RootChangeParamsBody(queryID uint64, p Params) (*cell.Cell, error) {
	b := rootBody(OpChangeParams, queryID)
	w := writer{b: b}
	w.coins(p.PricePerToken)
	w.coins(p.WorkerFeePerToken)
	w.uint(uint64(p.ProxyDelayBeforeClose), 32)
	w.uint(uint64(p.ClientDelayBeforeClose), 32)
	w.coins(p.MinProxyStake)
	w.coins(p.MinClientStake)
	if w.err != nil {
		return nil, fmt.Errorf("building change_params: %w", w.err)
	}
	return b.EndCell(), nil
}

// RootUpgradeContractsBody builds upgrade_contracts: the proxy, worker
// and client code that the root's params carry from then on.
func RootUpgradeContractsBody(queryID uint64, proxy, worker, client *cell.Cell) (*cell.Cell, error) {
	b := rootBody(OpUpgradeContracts, queryID)
	w := writer{b: b}
	w.ref(proxy)
	w.ref(worker)
	w.ref(client)
	if w.err != nil {
		return nil, fmt.Errorf("building upgrade_contracts: %w", w.err)
	}
	return b.EndCell(), nil
}

// MaxProxyDescUpdate is the longest proxy description an update_proxy
// body (op, query id, seqno, type and length: 136 bits) carries in one
// cell, and so the longest one an owner can both register and update.
const MaxProxyDescUpdate = (1023 - 136) / 8

// ErrProxyDescTooLong reports a proxy description longer than
// MaxProxyDescUpdate.
var ErrProxyDescTooLong = errors.New("proxy description too long")

// CheckProxyDesc accepts "host:port" or two of them separated by one
// space, as the reference reads a registered proxy, of at most
// MaxProxyDescUpdate bytes.
func CheckProxyDesc(desc string) error {
	parts := strings.Split(desc, " ")
	if len(parts) > 2 {
		return errors.New("one or two HOST:PORT separated by one space")
	}
	for _, p := range parts {
		host, port, err := net.SplitHostPort(p)
		if err != nil || host == "" || port == "" {
			return fmt.Errorf("%q is not HOST:PORT", p)
		}
	}
	if len(desc) > MaxProxyDescUpdate {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrProxyDescTooLong, len(desc), MaxProxyDescUpdate)
	}
	return nil
}
