package contracts

import (
	"fmt"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
)

// ClientState is the state a client contract reports (without unlock_ts).
type ClientState struct {
	State      uint8
	Balance    billing.NanoTON
	Stake      billing.NanoTON
	TokensUsed uint64
	SecretHash Hash
}

// ClientReport is a client_proxy_request: the body of every message a
// client contract sends its proxy. The off-chain proxy follows its
// clients through these, as the reference's proxy does (it reads the
// register nonce and the whole state cell from them).
type ClientReport struct {
	QueryID uint64
	Owner   *address.Address
	State   ClientState
	// Kind is 0 for a report without payload, else one of OpClientProxyTopUp,
	// OpClientProxyRegister, OpClientProxyRefundGranted, OpClientProxyRefundForce.
	Kind Op
	// Amount is the top-up or refund (top-up, refund kinds).
	Amount billing.NanoTON
	// ExcessTo receives the excess (top-up, refund kinds).
	ExcessTo *address.Address
	// Nonce is the long-auth nonce (register kind).
	Nonce uint64
}

// ParseClientReport reads a client_proxy_request body.
func ParseClientReport(body *cell.Cell) (ClientReport, error) {
	var r ClientReport
	err := parseCell(body, func(rd *reader) {
		if op := Op(rd.uint(32)); rd.err == nil && op != OpClientProxyRequest {
			rd.err = fmt.Errorf("op %#x, want %#x", uint32(op), uint32(OpClientProxyRequest))
			return
		}
		r.QueryID = rd.uint(64)
		r.Owner = rd.addr()
		state := rd.ref()
		payload := rd.maybeRef()
		if rd.err != nil {
			return
		}
		rd.err = parseCell(state, func(s *reader) {
			r.State.State = uint8(s.uint(2))
			r.State.Balance = s.coins()
			r.State.Stake = s.coins()
			r.State.TokensUsed = s.uint(64)
			copy(r.State.SecretHash[:], s.bytes(32))
		})
		if rd.err != nil || payload == nil {
			return
		}
		rd.err = parseCell(payload, func(p *reader) {
			r.Kind = Op(p.uint(32))
			switch r.Kind {
			case OpClientProxyTopUp, OpClientProxyRefundGranted, OpClientProxyRefundForce:
				r.Amount = p.coins()
				r.ExcessTo = p.addr()
			case OpClientProxyRegister:
				r.Nonce = p.uint(64)
			default:
				if p.err == nil {
					p.err = fmt.Errorf("unknown client report payload %#x", uint32(r.Kind))
				}
			}
		})
	})
	if err != nil {
		return ClientReport{}, fmt.Errorf("reading client report: %w", err)
	}
	return r, nil
}

// Cell encodes the report as a client contract sends it.
func (r ClientReport) Cell() (*cell.Cell, error) {
	sb := cell.BeginCell()
	sw := writer{b: sb}
	sw.uint(uint64(r.State.State), 2)
	sw.coins(r.State.Balance)
	sw.coins(r.State.Stake)
	sw.uint(r.State.TokensUsed, 64)
	sw.slice(r.State.SecretHash[:], 256)
	if sw.err != nil {
		return nil, fmt.Errorf("encoding client report: %w", sw.err)
	}
	var payload *cell.Cell
	if r.Kind != 0 {
		pb := cell.BeginCell()
		pw := writer{b: pb}
		pw.uint(uint64(r.Kind), 32)
		switch r.Kind {
		case OpClientProxyTopUp, OpClientProxyRefundGranted, OpClientProxyRefundForce:
			pw.coins(r.Amount)
			pw.addr(r.ExcessTo)
		case OpClientProxyRegister:
			pw.uint(r.Nonce, 64)
		default:
			return nil, fmt.Errorf("encoding client report: unknown payload %#x", uint32(r.Kind))
		}
		if pw.err != nil {
			return nil, fmt.Errorf("encoding client report: %w", pw.err)
		}
		payload = pb.EndCell()
	}
	b := cell.BeginCell()
	w := writer{b: b}
	w.uint(uint64(OpClientProxyRequest), 32)
	w.uint(r.QueryID, 64)
	w.addr(r.Owner)
	w.ref(sb.EndCell())
	w.maybeRef(payload)
	if w.err != nil {
		return nil, fmt.Errorf("encoding client report: %w", w.err)
	}
	return b.EndCell(), nil
}

// WorkerReport is a worker_proxy_request: the register notice (no
// payout) or a payout request.
type WorkerReport struct {
	QueryID uint64
	Owner   *address.Address
	State   uint8
	// Tokens is the worker's signed token count after the request.
	Tokens uint64
	// Payout is nil for the register notice.
	Payout *WorkerPayout
}

// WorkerPayout is the payout request inside a worker report.
type WorkerPayout struct {
	WorkerPart, ProxyPart billing.NanoTON
	ExcessTo              *address.Address
}

// ParseWorkerReport reads a worker_proxy_request body.
func ParseWorkerReport(body *cell.Cell) (WorkerReport, error) {
	var r WorkerReport
	err := parseCell(body, func(rd *reader) {
		if op := Op(rd.uint(32)); rd.err == nil && op != OpWorkerProxyRequest {
			rd.err = fmt.Errorf("op %#x, want %#x", uint32(op), uint32(OpWorkerProxyRequest))
			return
		}
		r.QueryID = rd.uint(64)
		r.Owner = rd.addr()
		r.State = uint8(rd.uint(2))
		r.Tokens = rd.uint(64)
		payload := rd.maybeRef()
		if rd.err != nil || payload == nil {
			return
		}
		var p WorkerPayout
		rd.err = parseCell(payload, func(pr *reader) {
			if op := Op(pr.uint(32)); pr.err == nil && op != OpWorkerProxyPayoutRequest {
				pr.err = fmt.Errorf("worker payload op %#x, want %#x", uint32(op), uint32(OpWorkerProxyPayoutRequest))
				return
			}
			p.WorkerPart = pr.coins()
			p.ProxyPart = pr.coins()
			p.ExcessTo = pr.addr()
		})
		r.Payout = &p
	})
	if err != nil {
		return WorkerReport{}, fmt.Errorf("reading worker report: %w", err)
	}
	return r, nil
}

// Cell encodes the report as a worker contract sends it.
func (r WorkerReport) Cell() (*cell.Cell, error) {
	var payload *cell.Cell
	if r.Payout != nil {
		pb := cell.BeginCell()
		pw := writer{b: pb}
		pw.uint(uint64(OpWorkerProxyPayoutRequest), 32)
		pw.coins(r.Payout.WorkerPart)
		pw.coins(r.Payout.ProxyPart)
		pw.addr(r.Payout.ExcessTo)
		if pw.err != nil {
			return nil, fmt.Errorf("encoding worker report: %w", pw.err)
		}
		payload = pb.EndCell()
	}
	b := cell.BeginCell()
	w := writer{b: b}
	w.uint(uint64(OpWorkerProxyRequest), 32)
	w.uint(r.QueryID, 64)
	w.addr(r.Owner)
	w.uint(uint64(r.State), 2)
	w.uint(r.Tokens, 64)
	w.maybeRef(payload)
	if w.err != nil {
		return nil, fmt.Errorf("encoding worker report: %w", w.err)
	}
	return b.EndCell(), nil
}

// body builds op, query_id and the fields fill writes.
func body(op Op, queryID uint64, fill func(w *writer)) (*cell.Cell, error) {
	b := cell.BeginCell()
	w := writer{b: b}
	w.uint(uint64(op), 32)
	w.uint(queryID, 64)
	fill(&w)
	if w.err != nil {
		return nil, fmt.Errorf("building message %#x: %w", uint32(op), w.err)
	}
	return b.EndCell(), nil
}

// ClientTopUpBody builds ext_client_top_up (anyone may send it; attach
// amount plus at least 0.1 TON).
func ClientTopUpBody(queryID uint64, amount billing.NanoTON, excessTo *address.Address) (*cell.Cell, error) {
	return body(OpExtClientTopUp, queryID, func(w *writer) { w.coins(amount); w.addr(excessTo) })
}

// ClientSecretAndTopUpBody builds owner_client_change_secret_hash_and_top_up.
func ClientSecretAndTopUpBody(queryID uint64, amount billing.NanoTON, secretHash Hash, excessTo *address.Address) (*cell.Cell, error) {
	return body(OpOwnerClientChangeSecretHashAndTopUp, queryID, func(w *writer) { w.coins(amount); w.slice(secretHash[:], 256); w.addr(excessTo) })
}

// ClientRegisterBody builds owner_client_register with the long-auth nonce.
func ClientRegisterBody(queryID, nonce uint64, excessTo *address.Address) (*cell.Cell, error) {
	return body(OpOwnerClientRegister, queryID, func(w *writer) { w.uint(nonce, 64); w.addr(excessTo) })
}

// ClientChangeSecretBody builds owner_client_change_secret_hash.
func ClientChangeSecretBody(queryID uint64, secretHash Hash, excessTo *address.Address) (*cell.Cell, error) {
	return body(OpOwnerClientChangeSecretHash, queryID, func(w *writer) { w.slice(secretHash[:], 256); w.addr(excessTo) })
}

// ClientWithdrawBody builds owner_client_withdraw.
func ClientWithdrawBody(queryID uint64, excessTo *address.Address) (*cell.Cell, error) {
	return body(OpOwnerClientWithdraw, queryID, func(w *writer) { w.addr(excessTo) })
}

// ClientRequestRefundBody builds owner_client_request_refund.
func ClientRequestRefundBody(queryID uint64, excessTo *address.Address) (*cell.Cell, error) {
	return body(OpOwnerClientRequestRefund, queryID, func(w *writer) { w.addr(excessTo) })
}

// ProxyPayoutRequestBody builds ext_proxy_payout_request: pay the
// operator's earnings to the proxy owner.
func ProxyPayoutRequestBody(queryID uint64, excessTo *address.Address) (*cell.Cell, error) {
	return body(OpExtProxyPayoutRequest, queryID, func(w *writer) { w.addr(excessTo) })
}

// ProxyIncreaseStakeBody builds ext_proxy_increase_stake (attach grams
// plus at least 0.1 TON).
func ProxyIncreaseStakeBody(queryID uint64, grams billing.NanoTON, excessTo *address.Address) (*cell.Cell, error) {
	return body(OpExtProxyIncreaseStake, queryID, func(w *writer) { w.coins(grams); w.addr(excessTo) })
}
