package proxy

import (
	"testing"

	"github.com/cocoon-go/cocoon/internal/wire"
)

func TestRetriable(t *testing.T) {
	tests := []struct {
		name string
		code int32
		want bool
	}{
		{"worker not ready", wire.CodeNotReady, true},
		{"worker gave the request up", wire.CodeCancelled, true},
		{"invalid request", wire.CodeError, false},
		{"protocol violation", wire.CodeProtoViolation, false},
		{"worker timeout", wire.CodeTimeout, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retriable(tt.code); got != tt.want {
				t.Errorf("retriable(%d) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}
