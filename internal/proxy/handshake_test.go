package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"testing"

	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/wire"
)

func newTestProxy(t testing.TB) *Proxy {
	t.Helper()
	cfg, err := ParseConfig([]byte(`{"is_test":true,"worker_policy":"fake_tdx"}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(cfg, Deps{Mode: chainconf.FakeTON, WorkerTLS: &tls.Config{}, ClientTLS: &tls.Config{}, RootVersion: testRootVersion})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newWorkerConn(p *Proxy) *workerConn {
	return &workerConn{p: p, remote: "test", reqs: map[[32]byte]*request{}}
}

func workerParams() tl.WorkerParams {
	return tl.WorkerParams{Flags: 1 | 2 | tl.ExtFlag, Model: "Org/M@abc:def", Coefficient: 1500, IsTest: true, ProxyCnt: 2, MaxActiveRequests: 5, MinProtoVersion: 1, MaxProtoVersion: 2}
}

// ask runs one handshake query and decodes the answer into ans.
func ask(t *testing.T, wc *workerConn, q, ans tl.Object) error {
	t.Helper()
	b, err := wc.ServeQuery(context.Background(), tl.Marshal(q))
	if err != nil {
		return err
	}
	if err := tl.UnmarshalAs(b, ans); err != nil {
		t.Fatalf("answer to %s: %v", tl.Name(q.TLID()), err)
	}
	return nil
}

func TestWorkerHandshakeExtendedPath(t *testing.T) {
	p := newTestProxy(t)
	wc := newWorkerConn(p)
	var connected tl.WorkerConnectedToProxy
	if err := ask(t, wc, &tl.WorkerConnectToProxy{Params: workerParams()}, &connected); err != nil {
		t.Fatal(err)
	}
	if connected.Params.ProtoVersion != 2 || connected.Params.Flags&tl.ExtFlag == 0 || !connected.Params.IsTest {
		t.Errorf("proxy params = %+v, want proto 2, is_test, the extension flag", connected.Params)
	}
	// A worker that saw more uncommitted tokens than this proxy (which
	// starts empty) gets error_code 1 and runs the extended comparison.
	var cmp tl.WorkerCompareBalanceWithProxyResult
	if err := ask(t, wc, &tl.WorkerCompareBalanceWithProxy{MaxTokens: 100}, &cmp); err != nil {
		t.Fatal(err)
	}
	if cmp.ErrorCode != 1 {
		t.Errorf("compare error_code = %d, want 1", cmp.ErrorCode)
	}
	var ext tl.WorkerExtendedCompareBalanceWithProxyResult
	if err := ask(t, wc, &tl.WorkerExtendedCompareBalanceWithProxy{}, &ext); err != nil || ext.ErrorCode != 0 {
		t.Fatalf("extended compare = %+v, %v; want code 0", ext, err)
	}
	// The reference stays in its extended state here and fails this step.
	var done tl.WorkerProxyHandshakeCompleted
	if err := ask(t, wc, &tl.WorkerProxyHandshakeComplete{IsDisabled: false}, &done); err != nil {
		t.Fatalf("handshake complete after the extended comparison: %v", err)
	}
	ws := p.Snapshot().WorkerConnections
	if len(ws) != 1 || ws[0].Model != "Org/M" || ws[0].MaxQueries != 3 || ws[0].Coefficient != 1500 || !ws[0].Enabled {
		t.Errorf("registered workers = %+v, want Org/M with capacity ceil(5/2)=3", ws)
	}
}

func TestWorkerHandshakeRejects(t *testing.T) {
	mod := func(f func(*tl.WorkerParams)) tl.WorkerParams {
		w := workerParams()
		f(&w)
		return w
	}
	tests := []struct {
		name   string
		params tl.WorkerParams
	}{
		{"no flags", mod(func(w *tl.WorkerParams) { w.Flags = 0 })},
		{"not test", mod(func(w *tl.WorkerParams) { w.IsTest = false })},
		{"no model", mod(func(w *tl.WorkerParams) { w.Model = "@x" })},
		{"negative coefficient", mod(func(w *tl.WorkerParams) { w.Coefficient = -1 })},
		{"no capacity", mod(func(w *tl.WorkerParams) { w.MaxActiveRequests = 0 })},
		{"no proxies", mod(func(w *tl.WorkerParams) { w.ProxyCnt = 0 })},
		{"protocol too new", mod(func(w *tl.WorkerParams) { w.MinProtoVersion, w.MaxProtoVersion = 3, 4 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var connected tl.WorkerConnectedToProxy
			err := ask(t, newWorkerConn(newTestProxy(t)), &tl.WorkerConnectToProxy{Params: tt.params}, &connected)
			var qe *wire.QueryError
			if !errors.As(err, &qe) || qe.Code != wire.CodeProtoViolation {
				t.Errorf("connectToProxy = %v, want a protocol-violation query error", err)
			}
		})
	}
	t.Run("out of order", func(t *testing.T) {
		var done tl.WorkerProxyHandshakeCompleted
		if err := ask(t, newWorkerConn(newTestProxy(t)), &tl.WorkerProxyHandshakeComplete{}, &done); err == nil {
			t.Error("handshake complete before connect accepted")
		}
	})
	t.Run("worker ahead on committed tokens", func(t *testing.T) {
		wc := newWorkerConn(newTestProxy(t))
		var connected tl.WorkerConnectedToProxy
		ask(t, wc, &tl.WorkerConnectToProxy{Params: workerParams()}, &connected)
		var cmp tl.WorkerCompareBalanceWithProxyResult
		if err := ask(t, wc, &tl.WorkerCompareBalanceWithProxy{TokensCommittedToDB: 5, MaxTokens: 5}, &cmp); err == nil {
			t.Error("a worker ahead of the proxy's committed tokens was accepted")
		}
	})
}

func newClientConn(p *Proxy) *clientConn {
	return &clientConn{p: p, remote: "test", reqs: map[[32]byte]*request{}}
}

func TestClientHandshake(t *testing.T) {
	p := newTestProxy(t)
	cc := newClientConn(p)
	ask := func(q tl.Object) (tl.Object, error) {
		b, err := cc.ServeQuery(context.Background(), tl.Marshal(q))
		if err != nil {
			return nil, err
		}
		return tl.Unmarshal(b)
	}
	if _, err := ask(&tl.ClientGetWorkerTypesV2{}); err == nil {
		t.Error("worker types answered before authorisation")
	}
	if _, err := ask(&tl.ClientConnectToProxy{Params: tl.ClientParams{Flags: 1 | 2, IsTest: false, MinProtoVersion: 1, MaxProtoVersion: 2}}); err == nil {
		t.Error("a mainnet client was accepted by a test proxy")
	}
	if _, err := ask(&tl.ClientConnectToProxy{Params: tl.ClientParams{Flags: 1 | 2, IsTest: true, MinProtoVersion: 1, MaxProtoVersion: 2}, MinConfigVersion: testRootVersion + 1}); err == nil {
		t.Error("a client that saw a newer root config was accepted")
	}
	obj, err := ask(&tl.ClientConnectToProxy{Params: tl.ClientParams{Flags: 1 | 2, ClientOwnerAddress: "o", IsTest: true, MinProtoVersion: 1, MaxProtoVersion: 2}})
	if err != nil {
		t.Fatal(err)
	}
	connected := obj.(*tl.ClientConnectedToProxy)
	if _, ok := connected.Auth.(*tl.ClientProxyConnectionAuthLong); !ok {
		t.Errorf("auth = %T, want long authentication", connected.Auth)
	}
	if connected.Params.Flags&tl.ExtFlag == 0 {
		t.Error("proxy params lack the extension flag")
	}
	obj, err = ask(&tl.ClientAuthorizeWithProxyLong{})
	if _, ok := obj.(*tl.ClientAuthorizationWithProxySuccess); err != nil || !ok {
		t.Fatalf("long authorisation = %T, %v; want success", obj, err)
	}
	obj, err = ask(&tl.ClientGetWorkerTypesV2{})
	if _, ok := obj.(*tl.ClientWorkerTypesV2); err != nil || !ok {
		t.Errorf("worker types = %T, %v", obj, err)
	}
}

// FuzzWorkerQuery feeds arbitrary bytes to the worker handshake: it must
// answer or refuse, never panic, and an answer must decode and re-encode
// to the same bytes.
func FuzzWorkerQuery(f *testing.F) {
	f.Add(tl.Marshal(&tl.WorkerConnectToProxy{Params: workerParams()}))
	f.Add(tl.Marshal(&tl.WorkerCompareBalanceWithProxy{MaxTokens: 3}))
	f.Add(tl.Marshal(&tl.WorkerProxyHandshakeComplete{}))
	f.Add(tl.Marshal(&tl.CocoonWorkerEndpoints{Endpoints: []string{"/v1/embeddings"}, AudioTokensPerSecond: 7}))
	f.Add([]byte{1, 2, 3})
	p := newTestProxy(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		wc := newWorkerConn(p)
		// Walk the handshake so that every state sees the input.
		for _, q := range []tl.Object{nil, &tl.WorkerConnectToProxy{Params: workerParams()}, &tl.WorkerCompareBalanceWithProxy{}} {
			if q != nil {
				wc.ServeQuery(context.Background(), tl.Marshal(q))
			}
			ans, err := wc.ServeQuery(context.Background(), b)
			if err != nil {
				continue
			}
			checkRoundTrip(t, ans)
		}
		p.removeWorker(wc)
	})
}

// connectClient runs client.connectToProxy for owner on a new connection
// and returns it with the authentication the proxy offered.
func connectClient(t *testing.T, p *Proxy, owner string) (*clientConn, tl.ClientProxyConnectionAuth) {
	t.Helper()
	cc := newClientConn(p)
	b, err := cc.ServeQuery(context.Background(), tl.Marshal(&tl.ClientConnectToProxy{Params: tl.ClientParams{Flags: 1 | 2, ClientOwnerAddress: owner, IsTest: true, MinProtoVersion: 1, MaxProtoVersion: 2}}))
	if err != nil {
		t.Fatal(err)
	}
	var connected tl.ClientConnectedToProxy
	if err := tl.UnmarshalAs(b, &connected); err != nil {
		t.Fatal(err)
	}
	return cc, connected.Auth
}

// clientAsk runs one query on cc and decodes the answer.
func clientAsk(cc *clientConn, q tl.Object) (tl.Object, error) {
	b, err := cc.ServeQuery(context.Background(), tl.Marshal(q))
	if err != nil {
		return nil, err
	}
	return tl.Unmarshal(b)
}

func TestClientShortAuth(t *testing.T) {
	emptyHash := sha256.Sum256(nil)
	tests := []struct {
		name       string
		auth       tl.Object
		wantOK     bool
		wantCounts ClientAuthSnapshot // after a first long authorisation
	}{
		{"right secret", &tl.ClientAuthorizeWithProxyShort{Data: []byte{}}, true, ClientAuthSnapshot{Short: 1, Long: 1}},
		{"wrong secret", &tl.ClientAuthorizeWithProxyShort{Data: []byte("guess")}, false, ClientAuthSnapshot{Long: 1, Refused: 1}},
		{"long instead", &tl.ClientAuthorizeWithProxyLong{}, true, ClientAuthSnapshot{Long: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestProxy(t)
			first, auth := connectClient(t, p, "o")
			if _, ok := auth.(*tl.ClientProxyConnectionAuthLong); !ok {
				t.Fatalf("first connection offered %T, want long authentication", auth)
			}
			if obj, err := clientAsk(first, &tl.ClientAuthorizeWithProxyLong{}); err != nil {
				t.Fatalf("long authorisation = %T, %v", obj, err)
			}
			cc, auth := connectClient(t, p, "o")
			short, ok := auth.(*tl.ClientProxyConnectionAuthShort)
			if !ok {
				t.Fatalf("known client offered %T, want short authentication", auth)
			}
			if short.SecretHash != emptyHash {
				t.Errorf("offered secret hash %x, want sha256(\"\") %x", short.SecretHash, emptyHash)
			}
			obj, err := clientAsk(cc, tt.auth)
			if err != nil {
				t.Fatalf("authorisation: %v", err)
			}
			switch r := obj.(type) {
			case *tl.ClientAuthorizationWithProxySuccess:
				if !tt.wantOK {
					t.Errorf("authorisation succeeded, want failed")
				}
			case *tl.ClientAuthorizationWithProxyFailed:
				if tt.wantOK {
					t.Errorf("authorisation failed: %s, want success", r.Error)
				}
			default:
				t.Fatalf("authorisation answered %T", obj)
			}
			_, err = clientAsk(cc, &tl.ClientGetWorkerTypesV2{})
			if got := err == nil; got != tt.wantOK {
				t.Errorf("worker types after authorisation: err %v, want authorised=%v", err, tt.wantOK)
			}
			if !tt.wantOK {
				if _, err := clientAsk(cc, &tl.ClientAuthorizeWithProxyLong{}); err == nil {
					t.Error("a refused connection authorised the long way afterwards")
				}
			}
			if got := p.Snapshot().ClientAuth; got != tt.wantCounts {
				t.Errorf("auth counts = %+v, want %+v", got, tt.wantCounts)
			}
		})
	}
	t.Run("short not offered", func(t *testing.T) {
		cc, _ := connectClient(t, newTestProxy(t), "new")
		obj, err := clientAsk(cc, &tl.ClientAuthorizeWithProxyShort{})
		if _, ok := obj.(*tl.ClientAuthorizationWithProxyFailed); err != nil || !ok {
			t.Errorf("short authorisation of a new client = %T, %v; want failed", obj, err)
		}
	})
	t.Run("short before connect", func(t *testing.T) {
		if _, err := clientAsk(newClientConn(newTestProxy(t)), &tl.ClientAuthorizeWithProxyShort{}); err == nil {
			t.Error("short authorisation before connectToProxy accepted")
		}
	})
}

// FuzzClientQuery feeds arbitrary bytes to the client handshake of a
// known client, so that both authentication paths are reachable: it must
// answer or refuse, never panic, and an answer must decode and re-encode
// to the same bytes.
func FuzzClientQuery(f *testing.F) {
	connect := tl.Marshal(&tl.ClientConnectToProxy{Params: tl.ClientParams{Flags: 1 | 2, ClientOwnerAddress: "o", IsTest: true, MinProtoVersion: 1, MaxProtoVersion: 2}})
	f.Add(connect)
	f.Add(tl.Marshal(&tl.ClientAuthorizeWithProxyShort{Data: []byte("x")}))
	f.Add(tl.Marshal(&tl.ClientAuthorizeWithProxyLong{}))
	f.Add(tl.Marshal(&tl.CocoonGetModelEndpoints{}))
	f.Add([]byte{1, 2, 3})
	p := newTestProxy(f)
	if err := p.ledger.UpdateClient("o", "o", fakeClientChain(p.clientStake)); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cc := newClientConn(p)
		for _, q := range [][]byte{nil, connect} {
			if q != nil {
				cc.ServeQuery(context.Background(), q)
			}
			ans, err := cc.ServeQuery(context.Background(), b)
			if err != nil {
				continue
			}
			checkRoundTrip(t, ans)
		}
		p.mu.Lock()
		delete(p.clients, cc)
		p.mu.Unlock()
	})
}

// checkRoundTrip fails t unless the answer ans decodes and re-encodes to
// the same bytes.
func checkRoundTrip(t *testing.T, ans []byte) {
	t.Helper()
	obj, err := tl.Unmarshal(ans)
	if err != nil {
		t.Fatalf("answer %x does not decode: %v", ans, err)
	}
	if again := tl.Marshal(obj); !bytes.Equal(again, ans) {
		t.Fatalf("answer re-encodes as %x, want %x", again, ans)
	}
}
