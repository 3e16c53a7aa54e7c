package wire

import (
	"bufio"
	"context"
	"crypto/rand"
	"sync/atomic"
	"testing"

	"github.com/cocoon-go/cocoon/internal/tl"
)

// BenchmarkFrameThroughput writes 4 KiB frames over loopback TCP through a
// buffered FrameWriter to a FrameReader, which does its own buffering.
func BenchmarkFrameThroughput(b *testing.B) {
	a, c := tcpPair(b)
	defer a.Close()
	defer c.Close()
	payload := make([]byte, 4096)
	done := make(chan error, 1)
	n := b.N
	go func() {
		fr := NewFrameReader(c)
		for range n {
			if _, err := fr.ReadFrame(); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	bw := bufio.NewWriterSize(a, 64<<10)
	fw := NewFrameWriter(bw)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	b.ResetTimer()
	for range n {
		if err := fw.WriteFrame(payload); err != nil {
			b.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

type countingHandler struct {
	n    atomic.Int64
	want int64
	done chan struct{}
}

func (h *countingHandler) ServeQuery(_ context.Context, p []byte) ([]byte, error) { return p, nil }

func (h *countingHandler) ServePacket([]byte) {
	if h.n.Add(1) == h.want {
		close(h.done)
	}
}

// BenchmarkSessionSend4K sends 4 KiB one-way packets (answer parts) from
// four goroutines over a loopback TCP session; the receiver's handler gets
// a copy of each.
func BenchmarkSessionSend4K(b *testing.B) { benchmarkSend4K(b, Config{}) }

// BenchmarkSessionSend4KBorrowed is BenchmarkSessionSend4K with a
// receiver whose handler borrows the payloads.
func BenchmarkSessionSend4KBorrowed(b *testing.B) { benchmarkSend4K(b, Config{BorrowPackets: true}) }

func benchmarkSend4K(b *testing.B, inCfg Config) {
	h := &countingHandler{want: int64(b.N), done: make(chan struct{})}
	inCfg.Handler = h
	a, c := tcpPair(b)
	out, _ := startPair(b, a, c, Config{}, inCfg)
	payload := make([]byte, 4096)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	b.SetParallelism(2)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := out.Send(payload); err != nil {
				b.Error(err)
				return
			}
		}
	})
	<-h.done
}

// BenchmarkSessionQuery measures a query round trip over loopback TCP.
func BenchmarkSessionQuery(b *testing.B) {
	a, c := tcpPair(b)
	out, _ := startPair(b, a, c, Config{}, Config{Handler: &countingHandler{}})
	payload := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := out.Query(context.Background(), payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPoWHash measures the cost of one proof-of-work attempt.
func BenchmarkPoWHash(b *testing.B) {
	var salt [16]byte
	nonce := int64(0)
	for b.Loop() {
		CheckPoW(salt, nonce, 64)
		nonce++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
}

// BenchmarkSolvePoW20 solves fresh challenges at the reference's default
// difficulty (about a million hashes each on average).
func BenchmarkSolvePoW20(b *testing.B) {
	var salt [16]byte
	for b.Loop() {
		_, _ = rand.Read(salt[:])
		if _, err := FindPoW(context.Background(), salt, 20, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func answerPart() *tl.ClientQueryAnswerPartEx {
	return &tl.ClientQueryAnswerPartEx{RequestID: [32]byte{1}, Answer: make([]byte, 4096)}
}

// BenchmarkSessionSendMarshal4K forwards answer parts the plain way:
// Send(tl.Marshal(part)).
func BenchmarkSessionSendMarshal4K(b *testing.B) {
	benchmarkSendParts(b, func(s *Session, part tl.Object) error { return s.Send(tl.Marshal(part)) })
}

// BenchmarkSessionSendObject4K forwards answer parts with SendObject,
// which encodes each part once, straight into the session's buffer.
func BenchmarkSessionSendObject4K(b *testing.B) {
	benchmarkSendParts(b, func(s *Session, part tl.Object) error { return s.SendObject(part) })
}

func benchmarkSendParts(b *testing.B, send func(*Session, tl.Object) error) {
	h := &countingHandler{want: int64(b.N), done: make(chan struct{})}
	a, c := tcpPair(b)
	out, _ := startPair(b, a, c, Config{}, Config{Handler: h})
	part := answerPart()
	b.SetBytes(int64(len(part.Answer)))
	b.ReportAllocs()
	for range b.N {
		if err := send(out, part); err != nil {
			b.Fatal(err)
		}
	}
	<-h.done
}
