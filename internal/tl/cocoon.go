package tl

import "hash/crc32"

// Constructors of cocoon-go's own, outside the reference schema.
//
// They are sent only to a peer that said it is a cocoon-go node: such a
// node sets ExtFlag in the flags word of its params (client.params and
// worker.params from clients and workers, proxy.params from the proxy).
// The reference reads only the flag bits it knows in those words and
// ignores this one, so a reference peer sees the protocol unchanged and
// never receives one of these constructors.

// ExtFlag is the params flag bit by which a cocoon-go node announces that
// it understands the constructors of this file.
const ExtFlag = 1 << 30

// CocoonCancelQuery asks the peer to abort a running request; the
// reference has no cancel message and lets a request run to its deadline:
//
//	cocoon.cancelQuery request_id:int256 = cocoon.Cancel
//
// A client sends it to the proxy with its own request id, the proxy to
// the worker with the worker-side id.
type CocoonCancelQuery struct {
	RequestID [32]byte
}

// CocoonCancelQueryID is the constructor id of cocoon.cancelQuery: the
// CRC32 of its declaration, as for the reference's constructors.
var CocoonCancelQueryID = crc32.ChecksumIEEE([]byte("cocoon.cancelQuery request_id:int256 = cocoon.Cancel"))

// TLID returns the constructor id of cocoon.cancelQuery.
func (*CocoonCancelQuery) TLID() uint32 { return CocoonCancelQueryID }

// MarshalTL writes the body of cocoon.cancelQuery.
func (m *CocoonCancelQuery) MarshalTL(w *Writer) { w.Int256(m.RequestID) }

// UnmarshalTL reads the body of cocoon.cancelQuery.
func (m *CocoonCancelQuery) UnmarshalTL(r *Reader) error {
	m.RequestID = r.Int256()
	return r.Err()
}

var _ Object = (*CocoonCancelQuery)(nil)

// ownConstructors are the ids of this file, which the reference schema
// does not hold.
var ownConstructors = map[uint32]bool{CocoonCancelQueryID: true}

func init() {
	registry[CocoonCancelQueryID] = constructor{"cocoon.cancelQuery", func() Object { return new(CocoonCancelQuery) }}
}
