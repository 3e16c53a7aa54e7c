package node

import (
	"net"
	"testing"

	"github.com/cocoon-go/cocoon/internal/contracts"
)

func TestRegisteredAt(t *testing.T) {
	w, c := &net.TCPAddr{IP: net.IPv6unspecified, Port: 11001}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 11002}
	tests := []struct {
		name    string
		proxies []contracts.RegisteredProxy
		want    bool
	}{
		{"registered", []contracts.RegisteredProxy{{Seqno: 3, Desc: "1.2.3.4:11001 1.2.3.4:11002"}}, true},
		{"other ports", []contracts.RegisteredProxy{{Seqno: 3, Desc: "1.2.3.4:12001 1.2.3.4:12002"}}, false},
		{"one address", []contracts.RegisteredProxy{{Seqno: 3, Desc: "1.2.3.4:11001"}}, false},
		{"none", nil, false},
	}
	for _, tt := range tests {
		if seqno, got := registeredAt(tt.proxies, w, c); got != tt.want || (got && seqno != 3) {
			t.Errorf("%s: got %d %v, want %v", tt.name, seqno, got, tt.want)
		}
	}
}
