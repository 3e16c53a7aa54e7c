package payment

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/tl/tltest"
)

// refProxySeed is the signing key of the reference's proxy in the
// captures: the throwaway APP_KEY its scripts/cocoon-launch --local-all
// gives the proxy (its machine_specific_private_key), whose public key is
// the proxy_public_key of b-0001 and d-0001.
const refProxySeed = "ml+7xELuOQtfp9q9mSWtHiSWx5aSBV6p3xCfwPmHOwY="

// report is what one payment report of the reference's proxy carries.
type report struct {
	sp      tl.ProxySignedPaymentT
	db, max int64
}

// reportOf returns the payment report of a reference message.
func reportOf(t *testing.T, name string) report {
	t.Helper()
	switch m := tltest.Reference(t, name).(type) {
	case *tl.ClientConnectedToProxy:
		return report{sp: m.SignedPayment}
	case *tl.ClientAuthorizationWithProxySuccess:
		return report{m.SignedPayment, m.TokensCommittedToDB, m.MaxTokens}
	case *tl.ClientPaymentStatus:
		return report{m.SignedPayment, m.DBTokens, m.MaxTokens}
	case *tl.ProxyClientRequestPayment:
		return report{m.SignedPayment, m.DBTokens, m.MaxTokens}
	case *tl.WorkerCompareBalanceWithProxyResult:
		return report{m.SignedPayment, m.TokensCommittedToDB, m.MaxTokens}
	case *tl.WorkerPaymentStatus:
		return report{m.SignedPayment, m.DBTokens, m.MaxTokens}
	case *tl.ProxyWorkerRequestPayment:
		return report{m.SignedPayment, m.DBTokens, m.MaxTokens}
	case *tl.ProxyRunQueryEx:
		return report{sp: m.SignedPayment, db: -1}
	default:
		t.Fatalf("%s: %T carries no payment report", name, m)
	}
	return report{}
}

func bocOf(sp tl.ProxySignedPaymentT) []byte {
	if s, ok := sp.(*tl.ProxySignedPayment); ok {
		return s.Data
	}
	return nil
}

// TestInteropReferencePayments decodes every signed payment the
// reference's proxy sent (the 22 .boc files, each the BoC inside its
// .bin): each parses, bears the op, target and signature its holder
// checks, and sends its excess to an addr_std. Our signer, given the
// reference proxy's key and the same fields, builds the same cells with
// the same signature: the payment layout is the reference's. The BoCs
// differ only in their flags (the reference's has no CRC32C, ours one), and
// each side parses the other's.
func TestInteropReferencePayments(t *testing.T) {
	seed, err := base64.StdEncoding.DecodeString(refProxySeed)
	if err != nil {
		t.Fatal(err)
	}
	key := ed25519.NewKeyFromSeed(seed)
	connected := tltest.Reference(t, "b-client-proxy-0001-client.connectedToProxy.bin").(*tl.ClientConnectedToProxy)
	workerConnected := tltest.Reference(t, "d-worker-proxy-0001-worker.connectedToProxy.bin").(*tl.WorkerConnectedToProxy)
	pub := ed25519.PublicKey(connected.Params.ProxyPublicKey[:])
	if !pub.Equal(key.Public()) {
		t.Fatalf("the launch script's proxy key is not the one the reference's proxy announced")
	}
	targets := map[string]struct {
		op     Op
		target *address.Address
	}{
		"b": {OpClientCharge, address.MustParseAddr(connected.ClientSCAddress)},
		"d": {OpWorkerPayout, address.MustParseAddr(workerConnected.WorkerSCAddress)},
	}
	files, err := filepath.Glob(filepath.Join(sharedtest.Path(t, "testdata/reference"), "*.boc"))
	if err != nil || len(files) != 22 {
		t.Fatalf("found %d reference payments (%v), want 22", len(files), err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			boc, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if carried := bocOf(reportOf(t, strings.TrimSuffix(name, ".boc")+".bin").sp); !bytes.Equal(carried, boc) {
				t.Fatalf("%s is not the BoC its .bin carries", name)
			}
			if len(boc) != 180 || !bytes.HasPrefix(boc, []byte{0xb5, 0xee, 0x9c, 0x72, 0x01}) {
				t.Errorf("BoC of %d bytes with header % x, want the reference's 180 bytes without CRC32C", len(boc), boc[:5])
			}
			p, err := Parse(boc)
			if err != nil {
				t.Fatal(err)
			}
			want := targets[name[:1]]
			if err := p.Verify(pub, want.op, want.target); err != nil {
				t.Fatal(err)
			}
			if p.ExcessTo.Type() != address.StdAddress || p.ExcessTo.Equals(p.Target) {
				t.Errorf("excess address %v, want an addr_std other than the target", p.ExcessTo)
			}
			ours, err := Sign(key, p.Op, p.QueryID, p.Tokens, p.Target, p.ExcessTo)
			if err != nil {
				t.Fatal(err)
			}
			if ours.Signature != p.Signature {
				t.Error("our signature of the same payment differs from the reference's")
			}
			root, err := cell.FromBOC(boc)
			if err != nil {
				t.Fatal(err)
			}
			ourCell, err := ours.Cell()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ourCell.Hash(), root.Hash()) {
				t.Error("our cells of the same payment differ from the reference's")
			}
			ourBOC, err := ours.BOC()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse(ourBOC)
			if err != nil || back.Op != p.Op || back.QueryID != p.QueryID || back.Tokens != p.Tokens || back.Signature != p.Signature ||
				!back.Target.Equals(p.Target) || !back.ExcessTo.Equals(p.ExcessTo) {
				t.Errorf("our BoC parses to %+v, %v; want the reference's payment", back, err)
			}
		})
	}
}

// TestInteropPaymentReports runs every payment report the reference's
// proxy sent a client (scenario b) and a worker (scenario d), in order,
// through the tracker our client and worker keep: all are accepted,
// proxy.signedPaymentEmpty included, and the signed count ends at the 268
// tokens the reference committed, lagging its database's count on the way
// (b-0019, d-0012).
func TestInteropPaymentReports(t *testing.T) {
	connected := tltest.Reference(t, "b-client-proxy-0001-client.connectedToProxy.bin").(*tl.ClientConnectedToProxy)
	workerConnected := tltest.Reference(t, "d-worker-proxy-0001-worker.connectedToProxy.bin").(*tl.WorkerConnectedToProxy)
	pub := ed25519.PublicKey(connected.Params.ProxyPublicKey[:])
	for _, tc := range []struct {
		name    string
		target  string
		ops     []Op
		reports []string
	}{
		{"client", connected.ClientSCAddress, []Op{OpClientCharge, OpClientGrantRefund}, []string{
			"b-client-proxy-0001-client.connectedToProxy.bin", "b-client-proxy-0002-client.authorizationWithProxySuccess.bin",
			"b-client-proxy-0004-client.paymentStatus.bin", "b-client-proxy-0012-proxy.clientRequestPayment.bin",
			"b-client-proxy-0015-proxy.clientRequestPayment.bin", "b-client-proxy-0018-proxy.clientRequestPayment.bin",
			"b-client-proxy-0019-client.paymentStatus.bin", "b-client-proxy-0021-client.paymentStatus.bin",
			"b-client-proxy-0028-proxy.clientRequestPayment.bin", "b-client-proxy-0029-client.paymentStatus.bin"}},
		{"worker", workerConnected.WorkerSCAddress, []Op{OpWorkerPayout, OpWorkerLastPayout}, []string{
			"d-worker-proxy-0002-worker.compareBalanceWithProxyResult.bin", "d-worker-proxy-0005-worker.paymentStatus.bin",
			"d-worker-proxy-0006-proxy.runQueryEx.bin", "d-worker-proxy-0007-proxy.workerRequestPayment.bin",
			"d-worker-proxy-0008-proxy.runQueryEx.bin", "d-worker-proxy-0009-proxy.workerRequestPayment.bin",
			"d-worker-proxy-0010-proxy.runQueryEx.bin", "d-worker-proxy-0011-proxy.workerRequestPayment.bin",
			"d-worker-proxy-0012-worker.paymentStatus.bin", "d-worker-proxy-0014-worker.paymentStatus.bin",
			"d-worker-proxy-0019-proxy.runQueryEx.bin", "d-worker-proxy-0020-proxy.workerRequestPayment.bin",
			"d-worker-proxy-0021-worker.paymentStatus.bin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := NewTracker(pub, address.MustParseAddr(tc.target), tc.ops...)
			if err != nil {
				t.Fatal(err)
			}
			lagged := false
			for _, name := range tc.reports {
				r := reportOf(t, name)
				f := tr.Figures()
				if r.db < 0 { // proxy.runQueryEx: a payment without figures
					r.db, r.max = f.DB, f.Max
				}
				if err := tr.Update(bocOf(r.sp), r.db, r.max); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if f := tr.Figures(); f.Signed < f.DB {
					lagged = true
				}
			}
			if f := tr.Figures(); f.Signed != 268 || !lagged {
				t.Errorf("figures %+v, lagged %v: want 268 signed in the end, lagging the database's count on the way", f, lagged)
			}
		})
	}
}
