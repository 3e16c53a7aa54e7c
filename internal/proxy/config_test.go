package proxy

import (
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/config"
	"github.com/cocoon-go/cocoon/internal/config/configtest"
)

// chainTestOwner is a TON address for the chain configs of the tests.
const chainTestOwner = "EQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAM9c"

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		wantErr string
	}{
		{name: "defaults", json: `{}`},
		{name: "unknown field", json: `{"workers_port":1}`, wantErr: "unknown field"},
		{name: "bad listen", json: `{"workers_listen":"11001"}`, wantErr: "workers_listen"},
		{name: "pow too hard", json: `{"pow_difficulty":29}`, wantErr: "pow_difficulty"},
		{name: "fake workers outside test", json: `{"worker_policy":"fake_tdx"}`, wantErr: "only a test network"},
		{name: "fake workers in test", json: `{"is_test":true,"worker_policy":"fake_tdx"}`},
		{name: "bad key", json: `{"machine_specific_private_key":"AAAA"}`, wantErr: "machine_specific_private_key"},
		{name: "db without key", json: `{"db_path":"/tmp/x.db"}`, wantErr: "db_path needs machine_specific_private_key"},
		{name: "chain periods as strings", json: `{"chain_commit_every":"2s","chain_poll_every":"250ms"}`},
		{name: "chain period in seconds", json: `{"chain_commit_every":1.5}`},
		{name: "chain period too short", json: `{"chain_poll_every":"1ms"}`, wantErr: "chain_poll_every"},
		{name: "chain period unparsable", json: `{"chain_commit_every":"soon"}`, wantErr: "parsing duration"},
		{name: "negative charge threshold", json: `{"charge_threshold_nano":-1}`, wantErr: "charge_threshold_nano"},
		{name: "negative payout threshold", json: `{"payout_threshold_nano":-1}`, wantErr: "payout_threshold_nano"},
		{name: "negative withdraw threshold", json: `{"withdraw_threshold_nano":-1}`, wantErr: "withdraw_threshold_nano"},
		{name: "emulated chain", json: `{"chain_state":"/data/chain.json","root_contract_address":"r","node_wallet_key":"/data/proxy-wallet.key","owner_address":"` + chainTestOwner + `"}`},
		{name: "real chain", json: `{"ton_config_filename":"/etc/global.json","root_contract_address":"r","node_wallet_key":"00","owner_address":"` + chainTestOwner + `"}`},
		{name: "root and key without a chain", json: `{"root_contract_address":"r","node_wallet_key":"k"}`},
		{name: "two chains", json: `{"chain_state":"c","ton_config_filename":"t","root_contract_address":"r","node_wallet_key":"k","owner_address":"` + chainTestOwner + `"}`, wantErr: "name one chain"},
		{name: "chain without root", json: `{"chain_state":"c","node_wallet_key":"k","owner_address":"` + chainTestOwner + `"}`, wantErr: "root_contract_address"},
		{name: "chain without wallet key", json: `{"chain_state":"c","root_contract_address":"r","owner_address":"` + chainTestOwner + `"}`, wantErr: "node_wallet_key"},
		{name: "chain without owner", json: `{"ton_config_filename":"t","root_contract_address":"r","node_wallet_key":"k"}`, wantErr: "owner_address"},
		{name: "chain field misspelt", json: `{"chain_state_file":"c"}`, wantErr: "unknown field"},
		{name: "reference hash switch", json: `{"check_worker_hashes":true,"image_hash":"XFXI9NtAELqSA9g1NtBgmFavjIR6wDnjfn3ej71XS2E="}`},
		{name: "reference hash switch off", json: `{"is_test":true,"check_worker_hashes":false}`},
		{name: "hash checks off in test", json: `{"is_test":true,"insecure_skip_hash_checks":true}`},
		{name: "hash checks off outside test", json: `{"insecure_skip_hash_checks":true}`, wantErr: "only a test network (is_test) may set it"},
		{name: "hash checks off and on", json: `{"is_test":true,"insecure_skip_hash_checks":true,"check_worker_hashes":true}`, wantErr: "contradict"},
		{name: "bad image hash", json: `{"image_hash":"5c55"}`, wantErr: "image_hash"},
		{name: "root read too seldom", json: `{"root_poll_every":"1h","max_root_age":"30m"}`, wantErr: "max_root_age"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := configtest.Parse(t, ParseConfig, tt.json, tt.wantErr)
			if !ok {
				return
			}
			if c.OnChain() != (c.ChainState != "" || c.TonConfigFilename != "") {
				t.Errorf("OnChain() = %v with chain_state %q, ton_config_filename %q", c.OnChain(), c.ChainState, c.TonConfigFilename)
			}
			if c.PoWDifficulty != DefaultPoWDifficulty || c.ClientPolicy != "any" || c.HTTPAddr() != "127.0.0.1:11000" {
				t.Errorf("defaults: got %+v", c)
			}
		})
	}
}

func TestChainDefaults(t *testing.T) {
	tests := []struct {
		name string
		json string
		want Config
	}{
		{"defaults", `{}`, Config{ChainCommitEvery: DefaultChainCommitEvery, ChainPollEvery: DefaultChainPollEvery,
			ChargeThresholdNano: DefaultChargeThresholdNano, PayoutThresholdNano: DefaultPayoutThresholdNano, WithdrawThresholdNano: DefaultWithdrawThresholdNano}},
		{"devnet's short ones", `{"chain_commit_every":"2s","chain_poll_every":0.5,"charge_threshold_nano":1,"payout_threshold_nano":2}`,
			Config{ChainCommitEvery: config.Duration(2 * time.Second), ChainPollEvery: config.Duration(500 * time.Millisecond), ChargeThresholdNano: 1, PayoutThresholdNano: 2,
				WithdrawThresholdNano: DefaultWithdrawThresholdNano}},
		{"withdraw threshold set", `{"withdraw_threshold_nano":1}`, Config{ChainCommitEvery: DefaultChainCommitEvery, ChainPollEvery: DefaultChainPollEvery,
			ChargeThresholdNano: DefaultChargeThresholdNano, PayoutThresholdNano: DefaultPayoutThresholdNano, WithdrawThresholdNano: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			if c.ChainCommitEvery != tt.want.ChainCommitEvery || c.ChainPollEvery != tt.want.ChainPollEvery ||
				c.ChargeThresholdNano != tt.want.ChargeThresholdNano || c.PayoutThresholdNano != tt.want.PayoutThresholdNano {
				t.Errorf("got commit %v, poll %v, charge %d, payout %d; want %v, %v, %d, %d",
					time.Duration(c.ChainCommitEvery), time.Duration(c.ChainPollEvery), c.ChargeThresholdNano, c.PayoutThresholdNano,
					time.Duration(tt.want.ChainCommitEvery), time.Duration(tt.want.ChainPollEvery), tt.want.ChargeThresholdNano, tt.want.PayoutThresholdNano)
			}
			if c.WithdrawThresholdNano != tt.want.WithdrawThresholdNano {
				t.Errorf("withdraw_threshold_nano = %d, want %d", c.WithdrawThresholdNano, tt.want.WithdrawThresholdNano)
			}
		})
	}
	if DefaultWithdrawThresholdNano != int64(10*billing.TON) {
		t.Errorf("DefaultWithdrawThresholdNano = %d, want the reference's 10 TON", DefaultWithdrawThresholdNano)
	}
}
