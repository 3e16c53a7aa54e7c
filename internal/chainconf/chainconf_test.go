package chainconf

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/config"
)

// checkProblems wants the problems got of case name to be as many as
// wanted, each wanted one contained in one of them.
func checkProblems(t *testing.T, name string, got, wanted []string) {
	t.Helper()
	if len(got) != len(wanted) {
		t.Errorf("%s: problems %q, want %d", name, got, len(wanted))
		return
	}
	for _, w := range wanted {
		if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, w) }) {
			t.Errorf("%s: problems %q, want one containing %q", name, got, w)
		}
	}
}

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
		{"reference's fake TON", Chain{FakeTONConfig: "f", RootContractAddress: "r"}, "", "moves money", nil},
		{"fake TON without root", Chain{FakeTONConfig: "f"}, "", "", []string{"fake_ton_config needs root_contract_address"}},
		{"fake TON and a chain", Chain{FakeTONConfig: "f", ChainState: "s", RootContractAddress: "r", NodeWalletKey: "k"}, owner, "moves money", []string{"fake TON has no chain"}},
		{"every fault", Chain{ChainState: "s", TonConfigFilename: "g"}, "", "moves money", []string{"name one chain", "root_contract_address", "node_wallet_key", "owner_address"}},
	}
	for _, c := range cases {
		checkProblems(t, c.name, c.c.Problems(c.owner, c.use), c.wanted)
	}
	if (Chain{ChainState: "s"}).OnChain() != true || (Chain{RootContractAddress: "r"}).OnChain() {
		t.Error("OnChain: want true exactly when a chain is named")
	}
}

func TestWireAddress(t *testing.T) {
	a := address.NewAddress(0, 0, bytes.Repeat([]byte{7}, 32))
	for _, tc := range []struct {
		c    Chain
		want string
	}{{Chain{}, a.Bounce(false).String()}, {Chain{IsTestnet: true}, a.Bounce(false).Testnet(true).String()}} {
		got := tc.c.WireAddress(a)
		if got != tc.want || !strings.HasPrefix(got, map[bool]string{false: "UQ", true: "0Q"}[tc.c.IsTestnet]) {
			t.Errorf("is_testnet %v: got %s, want %s", tc.c.IsTestnet, got, tc.want)
		}
		if back := address.MustParseAddr(got); !back.Equals(a) {
			t.Errorf("%s parses to %s, want %s", got, back, a)
		}
	}
	if a.String() != address.NewAddress(0, 0, bytes.Repeat([]byte{7}, 32)).String() {
		t.Error("WireAddress changed the address it was given")
	}
}

func TestTrustProblems(t *testing.T) {
	yes, no := true, false
	cases := []struct {
		name   string
		c      Chain
		isTest bool
		check  *bool
		wanted []string
	}{
		{"defaults", Chain{}, false, nil, nil},
		{"reference switch on", Chain{}, false, &yes, nil},
		{"reference switch off", Chain{}, true, &no, nil},
		{"skip on a test network", Chain{InsecureSkipHashChecks: true}, true, nil, nil},
		{"skip outside a test network", Chain{InsecureSkipHashChecks: true}, false, nil, []string{"only a test network (is_test)"}},
		{"skip and check", Chain{InsecureSkipHashChecks: true}, true, &yes, []string{"contradict"}},
		{"poll too fast", Chain{RootPollEvery: config.Duration(time.Millisecond)}, false, nil, []string{"root_poll_every"}},
		{"negative age", Chain{MaxRootAge: -1}, false, nil, []string{"negative"}},
		{"age within a poll", Chain{RootPollEvery: config.Duration(time.Minute), MaxRootAge: config.Duration(time.Minute)}, false, nil, []string{"no longer than root_poll_every"}},
	}
	for _, c := range cases {
		checkProblems(t, c.name, c.c.TrustProblems(c.isTest, c.check, "check_worker_hashes"), c.wanted)
	}
	var c Chain
	c.RootDefaults()
	if c.RootPollEvery != DefaultRootPollEvery || c.MaxRootAge != DefaultMaxRootAge {
		t.Errorf("defaults: got %v and %v", time.Duration(c.RootPollEvery), time.Duration(c.MaxRootAge))
	}
}

func TestParseImageHash(t *testing.T) {
	want := [32]byte{0x5c, 0x55}
	for _, in := range []string{"5c55000000000000000000000000000000000000000000000000000000000000", "XFUAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="} {
		if got, err := ParseImageHash(in); err != nil || got != want {
			t.Errorf("%s: got %x, %v; want %x", in, got, err, want)
		}
	}
	if got, err := ParseImageHash(""); err != nil || got != [32]byte{} {
		t.Errorf("empty: got %x, %v; want zero", got, err)
	}
	for _, in := range []string{"5c55", "not a hash", "XFU="} {
		if _, err := ParseImageHash(in); err == nil {
			t.Errorf("%q: got nil error, want one", in)
		}
	}
}

func TestOwnImage(t *testing.T) {
	const stated = "5c55000000000000000000000000000000000000000000000000000000000000"
	statedHash, attested := [32]byte{0x5c, 0x55}, [32]byte{1}
	tests := []struct {
		name     string
		stated   string
		attested [32]byte
		want     [32]byte
		wantErr  string
	}{
		{"neither", "", [32]byte{}, [32]byte{}, ""},
		{"stated only", stated, [32]byte{}, statedHash, ""},
		{"attested only", "", attested, attested, ""},
		{"both, agreeing", stated, statedHash, statedHash, ""},
		{"both, disagreeing", stated, attested, [32]byte{}, "is not the image hash the worker attests"},
		{"not a hash", "5c55", attested, [32]byte{}, "want 32 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OwnImage(tt.stated, tt.attested, "worker")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got %x, %v; want an error saying %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %x, %v; want %x", got, err, tt.want)
			}
		})
	}
}

func TestCheckMode(t *testing.T) {
	tests := []struct {
		name               string
		mode               Mode
		hasChain, readOnly bool
		wantErr            string
	}{
		{"on chain", OnChain, true, false, ""},
		{"fake TON", FakeTON, false, false, ""},
		{"read-only client", ReadOnly, false, true, ""},
		{"no mode named", 0, false, false, "Deps.Mode is no mode"},
		{"no mode, a chain", 0, true, true, "Deps.Mode is no mode"},
		{"on chain without one", OnChain, false, false, "Deps.Chain is nil"},
		{"fake TON with a chain", FakeTON, true, false, "Deps.Chain is set"},
		{"read-only where none may be", ReadOnly, false, false, "name chainconf.OnChain"},
		{"read-only with a chain", ReadOnly, true, true, "Deps.Chain is set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckMode("role", tt.mode, tt.hasChain, tt.readOnly)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "building the role") {
				t.Fatalf("got %v, want an error building the role that says %q", err, tt.wantErr)
			}
		})
	}
}
