package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cocoon-go/cocoon/internal/billing"
)

// Record bodies are a compact big-endian layout; the address is the key's
// and is not repeated:
//
//	version:u8 (=2) kind:u8 seqno:u32 tokens:i64 committed_to_chain:i64
//	chain_state:u8 chain_balance:i64 chain_stake:i64 chain_tokens_used:i64
//	value:i64 owner_len:u8 owner:bytes
//
// where value is what the tokens were billed in nanoTON. Version 1, the
// same without value, is still read: its records come back with
// ValueUnknown set, for the proxy to value.
//
// Config bodies are version:u8 (=1) seqno:u32 chain_seqno:u32.
const (
	recordVersion     = 2
	recordV1          = 1
	recordFixedSize   = 1 + 1 + 4 + 8 + 8 + 1 + 8 + 8 + 8 + 8 + 1
	recordV1FixedSize = recordFixedSize - 8
	configVersion     = 1
	configSize        = 1 + 4 + 4
)

func checkRecord(r billing.Record) error {
	switch {
	case r.Kind != billing.KindClient && r.Kind != billing.KindWorker:
		return fmt.Errorf("record %q has unknown kind %d", r.Address, r.Kind)
	case r.Address == "" || len(r.Address) > maxField:
		return fmt.Errorf("%s record address has %d bytes, want 1 to %d", r.Kind, len(r.Address), maxField)
	case len(r.Owner) > maxField:
		return fmt.Errorf("%s %s: owner has %d bytes, limit %d", r.Kind, r.Address, len(r.Owner), maxField)
	case r.Chain.State < 0 || r.Chain.State > 255:
		return fmt.Errorf("%s %s: chain state %d out of range", r.Kind, r.Address, r.Chain.State)
	case r.Tokens < 0 || r.CommittedToChain < 0 || r.CommittedToChain > r.Tokens:
		return fmt.Errorf("%s %s: tokens %d, committed to chain %d out of order", r.Kind, r.Address, r.Tokens, r.CommittedToChain)
	case r.Value < 0:
		return fmt.Errorf("%s %s: negative value %d", r.Kind, r.Address, r.Value)
	}
	return nil
}

func encodeRecord(r billing.Record) ([]byte, error) {
	if err := checkRecord(r); err != nil {
		return nil, fmt.Errorf("encoding record: %w", err)
	}
	if r.ValueUnknown {
		return nil, fmt.Errorf("encoding record: %s %s: the value of its tokens is unknown", r.Kind, r.Address)
	}
	b := make([]byte, 0, recordFixedSize+len(r.Owner))
	b = append(b, recordVersion, byte(r.Kind))
	b = binary.BigEndian.AppendUint32(b, r.Seqno)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Tokens))
	b = binary.BigEndian.AppendUint64(b, uint64(r.CommittedToChain))
	b = append(b, byte(r.Chain.State))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Chain.Balance))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Chain.Stake))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Chain.TokensUsed))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Value))
	b = append(b, byte(len(r.Owner)))
	return append(b, r.Owner...), nil
}

func decodeRecord(key string, b []byte) (billing.Record, error) {
	kind, addr, err := parseKey(key)
	if err != nil {
		return billing.Record{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	fixed := recordFixedSize
	switch {
	case len(b) == 0:
		return billing.Record{}, fmt.Errorf("%w: empty", ErrCorrupt)
	case b[0] == recordV1:
		fixed = recordV1FixedSize
	case b[0] != recordVersion:
		return billing.Record{}, fmt.Errorf("%w: unknown version %d", ErrCorrupt, b[0])
	}
	if len(b) < fixed {
		return billing.Record{}, fmt.Errorf("%w: %d bytes, want at least %d", ErrCorrupt, len(b), fixed)
	}
	if billing.Kind(b[1]) != kind {
		return billing.Record{}, fmt.Errorf("%w: kind %d does not match the key", ErrCorrupt, b[1])
	}
	r := billing.Record{
		Kind:             kind,
		Address:          addr,
		Seqno:            binary.BigEndian.Uint32(b[2:]),
		Tokens:           int64(binary.BigEndian.Uint64(b[6:])),
		CommittedToChain: int64(binary.BigEndian.Uint64(b[14:])),
		Chain: billing.ClientChain{
			State:      int(b[22]),
			Balance:    billing.NanoTON(binary.BigEndian.Uint64(b[23:])),
			Stake:      billing.NanoTON(binary.BigEndian.Uint64(b[31:])),
			TokensUsed: int64(binary.BigEndian.Uint64(b[39:])),
		},
	}
	if b[0] == recordV1 {
		r.ValueUnknown = true
	} else {
		r.Value = billing.NanoTON(binary.BigEndian.Uint64(b[47:]))
	}
	n := int(b[fixed-1])
	if len(b) != fixed+n {
		return billing.Record{}, fmt.Errorf("%w: owner of %d bytes in %d remaining", ErrCorrupt, n, len(b)-fixed)
	}
	r.Owner = string(b[fixed:])
	if err := checkRecord(r); err != nil {
		return billing.Record{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return r, nil
}

func encodeConfig(seqno, chainSeqno uint32) []byte {
	b := make([]byte, 0, configSize)
	b = append(b, configVersion)
	b = binary.BigEndian.AppendUint32(b, seqno)
	return binary.BigEndian.AppendUint32(b, chainSeqno)
}

func decodeConfig(b []byte) (seqno, chainSeqno uint32, err error) {
	if len(b) != configSize || b[0] != configVersion {
		return 0, 0, fmt.Errorf("%w: config of %d bytes", ErrCorrupt, len(b))
	}
	seqno, chainSeqno = binary.BigEndian.Uint32(b[1:]), binary.BigEndian.Uint32(b[5:])
	if chainSeqno > seqno {
		return 0, 0, fmt.Errorf("%w: chain seqno %d after seqno %d", ErrCorrupt, chainSeqno, seqno)
	}
	return seqno, chainSeqno, nil
}

// errNoConfig marks a store that holds records but no seqno.
var errNoConfig = errors.New("store holds records but no config record")
