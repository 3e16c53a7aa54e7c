package store

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/billing"
)

var testKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))

func TestRecordLayout(t *testing.T) {
	r := billing.Record{
		Kind: billing.KindClient, Address: "0:aa", Owner: "ow",
		Tokens: 0x0102030405060708, CommittedToChain: 9, Seqno: 0x0a0b0c0d,
		Chain: billing.ClientChain{State: 1, Balance: 2, Stake: 3, TokensUsed: 4},
		Value: 0x0102,
	}
	got, err := encodeRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		2, 1, 0x0a, 0x0b, 0x0c, 0x0d,
		1, 2, 3, 4, 5, 6, 7, 8,
		0, 0, 0, 0, 0, 0, 0, 9,
		1,
		0, 0, 0, 0, 0, 0, 0, 2,
		0, 0, 0, 0, 0, 0, 0, 3,
		0, 0, 0, 0, 0, 0, 0, 4,
		0, 0, 0, 0, 0, 0, 1, 2,
		2, 'o', 'w',
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encodeRecord = %x, want %x", got, want)
	}
	back, err := decodeRecord("client_0:aa", got)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Errorf("decoded %+v, want %+v", back, r)
	}
}

// TestDecodeRecordV1 reads a record as version 1 wrote it, without a
// value: it comes back with ValueUnknown, for the proxy to value, and
// cannot be written back until it is.
func TestDecodeRecordV1(t *testing.T) {
	v1 := []byte{
		1, 2, 0, 0, 0, 7,
		0, 0, 0, 0, 0, 0, 0, 40,
		0, 0, 0, 0, 0, 0, 0, 30,
		0,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		1, 'o',
	}
	r, err := decodeRecord("worker_0:bb", v1)
	if err != nil {
		t.Fatal(err)
	}
	want := billing.Record{Kind: billing.KindWorker, Address: "0:bb", Owner: "o", Tokens: 40, CommittedToChain: 30, Seqno: 7, ValueUnknown: true}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("decoded %+v, want %+v", r, want)
	}
	if _, err := encodeRecord(r); err == nil {
		t.Error("a record whose value is unknown encoded, want an error")
	}
	if _, err := decodeRecord("worker_0:bb", v1[:len(v1)-1]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a short version 1 record: got %v, want ErrCorrupt", err)
	}
}

func TestDecodeRecordRefuses(t *testing.T) {
	good, err := encodeRecord(billing.Record{Kind: billing.KindWorker, Address: "0:bb", Owner: "o", Tokens: 5})
	if err != nil {
		t.Fatal(err)
	}
	withByte := func(i int, v byte) []byte { b := bytes.Clone(good); b[i] = v; return b }
	tests := []struct {
		name string
		key  string
		body []byte
	}{
		{"no kind prefix", "0:bb", good},
		{"unknown kind prefix", "proxy_0:bb", good},
		{"kind differs from key", "client_0:bb", good},
		{"short", "worker_0:bb", good[:10]},
		{"unknown version", "worker_0:bb", withByte(0, 3)},
		{"empty", "worker_0:bb", nil},
		{"owner length too long", "worker_0:bb", withByte(55, 9)},
		{"negative value", "worker_0:bb", withByte(47, 0x80)},
		{"trailing byte", "worker_0:bb", append(bytes.Clone(good), 0)},
		{"negative tokens", "worker_0:bb", withByte(6, 0x80)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := decodeRecord(tt.key, tt.body); !errors.Is(err, ErrCorrupt) {
				t.Errorf("decodeRecord = %+v, %v, want ErrCorrupt", r, err)
			}
		})
	}
}

func TestMemoryTampered(t *testing.T) {
	f := NewMemoryFile()
	m, err := OpenMemory(f, testKey)
	if err != nil {
		t.Fatal(err)
	}
	err = m.Save(context.Background(), billing.Flush{Seqno: 1, Records: []billing.Record{
		{Kind: billing.KindClient, Address: "0:aa", Tokens: 7, Seqno: 1},
		{Kind: billing.KindWorker, Address: "0:aa", Tokens: 7, Seqno: 1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(map[string][]byte)
		key    string
		want   error
	}{
		{"flipped byte", func(v map[string][]byte) { v["client_0:aa"][7] ^= 1 }, "client_0:aa", ErrTampered},
		{"moved to another key", func(v map[string][]byte) { v["worker_0:aa"] = v["client_0:aa"] }, "worker_0:aa", ErrTampered},
		{"truncated", func(v map[string][]byte) { v["config"] = v["config"][:10] }, "config", ErrCorrupt},
		{"config removed", func(v map[string][]byte) { delete(v, "config") }, "", ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := make(map[string][]byte)
			for k, v := range f.values {
				saved[k] = bytes.Clone(v)
			}
			defer func() { f.values = saved }()
			tt.mutate(f.values)
			_, err := m.Load(context.Background())
			if !errors.Is(err, tt.want) {
				t.Fatalf("Load = %v, want %v", err, tt.want)
			}
			if tt.key != "" && !strings.Contains(err.Error(), `"`+tt.key+`"`) {
				t.Errorf("error %q does not name key %q", err, tt.key)
			}
		})
	}
}

// FuzzDecodeRecord decodes arbitrary record bodies: no panic, and what
// decodes must encode to bytes that decode to the same record.
func FuzzDecodeRecord(f *testing.F) {
	good, err := encodeRecord(billing.Record{Kind: billing.KindClient, Address: "0:aa", Owner: "owner", Tokens: 9, CommittedToChain: 3, Seqno: 2})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("client_0:aa", good)
	f.Add("worker_x", []byte{1, 2})
	f.Add("worker_0:bb", append([]byte{1, 2}, make([]byte, 46)...))
	f.Fuzz(func(t *testing.T, key string, body []byte) {
		r, err := decodeRecord(key, body)
		if err != nil {
			return
		}
		if r.ValueUnknown {
			// A version 1 record is written back as version 2 once the
			// proxy has valued it.
			r.ValueUnknown, r.Value = false, billing.NanoTON(r.Tokens)
		}
		out, err := encodeRecord(r)
		if err != nil {
			t.Fatalf("decoded record %+v does not encode: %v", r, err)
		}
		back, err := decodeRecord(recordKey(r.Kind, r.Address), out)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if !reflect.DeepEqual(back, r) {
			t.Fatalf("round trip changed the record: %+v, then %+v", r, back)
		}
	})
}

// FuzzDecodeConfig does the same for the config record.
func FuzzDecodeConfig(f *testing.F) {
	f.Add(encodeConfig(5, 3))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, c, err := decodeConfig(body)
		if err != nil {
			return
		}
		s2, c2, err := decodeConfig(encodeConfig(s, c))
		if err != nil || s2 != s || c2 != c {
			t.Fatalf("round trip of (%d, %d) gave (%d, %d), %v", s, c, s2, c2, err)
		}
	})
}
