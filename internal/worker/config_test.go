package worker

import (
	"testing"

	"github.com/cocoon-go/cocoon/internal/config/configtest"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		wantErr string
	}{
		{name: "minimal test network", json: `{"is_test":true,"model_name":"Org/M@abc:def","forward_requests_to":"127.0.0.1:8000","proxies":["127.0.0.1:11001"],"proxy_policy":"fake_tdx"}`},
		{name: "unknown field", json: `{"modle_name":"x"}`, wantErr: "unknown field"},
		{name: "no model", json: `{"is_test":true,"forward_requests_to":"h:1","proxies":["h:1"]}`, wantErr: "model_name is empty"},
		{name: "no engine", json: `{"is_test":true,"model_name":"m","proxies":["h:1"]}`, wantErr: "forward_requests_to is empty"},
		{name: "no proxies", json: `{"is_test":true,"model_name":"m","forward_requests_to":"h:1"}`, wantErr: "proxies is empty"},
		{name: "bad proxy", json: `{"is_test":true,"model_name":"m","forward_requests_to":"h:1","proxies":["nohostport"]}`, wantErr: "nohostport"},
		{name: "negative coefficient", json: `{"is_test":true,"model_name":"m","forward_requests_to":"h:1","proxies":["h:1"],"coefficient":-1}`, wantErr: "coefficient"},
		{name: "fake policy outside test", json: `{"model_name":"m","forward_requests_to":"h:1","proxies":["h:1"],"proxy_policy":"fake_tdx"}`, wantErr: "only a test network"},
		{name: "bad policy", json: `{"is_test":true,"model_name":"m","forward_requests_to":"h:1","proxies":["h:1"],"proxy_policy":"tdx:zz"}`, wantErr: "proxy_policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := configtest.Parse(t, ParseConfig, tt.json, tt.wantErr)
			if !ok {
				return
			}
			if c.MaxActiveRequests != DefaultMaxActiveRequests || c.ProxyConnections != 1 || c.HTTPAddr() != "127.0.0.1:12000" || c.BaseModel() != "Org/M" {
				t.Errorf("defaults: got %+v, base %q, want max 200, 1 proxy, 127.0.0.1:12000, base Org/M", c, c.BaseModel())
			}
		})
	}
}
