package devnet

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/proxy"
)

// TestClientShortAuth connects one client owner three times in turn: new,
// it authenticates the long way; known, with the secret of the fake-TON
// contract (the empty string), the short way; known, with another
// secret, it falls back to the long way, which fake TON accepts. Each
// client serves a request.
func TestClientShortAuth(t *testing.T) {
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 1})})
	owner := contracts.NewOwnerAddress().String()
	steps := []struct {
		name   string
		secret string
		want   proxy.ClientAuthSnapshot // authorisations this step adds
	}{
		{"new client", "", proxy.ClientAuthSnapshot{Long: 1}},
		{"known client", "", proxy.ClientAuthSnapshot{Short: 1}},
		{"known client, other secret", "not the contract's", proxy.ClientAuthSnapshot{Long: 1}},
	}
	for _, st := range steps {
		before := n.Proxy.Snapshot().ClientAuth
		runClient(t, n, owner, st.secret)
		after := n.Proxy.Snapshot().ClientAuth
		got := proxy.ClientAuthSnapshot{Short: after.Short - before.Short, Long: after.Long - before.Long, Refused: after.Refused - before.Refused}
		if got != st.want {
			t.Errorf("%s: authorisations %+v, want %+v", st.name, got, st.want)
		}
	}
}

// runClient runs a client of owner with secret against n's proxy until
// one request has been answered.
func runClient(t *testing.T, n *Network, owner, secret string) {
	t.Helper()
	tlsConf, _ := fakeTDXClient(t)
	raw, err := json.Marshal(map[string]any{
		"is_test": true, "proxies": []string{n.ProxyClientsAddr}, "proxy_connections": 1, "proxy_policy": "fake_tdx",
		"owner_address": owner, "secret_string": secret,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := client.ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	url, stop := serveClient(t, cfg, client.Deps{Mode: chainconf.FakeTON, TLS: tlsConf})
	defer stop()
	if res, body := post(t, context.Background(), url, chatStream); res.StatusCode != 200 {
		t.Fatalf("request through a client with secret %q: %d %q", secret, res.StatusCode, body)
	}
}
