package wire

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net"
	"os"
	"time"
)

// Proof-of-work constants of the reference (tee/cocoon/pow).
const (
	PoWChallengeMagic uint32 = 0x418e1291
	PoWAnswerMagic    uint32 = 0x01827319

	// DefaultPoWDifficulty is what a server asks for.
	DefaultPoWDifficulty = 20
	// DefaultMaxPoWDifficulty is the most a client agrees to solve.
	DefaultMaxPoWDifficulty = 28
	// DefaultPoWTimeout bounds the exchange when the context has no
	// deadline.
	DefaultPoWTimeout = 60 * time.Second

	powChallengeSize = 24
	powAnswerSize    = 12
	// powBatch is how many nonces the solver tries between checks of its
	// context.
	powBatch = 100_000
)

// Proof-of-work errors.
var (
	ErrPoWTooHard = errors.New("wire: proof-of-work difficulty above our maximum")
	ErrPoWInvalid = errors.New("wire: proof-of-work answer does not meet the difficulty")
)

// PoWChallenge is what the server sends first: magic, difficulty, salt.
type PoWChallenge struct {
	Difficulty int32
	Salt       [16]byte
}

// MarshalBinary returns the 24-byte encoding.
func (c PoWChallenge) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, powChallengeSize)
	b = binary.LittleEndian.AppendUint32(b, PoWChallengeMagic)
	b = binary.LittleEndian.AppendUint32(b, uint32(c.Difficulty))
	return append(b, c.Salt[:]...), nil
}

// UnmarshalBinary decodes the 24-byte encoding.
func (c *PoWChallenge) UnmarshalBinary(b []byte) error {
	if err := checkFraming(b, powChallengeSize, PoWChallengeMagic, "challenge"); err != nil {
		return err
	}
	c.Difficulty = int32(binary.LittleEndian.Uint32(b[4:]))
	copy(c.Salt[:], b[8:])
	return nil
}

// checkFraming checks that b, a proof-of-work message (what), is size
// bytes and starts with magic.
func checkFraming(b []byte, size int, magic uint32, what string) error {
	if len(b) != size {
		return fmt.Errorf("decoding proof-of-work %s: got %d bytes, want %d", what, len(b), size)
	}
	if m := binary.LittleEndian.Uint32(b); m != magic {
		return fmt.Errorf("decoding proof-of-work %s: got magic %#08x, want %#08x", what, m, magic)
	}
	return nil
}

// PoWAnswer is the client's reply: magic and nonce.
type PoWAnswer struct {
	Nonce int64
}

// MarshalBinary returns the 12-byte encoding.
func (a PoWAnswer) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, powAnswerSize)
	b = binary.LittleEndian.AppendUint32(b, PoWAnswerMagic)
	return binary.LittleEndian.AppendUint64(b, uint64(a.Nonce)), nil
}

// UnmarshalBinary decodes the 12-byte encoding.
func (a *PoWAnswer) UnmarshalBinary(b []byte) error {
	if err := checkFraming(b, powAnswerSize, PoWAnswerMagic, "answer"); err != nil {
		return err
	}
	a.Nonce = int64(binary.LittleEndian.Uint64(b[4:]))
	return nil
}

// CheckPoW reports whether nonce solves salt at difficulty: the first 8
// bytes of SHA-256(salt ‖ nonce as little-endian int64), read as a
// little-endian uint64, must have at least difficulty leading zero bits.
func CheckPoW(salt [16]byte, nonce int64, difficulty int) bool {
	var in [24]byte
	copy(in[:], salt[:])
	binary.LittleEndian.PutUint64(in[16:], uint64(nonce))
	return powBits(&in) >= difficulty
}

func powBits(in *[24]byte) int {
	h := sha256.Sum256(in[:])
	return bits.LeadingZeros64(binary.LittleEndian.Uint64(h[:8]))
}

// FindPoW searches for a nonce that solves salt at difficulty, starting
// from start. It returns ctx's error if ctx ends first.
func FindPoW(ctx context.Context, salt [16]byte, difficulty int, start int64) (int64, error) {
	if difficulty > 64 {
		return 0, fmt.Errorf("solving proof of work of difficulty %d: %w", difficulty, ErrPoWTooHard)
	}
	var in [24]byte
	copy(in[:], salt[:])
	nonce := uint64(start)
	for {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("solving proof of work of difficulty %d: %w", difficulty, err)
		}
		for range powBatch {
			binary.LittleEndian.PutUint64(in[16:], nonce)
			if powBits(&in) >= difficulty {
				return int64(nonce), nil
			}
			nonce++
		}
	}
}

// ServePoW runs the server side of the proof-of-work exchange on conn:
// it sends a challenge of the given difficulty with a fresh salt, reads the
// answer and checks it. The exchange must end before ctx's deadline, or
// within DefaultPoWTimeout when ctx has none.
func ServePoW(ctx context.Context, conn net.Conn, difficulty int) error {
	if difficulty < 0 || difficulty > 64 {
		return fmt.Errorf("serving proof of work: difficulty %d is not in [0, 64]", difficulty)
	}
	stop := bindDeadline(ctx, conn)
	defer stop()
	c := PoWChallenge{Difficulty: int32(difficulty)}
	if _, err := rand.Read(c.Salt[:]); err != nil {
		return fmt.Errorf("serving proof of work: drawing salt: %w", err)
	}
	b, _ := c.MarshalBinary()
	if _, err := conn.Write(b); err != nil {
		return fmt.Errorf("serving proof of work: sending challenge: %w", ctxErr(ctx, err))
	}
	var buf [powAnswerSize]byte
	if _, err := io.ReadFull(conn, buf[:]); err != nil {
		return fmt.Errorf("serving proof of work: reading answer: %w", ctxErr(ctx, err))
	}
	var a PoWAnswer
	if err := a.UnmarshalBinary(buf[:]); err != nil {
		return fmt.Errorf("serving proof of work: %w", err)
	}
	if !CheckPoW(c.Salt, a.Nonce, difficulty) {
		return fmt.Errorf("serving proof of work: nonce %d at difficulty %d: %w", a.Nonce, difficulty, ErrPoWInvalid)
	}
	return nil
}

// SolvePoW runs the client side of the proof-of-work exchange on conn:
// it reads the challenge, refuses a difficulty above maxDifficulty, solves
// it and sends the answer. ctx cancels the search and the I/O; without a
// deadline in ctx the exchange is bounded by DefaultPoWTimeout.
func SolvePoW(ctx context.Context, conn net.Conn, maxDifficulty int) error {
	stop := bindDeadline(ctx, conn)
	defer stop()
	var buf [powChallengeSize]byte
	if _, err := io.ReadFull(conn, buf[:]); err != nil {
		return fmt.Errorf("solving proof of work: reading challenge: %w", ctxErr(ctx, err))
	}
	var c PoWChallenge
	if err := c.UnmarshalBinary(buf[:]); err != nil {
		return fmt.Errorf("solving proof of work: %w", err)
	}
	if c.Difficulty < 0 || int(c.Difficulty) > maxDifficulty {
		return fmt.Errorf("solving proof of work: server asks for difficulty %d, we accept at most %d: %w", c.Difficulty, maxDifficulty, ErrPoWTooHard)
	}
	var start [8]byte
	if _, err := rand.Read(start[:]); err != nil {
		return fmt.Errorf("solving proof of work: drawing a start nonce: %w", err)
	}
	nonce, err := FindPoW(ctx, c.Salt, int(c.Difficulty), int64(binary.LittleEndian.Uint64(start[:])))
	if err != nil {
		return err
	}
	b, _ := PoWAnswer{Nonce: nonce}.MarshalBinary()
	if _, err := conn.Write(b); err != nil {
		return fmt.Errorf("solving proof of work: sending answer: %w", ctxErr(ctx, err))
	}
	return nil
}

// bindDeadline sets conn's deadline from ctx (or DefaultPoWTimeout) and
// makes ctx's cancellation interrupt blocked I/O. The returned func undoes
// both.
func bindDeadline(ctx context.Context, conn net.Conn) func() {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultPoWTimeout)
	}
	_ = conn.SetDeadline(deadline)
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = conn.SetDeadline(time.Unix(1, 0))
		close(fired)
	})
	return func() {
		if !stop() {
			<-fired
		}
		_ = conn.SetDeadline(time.Time{})
	}
}

// ctxErr prefers ctx's error to the I/O error it caused. A deadline
// taken from ctx may expire on the connection a moment before ctx itself
// reports it.
func ctxErr(ctx context.Context, err error) error {
	cerr := ctx.Err()
	if d, ok := ctx.Deadline(); ok && cerr == nil && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(d) {
		cerr = context.DeadlineExceeded
	}
	if cerr != nil {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	return err
}
