package wire

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cocoon-go/cocoon/internal/tl"
)

// TON error codes, as carried by tcp.queryError.
const (
	CodeFailure        int32 = 601
	CodeError          int32 = 602
	CodeWarning        int32 = 603
	CodeProtoViolation int32 = 621
	CodeNotReady       int32 = 651
	CodeTimeout        int32 = 652
	CodeCancelled      int32 = 653
)

// Defaults of Config, as in the reference.
const (
	DefaultPingAfter            = 10 * time.Second
	DefaultOutboundIdleTimeout  = 20 * time.Second
	DefaultInboundIdleTimeout   = 60 * time.Second
	DefaultHandshakeTimeout     = 30 * time.Second
	DefaultWriteTimeout         = 20 * time.Second
	DefaultMaxConcurrentQueries = 256
)

// Session errors.
var (
	ErrClosed      = errors.New("wire: session closed")
	ErrNotStarted  = errors.New("wire: session not started")
	ErrIdleTimeout = errors.New("wire: peer silent for too long")
	ErrProtocol    = errors.New("wire: protocol violation")
)

// QueryError is a failed query as tcp.queryError carries it.
type QueryError struct {
	Code    int32
	Message string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("query failed with code %d: %s", e.Code, e.Message)
}

// Handler serves what the peer sends on a session. Payloads are boxed TL
// objects. A query's payload is the handler's to keep; a packet's is too,
// unless Config.BorrowPackets says otherwise.
type Handler interface {
	// ServeQuery answers a tcp.query whose data is payload. It runs in
	// its own goroutine; ctx ends when the session does. A *QueryError
	// goes back with its code, any other error with CodeError.
	ServeQuery(ctx context.Context, payload []byte) ([]byte, error)
	// ServePacket receives a one-way tcp.packet. Calls come in order from
	// the session's read loop, so a slow ServePacket slows the peer down
	// instead of making the session buffer; while it runs, the peer's
	// silence does not count towards IdleTimeout. It must not call Close
	// (Abort is fine), and sending on the same session from it can stall
	// against a peer that does the same, until WriteTimeout.
	//
	// With Config.BorrowPackets, payload is valid only until ServePacket
	// returns. tl decoding returns []byte fields that alias its input, so
	// such a handler copies every byte it keeps, or hands to another
	// goroutine, beyond the call.
	ServePacket(payload []byte)
}

// Config configures a Session. Zero durations and limits take the
// defaults.
type Config struct {
	// Outbound is true on the side that opened the connection: it sends
	// tcp.connect and pings a silent peer.
	Outbound bool
	// Handler serves the peer's queries and packets. Without one, queries
	// fail with CodeError and packets are logged and dropped.
	Handler Handler
	// Logger receives the session's diagnostics; nil discards them.
	Logger *slog.Logger
	// PingAfter is how long an outbound session waits in silence before
	// it sends tcp.ping (default 10 s).
	PingAfter time.Duration
	// IdleTimeout ends the session after this long without receiving
	// anything (default 20 s outbound, 60 s inbound).
	IdleTimeout time.Duration
	// HandshakeTimeout bounds Start when its context has no deadline
	// (default 30 s).
	HandshakeTimeout time.Duration
	// WriteTimeout ends the session when the peer does not take our
	// bytes for this long (default 20 s).
	WriteTimeout time.Duration
	// MaxConcurrentQueries bounds the peer's queries served at once;
	// beyond it they fail at once with CodeNotReady (default 256).
	MaxConcurrentQueries int
	// BorrowPackets lends ServePacket the payload in the session's read
	// buffer, valid only until ServePacket returns, instead of a copy of
	// its own: an allocation and a copy less per packet, for a Handler
	// that keeps nothing of it (see Handler).
	BorrowPackets bool
}

func (c *Config) setDefaults() {
	if c.PingAfter <= 0 {
		c.PingAfter = DefaultPingAfter
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultInboundIdleTimeout
		if c.Outbound {
			c.IdleTimeout = DefaultOutboundIdleTimeout
		}
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.MaxConcurrentQueries <= 0 {
		c.MaxConcurrentQueries = DefaultMaxConcurrentQueries
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Handler == nil {
		c.Handler = noHandler{log: c.Logger}
	}
}

// Session is one tcp.* connection: queries both ways, one-way packets and
// keepalive. Query, Send, Abort, Err and Done are safe for concurrent use.
type Session struct {
	conn  net.Conn
	cfg   Config
	log   *slog.Logger
	fr    *FrameReader // used by Start, then only by the read loop
	epoch time.Time    // lastRecv counts from here
	sem   chan struct{}

	// lastRecv is when the read loop last finished with a frame, in
	// nanoseconds since epoch; busy is true while it handles one (a slow
	// ServePacket is our own backpressure, not the peer's silence).
	lastRecv atomic.Int64
	busy     atomic.Bool

	// The write side. A sender appends its whole frame to wbuf under wmu;
	// the sender that finds no flush running becomes the flusher: it
	// takes wbuf, writes it to conn with wmu released, and goes on until
	// nothing is left. Writes to conn are thus serialised and carry the
	// frames of every sender that came meanwhile, and no sender waits for
	// another's write unless wbuf holds maxPendingWrite bytes or more,
	// which bounds it; the flusher's write deadline bounds that wait.
	wmu      sync.Mutex
	wspace   sync.Cond // on wmu; broadcast when wbuf is taken and when the session ends
	wbuf     *[]byte   // frames not yet written, from bufPools; nil when none
	wseqno   int32     // sequence number of the next frame
	flushing bool      // a sender is writing to conn
	// holds counts the Hold calls not yet released; while it is above
	// zero, senders leave their frames in wbuf (below maxPendingWrite)
	// and the last release writes them.
	holds int

	// done is closed by end, once, when the session ends.
	done chan struct{}

	// mu guards the fields below.
	mu       sync.Mutex
	started  bool
	ended    bool
	err      error
	queries  map[int64]chan queryResult
	cancels  map[uint64]context.CancelFunc // of running ServeQuery calls
	nextCall uint64

	// wg counts the read loop, the keepalive loop and ServeQuery calls;
	// Close waits for it. Add is called under mu while !ended.
	wg sync.WaitGroup
}

type queryResult struct {
	data []byte
	err  error
}

// NewSession wraps conn, which must already be authenticated (after
// ClientHandshake or ServerHandshake). Nothing happens until Start.
func NewSession(conn net.Conn, cfg Config) *Session {
	cfg.setDefaults()
	s := &Session{
		conn:    conn,
		cfg:     cfg,
		log:     cfg.Logger.With("component", "wire.session", "remote", conn.RemoteAddr().String()),
		fr:      NewFrameReader(conn),
		sem:     make(chan struct{}, cfg.MaxConcurrentQueries),
		done:    make(chan struct{}),
		queries: make(map[int64]chan queryResult),
		cancels: make(map[uint64]context.CancelFunc),
	}
	s.wspace.L = &s.wmu
	return s
}

// Start runs the opening exchange: the outbound side sends tcp.connect and
// waits for tcp.connected with the same id, the inbound side waits for
// tcp.connect and answers. ctx bounds only this exchange (or
// HandshakeTimeout when ctx has no deadline); the session then runs until
// Close, Abort or a failure. On failure the connection is closed.
func (s *Session) Start(ctx context.Context) error {
	s.mu.Lock()
	switch {
	case s.ended:
		s.mu.Unlock()
		return ErrClosed
	case s.started:
		s.mu.Unlock()
		return errors.New("wire: session already started")
	}
	s.started = true
	s.mu.Unlock()

	if err := s.openingExchange(ctx); err != nil {
		s.end(err)
		return err
	}
	s.epoch = time.Now()
	s.touch()
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return s.Err()
	}
	s.wg.Add(2)
	s.mu.Unlock()
	go s.readLoop()
	go s.keepalive()
	return nil
}

func (s *Session) openingExchange(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.HandshakeTimeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	_ = s.conn.SetReadDeadline(deadline)
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = s.conn.SetDeadline(time.Unix(1, 0))
		close(fired)
	})
	defer func() {
		if !stop() {
			<-fired
		}
		_ = s.conn.SetDeadline(time.Time{})
	}()

	if s.cfg.Outbound {
		id := int64(rand.Uint64())
		if err := s.send(&tl.TCPConnect{ID: id}); err != nil {
			return fmt.Errorf("sending tcp.connect: %w", ctxErr(ctx, err))
		}
		c, err := readOpening[*tl.TCPConnected](ctx, s, "waiting for tcp.connected")
		if err != nil {
			return err
		}
		if c.ID != id {
			return fmt.Errorf("waiting for tcp.connected: got id %d, want %d: %w", c.ID, id, ErrProtocol)
		}
		return nil
	}
	c, err := readOpening[*tl.TCPConnect](ctx, s, "waiting for tcp.connect")
	if err != nil {
		return err
	}
	if err := s.send(&tl.TCPConnected{ID: c.ID}); err != nil {
		return fmt.Errorf("sending tcp.connected: %w", ctxErr(ctx, err))
	}
	return nil
}

// readOpening reads the next packet of the opening exchange, which must
// be a T; doing names the step in errors.
func readOpening[T tl.Object](ctx context.Context, s *Session, doing string) (T, error) {
	var zero T
	p, err := s.readPacket()
	if err != nil {
		return zero, fmt.Errorf("%s: %w", doing, ctxErr(ctx, err))
	}
	v, ok := p.(T)
	if !ok {
		return zero, fmt.Errorf("%s: got %s: %w", doing, tl.Name(p.TLID()), ErrProtocol)
	}
	return v, nil
}

func (s *Session) readPacket() (tl.TCPPacketT, error) {
	frame, err := s.fr.ReadFrame()
	if err != nil {
		return nil, err
	}
	return decodePacket(frame)
}

// decodePacket decodes a frame's payload, which must be a tcp.* object.
func decodePacket(b []byte) (tl.TCPPacketT, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("decoding packet: %d bytes: %w", len(b), ErrProtocol)
	}
	o, err := tl.New(binary.LittleEndian.Uint32(b))
	if err != nil {
		return nil, fmt.Errorf("decoding packet: %w: %w", ErrProtocol, err)
	}
	p, ok := o.(tl.TCPPacketT)
	if !ok {
		return nil, fmt.Errorf("decoding packet: %s is not a tcp.Packet: %w", tl.Name(o.TLID()), ErrProtocol)
	}
	if err := tl.UnmarshalAs(b, p); err != nil {
		return nil, fmt.Errorf("decoding packet: %w: %w", ErrProtocol, err)
	}
	return p, nil
}

// Query sends payload (a boxed TL function call) as a tcp.query and waits
// for the answer. A tcp.queryError comes back as *QueryError. ctx's
// deadline or cancellation abandons the query; a late answer is dropped.
// Once the session has ended, errors wrap ErrClosed and the cause.
func (s *Session) Query(ctx context.Context, payload []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sending query: %w", err)
	}
	if err := checkFrameSize(4 + 8 + tl.BytesSize(len(payload))); err != nil {
		return nil, err
	}
	return s.query(ctx, func(id int64) error { return s.send(&tl.TCPQuery{ID: id, Data: payload}) })
}

// query registers a fresh query id, sends the query with send and waits
// for its answer.
func (s *Session) query(ctx context.Context, send func(id int64) error) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sending query: %w", err)
	}
	ch := make(chan queryResult, 1)
	s.mu.Lock()
	if err := s.usableLocked(); err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("sending query: %w", err)
	}
	id := int64(rand.Uint64())
	for s.queries[id] != nil {
		id = int64(rand.Uint64())
	}
	s.queries[id] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.queries, id)
		s.mu.Unlock()
	}()

	if err := send(id); err != nil {
		return nil, fmt.Errorf("sending query: %w", err)
	}
	select {
	case r := <-ch:
		return r.data, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for query answer: %w", ctx.Err())
	case <-s.done:
		return nil, fmt.Errorf("waiting for query answer: %w", s.closedErr())
	}
}

// Send sends payload (a boxed TL object) as a one-way tcp.packet. It
// blocks while the peer does not read, up to WriteTimeout, after which the
// session ends. A payload too large for a frame is refused with
// ErrFrameTooLarge and the session goes on.
func (s *Session) Send(payload []byte) error {
	s.mu.Lock()
	err := s.usableLocked()
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("sending packet: %w", err)
	}
	if err := checkFrameSize(4 + tl.BytesSize(len(payload))); err != nil {
		return err
	}
	if err := s.send(&tl.TCPPacket{Data: payload}); err != nil {
		return fmt.Errorf("sending packet: %w", err)
	}
	return nil
}

func (s *Session) usableLocked() error {
	switch {
	case s.ended:
		if errors.Is(s.err, ErrClosed) {
			return ErrClosed
		}
		return fmt.Errorf("%w: %w", ErrClosed, s.err)
	case !s.started:
		return ErrNotStarted
	}
	return nil
}

// maxPendingWrite is how many bytes of frames a session holds for
// writing before senders wait; one frame beyond it is let in.
const maxPendingWrite = 64 << 10

// writeBufSize is the capacity a session's pending buffer starts with.
const writeBufSize = 64 << 10

// send writes o as one frame.
func (s *Session) send(o tl.Object) error {
	return s.sendFrame(func(dst []byte) ([]byte, error) { return tl.Encode(dst, o) })
}

// sendFrame appends to the pending frames the one whose payload enc
// appends to dst, and writes them unless another sender is doing so.
func (s *Session) sendFrame(enc func(dst []byte) ([]byte, error)) error {
	s.wmu.Lock()
	for {
		select {
		case <-s.done:
			s.wmu.Unlock()
			return s.closedErr()
		default:
		}
		if s.wbuf == nil || len(*s.wbuf) < maxPendingWrite {
			break
		}
		s.wspace.Wait()
	}
	if s.wbuf == nil {
		s.wbuf = getBuf(writeBufSize)
	}
	err := s.appendFrameLocked(enc)
	held := s.holds > 0 && len(*s.wbuf) < maxPendingWrite
	if err != nil || s.flushing || held {
		if !s.flushing && len(*s.wbuf) == 0 {
			putBuf(s.wbuf)
			s.wbuf = nil
		}
		s.wmu.Unlock()
		return err
	}
	err = s.flushLocked()
	s.wmu.Unlock()
	return err
}

// Hold keeps the frames sent on the session from being written until
// release is called, so that messages sent one after another (an
// answer's last part and the payment report that follows it) leave in one
// write. Frames of other senders wait too, so the caller releases as soon
// as it has sent them; release must be called exactly once. A hold never
// keeps more than maxPendingWrite bytes back: beyond that, frames are
// written as usual.
func (s *Session) Hold() (release func()) {
	s.wmu.Lock()
	s.holds++
	s.wmu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.wmu.Lock()
			defer s.wmu.Unlock()
			s.holds--
			if s.holds > 0 || s.flushing || s.wbuf == nil {
				return
			}
			select {
			case <-s.done:
				return
			default:
			}
			_ = s.flushLocked()
		})
	}
}

// flushLocked writes wbuf, and whatever other senders add meanwhile, to
// conn with wmu released during each write; wmu is held on entry and on
// return, and no other flush may be running.
func (s *Session) flushLocked() error {
	var err error
	s.flushing = true
	for s.wbuf != nil && len(*s.wbuf) > 0 {
		b := s.wbuf
		s.wbuf = nil
		s.wspace.Broadcast()
		s.wmu.Unlock()
		_ = s.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		_, werr := s.conn.Write(*b)
		putBuf(b)
		if werr != nil {
			err = fmt.Errorf("writing: %w", werr)
			s.end(err)
		}
		s.wmu.Lock()
		if err != nil {
			break
		}
	}
	s.flushing = false
	if s.wbuf != nil && len(*s.wbuf) == 0 {
		putBuf(s.wbuf)
		s.wbuf = nil
	}
	return err
}

// appendFrameLocked appends to wbuf a frame whose payload enc appends.
// When enc fails, or the payload is outside the frame size limits, wbuf
// is left as it was.
func (s *Session) appendFrameLocked(enc func(dst []byte) ([]byte, error)) error {
	b := *s.wbuf
	start := len(b)
	var hdr [frameHeaderSize]byte
	b, err := enc(append(b, hdr[:]...))
	if err == nil {
		err = checkFrameSize(len(b) - start - frameHeaderSize)
	}
	if err != nil {
		*s.wbuf = b[:start]
		return err
	}
	putFrameHeader(b[start:], len(b)-start-frameHeaderSize, s.wseqno)
	s.wseqno++
	*s.wbuf = b
	return nil
}

var (
	idTCPPacket = (*tl.TCPPacket)(nil).TLID()
	idTCPQuery  = (*tl.TCPQuery)(nil).TLID()
)

// appendWrapped appends to dst a tcp.packet (or, withQueryID, a
// tcp.query with queryID) whose data is o boxed, encoding o only once: it
// leaves room for the longest header, encodes o, then writes the header
// and, for a short o whose length takes one byte instead of four, moves o
// back to close the gap. On failure dst comes back as it was.
func appendWrapped(dst []byte, o tl.Object, withQueryID bool, queryID int64) ([]byte, error) {
	base := len(dst)
	lenAt := 4 // where the bytes header starts: after the constructor id
	if withQueryID {
		lenAt += 8
	}
	prefix := lenAt + 4 // the longest bytes header
	var room [16]byte
	dst, err := tl.Encode(append(dst, room[:prefix]...), o)
	if err != nil {
		return dst[:base], err
	}
	n := len(dst) - base - prefix
	if n+prefix > MaxFrameSize {
		return dst[:base], fmt.Errorf("sending %s of %d bytes: %w", tl.Name(o.TLID()), n, ErrFrameTooLarge)
	}
	h := dst[base:]
	id := idTCPPacket
	if withQueryID {
		id = idTCPQuery
		binary.LittleEndian.PutUint64(h[4:], uint64(queryID))
	}
	binary.LittleEndian.PutUint32(h, id)
	hl := 4
	if n < 254 {
		hl = 1
		h[lenAt] = byte(n)
		copy(h[lenAt+1:], h[prefix:prefix+n])
		dst = dst[:base+lenAt+1+n]
	} else {
		h[lenAt], h[lenAt+1], h[lenAt+2], h[lenAt+3] = 0xfe, byte(n), byte(n>>8), byte(n>>16)
	}
	for pad := (4 - (hl+n)%4) % 4; pad > 0; pad-- {
		dst = append(dst, 0)
	}
	return dst, nil
}

// SendObject sends o, boxed, as a one-way tcp.packet, like
// Send(tl.Marshal(o)) without the intermediate encoding.
func (s *Session) SendObject(o tl.Object) error {
	s.mu.Lock()
	err := s.usableLocked()
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("sending %s: %w", tl.Name(o.TLID()), err)
	}
	err = s.sendFrame(func(dst []byte) ([]byte, error) { return appendWrapped(dst, o, false, 0) })
	if err != nil {
		return fmt.Errorf("sending %s: %w", tl.Name(o.TLID()), err)
	}
	return nil
}

// QueryObject sends q, boxed, as a tcp.query and decodes the answer as
// any registered TL object; errors are those of Query.
func (s *Session) QueryObject(ctx context.Context, q tl.Object) (tl.Object, error) {
	b, err := s.query(ctx, func(id int64) error {
		return s.sendFrame(func(dst []byte) ([]byte, error) { return appendWrapped(dst, q, true, id) })
	})
	if err != nil {
		return nil, fmt.Errorf("querying %s: %w", tl.Name(q.TLID()), err)
	}
	o, err := tl.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("querying %s: decoding the answer: %w", tl.Name(q.TLID()), err)
	}
	return o, nil
}

func (s *Session) closedErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if errors.Is(s.err, ErrClosed) {
		return ErrClosed
	}
	return fmt.Errorf("%w: %w", ErrClosed, s.err)
}

func (s *Session) touch() { s.lastRecv.Store(int64(time.Since(s.epoch))) }

func (s *Session) readLoop() {
	defer s.wg.Done()
	for {
		frame, err := s.fr.ReadFrame()
		if err != nil {
			s.end(err)
			return
		}
		s.busy.Store(true)
		err = s.handleFrame(frame)
		s.touch()
		s.busy.Store(false)
		if err != nil {
			s.end(err)
			return
		}
	}
}

func (s *Session) handleFrame(frame []byte) error {
	if len(frame) >= 4 && binary.LittleEndian.Uint32(frame) == idTCPPacket {
		// The common case, decoded without allocating a tl.TCPPacket.
		r := tl.NewReader(frame[4:])
		data := r.Bytes()
		if r.Err() == nil && r.Len() == 0 {
			s.servePacket(data)
			return nil
		}
	}
	p, err := decodePacket(frame)
	if err != nil {
		return err
	}
	switch p := p.(type) {
	case *tl.TCPPing:
		return s.send(&tl.TCPPong{ID: p.ID})
	case *tl.TCPPong:
		return nil
	case *tl.TCPPacket:
		s.servePacket(p.Data)
		return nil
	case *tl.TCPQuery:
		p.Data = bytes.Clone(p.Data) // ServeQuery runs on after the frame
		return s.serveQuery(p)
	case *tl.TCPQueryAnswer:
		s.deliver(p.ID, queryResult{data: p.Data})
		return nil
	case *tl.TCPQueryError:
		s.deliver(p.ID, queryResult{err: &QueryError{Code: p.Code, Message: p.Message}})
		return nil
	default:
		return fmt.Errorf("unexpected %s after the opening exchange: %w", tl.Name(p.TLID()), ErrProtocol)
	}
}

// servePacket hands a packet's data to the Handler: lent, or copied
// unless Config.BorrowPackets.
func (s *Session) servePacket(data []byte) {
	if !s.cfg.BorrowPackets {
		data = bytes.Clone(data)
	}
	s.cfg.Handler.ServePacket(data)
}

func (s *Session) deliver(id int64, r queryResult) {
	s.mu.Lock()
	ch := s.queries[id]
	delete(s.queries, id)
	s.mu.Unlock()
	if ch == nil {
		s.log.Debug("answer to an unknown or abandoned query", "query_id", id)
		return
	}
	r.data = bytes.Clone(r.data) // the waiting Query returns it after the frame
	ch <- r                      // buffered, and each query gets one answer
}

func (s *Session) serveQuery(q *tl.TCPQuery) error {
	select {
	case s.sem <- struct{}{}:
	default:
		return s.send(&tl.TCPQueryError{ID: q.ID, Code: CodeNotReady, Message: "too many concurrent queries"})
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		cancel()
		<-s.sem
		return nil
	}
	key := s.nextCall
	s.nextCall++
	s.cancels[key] = cancel
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.cancels, key)
			s.mu.Unlock()
			cancel()
			<-s.sem
		}()
		answer, err := s.cfg.Handler.ServeQuery(ctx, q.Data)
		var reply tl.Object = &tl.TCPQueryAnswer{ID: q.ID, Data: answer}
		if err != nil {
			qe := &QueryError{Code: CodeError, Message: err.Error()}
			errors.As(err, &qe)
			reply = &tl.TCPQueryError{ID: q.ID, Code: qe.Code, Message: qe.Message}
		}
		if err == nil && checkFrameSize(4+8+tl.BytesSize(len(answer))) != nil {
			reply = &tl.TCPQueryError{ID: q.ID, Code: CodeError, Message: fmt.Sprintf("answer of %d bytes is too large for a frame", len(answer))}
		}
		if err := s.send(reply); err != nil {
			s.log.Debug("answer not sent", "query_id", q.ID, "err", err)
		}
	}()
	return nil
}

func (s *Session) keepalive() {
	defer s.wg.Done()
	idle, pingAfter := s.cfg.IdleTimeout, s.cfg.PingAfter
	first := idle
	if s.cfg.Outbound {
		first = min(idle, pingAfter)
	}
	t := time.NewTimer(first)
	defer t.Stop()
	pingedAt := int64(-1) // lastRecv when we last pinged
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		if s.busy.Load() {
			t.Reset(min(idle, pingAfter))
			continue
		}
		last := s.lastRecv.Load()
		silence := time.Since(s.epoch) - time.Duration(last)
		if silence >= idle {
			s.end(fmt.Errorf("nothing received for %v: %w", silence.Round(time.Millisecond), ErrIdleTimeout))
			return
		}
		next := idle - silence
		if s.cfg.Outbound && pingedAt != last {
			if silence >= pingAfter {
				pingedAt = last
				if err := s.send(&tl.TCPPing{ID: int64(rand.Uint64())}); err != nil {
					return // send has ended the session
				}
			} else {
				next = min(next, pingAfter-silence)
			}
		}
		t.Reset(next)
	}
}

// end ends the session with err, once: it closes the connection, fails
// waiting queries and cancels running handlers, without waiting for them.
func (s *Session) end(err error) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	s.err = err
	cancels := s.cancels
	s.cancels = nil
	s.mu.Unlock()
	close(s.done)
	_ = s.conn.Close()
	s.wmu.Lock()
	s.wspace.Broadcast() // senders waiting for room see done
	s.wmu.Unlock()
	for _, cancel := range cancels {
		cancel()
	}
	if !errors.Is(err, ErrClosed) {
		s.log.Debug("session ended", "err", err)
	}
}

// Abort ends the session with err without waiting for its goroutines; a
// handler may call it. Close must still be called to wait for them.
func (s *Session) Abort(err error) {
	if err == nil {
		err = ErrClosed
	}
	s.end(err)
}

// Close ends the session and waits for every goroutine it started,
// including running ServeQuery calls (whose contexts it cancels). It must
// not be called from a Handler.
func (s *Session) Close() error {
	s.end(ErrClosed)
	s.wg.Wait()
	return nil
}

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns why the session ended (ErrClosed after Close), or nil while
// it runs.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// noHandler serves a session that was given no Handler.
type noHandler struct{ log *slog.Logger }

func (noHandler) ServeQuery(context.Context, []byte) ([]byte, error) {
	return nil, &QueryError{Code: CodeError, Message: "queries are not served here"}
}

func (h noHandler) ServePacket(payload []byte) {
	h.log.Warn("dropping a packet: no handler", "bytes", len(payload))
}
