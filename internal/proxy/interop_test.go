package proxy

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/base64"
	"os"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/tl"
)

// refObject decodes one TL object the reference sent, from
// ../shared/testdata/reference.
func refObject(t *testing.T, name string) tl.Object {
	t.Helper()
	b, err := os.ReadFile(sharedtest.Path(t, "testdata/reference/"+name))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := tl.Unmarshal(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return obj
}

// addrTag returns the tag byte of a user-friendly address: 0x11
// bounceable, 0x51 non-bounceable, plus 0x80 on testnet.
func addrTag(t *testing.T, s string) byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 36 {
		t.Fatalf("address %q is not user-friendly base64url: %v", s, err)
	}
	return b[0]
}

// interopProxy is a proxy with contracts whose config is extra JSON
// fields added to a test proxy's.
func interopProxy(t *testing.T, extra string) *Proxy {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(nil)
	cfg, err := ParseConfig([]byte(`{"is_test":true,"worker_policy":"fake_tdx","owner_address":"` + hashAddr([]byte("owner")).String() + `"` + extra + `}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(cfg, Deps{WorkerTLS: &tls.Config{}, ClientTLS: &tls.Config{}, SigningKey: key, Contracts: fakeContracts{}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestInteropNonBounceableAddresses pins mismatch 3: every address the
// proxy sends in its handshakes has the reference's form, user-friendly
// and non-bounceable (b-0001, d-0001: tag 0x51), with the testnet flag of
// is_testnet; the reference compares them flags included.
func TestInteropNonBounceableAddresses(t *testing.T) {
	ref := refObject(t, "b-client-proxy-0001-client.connectedToProxy.bin").(*tl.ClientConnectedToProxy)
	refWorker := refObject(t, "d-worker-proxy-0001-worker.connectedToProxy.bin").(*tl.WorkerConnectedToProxy)
	want := addrTag(t, ref.Params.ProxySCAddress)
	for _, s := range []string{ref.Params.ProxyOwnerAddress, ref.ClientSCAddress, refWorker.Params.ProxySCAddress, refWorker.WorkerSCAddress} {
		if addrTag(t, s) != want || want != 0x51 {
			t.Fatalf("the reference's addresses carry tags %#x and %#x: the fixtures changed", addrTag(t, s), want)
		}
	}
	for _, tc := range []struct {
		name  string
		extra string
		tag   byte
	}{{"mainnet", ``, want}, {"testnet", `,"is_testnet":true`, want | 0x80}} {
		t.Run(tc.name, func(t *testing.T) {
			p := interopProxy(t, tc.extra)
			owner := hashAddr([]byte("client owner"))
			cc := newClientConn(p)
			b, err := cc.ServeQuery(context.Background(), tl.Marshal(&tl.ClientConnectToProxy{Params: tl.ClientParams{
				Flags: 3, ClientOwnerAddress: owner.Bounce(false).String(), IsTest: true, MinProtoVersion: 1, MaxProtoVersion: 2}}))
			if err != nil {
				t.Fatal(err)
			}
			var cl tl.ClientConnectedToProxy
			if err := tl.UnmarshalAs(b, &cl); err != nil {
				t.Fatal(err)
			}
			wc := newWorkerConn(p)
			w := workerParams()
			w.WorkerOwnerAddress = owner.String()
			var wk tl.WorkerConnectedToProxy
			if err := ask(t, wc, &tl.WorkerConnectToProxy{Params: w}, &wk); err != nil {
				t.Fatal(err)
			}
			clientSC, _ := fakeContracts{}.ClientAddress(owner, p.contracts.owner, p.pub[:])
			workerSC, _ := fakeContracts{}.WorkerAddress(owner, p.contracts.owner, p.pub[:])
			for _, c := range []struct {
				what string
				got  string
				want *address.Address
			}{
				{"proxy_owner_address", cl.Params.ProxyOwnerAddress, p.contracts.owner},
				{"proxy_sc_address", cl.Params.ProxySCAddress, p.inst.Load().sc},
				{"client_sc_address", cl.ClientSCAddress, clientSC},
				{"worker_sc_address", wk.WorkerSCAddress, workerSC},
				{"proxy_sc_address to workers", wk.Params.ProxySCAddress, p.inst.Load().sc},
			} {
				a, err := address.ParseAddr(c.got)
				if err != nil || !a.Equals(c.want) {
					t.Errorf("%s %q is not %s: %v", c.what, c.got, c.want, err)
				}
				if tag := addrTag(t, c.got); tag != tc.tag {
					t.Errorf("%s %q has tag %#x, want %#x", c.what, c.got, tag, tc.tag)
				}
			}
		})
	}
}
