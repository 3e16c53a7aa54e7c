package wire

import (
	"bytes"
	"context"
	"encoding"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
	os.Exit(0)
}

// pipe returns the two ends of a net.Pipe, closed when the test ends.
func pipe(t *testing.T) (server, client net.Conn) {
	server, client = net.Pipe()
	t.Cleanup(func() {
		server.Close()
		client.Close()
	})
	return server, client
}

// answerWith reads the server's challenge from client, in a goroutine,
// and writes what answer returns for it.
func answerWith(client net.Conn, answer func(PoWChallenge) []byte) {
	go func() {
		var buf [24]byte
		if _, err := io.ReadFull(client, buf[:]); err != nil {
			return
		}
		var c PoWChallenge
		_ = c.UnmarshalBinary(buf[:])
		_, _ = client.Write(answer(c))
	}()
}

var testSalt = [16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

// The vectors were found with an independent implementation (Python's
// hashlib) of the reference's rule: the first 8 bytes of
// SHA256(salt‖nonce_le), read as a little-endian uint64, have at least
// difficulty leading zero bits.
func TestCheckPoW(t *testing.T) {
	tests := []struct {
		name       string
		nonce      int64
		difficulty int
		want       bool
	}{
		{"first nonce for 8 bits (hash starts c5 67 41 48 39 b0 db 00)", 480, 8, true},
		{"same nonce falls short of 9 bits", 480, 9, false},
		{"first nonce for 12 bits (hash starts 7e 7a a7 96 bc e6 04 00)", 7012, 12, true},
		{"hash byte 0 is zero but the little-endian value has no leading zero", 150, 1, false},
		{"difficulty 0 accepts anything", 1, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckPoW(testSalt, tt.nonce, tt.difficulty); got != tt.want {
				t.Errorf("CheckPoW(nonce %d, difficulty %d) = %v, want %v", tt.nonce, tt.difficulty, got, tt.want)
			}
		})
	}
}

func TestFindPoW(t *testing.T) {
	nonce, err := FindPoW(context.Background(), testSalt, 12, 0)
	if err != nil {
		t.Fatal(err)
	}
	if nonce != 7012 {
		t.Errorf("FindPoW from 0 at difficulty 12 = %d, want 7012", nonce)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := FindPoW(ctx, testSalt, 60, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("FindPoW with a cancelled context: got %v, want context.Canceled", err)
	}
}

func TestPoWMessagesGolden(t *testing.T) {
	c := PoWChallenge{Difficulty: 20, Salt: testSalt}
	b, _ := c.MarshalBinary()
	want := append([]byte{0x91, 0x12, 0x8e, 0x41, 20, 0, 0, 0}, testSalt[:]...)
	if !bytes.Equal(b, want) {
		t.Errorf("challenge: got %x, want %x", b, want)
	}
	a, _ := PoWAnswer{Nonce: 0x0102030405060708}.MarshalBinary()
	if want := []byte{0x19, 0x73, 0x82, 0x01, 8, 7, 6, 5, 4, 3, 2, 1}; !bytes.Equal(a, want) {
		t.Errorf("answer: got %x, want %x", a, want)
	}
}

func TestPoWExchange(t *testing.T) {
	server, client := pipe(t)
	errc := make(chan error, 1)
	go func() { errc <- ServePoW(context.Background(), server, 12) }()
	if err := SolvePoW(context.Background(), client, DefaultMaxPoWDifficulty); err != nil {
		t.Fatalf("SolvePoW: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("ServePoW: %v", err)
	}
}

func TestSolvePoWRefusesHardChallenge(t *testing.T) {
	server, client := pipe(t)
	go func() {
		b, _ := PoWChallenge{Difficulty: 29, Salt: testSalt}.MarshalBinary()
		_, _ = server.Write(b)
	}()
	if err := SolvePoW(context.Background(), client, 28); !errors.Is(err, ErrPoWTooHard) {
		t.Errorf("difficulty 29 with maximum 28: got %v, want ErrPoWTooHard", err)
	}
}

func TestServePoWRejectsWrongNonce(t *testing.T) {
	server, client := pipe(t)
	answerWith(client, func(c PoWChallenge) []byte {
		// Find a nonce that fails difficulty 16 for this salt.
		nonce := int64(0)
		for CheckPoW(c.Salt, nonce, 16) {
			nonce++
		}
		b, _ := PoWAnswer{Nonce: nonce}.MarshalBinary()
		return b
	})
	if err := ServePoW(context.Background(), server, 16); !errors.Is(err, ErrPoWInvalid) {
		t.Errorf("wrong nonce: got %v, want ErrPoWInvalid", err)
	}
}

func TestServePoWRejectsBadMagic(t *testing.T) {
	server, client := pipe(t)
	answerWith(client, func(PoWChallenge) []byte { return make([]byte, 12) })
	if err := ServePoW(context.Background(), server, 1); err == nil {
		t.Error("answer with a zero magic: got no error")
	}
}

// TestServePoWDeadline: a client that never answers is dropped at the
// default deadline.
func TestServePoWDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		server, client := pipe(t)
		go func() { _, _ = io.Copy(io.Discard, client) }()
		start := time.Now()
		err := ServePoW(context.Background(), server, 20)
		if err == nil {
			t.Fatal("silent client: got no error")
		}
		if got := time.Since(start); got != DefaultPoWTimeout {
			t.Errorf("gave up after %v, want %v", got, DefaultPoWTimeout)
		}
	})
}

func TestSolvePoWCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, client := pipe(t)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// The server never sends its challenge.
		err := SolvePoW(ctx, client, 28)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want context.DeadlineExceeded", err)
		}
	})
}

func FuzzPoWMessages(f *testing.F) {
	c, _ := PoWChallenge{Difficulty: 20, Salt: testSalt}.MarshalBinary()
	a, _ := PoWAnswer{Nonce: 480}.MarshalBinary()
	f.Add(c)
	f.Add(a)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		roundTrip[PoWChallenge](t, "challenge", b)
		if a, ok := roundTrip[PoWAnswer](t, "answer", b); ok {
			_ = CheckPoW(testSalt, a.Nonce, int(binary.LittleEndian.Uint32(b)%70))
		}
	})
}

// roundTrip decodes b as a T and, if that succeeds, checks that it
// encodes back to b and decodes again to the same T, which it returns.
func roundTrip[T interface {
	comparable
	encoding.BinaryMarshaler
}, P interface {
	*T
	encoding.BinaryUnmarshaler
}](t *testing.T, name string, b []byte) (T, bool) {
	t.Helper()
	var v T
	if err := P(&v).UnmarshalBinary(b); err != nil {
		return v, false
	}
	enc, _ := v.MarshalBinary()
	if !bytes.Equal(enc, b) {
		t.Fatalf("%s re-encoded as %x, read from %x", name, enc, b)
	}
	var v2 T
	if err := P(&v2).UnmarshalBinary(enc); err != nil || v2 != v {
		t.Fatalf("%s round trip: %v, %+v != %+v", name, err, v2, v)
	}
	return v, true
}
