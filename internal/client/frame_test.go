package client

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/tl"
)

// TestQueryFrameEncoding pins queryFrame to client.runQueryEx with the
// boxed http.request as its query, for bodies whose lengths take either
// form of TL's bytes header and every padding.
func TestQueryFrameEncoding(t *testing.T) {
	for _, size := range []int{0, 1, 2, 3, 200, 253, 254, 255, 256, 257, 70_000, 1 << 20} {
		for _, debug := range []bool{false, true} {
			req := &tl.HTTPRequest{Method: "POST", URL: "/v1/audio/transcriptions", HTTPVersion: "HTTP/1.1",
				Headers: []tl.HTTPHeader{{Name: "Content-Type", Value: "multipart/form-data; boundary=" + strings.Repeat("x", size%7)}},
				Payload: bytes.Repeat([]byte{0xab}, size)}
			msg := &tl.ClientRunQueryEx{ModelName: "whisper", MaxCoefficient: 4000, MaxTokens: 1000, Timeout: 114, RequestID: [32]byte{9}, MinConfigVersion: 3}
			if debug {
				msg.Flags, msg.EnableDebug = 1, true
			}
			got := tl.Marshal(&queryFrame{msg: msg, req: req})
			want := *msg
			want.Query = tl.Marshal(req)
			if !bytes.Equal(got, tl.Marshal(&want)) {
				t.Fatalf("body of %d bytes, debug %v: the frame's encoding differs from client.runQueryEx's", size, debug)
			}
			var back queryFrame
			if err := tl.UnmarshalAs(got, &back); err != nil || !bytes.Equal(back.req.Payload, req.Payload) || back.msg.ModelName != "whisper" {
				t.Fatalf("body of %d bytes: decoding the frame: %v", size, err)
			}
		}
	}
}

// TestQueryFrameCopiesOnce measures what encoding a request allocates: a
// body copied once, into the encoding, and nothing of its size besides.
func TestQueryFrameCopiesOnce(t *testing.T) {
	body := make([]byte, 8<<20)
	req := &tl.HTTPRequest{Method: "POST", URL: "/v1/audio/transcriptions", HTTPVersion: "HTTP/1.1", Payload: body}
	msg := &tl.ClientRunQueryEx{ModelName: "whisper"}
	buf := make([]byte, 0, 9<<20)
	allocs := testing.AllocsPerRun(5, func() {
		var w tl.Writer
		w.Reset(buf[:0])
		w.Boxed(&queryFrame{msg: msg, req: req})
		if len(w.Data()) < len(body) || cap(w.Data()) != cap(buf) {
			t.Fatal("the encoding did not go into the given buffer")
		}
	})
	if allocs > 2 {
		t.Errorf("encoding a request allocates %v times, want none of the body's size (at most 2 small ones)", allocs)
	}
}
