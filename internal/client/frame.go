package client

import "github.com/cocoon-go/cocoon/internal/tl"

// queryFrame is a client.runQueryEx whose query, the http.request, is
// encoded in place inside it: the session encodes it straight into the
// frame, so that a request body (an audio upload of up to 15 MiB) is
// copied once, into the frame, instead of into an encoded http.request
// first. Its encoding is client.runQueryEx's with Query = the boxed req,
// byte for byte (TestQueryFrameEncoding).
type queryFrame struct {
	msg *tl.ClientRunQueryEx // Query unset
	req *tl.HTTPRequest
}

var _ tl.Object = (*queryFrame)(nil)

// TLID returns the constructor id of client.runQueryEx.
func (f *queryFrame) TLID() uint32 { return f.msg.TLID() }

// MarshalTL writes client.runQueryEx's fields in its schema's order.
func (f *queryFrame) MarshalTL(w *tl.Writer) {
	m := f.msg
	w.String(m.ModelName)
	n := httpRequestSize(f.req)
	writeBytesHeader(w, n)
	w.Boxed(f.req)
	writeBytesPad(w, n)
	w.Int32(m.MaxCoefficient)
	w.Int32(m.MaxTokens)
	w.Double(m.Timeout)
	w.Int256(m.RequestID)
	w.Int32(m.MinConfigVersion)
	w.Uint32(m.Flags)
	if m.Flags&1 != 0 {
		w.Bool(m.EnableDebug)
	}
}

// UnmarshalTL reads a client.runQueryEx; the frame is only ever sent.
func (f *queryFrame) UnmarshalTL(r *tl.Reader) error {
	var m tl.ClientRunQueryEx
	if err := m.UnmarshalTL(r); err != nil {
		return err
	}
	var req tl.HTTPRequest
	if err := tl.UnmarshalAs(m.Query, &req); err != nil {
		return err
	}
	m.Query = nil
	f.msg, f.req = &m, &req
	return nil
}

// httpRequestSize is the length of req's boxed encoding.
func httpRequestSize(req *tl.HTTPRequest) int {
	n := 4 + tl.BytesSize(len(req.Method)) + tl.BytesSize(len(req.URL)) + tl.BytesSize(len(req.HTTPVersion)) + 4
	for _, h := range req.Headers {
		n += tl.BytesSize(len(h.Name)) + tl.BytesSize(len(h.Value))
	}
	return n + tl.BytesSize(len(req.Payload))
}

// writeBytesHeader and writeBytesPad write what surrounds a TL bytes value
// of n bytes; a value too long for TL is refused by the frame's size
// check, as it is larger than a frame.
func writeBytesHeader(w *tl.Writer, n int) {
	if n < 254 {
		w.Raw([]byte{byte(n)})
		return
	}
	w.Raw([]byte{0xfe, byte(n), byte(n >> 8), byte(n >> 16)})
}

func writeBytesPad(w *tl.Writer, n int) {
	var zero [3]byte
	w.Raw(zero[:tl.BytesSize(n)-n-headerLen(n)])
}

func headerLen(n int) int {
	if n < 254 {
		return 1
	}
	return 4
}
