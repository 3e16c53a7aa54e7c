package gateway

import (
	"context"
	"testing"
)

func TestStreamOverflowFails(t *testing.T) {
	s := NewStream(nil)
	s.PushHead(Head{Status: 200}, nil)
	big := make([]byte, 1<<20)
	for range maxBuffered>>20 + 1 {
		s.PushData(big)
	}
	_, done, err := s.Next(context.Background())
	if !done || err == nil {
		t.Errorf("after %d MiB unread: done=%v err=%v, want a failure", maxBuffered>>20+1, done, err)
	}
}
