package ton

import (
	"fmt"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
)

// RootOp is an owner operation of the root contract (contracts.md §3.2).
type RootOp uint32

// Root operations that take a 256-bit hash.
const (
	RootAddWorkerType RootOp = 0xe34b1c60
	RootDelWorkerType RootOp = 0x8d94a79a
	RootAddModelType  RootOp = 0xc146134d
	RootDelModelType  RootOp = 0x92b11c18
	RootAddProxyType  RootOp = 0x71860e80
	RootDelProxyType  RootOp = 0x3c41d0b2
)

// Other root operations.
const (
	rootRegisterProxy   RootOp = 0x927c7cb5
	rootUnregisterProxy RootOp = 0x6d49eaf2
	rootUpdateProxy     RootOp = 0x9c7924ba
	rootChangeFees      RootOp = 0xc52ed8d4
	rootChangeOwner     RootOp = 0xc4a1ae54
)

func rootBody(op RootOp, queryID uint64) *cell.Builder {
	return cell.BeginCell().MustStoreUInt(uint64(op), 32).MustStoreUInt(queryID, 64)
}

// RootHashBody builds the body of one of the hash operations
// (RootAddWorkerType … RootDelProxyType).
func RootHashBody(op RootOp, queryID uint64, h Hash) (*cell.Cell, error) {
	switch op {
	case RootAddWorkerType, RootDelWorkerType, RootAddModelType, RootDelModelType, RootAddProxyType, RootDelProxyType:
	default:
		return nil, fmt.Errorf("building root message: op %#x takes no hash", uint32(op))
	}
	return rootBody(op, queryID).MustStoreSlice(h[:], 256).EndCell(), nil
}

// RootRegisterProxyBody builds register_proxy for desc ("host:port" or
// "workers_host:port clients_host:port").
func RootRegisterProxyBody(queryID uint64, desc string) (*cell.Cell, error) {
	b := rootBody(rootRegisterProxy, queryID)
	if err := StoreProxyDesc(b, desc); err != nil {
		return nil, fmt.Errorf("building register_proxy: %w", err)
	}
	return b.EndCell(), nil
}

// RootUpdateProxyBody builds update_proxy, replacing proxy seqno's desc.
func RootUpdateProxyBody(queryID uint64, seqno uint32, desc string) (*cell.Cell, error) {
	b := rootBody(rootUpdateProxy, queryID).MustStoreUInt(uint64(seqno), 32)
	if err := StoreProxyDesc(b, desc); err != nil {
		return nil, fmt.Errorf("building update_proxy: %w", err)
	}
	return b.EndCell(), nil
}

// RootUnregisterProxyBody builds unregister_proxy.
func RootUnregisterProxyBody(queryID uint64, seqno uint32) *cell.Cell {
	return rootBody(rootUnregisterProxy, queryID).MustStoreUInt(uint64(seqno), 32).EndCell()
}

// RootChangeFeesBody builds change_price: the price per token and the
// worker's fee per token.
func RootChangeFeesBody(queryID uint64, price, workerFee billing.NanoTON) (*cell.Cell, error) {
	b := rootBody(rootChangeFees, queryID)
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
	b := rootBody(rootChangeOwner, queryID)
	if err := b.StoreAddr(owner); err != nil {
		return nil, fmt.Errorf("building change_owner: %w", err)
	}
	return b.EndCell(), nil
}
