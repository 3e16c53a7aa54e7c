package client

import (
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/config/configtest"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		wantErr string
	}{
		{name: "minimal", json: `{"proxies":["p:11002"]}`},
		{name: "unknown field", json: `{"proxies":["p:1"],"rpc_port":10001}`, wantErr: "unknown field"},
		{name: "no proxies", json: `{}`, wantErr: "proxies is empty"},
		{name: "too many connections", json: `{"proxies":["p:1"],"proxy_connections":2}`, wantErr: "proxy_connections"},
		{name: "short key", json: `{"proxies":["p:1"],"api_keys":["abc"]}`, wantErr: "api_keys[0]"},
		{name: "any outside test", json: `{"proxies":["p:1"],"proxy_policy":"any"}`, wantErr: "only a test network"},
		{name: "any in test", json: `{"is_test":true,"proxies":["p:1"],"proxy_policy":"any"}`},
		{name: "reference hash switch", json: `{"proxies":["p:1"],"check_proxy_hashes":true}`},
		{name: "hash checks off outside test", json: `{"proxies":["p:1"],"insecure_skip_hash_checks":true}`, wantErr: "only a test network (is_test) may set it"},
		{name: "hash checks off in test", json: `{"is_test":true,"proxies":["p:1"],"insecure_skip_hash_checks":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := configtest.Parse(t, ParseConfig, tt.json, tt.wantErr)
			if !ok {
				return
			}
			if c.HTTPAddr() != "127.0.0.1:10000" || c.MaxBodyBytes != DefaultMaxBodyBytes || c.ProxyConnections != 1 {
				t.Errorf("defaults: got %+v", c)
			}
		})
	}
}

// chainTestOwner is a TON address for the chain configs of the tests.
const chainTestOwner = "EQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAM9c"

func TestParseConfigChain(t *testing.T) {
	tests := []struct {
		name      string
		json      string
		wantEvery time.Duration
		wantErr   string
	}{
		{name: "defaults", json: `{"proxies":["p:1"]}`, wantEvery: 1500 * time.Millisecond},
		{name: "duration string", json: `{"proxies":["p:1"],"chain_check_every":"200ms"}`, wantEvery: 200 * time.Millisecond},
		{name: "seconds", json: `{"proxies":["p:1"],"chain_check_every":2}`, wantEvery: 2 * time.Second},
		{name: "too often", json: `{"proxies":["p:1"],"chain_check_every":"1ms"}`, wantErr: "chain_check_every"},
		{name: "not a duration", json: `{"proxies":["p:1"],"chain_check_every":"soon"}`, wantErr: "parsing duration"},
		{name: "negative deposit", json: `{"proxies":["p:1"],"deposit_nano":-1}`, wantErr: "deposit_nano"},
		{name: "root on a real chain", json: `{"root_contract_address":"r","ton_config_filename":"/etc/global.json"}`, wantEvery: 1500 * time.Millisecond},
		{name: "root on an emulated chain", json: `{"root_contract_address":"r","chain_state":"/data/chain.json"}`, wantEvery: 1500 * time.Millisecond},
		{name: "wallet key on an emulated chain", json: `{"root_contract_address":"r","chain_state":"/data/chain.json","node_wallet_key":"/data/client-wallet.key","owner_address":"` + chainTestOwner + `"}`, wantEvery: 1500 * time.Millisecond},
		{name: "proxies and a chain", json: `{"proxies":["p:1"],"root_contract_address":"r","chain_state":"c","node_wallet_key":"00","owner_address":"` + chainTestOwner + `"}`, wantEvery: 1500 * time.Millisecond},
		{name: "root without a chain", json: `{"root_contract_address":"r"}`, wantErr: "root_contract_address needs a chain"},
		{name: "two chains", json: `{"root_contract_address":"r","chain_state":"c","ton_config_filename":"t"}`, wantErr: "name one chain"},
		{name: "chain without root", json: `{"proxies":["p:1"],"chain_state":"c"}`, wantErr: "a chain needs root_contract_address"},
		{name: "wallet key without owner", json: `{"root_contract_address":"r","chain_state":"c","node_wallet_key":"k"}`, wantErr: "owner_address"},
		{name: "chain field misspelt", json: `{"proxies":["p:1"],"wallet_key":"k"}`, wantErr: "unknown field"},
		{name: "deposit and state file", json: `{"proxies":["p:1"],"deposit_nano":5000000000,"state_file":"/var/lib/cocoon/client-state.json"}`, wantEvery: 1500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := configtest.Parse(t, ParseConfig, tt.json, tt.wantErr)
			if !ok {
				return
			}
			if got := time.Duration(c.ChainCheckEvery); got != tt.wantEvery {
				t.Errorf("chain_check_every = %v, want %v", got, tt.wantEvery)
			}
		})
	}
}
