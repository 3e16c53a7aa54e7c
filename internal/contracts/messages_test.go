package contracts

import (
	"reflect"
	"testing"

	"github.com/xssnick/tonutils-go/tvm/cell"
)

func sampleReports() []ClientReport {
	state := ClientState{State: StateClosing, Balance: 5, Stake: 6, TokensUsed: 7, SecretHash: hashOf(8)}
	return []ClientReport{
		{QueryID: 1, Owner: addr(1), State: state},
		{QueryID: 2, Owner: addr(1), State: state, Kind: OpClientProxyTopUp, Amount: 9, ExcessTo: addr(2)},
		{QueryID: 3, Owner: addr(1), State: state, Kind: OpClientProxyRegister, Nonce: 0xfeedface},
		{QueryID: 4, Owner: addr(1), State: state, Kind: OpClientProxyRefundGranted, Amount: 10, ExcessTo: addr(3)},
		{QueryID: 5, Owner: addr(1), State: state, Kind: OpClientProxyRefundForce, Amount: 11, ExcessTo: addr(4)},
	}
}

func sampleWorkerReports() []WorkerReport {
	return []WorkerReport{
		{QueryID: 1, Owner: addr(5), State: StateNormal, Tokens: 0},
		{QueryID: 2, Owner: addr(5), State: StateClosed, Tokens: 1000, Payout: &WorkerPayout{WorkerPart: 3, ProxyPart: 4, ExcessTo: addr(6)}},
	}
}

func TestReportsRoundTrip(t *testing.T) {
	for _, want := range sampleReports() {
		got := reparse(t, want, ParseClientReport)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("client report\n got %+v\nwant %+v", got, want)
		}
	}
	for _, want := range sampleWorkerReports() {
		got := reparse(t, want, ParseWorkerReport)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("worker report\n got %+v\nwant %+v", got, want)
		}
	}
}

func TestReportErrors(t *testing.T) {
	unknown := cell.BeginCell().MustStoreUInt(0x12345678, 32).EndCell()
	state := cell.BeginCell().MustStoreUInt(0, 2).MustStoreCoins(0).MustStoreCoins(0).MustStoreUInt(0, 64).MustStoreSlice(make([]byte, 32), 256).EndCell()
	withPayload := func(p *cell.Cell) *cell.Cell {
		return cell.BeginCell().MustStoreUInt(uint64(OpClientProxyRequest), 32).MustStoreUInt(0, 64).MustStoreAddr(addr(1)).
			MustStoreRef(state).MustStoreMaybeRef(p).EndCell()
	}
	testErrors(t, []errorCase{
		{"client report with another op", func() error {
			_, err := ParseClientReport(cell.BeginCell().MustStoreUInt(1, 32).EndCell())
			return err
		}, "want 0x65448ff4"},
		{"client report with unknown payload", func() error { _, err := ParseClientReport(withPayload(unknown)); return err }, "unknown client report payload"},
		{"register without nonce", func() error {
			_, err := ParseClientReport(withPayload(cell.BeginCell().MustStoreUInt(uint64(OpClientProxyRegister), 32).EndCell()))
			return err
		}, "reading client report"},
		{"worker report with another op", func() error {
			_, err := ParseWorkerReport(cell.BeginCell().MustStoreUInt(1, 32).EndCell())
			return err
		}, "want 0x4d725d2c"},
	})
}

func FuzzParseClientReport(f *testing.F) {
	for _, r := range sampleReports() {
		seedBOC(f, r.Cell)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		roundTrip(t, raw, ParseClientReport, ClientReport.Cell, func(a, b ClientReport) bool { return reflect.DeepEqual(a, b) })
	})
}

func FuzzParseWorkerReport(f *testing.F) {
	for _, r := range sampleWorkerReports() {
		seedBOC(f, r.Cell)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		roundTrip(t, raw, ParseWorkerReport, WorkerReport.Cell, func(a, b WorkerReport) bool { return reflect.DeepEqual(a, b) })
	})
}
