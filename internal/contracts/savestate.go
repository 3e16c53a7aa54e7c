package contracts

import (
	"fmt"

	"github.com/xssnick/tonutils-go/tvm/cell"
)

// SaveStateRecord is the op of the proxy's save-state record, which
// follows OpDoNotProcess. It is no contract's op: every COCOON contract
// returns at once on do_not_process, and the record is read back off
// chain, where the proxy accepts it only from its own wallet.
const SaveStateRecord uint32 = 0x53109c0f

// SaveState is the proxy's save-state record: the ledger seqno the proxy
// commits to chain and the random hash of the proxy run that wrote it.
type SaveState struct {
	QueryID uint64
	Seqno   uint32
	Session Hash
}

// Cell encodes the record: do_not_process:uint32 query_id:uint64
// proxy_save_state:uint32 seqno:int32 session:bits256, the seqno written
// as its 32 bits.
func (s SaveState) Cell() (*cell.Cell, error) {
	return body(OpDoNotProcess, s.QueryID, func(w *writer) {
		w.uint(uint64(SaveStateRecord), 32)
		w.uint(uint64(s.Seqno), 32)
		w.slice(s.Session[:], 256)
	})
}

// ParseSaveState reads a save-state record body strictly: both opcodes,
// nothing after the session hash, no references.
func ParseSaveState(b *cell.Cell) (SaveState, error) {
	var s SaveState
	err := parseCell(b, func(r *reader) {
		if op := Op(r.uint(32)); r.err == nil && op != OpDoNotProcess {
			r.err = fmt.Errorf("op %#x, want %#x", uint32(op), uint32(OpDoNotProcess))
			return
		}
		s.QueryID = r.uint(64)
		if op := uint32(r.uint(32)); r.err == nil && op != SaveStateRecord {
			r.err = fmt.Errorf("record op %#x, want %#x", op, SaveStateRecord)
			return
		}
		s.Seqno = uint32(r.uint(32))
		copy(s.Session[:], r.bytes(32))
	})
	if err != nil {
		return SaveState{}, fmt.Errorf("reading save-state record: %w", err)
	}
	return s, nil
}
