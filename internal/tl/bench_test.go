package tl

import (
	"bytes"
	"testing"
)

func answerPart() *ProxyQueryAnswerPartEx {
	chunk := []byte("data: {\"choices\":[]}\n\n")
	return &ProxyQueryAnswerPartEx{
		RequestID: [32]byte{1, 2, 3},
		Answer:    bytes.Repeat(chunk, 4096/len(chunk)+1)[:4096],
	}
}

func BenchmarkEncodeAnswerPart4K(b *testing.B) {
	part := answerPart()
	buf := make([]byte, 0, 8192)
	b.SetBytes(int64(len(part.Answer)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendBoxed(buf[:0], part)
	}
}

// BenchmarkMarshalAnswerPart4K encodes a part into a slice of its own, as
// Send(tl.Marshal(part)) does.
func BenchmarkMarshalAnswerPart4K(b *testing.B) {
	part := answerPart()
	b.SetBytes(int64(len(part.Answer)))
	b.ReportAllocs()
	for b.Loop() {
		Marshal(part)
	}
}

func BenchmarkDecodeAnswerPart4K(b *testing.B) {
	enc := Marshal(answerPart())
	var part ProxyQueryAnswerPartEx
	b.SetBytes(4096)
	b.ReportAllocs()
	for b.Loop() {
		if err := UnmarshalAs(enc, &part); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkForwardAnswerPart4K measures the proxy's hot path: decode a
// worker's part, re-encode it as the client's part.
func BenchmarkForwardAnswerPart4K(b *testing.B) {
	enc := Marshal(answerPart())
	buf := make([]byte, 0, 8192)
	b.SetBytes(4096)
	b.ReportAllocs()
	for b.Loop() {
		o, err := Unmarshal(enc)
		if err != nil {
			b.Fatal(err)
		}
		in := o.(*ProxyQueryAnswerPartEx)
		out := ClientQueryAnswerPartEx{RequestID: in.RequestID, Answer: in.Answer, Flags: in.Flags}
		buf = AppendBoxed(buf[:0], &out)
	}
}

// BenchmarkScratchAnswerHead4K is an answer head with a 4 KiB body
// encoded inside the message that carries it, as the worker and the
// proxy send it (without the intermediate copy that Marshal makes).
func BenchmarkScratchAnswerHead4K(b *testing.B) {
	resp := &HTTPResponse{HTTPVersion: "HTTP/1.1", StatusCode: 200, Reason: "OK",
		Headers: []HTTPHeader{{Name: "Content-Type", Value: "text/event-stream"}}, Payload: answerPart().Answer}
	msg := &ClientQueryAnswerEx{RequestID: [32]byte{1}}
	buf := make([]byte, 0, 16<<10)
	b.SetBytes(int64(len(resp.Payload)))
	b.ReportAllocs()
	for b.Loop() {
		MarshalScratch(resp, func(a []byte) error {
			msg.Answer = a
			buf = AppendBoxed(buf[:0], msg)
			return nil
		})
	}
}
