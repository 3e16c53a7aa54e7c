package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"
	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// TopUpGas is what a top-up carries above the amount it adds: the gas the
// client itself attaches to its contract ops. The contract needs the
// amount plus 0.1 TON; what it does not spend returns to the contract's
// owner as excesses.
const TopUpGas = onchain.ClientOpGas

// tonConnectValidity is how long the TON Connect request shown stays valid.
const tonConnectValidity = 10 * time.Minute

// TopUp is a top-up of one client contract as a wallet sends it: an
// internal message to the contract carrying amount plus TopUpGas with an
// ext_client_top_up body whose excesses go to the contract's owner (the
// contract credits the amount and passes the rest through its proxy,
// which returns it as excesses).
type TopUp struct {
	Contract string          `json:"contract"`
	Amount   billing.NanoTON `json:"amount_ton"`
	// Value is what the wallet sends: Amount plus TopUpGas.
	Value billing.NanoTON `json:"value_ton"`
	// Payload is the message body as a base64 (standard) bag of cells.
	Payload string `json:"payload"`
	// Link is the ton://transfer link every TON wallet opens, QR its QR
	// code as a PNG data URL, TonConnect the sendTransaction request a
	// TON Connect wallet would be asked to sign, as JSON.
	Link       string `json:"link"`
	QR         string `json:"qr"`
	TonConnect string `json:"ton_connect"`
}

// newTopUp builds the top-up of contract for amount, with excesses to
// owner.
func newTopUp(contract, owner *address.Address, amount billing.NanoTON, queryID uint64, now time.Time) (TopUp, error) {
	if amount <= 0 {
		return TopUp{}, fmt.Errorf("building a top-up: amount %s TON, want positive", amount)
	}
	value, err := amount.Add(TopUpGas)
	if err != nil {
		return TopUp{}, fmt.Errorf("building a top-up: %w", err)
	}
	body, err := contracts.ClientTopUpBody(queryID, amount, owner)
	if err != nil {
		return TopUp{}, fmt.Errorf("building a top-up: %w", err)
	}
	payload := base64.StdEncoding.EncodeToString(body.ToBOC())
	t := TopUp{Contract: contract.String(), Amount: amount, Value: value, Payload: payload}
	// Wallets read bin as URL-encoded base64 of the body's bag of cells
	// (the Tonkeeper and Tonhub transfer-link formats).
	t.Link = fmt.Sprintf("ton://transfer/%s?amount=%d&bin=%s", contract.String(), int64(value), url.QueryEscape(payload))
	png, err := qrcode.Encode(t.Link, qrcode.Medium, 320)
	if err != nil {
		return TopUp{}, fmt.Errorf("drawing the top-up's QR code: %w", err)
	}
	t.QR = "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	req := struct {
		ValidUntil int64 `json:"validUntil"`
		Messages   []struct {
			Address string `json:"address"`
			Amount  string `json:"amount"`
			Payload string `json:"payload"`
		} `json:"messages"`
	}{ValidUntil: now.Add(tonConnectValidity).Unix()}
	req.Messages = append(req.Messages, struct {
		Address string `json:"address"`
		Amount  string `json:"amount"`
		Payload string `json:"payload"`
	}{contract.String(), fmt.Sprint(int64(value)), payload})
	b, _ := json.MarshalIndent(req, "", "  ") // a plain struct always marshals
	t.TonConnect = string(b)
	return t, nil
}

// WalletContract is one client contract on the wallet page.
type WalletContract struct {
	Address string `json:"address"`
	// Proxy is the proxy's client endpoint, ProxyContract its contract.
	Proxy         string `json:"proxy"`
	ProxyContract string `json:"proxy_contract"`
	Owner         string `json:"owner"`
	// Phase is the client's view of the contract: running,
	// refund-requested or closed.
	Phase string `json:"phase"`
	// Read is whether the chain was read; the figures below are the
	// client's last read otherwise.
	Read       bool            `json:"read"`
	Status     ton.Status      `json:"status"`
	State      int             `json:"state"`
	Credit     billing.NanoTON `json:"credit_ton"`
	Stake      billing.NanoTON `json:"stake_ton"`
	TokensUsed uint64          `json:"tokens_used"`
	UnlockTS   uint32          `json:"unlock_ts"`
	// Account is the TON the contract account holds itself.
	Account billing.NanoTON `json:"account_ton"`
	Price   billing.NanoTON `json:"price_per_token_ton"`
	// Spent is what the tokens used cost at the contract's price.
	Spent   billing.NanoTON `json:"spent_ton"`
	TopUp   *TopUp          `json:"top_up,omitempty"`
	History []Point         `json:"history"`
	Error   string          `json:"error,omitempty"`
}

// Point is the contract's credit and spending as one report on chain
// showed them.
type Point struct {
	At     int64           `json:"t"`
	Credit billing.NanoTON `json:"credit_ton"`
	// Spent is the tokens used since the first report kept, at the
	// contract's price.
	Spent billing.NanoTON `json:"spent_ton"`
	What  string          `json:"what"`
}

// Wallet is the wallet page's model.
type Wallet struct {
	Contracts []WalletContract `json:"contracts"`
	// TopUpAmount is the amount the top-ups are built for.
	TopUpAmount billing.NanoTON `json:"top_up_amount_ton"`
	NoChain     bool            `json:"no_chain"`
	// Reopen is whether the client serves POST /control/open.
	Reopen bool `json:"reopen"`
}

// wallet reads the client's contracts and builds their top-ups for
// amount (zero: each contract's stake).
func (s *Site) wallet(ctx context.Context, amount billing.NanoTON) Wallet {
	snap := s.client.Snapshot()
	w := Wallet{Contracts: []WalletContract{}, TopUpAmount: amount, NoChain: s.chain == nil, Reopen: s.reopen}
	proxyOf := map[string]string{}
	for _, a := range snap.Accounts {
		proxyOf[a.ClientSCAddress] = a.ProxySCAddress
	}
	for _, c := range snap.Contracts {
		wc := WalletContract{Address: c.Address, Proxy: c.Proxy, ProxyContract: proxyOf[c.Address], Phase: string(c.Phase),
			State: c.State, Credit: billing.NanoTON(c.BalanceNano), Stake: billing.NanoTON(c.StakeNano), TokensUsed: uint64(c.TokensUsed),
			History: []Point{}}
		if s.chain != nil {
			s.readClient(ctx, &wc, amount)
		}
		w.Contracts = append(w.Contracts, wc)
	}
	return w
}

// readClient fills wc from the chain: the contract, its reports over
// time and its top-up.
func (s *Site) readClient(ctx context.Context, wc *WalletContract, amount billing.NanoTON) {
	addr := parseAddr(wc.Address)
	if addr == nil {
		wc.Error = "not a TON address"
		return
	}
	acc, err := s.chain.Account(ctx, addr)
	if err != nil {
		wc.Error = fmt.Sprintf("reading the contract: %v", err)
		return
	}
	wc.Status, wc.Account = acc.Status, acc.Balance
	if acc.Data == nil {
		wc.Error = fmt.Sprintf("the contract is %s: the client deploys it on its first connection", acc.Status)
		return
	}
	d, err := contracts.ParseClientData(acc.Data)
	if err != nil {
		wc.Error = fmt.Sprintf("reading the contract: %v", err)
		return
	}
	wc.Read = true
	wc.State, wc.Credit, wc.Stake, wc.TokensUsed, wc.UnlockTS = int(d.State), d.Balance, d.Stake, d.TokensUsed, d.UnlockTS
	wc.Owner, wc.ProxyContract, wc.Price = d.Owner.String(), d.Proxy.String(), d.Params.PricePerToken
	if spent, err := d.Params.PricePerToken.Mul(int64(d.TokensUsed)); err == nil {
		wc.Spent = spent
	}
	h := s.explorer.ledger.refresh(ctx, addr)
	if h.err != nil {
		wc.Error = h.err.Error()
	}
	var first *uint64
	for _, ev := range h.events {
		if ev.Client == nil || ev.From == nil || !ev.From.Equals(addr) {
			continue
		}
		if first == nil {
			t := ev.Client.State.TokensUsed
			first = &t
		}
		spent, err := d.Params.PricePerToken.Mul(int64(ev.Client.State.TokensUsed - *first))
		if err != nil {
			continue
		}
		wc.History = append(wc.History, Point{At: ev.At.Unix(), Credit: ev.Client.State.Balance, Spent: spent, What: reportName(ev.Client)})
	}
	if d.State == contracts.StateClosed {
		return
	}
	if amount <= 0 {
		amount = max(d.Stake, billing.TON)
	}
	t, err := newTopUp(addr, d.Owner, amount, uint64(s.now().UnixNano()), s.now())
	if err != nil {
		wc.Error = err.Error()
		return
	}
	wc.TopUp = &t
}

// reportName names what a client report tells its proxy.
func reportName(r *contracts.ClientReport) string {
	switch r.Kind {
	case contracts.OpClientProxyTopUp:
		return "top-up of " + r.Amount.String() + " TON"
	case contracts.OpClientProxyRegister:
		return "registration"
	case contracts.OpClientProxyRefundGranted:
		return "refund of " + r.Amount.String() + " TON"
	case contracts.OpClientProxyRefundForce:
		return "forced refund of " + r.Amount.String() + " TON"
	}
	return "charge or state change"
}

// walletPage renders the wallet page's model for a template.
type walletPage struct {
	Wallet
	Amount string
}

// parseAmount reads the top-up amount of the wallet page's form; empty
// means each contract's stake.
func parseAmount(s string) (billing.NanoTON, error) {
	if s == "" {
		return 0, nil
	}
	n, err := billing.ParseTON(s)
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, fmt.Errorf("top-up amount %s TON: want a positive amount", s)
	}
	return n, nil
}

// qrHTML marks a QR code's data URL, which newTopUp built, as safe for
// an img src; anything else is refused.
func qrHTML(s string) template.URL {
	if !strings.HasPrefix(s, "data:image/png;base64,") {
		return "#"
	}
	return template.URL(s)
}

// tonLink marks a ton://transfer link, which newTopUp built, as safe for
// an href (html/template refuses schemes it does not know); anything else
// is refused.
func tonLink(s string) template.URL {
	if !strings.HasPrefix(s, "ton://transfer/") {
		return "#"
	}
	return template.URL(s)
}
