package chainconf

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/xssnick/tonutils-go/address"
)

func TestProblems(t *testing.T) {
	owner := address.NewAddress(0, 0, bytes.Repeat([]byte{7}, 32)).String()
	cases := []struct {
		name   string
		c      Chain
		owner  string
		use    string
		wanted []string
	}{
		{"fake TON", Chain{}, "", "moves money", nil},
		{"emulated", Chain{ChainState: "s", RootContractAddress: "r", NodeWalletKey: "k"}, owner, "moves money", nil},
		{"two chains", Chain{ChainState: "s", TonConfigFilename: "g", RootContractAddress: "r", NodeWalletKey: "k"}, owner, "moves money", []string{"name one chain"}},
		{"no root", Chain{ChainState: "s", NodeWalletKey: "k"}, owner, "moves money", []string{"needs root_contract_address"}},
		{"no wallet", Chain{TonConfigFilename: "g", RootContractAddress: "r"}, owner, "moves money", []string{"node_wallet_key, the seed of the wallet that moves money"}},
		{"optional wallet absent", Chain{TonConfigFilename: "g", RootContractAddress: "r"}, "not an address", "", nil},
		{"optional wallet, bad owner", Chain{ChainState: "s", RootContractAddress: "r", NodeWalletKey: "k"}, "not an address", "", []string{"owner_address to be a TON address"}},
		{"every fault", Chain{ChainState: "s", TonConfigFilename: "g"}, "", "moves money", []string{"name one chain", "root_contract_address", "node_wallet_key", "owner_address"}},
	}
	for _, c := range cases {
		got := c.c.Problems(c.owner, c.use)
		if len(got) != len(c.wanted) {
			t.Errorf("%s: problems %q, want %d", c.name, got, len(c.wanted))
			continue
		}
		for _, w := range c.wanted {
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, w) }) {
				t.Errorf("%s: problems %q, want one containing %q", c.name, got, w)
			}
		}
	}
	if (Chain{ChainState: "s"}).OnChain() != true || (Chain{RootContractAddress: "r"}).OnChain() {
		t.Error("OnChain: want true exactly when a chain is named")
	}
}
