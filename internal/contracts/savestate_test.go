package contracts

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/xssnick/tonutils-go/tvm/cell"
)

func TestSaveStateGolden(t *testing.T) {
	var session Hash
	for i := range session {
		session[i] = byte(i)
	}
	c, err := SaveState{QueryID: 0x0102030405060708, Seqno: 0xfffffffe, Session: session}.Cell()
	if err != nil {
		t.Fatal(err)
	}
	// do_not_process, query id, proxy_save_state, seqno (int32 −2), session.
	want := "9a1247c0" + "0102030405060708" + "53109c0f" + "fffffffe" +
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	if c.BitsSize() != 32+64+32+32+256 || c.RefsNum() != 0 {
		t.Fatalf("got %d bits and %d refs, want 416 and 0", c.BitsSize(), c.RefsNum())
	}
	if got := hex.EncodeToString(c.MustBeginParse().MustLoadSlice(416)); got != want {
		t.Errorf("got body %s, want %s", got, want)
	}
	s, err := ParseSaveState(c)
	if err != nil {
		t.Fatal(err)
	}
	if s != (SaveState{QueryID: 0x0102030405060708, Seqno: 0xfffffffe, Session: session}) {
		t.Errorf("got %+v back", s)
	}
}

func TestSaveStateErrors(t *testing.T) {
	good, err := SaveState{QueryID: 1, Seqno: 2, Session: Hash{3}}.Cell()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		body *cell.Cell
		want string
	}{
		{"nil", nil, "no cell"},
		{"empty", cell.BeginCell().EndCell(), "reading 32-bit field"},
		{"other op", cell.BeginCell().MustStoreUInt(0x12345678, 32).EndCell(), "op 0x12345678"},
		{"other record", cell.BeginCell().MustStoreUInt(uint64(OpDoNotProcess), 32).MustStoreUInt(1, 64).
			MustStoreUInt(7, 32).EndCell(), "record op 0x7"},
		{"short", cell.BeginCell().MustStoreUInt(uint64(OpDoNotProcess), 32).MustStoreUInt(1, 64).
			MustStoreUInt(uint64(SaveStateRecord), 32).MustStoreUInt(2, 32).EndCell(), "reading 32 bytes"},
		{"trailing", cell.BeginCell().MustStoreBuilder(good.ToBuilder()).MustStoreUInt(1, 1).EndCell(), "left over"},
		{"ref", cell.BeginCell().MustStoreBuilder(good.ToBuilder()).MustStoreRef(cell.BeginCell().EndCell()).EndCell(), "left over"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSaveState(tt.body)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
			if err != nil && errors.Unwrap(err) == nil {
				t.Errorf("error %v wraps nothing", err)
			}
		})
	}
}

func FuzzSaveState(f *testing.F) {
	seedBOC(f, func() (*cell.Cell, error) { return SaveState{QueryID: 9, Seqno: 1, Session: Hash{1, 2}}.Cell() })
	seedBOC(f, func() (*cell.Cell, error) { return SaveState{QueryID: 0, Seqno: 0, Session: Hash{}}.Cell() })
	f.Fuzz(func(t *testing.T, raw []byte) {
		roundTrip(t, raw, ParseSaveState, SaveState.Cell, func(a, b SaveState) bool { return a == b })
	})
}
