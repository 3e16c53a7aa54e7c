package contracts

import (
	"strings"
	"testing"

	"github.com/xssnick/tonutils-go/address"
)

func TestCheckProxyDesc(t *testing.T) {
	tests := []struct {
		desc string
		ok   bool
	}{
		{"127.0.0.1:5222", true},
		{"10.0.0.1:5222 10.0.0.1:5223", true},
		{"[::1]:5222", true},
		{"proxy.example.com:443 [2001:db8::1]:8443", true},
		{"", false},
		{"127.0.0.1", false},
		{":5222", false},
		{"127.0.0.1:", false},
		{"::1:5222", false},
		{"a:1  b:2", false},
		{"a:1 b:2 c:3", false},
		{strings.Repeat("a", 108) + ":1", true},
		{strings.Repeat("a", 109) + ":1", false},
	}
	for _, tt := range tests {
		err := CheckProxyDesc(tt.desc)
		if (err == nil) != tt.ok {
			t.Errorf("CheckProxyDesc(%q) = %v, want ok %v", tt.desc, err, tt.ok)
		}
	}
}

func TestRootBodyRefusals(t *testing.T) {
	if _, err := RootHashBody(OpRegisterProxy, 1, Hash{1}); err == nil {
		t.Error("RootHashBody accepted register_proxy's op")
	}
	var none *address.Address
	if _, err := RootChangeOwnerBody(1, none); err != nil {
		t.Errorf("change_owner to addr_none: %v", err)
	}
	if _, err := RootUpgradeContractsBody(1, nil, nil, nil); err == nil {
		t.Error("RootUpgradeContractsBody accepted no code")
	}
}
