package client

import (
	"hash/crc32"

	"github.com/cocoon-go/cocoon/internal/tl"
)

// Extensions between cocoon-go nodes. The reference has no cancel message,
// so cancellation rides on a constructor of our own that is sent only to a
// peer that said it is ours. A node says so by setting extFlag in the
// flags word of its params (client.params here, proxy.params from the
// proxy); the reference reads only the bits it knows in those words and
// ignores this one, so reference peers see the protocol unchanged and
// never receive the new constructor.
const extFlag = 1 << 30

// cancelQuery asks the peer to abort a running request:
//
//	cocoon.cancelQuery request_id:int256 = cocoon.Cancel
type cancelQuery struct {
	RequestID [32]byte
}

var cancelQueryID = crc32.ChecksumIEEE([]byte("cocoon.cancelQuery request_id:int256 = cocoon.Cancel"))

func (*cancelQuery) TLID() uint32             { return cancelQueryID }
func (m *cancelQuery) MarshalTL(w *tl.Writer) { w.Int256(m.RequestID) }
func (m *cancelQuery) UnmarshalTL(r *tl.Reader) error {
	m.RequestID = r.Int256()
	return r.Err()
}

var _ tl.Object = (*cancelQuery)(nil)
