package devnet

import (
	"context"
	"errors"
	"testing"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// chainReader reads a devnet's accounts and contracts from its emulated
// chain, failing the test on any error.
type chainReader struct {
	tb testing.TB
	n  *Network
}

func (r chainReader) account(a *address.Address) (ton.Account, bool) {
	r.tb.Helper()
	acc, err := r.n.Chain.Account(context.Background(), a)
	if errors.Is(err, ton.ErrNotFound) {
		return ton.Account{}, false
	}
	if err != nil {
		r.tb.Fatalf("reading %s: %v", a, err)
	}
	return acc, true
}

// balance is a's balance, zero when it does not exist.
func (r chainReader) balance(a *address.Address) billing.NanoTON {
	r.tb.Helper()
	acc, _ := r.account(a)
	return acc.Balance
}

// contractAt reads the contract at a with parse; ok is false until it is
// deployed.
func contractAt[D any](r chainReader, a *address.Address, parse func(*cell.Cell) (D, error)) (d D, ok bool) {
	r.tb.Helper()
	acc, ok := r.account(a)
	if !ok || acc.Status != ton.StatusActive {
		return d, false
	}
	d, err := parse(acc.Data)
	if err != nil {
		r.tb.Fatal(err)
	}
	return d, true
}

// client reads the client contract; ok is false until it is deployed.
func (r chainReader) client() (contracts.ClientData, bool) {
	r.tb.Helper()
	return contractAt(r, r.n.Addresses.ClientContract, contracts.ParseClientData)
}

// worker reads worker i's contract; ok is false until it is deployed.
func (r chainReader) worker(i int) (contracts.WorkerData, bool) {
	r.tb.Helper()
	return contractAt(r, r.n.Addresses.WorkerContracts[i], contracts.ParseWorkerData)
}

// proxy reads the proxy contract; ok is false until it is deployed.
func (r chainReader) proxy() (contracts.ProxyData, bool) {
	r.tb.Helper()
	return contractAt(r, r.n.Addresses.ProxyContract, contracts.ParseProxyData)
}

// txs lists every transaction of a after afterLT, oldest first.
func (r chainReader) txs(a *address.Address, afterLT uint64) []ton.Tx {
	r.tb.Helper()
	var out []ton.Tx
	for {
		page, err := r.n.Chain.Transactions(context.Background(), a, afterLT, 100)
		if errors.Is(err, ton.ErrNotFound) {
			return out
		}
		if err != nil {
			r.tb.Fatalf("listing the transactions of %s: %v", a, err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		afterLT = page[len(page)-1].LT
	}
}

// lastLT is the logical time of a's last transaction (0 for none).
func (r chainReader) lastLT(a *address.Address) uint64 {
	r.tb.Helper()
	acc, _ := r.account(a)
	return acc.LastLT
}

// The two standard replies of the COCOON contracts: excesses and payout.
const (
	opExcesses uint64 = 0x2565934c
	opPayout   uint64 = 0xc59a7cd3
)

// flows sums what an account's transactions moved: the value of the
// inbound messages (received: payouts from peer, excesses from anyone,
// and other), the value and forwarding fees of the outbound ones (sent),
// and the fees the account paid. For every account,
//
//	balance after − balance before = received − sent − fees
//
// exactly: that is TON's bookkeeping, which the tests check before they
// read anything from the parts.
type flows struct {
	received, sent, fees     billing.NanoTON
	payouts, excesses, other billing.NanoTON
}

func (r chainReader) flows(txs []ton.Tx, peer *address.Address) flows {
	r.tb.Helper()
	var f flows
	for _, tx := range txs {
		f.fees += tx.TotalFees
		if tx.In != nil && tx.In.Kind == ton.Internal {
			f.received += tx.In.Value
			op := uint64(0)
			if s, err := tx.In.Body.BeginParse(); err == nil && s.BitsLeft() >= 32 {
				op, _ = s.LoadUInt(32)
			}
			switch {
			case op == opPayout && tx.In.Src.StringRaw() == peer.StringRaw():
				f.payouts += tx.In.Value
			case op == opExcesses:
				f.excesses += tx.In.Value
			default:
				f.other += tx.In.Value
			}
		}
		if tx.Raw.IO.Out == nil {
			continue
		}
		out, err := tx.Raw.IO.Out.ToSlice()
		if err != nil {
			r.tb.Fatal(err)
		}
		for _, m := range out {
			im, ok := m.Msg.(*tlb.InternalMessage)
			if !ok {
				continue
			}
			for _, c := range []tlb.Coins{im.Amount, im.FwdFee, im.IHRFee} {
				v, err := ton.Nano(c)
				if err != nil {
					r.tb.Fatal(err)
				}
				f.sent += v
			}
		}
	}
	return f
}

// deposits sums the top-ups a client contract passed on to its proxy: the
// amounts of its top-up reports (the reports a client contract sends its
// proxy after every op).
func (r chainReader) deposits(client *address.Address) billing.NanoTON {
	r.tb.Helper()
	var sum billing.NanoTON
	for _, tx := range r.txs(client, 0) {
		for _, m := range tx.Out {
			rep, err := contracts.ParseClientReport(m.Body)
			if err != nil || rep.Kind != contracts.OpClientProxyTopUp {
				continue
			}
			sum += rep.Amount
		}
	}
	return sum
}
