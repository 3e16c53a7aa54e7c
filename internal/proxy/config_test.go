package proxy

import (
	"strings"
	"testing"
)

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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.json))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseConfig error = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.PoWDifficulty != DefaultPoWDifficulty || c.ClientPolicy != "any" || c.HTTPAddr() != "127.0.0.1:11000" {
				t.Errorf("defaults: got %+v", c)
			}
		})
	}
}
