package client

import (
	"context"
	"errors"
	"testing"

	"github.com/cocoon-go/cocoon/internal/client/gateway"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/wire"
)

func testConn() (*proxyConn, [32]byte, *gateway.Stream) {
	c := &Client{}
	pc := &proxyConn{c: c, addr: "test", streams: map[[32]byte]*gateway.Stream{}}
	id := [32]byte{7}
	s := gateway.NewStream(nil)
	pc.streams[id] = s
	return pc, id, s
}

func headBytes(status int32, payload string) []byte {
	return tl.Marshal(&tl.HTTPResponse{HTTPVersion: "HTTP/1.1", StatusCode: status, Reason: "OK",
		Headers: []tl.HTTPHeader{{Name: "Content-Type", Value: "text/event-stream"}}, Payload: []byte(payload)})
}

// lend serves a packet as a session with BorrowPackets does, then
// overwrites it as the session's next frame would.
func lend(pc *proxyConn, payload []byte) {
	pc.ServePacket(payload)
	for i := range payload {
		payload[i] = 0xff
	}
}

func TestServePacketRoutesAnswer(t *testing.T) {
	pc, id, s := testConn()
	pc.c.log = discard()
	lend(pc, tl.Marshal(&tl.ClientQueryAnswerEx{RequestID: id, Answer: headBytes(200, "a")}))
	lend(pc, tl.Marshal(&tl.ClientQueryAnswerPartEx{RequestID: id, Answer: []byte("b")}))
	lend(pc, tl.Marshal(&tl.ClientQueryAnswerPartEx{RequestID: id, Answer: []byte("c"), Flags: 1,
		FinalInfo: &tl.ClientQueryFinalInfo{TokensUsed: tl.TokensUsed{TotalTokensUsed: 9}}}))
	h, err := s.WaitHead(context.Background())
	if err != nil || h.Status != 200 || len(h.Header) != 1 {
		t.Fatalf("head = %+v, %v", h, err)
	}
	if got := h.Header[0]; got != (gateway.Header{Name: "Content-Type", Value: "text/event-stream"}) {
		t.Errorf("header = %+v, want Content-Type: text/event-stream", got)
	}
	var body []byte
	for {
		chunks, done, err := s.Next(context.Background())
		for _, c := range chunks {
			body = append(body, c...)
		}
		if done {
			if err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if string(body) != "abc" {
		t.Errorf("body = %q, want abc", body)
	}
	if len(pc.streams) != 0 {
		t.Errorf("%d streams left after the final part, want 0", len(pc.streams))
	}
}

func TestServePacketErrors(t *testing.T) {
	tests := []struct {
		name string
		msg  func(id [32]byte) tl.Object
		code int32
	}{
		{"Ex error", func(id [32]byte) tl.Object {
			return &tl.ClientQueryAnswerErrorEx{RequestID: id, ErrorCode: wire.CodeNotReady, Error: "no ready workers", Flags: 1, FinalInfo: &tl.ClientQueryFinalInfo{}}
		}, wire.CodeNotReady},
		// What reference proxies send for their own failures, and
		// reference clients drop, leaving the caller hanging.
		{"reference error", func(id [32]byte) tl.Object {
			return &tl.ClientQueryAnswerError{ErrorCode: wire.CodeProtoViolation, Error: "unknown model x", RequestID: id}
		}, wire.CodeProtoViolation},
		{"reference part error", func(id [32]byte) tl.Object {
			return &tl.ClientQueryAnswerPartError{ErrorCode: wire.CodeTimeout, Error: "timeout in proxy", RequestID: id}
		}, wire.CodeTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pc, id, s := testConn()
			pc.c.log = discard()
			pc.ServePacket(tl.Marshal(tt.msg(id)))
			_, err := s.WaitHead(context.Background())
			var ae *gateway.AnswerError
			if !errors.As(err, &ae) || ae.Code != tt.code {
				t.Errorf("waitHead error = %v, want code %d", err, tt.code)
			}
		})
	}
}

// FuzzServePacket feeds arbitrary bytes to the answer router: it must
// never panic, and a stream it ends must end once.
func FuzzServePacket(f *testing.F) {
	id := [32]byte{7}
	f.Add(tl.Marshal(&tl.ClientQueryAnswerEx{RequestID: id, Answer: headBytes(200, "x")}))
	f.Add(tl.Marshal(&tl.ClientQueryAnswerEx{RequestID: id, Answer: []byte{1, 2, 3}}))
	f.Add(tl.Marshal(&tl.ClientQueryAnswerPartEx{RequestID: id, Answer: []byte("y"), Flags: 1, FinalInfo: &tl.ClientQueryFinalInfo{}}))
	f.Add(tl.Marshal(&tl.ClientQueryAnswerErrorEx{RequestID: id, Error: "e"}))
	f.Add(tl.Marshal(&tl.ProxyClientRequestPayment{RequestID: id, SignedPayment: &tl.ProxySignedPayment{Data: []byte{1}}, DBTokens: 1, MaxTokens: 2, RequestTokens: 1}))
	f.Add(tl.Marshal(&tl.CocoonCancelQuery{RequestID: id}))
	f.Fuzz(func(t *testing.T, b []byte) {
		pc, _, _ := testConn()
		pc.c.log = discard()
		pc.ServePacket(b)
		obj, err := tl.Unmarshal(b)
		if err != nil {
			return
		}
		// decode → encode → decode gives the same object.
		again, err := tl.Unmarshal(tl.Marshal(obj))
		if err != nil || again.TLID() != obj.TLID() {
			t.Fatalf("re-decoding %s: %v", tl.Name(obj.TLID()), err)
		}
	})
}
