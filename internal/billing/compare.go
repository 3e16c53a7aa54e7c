package billing

import (
	"errors"
	"fmt"
)

// ErrRollback reports a proxy that has forgotten committed earnings: the
// worker remembers more tokens committed to the database or to the chain
// than the proxy does. The reference proxy aborts its process on this; we
// refuse the connection with this error instead.
var ErrRollback = errors.New("proxy has fewer committed tokens than the worker: proxy state rolled back")

// Balance is one side's view of a worker's account: tokens committed to
// the chain, committed to the proxy's database, and all tokens so far.
type Balance struct {
	CommittedToChain int64
	CommittedToDB    int64
	Tokens           int64
}

// Comparison is the outcome of CompareBalance when no rollback is found.
type Comparison int

const (
	// BalanceConsistent: the proxy knows at least every figure the worker does.
	BalanceConsistent Comparison = iota
	// BalanceUncommittedAhead: the worker has seen more tokens than the proxy
	// now counts, but none of them were committed; the proxy lost only
	// uncommitted usage (for example in a crash between flushes). On the
	// wire this is error_code 1, after which the worker runs the extended
	// comparison.
	BalanceUncommittedAhead
)

// ErrorCode is the value of worker.compareBalanceWithProxyResult's
// error_code for this outcome.
func (c Comparison) ErrorCode() int32 { return int32(c) }

// CompareBalance compares a worker's view of its account with the proxy's.
// Both sides run it: the proxy on worker.compareBalanceWithProxy, the worker
// on the proxy's reply. A worker ahead on committed figures is ErrRollback.
func CompareBalance(worker, proxy Balance) (Comparison, error) {
	if worker.CommittedToChain > proxy.CommittedToChain {
		return 0, fmt.Errorf("comparing balances: worker has %d tokens committed to chain, proxy %d: %w",
			worker.CommittedToChain, proxy.CommittedToChain, ErrRollback)
	}
	if worker.CommittedToDB > proxy.CommittedToDB {
		return 0, fmt.Errorf("comparing balances: worker has %d tokens committed to database, proxy %d: %w",
			worker.CommittedToDB, proxy.CommittedToDB, ErrRollback)
	}
	if worker.Tokens > proxy.Tokens {
		return BalanceUncommittedAhead, nil
	}
	return BalanceConsistent, nil
}

// CompareExtended is the extended comparison (worker.extendedCompare…),
// which carries only the worker's committed-to-database figure. It returns
// ErrRollback when that figure exceeds the proxy's, and nil otherwise; the
// handshake then continues (the reference never leaves this step).
func CompareExtended(workerCommittedToDB int64, proxy Balance) error {
	if workerCommittedToDB > proxy.CommittedToDB {
		return fmt.Errorf("comparing balances (extended): worker has %d tokens committed to database, proxy %d: %w",
			workerCommittedToDB, proxy.CommittedToDB, ErrRollback)
	}
	return nil
}
