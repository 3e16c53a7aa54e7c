package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cocoon-go/cocoon/internal/tl"
)

// testHandler is a Handler made of functions; nil ones echo queries and
// record packets.
type testHandler struct {
	query func(ctx context.Context, payload []byte) ([]byte, error)
	// borrowed records copies of the packets, which a session with
	// BorrowPackets lends only for the call.
	borrowed bool

	mu      sync.Mutex
	packets [][]byte
	got     chan struct{} // receives once per packet when not nil
}

func (h *testHandler) ServeQuery(ctx context.Context, payload []byte) ([]byte, error) {
	if h.query != nil {
		return h.query(ctx, payload)
	}
	return append([]byte("echo:"), payload...), nil
}

func (h *testHandler) ServePacket(payload []byte) {
	if h.borrowed {
		payload = bytes.Clone(payload)
	}
	h.mu.Lock()
	h.packets = append(h.packets, payload)
	h.mu.Unlock()
	if h.got != nil {
		h.got <- struct{}{}
	}
}

func tcpPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	out, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	return out, r.c
}

// startPipePair starts an outbound session and an inbound one with inCfg
// over the two ends of a net.Pipe, as startPair does.
func startPipePair(t testing.TB, inCfg Config) (out, in *Session) {
	a, b := net.Pipe()
	return startPair(t, a, b, Config{}, inCfg)
}

// startPair starts an outbound and an inbound session over the two ends
// and closes both when the test ends.
func startPair(t testing.TB, outConn, inConn net.Conn, outCfg, inCfg Config) (*Session, *Session) {
	t.Helper()
	outCfg.Outbound = true
	out, in := NewSession(outConn, outCfg), NewSession(inConn, inCfg)
	errc := make(chan error, 1)
	go func() { errc <- in.Start(context.Background()) }()
	if err := out.Start(context.Background()); err != nil {
		t.Fatalf("outbound Start: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("inbound Start: %v", err)
	}
	t.Cleanup(func() {
		out.Close()
		in.Close()
	})
	return out, in
}

func transports(t *testing.T) map[string]func(testing.TB) (net.Conn, net.Conn) {
	return map[string]func(testing.TB) (net.Conn, net.Conn){
		"pipe": func(testing.TB) (net.Conn, net.Conn) { return net.Pipe() },
		"tcp":  tcpPair,
	}
}

func TestQueriesBothWays(t *testing.T) {
	for name, pair := range transports(t) {
		t.Run(name, func(t *testing.T) {
			a, b := pair(t)
			out, in := startPair(t, a, b, Config{Handler: &testHandler{}}, Config{Handler: &testHandler{}})
			for _, s := range []*Session{out, in} {
				got, err := s.Query(context.Background(), []byte("ping"))
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != "echo:ping" {
					t.Errorf("got %q, want %q", got, "echo:ping")
				}
			}
		})
	}
}

func TestConcurrentQueries(t *testing.T) {
	a, b := tcpPair(t)
	out, _ := startPair(t, a, b, Config{}, Config{Handler: &testHandler{}})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Go(func() {
			want := fmt.Sprintf("q%d", i)
			got, err := out.Query(context.Background(), []byte(want))
			if err != nil {
				errs <- err
				return
			}
			if string(got) != "echo:"+want {
				errs <- fmt.Errorf("got %q, want %q", got, "echo:"+want)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestQueryErrors(t *testing.T) {
	h := &testHandler{query: func(_ context.Context, p []byte) ([]byte, error) {
		if string(p) == "typed" {
			return nil, &QueryError{Code: CodeTimeout, Message: "worker: timeout"}
		}
		return nil, errors.New("something broke")
	}}
	out, _ := startPipePair(t, Config{Handler: h})
	tests := []struct {
		payload string
		want    QueryError
	}{
		{"typed", QueryError{Code: CodeTimeout, Message: "worker: timeout"}},
		{"plain", QueryError{Code: CodeError, Message: "something broke"}},
	}
	for _, tt := range tests {
		_, err := out.Query(context.Background(), []byte(tt.payload))
		var qe *QueryError
		if !errors.As(err, &qe) || *qe != tt.want {
			t.Errorf("%s: got %v, want %+v", tt.payload, err, tt.want)
		}
	}
	// A session without a handler refuses queries the same way.
	_, err := out.Query(context.Background(), []byte("x"))
	if err == nil {
		t.Fatal("got no error")
	}
	c, d := net.Pipe()
	out2, _ := startPair(t, c, d, Config{}, Config{})
	_, err = out2.Query(context.Background(), []byte("x"))
	var qe *QueryError
	if !errors.As(err, &qe) || qe.Code != CodeError {
		t.Errorf("no handler: got %v, want a QueryError with code %d", err, CodeError)
	}
}

// TestPacketsInOrder: packets arrive in the order sent, the handler owning
// each or, with BorrowPackets, borrowing it.
func TestPacketsInOrder(t *testing.T) {
	for _, tc := range []struct {
		name    string
		borrow  bool
		payload func(i int) string
	}{
		{"owned", false, func(i int) string { return fmt.Sprintf("packet %04d", i) }},
		{"borrowed", true, func(i int) string { return fmt.Sprintf("packet %04d %s", i, bytes.Repeat([]byte{'x'}, i*37)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &testHandler{got: make(chan struct{}, 1000), borrowed: tc.borrow}
			a, b := tcpPair(t)
			out, _ := startPair(t, a, b, Config{}, Config{Handler: h, BorrowPackets: tc.borrow})
			for i := range 1000 {
				if err := out.Send([]byte(tc.payload(i))); err != nil {
					t.Fatal(err)
				}
			}
			for range 1000 {
				<-h.got
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			for i, p := range h.packets {
				if want := tc.payload(i); string(p) != want {
					t.Fatalf("packet %d: got %.20q (%d bytes), want %.20q (%d bytes)", i, p, len(p), want, len(want))
				}
			}
		})
	}
}

func TestQueryCancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		h := &testHandler{query: func(ctx context.Context, _ []byte) ([]byte, error) {
			select {
			case <-release:
				return []byte("late"), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}}
		out, _ := startPipePair(t, Config{Handler: h})

		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		start := time.Now()
		_, err := out.Query(ctx, []byte("slow"))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want context.DeadlineExceeded", err)
		}
		if got := time.Since(start); got != 3*time.Second {
			t.Errorf("Query returned after %v, want 3s", got)
		}
		// The late answer is dropped and the session goes on.
		close(release)
		synctest.Wait()
		got, err := out.Query(context.Background(), []byte("x"))
		if err != nil || string(got) != "late" {
			t.Errorf("next query: got %q, %v", got, err)
		}
		out.mu.Lock()
		n := len(out.queries)
		out.mu.Unlock()
		if n != 0 {
			t.Errorf("%d queries still registered", n)
		}
	})
}

func TestTooManyConcurrentQueries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		block := make(chan struct{})
		h := &testHandler{query: func(ctx context.Context, _ []byte) ([]byte, error) {
			select {
			case <-block:
			case <-ctx.Done():
			}
			return []byte("ok"), nil
		}}
		out, _ := startPipePair(t, Config{Handler: h, MaxConcurrentQueries: 2})
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { _, _ = out.Query(context.Background(), []byte("x")) })
		}
		synctest.Wait()
		_, err := out.Query(context.Background(), []byte("x"))
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Code != CodeNotReady {
			t.Errorf("third query: got %v, want code %d", err, CodeNotReady)
		}
		close(block)
		wg.Wait()
	})
}

// TestCloseCancelsHandlers: Close cancels running ServeQuery calls and
// waits for them; a waiting Query on the other side fails.
func TestCloseCancelsHandlers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		running := make(chan struct{})
		var finished bool
		h := &testHandler{query: func(ctx context.Context, _ []byte) ([]byte, error) {
			close(running)
			<-ctx.Done()
			time.Sleep(time.Second)
			finished = true
			return nil, ctx.Err()
		}}
		out, in := startPipePair(t, Config{Handler: h})
		errc := make(chan error, 1)
		go func() {
			_, err := out.Query(context.Background(), []byte("x"))
			errc <- err
		}()
		<-running
		in.Close()
		if !finished {
			t.Error("Close returned before the handler did")
		}
		if err := <-errc; !errors.Is(err, ErrClosed) {
			t.Errorf("query on the other side: got %v, want ErrClosed", err)
		}
		<-out.Done()
		if out.Err() == nil {
			t.Error("the peer's session has no error")
		}
		if err := in.Err(); !errors.Is(err, ErrClosed) {
			t.Errorf("closed session: Err() = %v, want ErrClosed", err)
		}
	})
}

func TestSendAfterClose(t *testing.T) {
	out, _ := startPipePair(t, Config{})
	out.Close()
	if err := out.Send([]byte("abcd")); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close: got %v, want ErrClosed", err)
	}
	if _, err := out.Query(context.Background(), []byte("abcd")); !errors.Is(err, ErrClosed) {
		t.Errorf("Query after Close: got %v, want ErrClosed", err)
	}
	if err := out.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestNotStarted(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	s := NewSession(a, Config{Outbound: true})
	defer s.Close()
	if err := s.Send([]byte("abcd")); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Send before Start: got %v, want ErrNotStarted", err)
	}
}

func TestSendTooLargeKeepsSession(t *testing.T) {
	a, b := net.Pipe()
	h := &testHandler{}
	out, _ := startPair(t, a, b, Config{}, Config{Handler: h})
	if err := out.Send(make([]byte, MaxFrameSize)); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("got %v, want ErrFrameTooLarge", err)
	}
	if _, err := out.Query(context.Background(), []byte("still there")); err != nil {
		t.Errorf("session after a refused message: %v", err)
	}
}

// rawPeer plays the far side by hand.
type rawPeer struct {
	t    testing.TB
	conn net.Conn
	fr   *FrameReader
	fw   *FrameWriter
}

func newRawPeer(t testing.TB, conn net.Conn) *rawPeer {
	return &rawPeer{t: t, conn: conn, fr: NewFrameReader(conn), fw: NewFrameWriter(conn)}
}

func (p *rawPeer) write(o tl.Object) {
	p.t.Helper()
	if err := p.fw.WriteFrame(tl.Marshal(o)); err != nil {
		p.t.Fatalf("raw peer writing %s: %v", tl.Name(o.TLID()), err)
	}
}

func (p *rawPeer) read() tl.Object {
	p.t.Helper()
	b, err := p.fr.ReadFrame()
	if err != nil {
		p.t.Fatalf("raw peer reading: %v", err)
	}
	o, err := tl.Unmarshal(b)
	if err != nil {
		p.t.Fatalf("raw peer decoding: %v", err)
	}
	return o
}

// startingAgainstRaw starts a session with cfg against a raw peer, in a
// goroutine: errc receives what Start returns. Both ends close when the
// test ends.
func startingAgainstRaw(t *testing.T, cfg Config) (s *Session, peer *rawPeer, errc <-chan error) {
	a, b := net.Pipe()
	s = NewSession(a, cfg)
	t.Cleanup(func() {
		s.Close()
		b.Close()
	})
	started := make(chan error, 1)
	go func() { started <- s.Start(context.Background()) }()
	return s, newRawPeer(t, b), started
}

// startAgainstRaw starts an outbound session against a raw inbound peer.
func startAgainstRaw(t *testing.T, cfg Config) (*Session, *rawPeer) {
	t.Helper()
	a, b := net.Pipe()
	peer := newRawPeer(t, b)
	cfg.Outbound = true
	s := NewSession(a, cfg)
	errc := make(chan error, 1)
	go func() { errc <- s.Start(context.Background()) }()
	c, ok := peer.read().(*tl.TCPConnect)
	if !ok {
		t.Fatal("first message is not tcp.connect")
	}
	peer.write(&tl.TCPConnected{ID: c.ID})
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		b.Close()
	})
	return s, peer
}

func TestPeerViolationsEndSession(t *testing.T) {
	tests := []struct {
		name string
		send func(p *rawPeer)
		want error
	}{
		{"oversized frame", func(p *rawPeer) { _, _ = p.conn.Write(header(MaxFrameSize+1, 1)) }, ErrFrameTooLarge},
		{"bad seqno", func(p *rawPeer) { _, _ = p.conn.Write(append(header(12, 5), tl.Marshal(&tl.TCPPong{ID: 1})...)) }, ErrBadSeqno},
		{"malformed packet", func(p *rawPeer) { _ = p.fw.WriteFrame([]byte{0xf8, 0xba, 0x17, 0x9c, 0x10}) }, ErrProtocol},
		{"not a tcp packet", func(p *rawPeer) { p.write(&tl.ProxySignedPaymentEmpty{}) }, ErrProtocol},
		{"unknown constructor", func(p *rawPeer) { _ = p.fw.WriteFrame([]byte{1, 2, 3, 4}) }, ErrProtocol},
		{"second tcp.connected", func(p *rawPeer) { p.write(&tl.TCPConnected{ID: 1}) }, ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, peer := startAgainstRaw(t, Config{})
			go tt.send(peer)
			<-s.Done()
			if err := s.Err(); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestPeerDeath(t *testing.T) {
	s, peer := startAgainstRaw(t, Config{})
	errc := make(chan error, 1)
	go func() {
		_, err := s.Query(context.Background(), []byte("abcd"))
		errc <- err
	}()
	if _, ok := peer.read().(*tl.TCPQuery); !ok {
		t.Fatal("peer did not get the query")
	}
	peer.conn.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Errorf("query to a dead peer: got %v, want an error wrapping ErrClosed", err)
	}
	<-s.Done()
}

func TestOpeningExchange(t *testing.T) {
	t.Run("inbound answers with the same id", func(t *testing.T) {
		_, peer, errc := startingAgainstRaw(t, Config{})
		peer.write(&tl.TCPConnect{ID: 42})
		if c, ok := peer.read().(*tl.TCPConnected); !ok || c.ID != 42 {
			t.Errorf("got %+v, want tcp.connected 42", c)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("outbound rejects a wrong id", func(t *testing.T) {
		_, peer, errc := startingAgainstRaw(t, Config{Outbound: true})
		c := peer.read().(*tl.TCPConnect)
		peer.write(&tl.TCPConnected{ID: c.ID + 1})
		if err := <-errc; !errors.Is(err, ErrProtocol) {
			t.Errorf("got %v, want ErrProtocol", err)
		}
	})
	t.Run("inbound rejects anything but tcp.connect", func(t *testing.T) {
		_, peer, errc := startingAgainstRaw(t, Config{})
		peer.write(&tl.TCPPing{ID: 1})
		if err := <-errc; !errors.Is(err, ErrProtocol) {
			t.Errorf("got %v, want ErrProtocol", err)
		}
	})
	t.Run("silent peer times out", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a, b := net.Pipe()
			defer b.Close()
			s := NewSession(a, Config{})
			defer s.Close()
			start := time.Now()
			err := s.Start(context.Background())
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("got %v, want context.DeadlineExceeded", err)
			}
			if got := time.Since(start); got != DefaultHandshakeTimeout {
				t.Errorf("gave up after %v, want %v", got, DefaultHandshakeTimeout)
			}
		})
	})
}

// TestOutboundKeepalive: the outbound side pings after 10 s of silence and
// ends the session after 20 s.
func TestOutboundKeepalive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, peer := startAgainstRaw(t, Config{})
		start := time.Now()
		if _, ok := peer.read().(*tl.TCPPing); !ok {
			t.Fatal("first message after the exchange is not tcp.ping")
		}
		if got := time.Since(start); got != DefaultPingAfter {
			t.Errorf("pinged after %v, want %v", got, DefaultPingAfter)
		}
		go func() { _ = drain(peer) }()
		<-s.Done()
		if got := time.Since(start); got != DefaultOutboundIdleTimeout {
			t.Errorf("gave up after %v, want %v", got, DefaultOutboundIdleTimeout)
		}
		if !errors.Is(s.Err(), ErrIdleTimeout) {
			t.Errorf("got %v, want ErrIdleTimeout", s.Err())
		}
	})
}

func drain(p *rawPeer) error {
	for {
		if _, err := p.fr.ReadFrame(); err != nil {
			return err
		}
	}
}

// TestPongKeepsSessionAlive: answered pings keep an idle pair of sessions
// up indefinitely, and the inbound side only answers.
func TestPongKeepsSessionAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out, in := startPipePair(t, Config{})
		time.Sleep(5 * time.Minute)
		select {
		case <-out.Done():
			t.Fatalf("outbound session ended: %v", out.Err())
		case <-in.Done():
			t.Fatalf("inbound session ended: %v", in.Err())
		default:
		}
	})
}

// TestInboundIdleTimeout: the inbound side never pings and ends the
// session after 60 s of silence.
func TestInboundIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, peer, errc := startingAgainstRaw(t, Config{})
		peer.write(&tl.TCPConnect{ID: 7})
		peer.read()
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		// A ping at 30 s resets the clock.
		time.Sleep(30 * time.Second)
		peer.write(&tl.TCPPing{ID: 9})
		if p, ok := peer.read().(*tl.TCPPong); !ok || p.ID != 9 {
			t.Fatalf("got %+v, want tcp.pong 9", p)
		}
		got := make(chan tl.Object, 1)
		go func() {
			b, err := peer.fr.ReadFrame()
			if err == nil {
				o, _ := tl.Unmarshal(b)
				got <- o
			}
			close(got)
		}()
		<-s.Done()
		if d := time.Since(start); d != 90*time.Second {
			t.Errorf("gave up %v after start, want 90s", d)
		}
		if o, ok := <-got; ok {
			t.Errorf("inbound side sent %s while idle", tl.Name(o.TLID()))
		}
		if !errors.Is(s.Err(), ErrIdleTimeout) {
			t.Errorf("got %v, want ErrIdleTimeout", s.Err())
		}
	})
}

// TestSlowPeer: a peer that stops reading makes Send block, not buffer,
// and the session ends after WriteTimeout; senders that find the pending
// frames full wait, and all of them fail when the flusher's write times out.
func TestSlowPeer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		senders int
	}{
		{"blocks then fails", 1},
		{"fails every sender", 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s, _ := startAgainstRaw(t, Config{WriteTimeout: 5 * time.Second, IdleTimeout: time.Hour, PingAfter: time.Hour})
				start := time.Now()
				var wg sync.WaitGroup
				errs := make(chan error, tc.senders)
				for range tc.senders {
					wg.Go(func() {
						var err error
						for err == nil {
							err = s.Send(bytes.Repeat([]byte{1}, 32<<10))
						}
						errs <- err
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if !errors.Is(err, ErrClosed) && !strings.Contains(err.Error(), "timeout") {
						t.Errorf("got %v, want a write timeout", err)
					}
				}
				if d := time.Since(start); d != 5*time.Second {
					t.Errorf("%d senders failed after %v, want 5s", tc.senders, d)
				}
				<-s.Done()
			})
		})
	}
}

func FuzzSessionPacket(f *testing.F) {
	for _, o := range []tl.Object{
		&tl.TCPPing{ID: 1}, &tl.TCPPong{ID: 2}, &tl.TCPPacket{Data: []byte("abc")},
		&tl.TCPQuery{ID: 3, Data: []byte("q")}, &tl.TCPQueryAnswer{ID: 4, Data: []byte("a")},
		&tl.TCPQueryError{ID: 5, Code: CodeTimeout, Message: "timeout"},
		&tl.TCPConnect{ID: 6}, &tl.TCPConnected{ID: 7}, &tl.ProxySignedPaymentEmpty{},
	} {
		f.Add(tl.Marshal(o))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePacket(b)
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("decode error does not wrap ErrProtocol: %v", err)
			}
			return
		}
		enc := tl.Marshal(p)
		p2, err := decodePacket(enc)
		if err != nil {
			t.Fatalf("decoding our own encoding: %v", err)
		}
		if enc2 := tl.Marshal(p2); !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip changed the encoding: %x, %x", enc, enc2)
		}
	})
}

func TestTooLargeAnswerBecomesError(t *testing.T) {
	h := &testHandler{query: func(context.Context, []byte) ([]byte, error) {
		return make([]byte, MaxFrameSize), nil
	}}
	a, b := tcpPair(t)
	out, _ := startPair(t, a, b, Config{}, Config{Handler: h})
	_, err := out.Query(context.Background(), []byte("big"))
	var qe *QueryError
	if !errors.As(err, &qe) || qe.Code != CodeError || !strings.Contains(qe.Message, "too large") {
		t.Errorf("got %v, want a QueryError saying the answer is too large", err)
	}
}

// abortingHandler ends its session from ServePacket.
type abortingHandler struct{ s *Session }

func (h *abortingHandler) ServeQuery(context.Context, []byte) ([]byte, error) { return nil, nil }
func (h *abortingHandler) ServePacket(p []byte) {
	h.s.Abort(fmt.Errorf("handler refused %q: %w", p, ErrProtocol))
}

func TestAbortFromHandler(t *testing.T) {
	a, b := net.Pipe()
	h := &abortingHandler{}
	out := NewSession(a, Config{Outbound: true})
	in := NewSession(b, Config{Handler: h})
	h.s = in
	errc := make(chan error, 1)
	go func() { errc <- in.Start(context.Background()) }()
	if err := out.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	defer in.Close()
	if err := out.Send([]byte("bad!")); err != nil {
		t.Fatal(err)
	}
	<-in.Done()
	if !errors.Is(in.Err(), ErrProtocol) {
		t.Errorf("got %v, want the handler's error", in.Err())
	}
	<-out.Done()
}

// FuzzSessionFrames feeds arbitrary bytes after the opening exchange into
// a running session: it must end with an error or keep running, and never
// panic, hang or leak a goroutine.
func FuzzSessionFrames(f *testing.F) {
	var seed bytes.Buffer
	fw := NewFrameWriter(&seed)
	_ = fw.WriteFrame(tl.Marshal(&tl.TCPConnected{ID: 0}))
	_ = fw.WriteFrame(tl.Marshal(&tl.TCPPing{ID: 1}))
	_ = fw.WriteFrame(tl.Marshal(&tl.TCPPacket{Data: []byte("abcd")}))
	_ = fw.WriteFrame(tl.Marshal(&tl.TCPQuery{ID: 2, Data: []byte("q")}))
	_ = fw.WriteFrame(tl.Marshal(&tl.TCPQueryAnswer{ID: 3, Data: []byte("a")}))
	f.Add(seed.Bytes()[20:]) // without the tcp.connected frame
	f.Add(header(MaxFrameSize+1, 1))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, b := net.Pipe()
		s := NewSession(a, Config{Outbound: true, Handler: &testHandler{}})
		peer := newRawPeer(t, b)
		errc := make(chan error, 1)
		go func() { errc <- s.Start(context.Background()) }()
		c := peer.read().(*tl.TCPConnect)
		peer.write(&tl.TCPConnected{ID: c.ID})
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		drained := make(chan struct{})
		go func() {
			_ = drain(peer)
			close(drained)
		}()
		_, _ = b.Write(in)
		b.Close()
		<-s.Done()
		if s.Err() == nil {
			t.Fatal("session ended without an error")
		}
		s.Close()
		<-drained
	})
}

func TestAppendWrapped(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 240, 241, 242, 243, 244, 245, 246, 250, 251, 252, 253, 300, 5000} {
		inner := &tl.TCPPacket{Data: bytes.Repeat([]byte{0xab}, n)}
		boxed := tl.Marshal(inner)
		got, err := appendWrapped([]byte("head"), inner, false, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := append([]byte("head"), tl.Marshal(&tl.TCPPacket{Data: boxed})...); !bytes.Equal(got, want) {
			t.Errorf("packet around %d inner bytes:\n got %x\nwant %x", len(boxed), got, want)
		}
		got, err = appendWrapped(nil, inner, true, -5)
		if err != nil {
			t.Fatal(err)
		}
		if want := tl.Marshal(&tl.TCPQuery{ID: -5, Data: boxed}); !bytes.Equal(got, want) {
			t.Errorf("query around %d inner bytes:\n got %x\nwant %x", len(boxed), got, want)
		}
	}
	got, err := appendWrapped([]byte("head"), &tl.TCPPacket{Data: make([]byte, MaxFrameSize-8)}, false, 0)
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("oversized object: got %v, want ErrFrameTooLarge", err)
	}
	if string(got) != "head" {
		t.Errorf("oversized object: got dst %.10q..., want it back as it was", got)
	}
}

func TestObjectMethods(t *testing.T) {
	got := make(chan []byte, 1)
	h := &objectHandler{got: got}
	a, b := tcpPair(t)
	out, _ := startPair(t, a, b, Config{}, Config{Handler: h})
	ans, err := out.QueryObject(context.Background(), &tl.ClientGetWorkerTypes{})
	if err != nil {
		t.Fatal(err)
	}
	if wt, ok := ans.(*tl.ClientWorkerTypes); !ok || len(wt.Types) != 1 || wt.Types[0].Name != "m" {
		t.Errorf("QueryObject answer: got %+v", ans)
	}
	part := &tl.ClientQueryAnswerPartEx{RequestID: [32]byte{1}, Answer: bytes.Repeat([]byte("x"), 4000)}
	if err := out.SendObject(part); err != nil {
		t.Fatal(err)
	}
	o, err := tl.Unmarshal(<-got)
	if err != nil || !reflect.DeepEqual(o, part) {
		t.Errorf("SendObject delivered %+v, %v", o, err)
	}
	if _, err := out.QueryObject(context.Background(), &tl.ClientUpdatePaymentStatus{}); err == nil || !strings.Contains(err.Error(), "client.updatePaymentStatus") {
		t.Errorf("failing QueryObject: got %v, want an error naming the query", err)
	}
}

type objectHandler struct{ got chan []byte }

func (h *objectHandler) ServeQuery(_ context.Context, p []byte) ([]byte, error) {
	o, err := tl.Unmarshal(p)
	if err != nil {
		return nil, err
	}
	if _, ok := o.(*tl.ClientGetWorkerTypes); !ok {
		return nil, &QueryError{Code: CodeError, Message: "unexpected " + tl.Name(o.TLID())}
	}
	return tl.Marshal(&tl.ClientWorkerTypes{Types: []tl.ClientWorkerType{{Name: "m"}}}), nil
}

func (h *objectHandler) ServePacket(p []byte) { h.got <- p }

// TestSlowHandlerIsNotSilence: a ServePacket that takes longer than the
// idle timeout does not make the session give up on its peer.
func TestSlowHandlerIsNotSilence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &slowHandler{d: time.Minute}
		a, b := net.Pipe()
		s := NewSession(a, Config{Outbound: true, Handler: h})
		defer s.Close()
		peer := newRawPeer(t, b)
		defer b.Close()
		errc := make(chan error, 1)
		go func() { errc <- s.Start(context.Background()) }()
		c := peer.read().(*tl.TCPConnect)
		peer.write(&tl.TCPConnected{ID: c.ID})
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		peer.write(&tl.TCPPacket{Data: []byte("slow")})
		// The handler holds the read loop for a minute; the first ping
		// comes 10 s after it returns.
		if _, ok := peer.read().(*tl.TCPPing); !ok {
			t.Fatal("expected tcp.ping")
		}
		if got, want := time.Since(start), time.Minute+DefaultPingAfter; got != want {
			t.Errorf("pinged after %v, want %v", got, want)
		}
		select {
		case <-s.Done():
			t.Fatalf("session ended: %v", s.Err())
		default:
		}
	})
}

type slowHandler struct{ d time.Duration }

func (h *slowHandler) ServeQuery(context.Context, []byte) ([]byte, error) { return nil, nil }
func (h *slowHandler) ServePacket([]byte)                                 { time.Sleep(h.d) }

func TestUnencodableObjectRefused(t *testing.T) {
	out, _ := startPipePair(t, Config{})
	if err := out.SendObject(&tl.ClientConnectedToProxy{}); err == nil {
		t.Error("SendObject with a nil boxed field: got no error")
	}
	if _, err := out.QueryObject(context.Background(), &tl.ClientUpdatePaymentStatus{}); err != nil {
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Errorf("valid query object: got %v, want the peer's QueryError", err)
		}
	}
	if _, err := out.QueryObject(context.Background(), &tl.ClientConnectedToProxy{}); err == nil || errors.As(err, new(*QueryError)) {
		t.Errorf("QueryObject with a nil boxed field: got %v, want a local error", err)
	}
	select {
	case <-out.Done():
		t.Fatalf("session ended: %v", out.Err())
	default:
	}
}

// countingConn counts the writes to a connection.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// TestHoldBatchesWrites checks that frames sent under Hold leave in one
// write when it is released, in order, and that a hold never keeps more
// than maxPendingWrite bytes back.
func TestHoldBatchesWrites(t *testing.T) {
	h := &testHandler{got: make(chan struct{}, 100)}
	a, b := tcpPair(t)
	cc := &countingConn{Conn: a}
	out, _ := startPair(t, cc, b, Config{}, Config{Handler: h})
	before := cc.writes.Load()

	release := out.Hold()
	for i := range 3 {
		if err := out.Send(fmt.Appendf(nil, "held %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := cc.writes.Load() - before; got != 0 {
		t.Fatalf("%d writes while held, want 0", got)
	}
	release()
	release() // a second call does nothing
	for range 3 {
		<-h.got
	}
	if got := cc.writes.Load() - before; got != 1 {
		t.Errorf("%d writes for three held frames, want 1", got)
	}

	// A hold lets through what would exceed the pending limit.
	release = out.Hold()
	big := make([]byte, maxPendingWrite/4)
	for range 6 {
		if err := out.Send(big); err != nil {
			t.Fatal(err)
		}
	}
	for range 4 {
		<-h.got // the frames up to the one that reached the limit arrive before release
	}
	release()
	<-h.got
	<-h.got
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, p := range h.packets[:3] {
		if want := fmt.Sprintf("held %d", i); string(p) != want {
			t.Errorf("packet %d: got %q, want %q", i, p, want)
		}
	}
}
