package tl

// The tcp.* session packets.

// TCPPing is the TL constructor tcp.ping: it asks the peer to answer with
// tcp.pong carrying the same id; the outbound side sends it after a silence.
//
//	tcp.ping id:long = tcp.Packet
//
// It implements TCPPacketT.
type TCPPing struct {
	ID int64
}

// TLID returns the constructor id of tcp.ping.
func (*TCPPing) TLID() uint32 { return 0xbbe9627c }

// MarshalTL writes the body of tcp.ping.
func (m *TCPPing) MarshalTL(w *Writer) {
	w.Int64(m.ID)
}

// UnmarshalTL reads the body of tcp.ping.
func (m *TCPPing) UnmarshalTL(r *Reader) error {
	*m = TCPPing{}
	m.ID = r.Int64()
	return r.Err()
}

// TCPPong is the TL constructor tcp.pong: it answers tcp.ping.
//
//	tcp.pong id:long = tcp.Packet
//
// It implements TCPPacketT.
type TCPPong struct {
	ID int64
}

// TLID returns the constructor id of tcp.pong.
func (*TCPPong) TLID() uint32 { return 0x0bd4302c }

// MarshalTL writes the body of tcp.pong.
func (m *TCPPong) MarshalTL(w *Writer) {
	w.Int64(m.ID)
}

// UnmarshalTL reads the body of tcp.pong.
func (m *TCPPong) UnmarshalTL(r *Reader) error {
	*m = TCPPong{}
	m.ID = r.Int64()
	return r.Err()
}

// TCPPacket is the TL constructor tcp.packet: it carries a one-way message: a
// boxed TL object in Data.
//
//	tcp.packet data:bytes = tcp.Packet
//
// It implements TCPPacketT.
type TCPPacket struct {
	Data []byte
}

// TLID returns the constructor id of tcp.packet.
func (*TCPPacket) TLID() uint32 { return 0x9c17baf8 }

// MarshalTL writes the body of tcp.packet.
func (m *TCPPacket) MarshalTL(w *Writer) {
	w.Bytes(m.Data)
}

// UnmarshalTL reads the body of tcp.packet.
func (m *TCPPacket) UnmarshalTL(r *Reader) error {
	*m = TCPPacket{}
	m.Data = r.Bytes()
	return r.Err()
}

// TCPQueryAnswer is the TL constructor tcp.queryAnswer: it answers the
// tcp.query with the same ID.
//
//	tcp.queryAnswer id:long data:bytes = tcp.Packet
//
// It implements TCPPacketT.
type TCPQueryAnswer struct {
	ID   int64
	Data []byte
}

// TLID returns the constructor id of tcp.queryAnswer.
func (*TCPQueryAnswer) TLID() uint32 { return 0xc048c311 }

// MarshalTL writes the body of tcp.queryAnswer.
func (m *TCPQueryAnswer) MarshalTL(w *Writer) {
	w.Int64(m.ID)
	w.Bytes(m.Data)
}

// UnmarshalTL reads the body of tcp.queryAnswer.
func (m *TCPQueryAnswer) UnmarshalTL(r *Reader) error {
	*m = TCPQueryAnswer{}
	m.ID = r.Int64()
	m.Data = r.Bytes()
	return r.Err()
}

// TCPQueryError is the TL constructor tcp.queryError: it fails the tcp.query
// with the same ID with a TON error code and message.
//
//	tcp.queryError id:long code:int message:string = tcp.Packet
//
// It implements TCPPacketT.
type TCPQueryError struct {
	ID      int64
	Code    int32
	Message string
}

// TLID returns the constructor id of tcp.queryError.
func (*TCPQueryError) TLID() uint32 { return 0x4cd2f602 }

// MarshalTL writes the body of tcp.queryError.
func (m *TCPQueryError) MarshalTL(w *Writer) {
	w.Int64(m.ID)
	w.Int32(m.Code)
	w.String(m.Message)
}

// UnmarshalTL reads the body of tcp.queryError.
func (m *TCPQueryError) UnmarshalTL(r *Reader) error {
	*m = TCPQueryError{}
	m.ID = r.Int64()
	m.Code = r.Int32()
	m.Message = r.String()
	return r.Err()
}

// TCPQuery is the TL constructor tcp.query: it asks the peer for an answer:
// Data holds a boxed TL function call.
//
//	tcp.query id:long data:bytes = tcp.Packet
//
// It implements TCPPacketT.
type TCPQuery struct {
	ID   int64
	Data []byte
}

// TLID returns the constructor id of tcp.query.
func (*TCPQuery) TLID() uint32 { return 0x3af51908 }

// MarshalTL writes the body of tcp.query.
func (m *TCPQuery) MarshalTL(w *Writer) {
	w.Int64(m.ID)
	w.Bytes(m.Data)
}

// UnmarshalTL reads the body of tcp.query.
func (m *TCPQuery) UnmarshalTL(r *Reader) error {
	*m = TCPQuery{}
	m.ID = r.Int64()
	m.Data = r.Bytes()
	return r.Err()
}

// TCPConnected is the TL constructor tcp.connected: it is the inbound side's
// reply to tcp.connect, echoing its ID.
//
//	tcp.connected id:long = tcp.Packet
//
// It implements TCPPacketT.
type TCPConnected struct {
	ID int64
}

// TLID returns the constructor id of tcp.connected.
func (*TCPConnected) TLID() uint32 { return 0x636d41d6 }

// MarshalTL writes the body of tcp.connected.
func (m *TCPConnected) MarshalTL(w *Writer) {
	w.Int64(m.ID)
}

// UnmarshalTL reads the body of tcp.connected.
func (m *TCPConnected) UnmarshalTL(r *Reader) error {
	*m = TCPConnected{}
	m.ID = r.Int64()
	return r.Err()
}

// TCPConnect is the TL constructor tcp.connect: it is the first message the
// outbound side sends on a connection.
//
//	tcp.connect id:long = tcp.Packet
//
// It implements TCPPacketT.
type TCPConnect struct {
	ID int64
}

// TLID returns the constructor id of tcp.connect.
func (*TCPConnect) TLID() uint32 { return 0xa57c4261 }

// MarshalTL writes the body of tcp.connect.
func (m *TCPConnect) MarshalTL(w *Writer) {
	w.Int64(m.ID)
}

// UnmarshalTL reads the body of tcp.connect.
func (m *TCPConnect) UnmarshalTL(r *Reader) error {
	*m = TCPConnect{}
	m.ID = r.Int64()
	return r.Err()
}
