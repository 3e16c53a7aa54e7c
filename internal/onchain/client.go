package onchain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// ClientConfig configures a Client.
type ClientConfig struct {
	// Chain is the TON chain; Root the network's root contract.
	Chain ton.Chain
	Root  *address.Address
	// Wallet is the client's cocoon wallet: the owner of its contracts
	// of generation 0, and what funds its subwallets, which own those of
	// later generations.
	Wallet *Wallet
	// Logger; nil discards.
	Logger *slog.Logger
}

// Client is one client's view of TON (client.Chain): its contracts at
// each proxy. Those of generation 0 are owned and operated by its cocoon
// wallet; those of generation g by the wallet's subwallet g (same key and
// owner), which the wallet funds for the operations only an owner may
// send and to which the contracts' refunds go, and which passes those on
// to the wallet (Reclaim). Top-ups and charges, which anyone may send,
// go from the wallet.
type Client struct {
	net    *network
	wallet *Wallet
	log    *slog.Logger

	// mu guards subwallets, made on first use.
	mu         sync.Mutex
	subwallets map[uint32]*Wallet
}

// subwalletMargin is what the wallet funds a subwallet with beyond
// WalletMinimum and the value of an operation, for the fees of receiving
// the funds and of sending the operation: the subwallet stays above
// WalletMinimum after them.
const subwalletMargin = billing.TON / 10

// fundWait bounds the wait for the wallet's funding to show in a
// subwallet.
const fundWait = 2 * time.Minute

// Owner returns the owner of the client's contracts of generation gen:
// the wallet for generation 0, its subwallet gen after.
func (c *Client) Owner(gen uint32) (*address.Address, error) {
	w, err := c.owner(gen)
	if err != nil {
		return nil, err
	}
	return w.Address(), nil
}

// owner returns the wallet that owns the contracts of generation gen.
func (c *Client) owner(gen uint32) (*Wallet, error) {
	if gen == 0 {
		return c.wallet, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if w := c.subwallets[gen]; w != nil {
		return w, nil
	}
	w, err := c.wallet.Subwallet(gen)
	if err != nil {
		return nil, err
	}
	if c.subwallets == nil {
		c.subwallets = map[uint32]*Wallet{}
	}
	c.subwallets[gen] = w
	return w, nil
}

// funded returns the owner of generation gen with enough to send value
// and stay above WalletMinimum after the fees: a subwallet holding less
// than WalletMinimum + value + half subwalletMargin is first sent by the
// wallet what brings it to WalletMinimum + value + subwalletMargin (the
// fees of receiving it come out of the margin), and the funding awaited.
func (c *Client) funded(ctx context.Context, gen uint32, value billing.NanoTON) (*Wallet, error) {
	w, err := c.owner(gen)
	if err != nil || gen == 0 {
		return w, err
	}
	enough := WalletMinimum + value + subwalletMargin/2
	bal, err := w.Balance(ctx)
	if err != nil {
		return nil, err
	}
	if bal >= enough {
		return w, nil
	}
	amount := WalletMinimum + value + subwalletMargin - bal
	if err := c.wallet.Send(ctx, ton.Transfer{To: w.Address(), Amount: amount, Mode: ton.ModePayFeesSeparately}); err != nil {
		return nil, fmt.Errorf("funding subwallet %d (%s) with %s TON: %w", gen, w.Address(), amount, insufficient(err))
	}
	c.log.Info("funded the owner of a later generation of client contracts", "generation", gen, "subwallet", w.Address().String(), "amount", amount.String())
	wctx, cancel := context.WithTimeout(ctx, fundWait)
	defer cancel()
	t := time.NewTicker(w.poll)
	defer t.Stop()
	for {
		if bal, err := w.Balance(wctx); err == nil && bal >= enough {
			return w, nil
		}
		select {
		case <-wctx.Done():
			return nil, fmt.Errorf("waiting for subwallet %d (%s) to hold %s TON: %w", gen, w.Address(), enough, wctx.Err())
		case <-t.C:
		}
	}
}

// insufficient marks a wallet's lack of funds as the client's
// (client.ErrInsufficientFunds), for the client to say what to do.
func insufficient(err error) error {
	if errors.Is(err, ErrInsufficientFunds) {
		return fmt.Errorf("%w: %w", client.ErrInsufficientFunds, err)
	}
	return err
}

// Reclaim sends what subwallet gen holds beyond WalletMinimum and
// subwalletMargin to the wallet: the refunds of its closed contracts.
func (c *Client) Reclaim(ctx context.Context, gen uint32) error {
	if gen == 0 {
		return nil
	}
	w, err := c.owner(gen)
	if err != nil {
		return err
	}
	bal, err := w.Balance(ctx)
	if err != nil {
		return err
	}
	amount := bal - WalletMinimum - subwalletMargin
	if amount <= 0 {
		return nil
	}
	if err := w.Send(ctx, ton.Transfer{To: c.wallet.Address(), Amount: amount, Mode: ton.ModePayFeesSeparately}); err != nil {
		return fmt.Errorf("sending %s TON from subwallet %d to the client's wallet: %w", amount, gen, err)
	}
	c.log.Info("sent a closed contract's refund on to the client's wallet", "generation", gen, "amount", amount.String())
	return nil
}

var _ client.Chain = (*Client)(nil)

// NewClient returns the client adapter for cfg.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Wallet == nil {
		return nil, errors.New("creating client chain adapter: no wallet")
	}
	n, err := newNetwork(cfg.Chain, cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("creating client chain adapter: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{net: n, wallet: cfg.Wallet, log: cfg.Logger.With("component", "onchain-client")}, nil
}

// Address returns this client's contract at the proxy p (deployed or not).
func (c *Client) Address(ctx context.Context, p client.ProxyID) (*address.Address, error) {
	addr, _, _, err := c.contract(ctx, p)
	return addr, err
}

// contract derives the client's contract at p: its address, its StateInit
// and the proxy's public key.
func (c *Client) contract(ctx context.Context, p client.ProxyID) (*address.Address, *tlb.StateInit, proxyInfo, error) {
	info, err := c.net.proxy(ctx, p.Owner, p.Key, p.Contract)
	if err != nil {
		return nil, nil, proxyInfo{}, fmt.Errorf("deriving client contract: %w", err)
	}
	if info.data.Params.ClientCode == nil {
		return nil, nil, proxyInfo{}, errors.New("deriving client contract: the proxy's params carry no client code")
	}
	owner, err := c.owner(p.Generation)
	if err != nil {
		return nil, nil, proxyInfo{}, fmt.Errorf("deriving client contract: %w", err)
	}
	addr, init, err := contracts.ClientInit(owner.Address(), info.addr, info.data)
	if err != nil {
		return nil, nil, proxyInfo{}, fmt.Errorf("deriving client contract: %w", err)
	}
	return addr, init, info, nil
}

// Contract reads this client's contract at p. When it is not deployed
// the error is client.ErrNoContract and the contract is returned as it
// would be deployed: its address and the stake of the proxy's params.
func (c *Client) Contract(ctx context.Context, p client.ProxyID) (client.ClientContract, error) {
	addr, _, info, err := c.contract(ctx, p)
	if err != nil {
		return client.ClientContract{}, err
	}
	d, err := readClient(ctx, c.net.chain, addr)
	if errors.Is(err, ton.ErrNotFound) {
		undeployed := client.ClientContract{ClientChain: billing.ClientChain{Stake: info.data.Params.MinClientStake}, Address: addr,
			PricePerToken: info.data.Params.PricePerToken, CloseWait: closeWait(info.data.Params)}
		return undeployed, fmt.Errorf("reading client contract %s: %w", addr, client.ErrNoContract)
	}
	if err != nil {
		return client.ClientContract{}, err
	}
	chain, err := clientChain(d)
	if err != nil {
		return client.ClientContract{}, fmt.Errorf("reading client contract %s: %w", addr, err)
	}
	return client.ClientContract{ClientChain: chain, SecretHash: d.SecretHash, UnlockTS: int64(d.UnlockTS), Address: addr,
		PricePerToken: d.Params.PricePerToken, CloseWait: closeWait(d.Params)}, nil
}

// closeWait is how long a client waits, once its proxy has moved to a new
// contract, before it closes its contract under the old one itself:
// half of proxy_delay_before_close less client_delay_before_close, as
// the reference's client waits once its contract's params version is
// outdated, none where the client's delay is the longer.
func closeWait(p contracts.Params) time.Duration {
	if p.ProxyDelayBeforeClose <= p.ClientDelayBeforeClose {
		return 0
	}
	return time.Duration(p.ProxyDelayBeforeClose-p.ClientDelayBeforeClose) * time.Second / 2
}

// Deploy deploys the contract at p with a top-up of amount and the secret
// hash, sending amount plus ClientOpGas from the contract's owner.
func (c *Client) Deploy(ctx context.Context, p client.ProxyID, amount billing.NanoTON, secretHash [32]byte) error {
	if amount < 0 {
		return fmt.Errorf("deploying client contract: negative amount %d", int64(amount))
	}
	addr, init, _, err := c.contract(ctx, p)
	if err != nil {
		return err
	}
	w, err := c.funded(ctx, p.Generation, amount+ClientOpGas)
	if err != nil {
		return fmt.Errorf("deploying client contract %s: %w", addr, err)
	}
	body, err := contracts.ClientSecretAndTopUpBody(queryID(), amount, secretHash, w.Address())
	if err != nil {
		return fmt.Errorf("deploying client contract %s: %w", addr, err)
	}
	if err := w.Send(ctx, ton.Transfer{To: addr, Amount: amount + ClientOpGas, StateInit: init, Body: body}); err != nil {
		return fmt.Errorf("deploying client contract %s: %w", addr, insufficient(err))
	}
	c.log.Info("client contract deployed", "contract", addr.String(), "amount", amount.String(), "generation", p.Generation)
	return nil
}

// Register sends owner_client_register with nonce.
func (c *Client) Register(ctx context.Context, p client.ProxyID, nonce uint64) error {
	return c.op(ctx, p, "registering", 0, true, func(excess *address.Address) (*cell.Cell, error) {
		return contracts.ClientRegisterBody(queryID(), nonce, excess)
	})
}

// TopUp adds amount to the contract's balance, sending amount plus
// ClientOpGas from the wallet: anyone may top a contract up.
func (c *Client) TopUp(ctx context.Context, p client.ProxyID, amount billing.NanoTON) error {
	if amount <= 0 {
		return fmt.Errorf("topping up client contract: amount %d, want positive", int64(amount))
	}
	return c.op(ctx, p, "topping up", amount, false, func(excess *address.Address) (*cell.Cell, error) {
		return contracts.ClientTopUpBody(queryID(), amount, excess)
	})
}

// ChangeSecret sets the contract's secret hash.
func (c *Client) ChangeSecret(ctx context.Context, p client.ProxyID, secretHash [32]byte) error {
	return c.op(ctx, p, "changing the secret of", 0, true, func(excess *address.Address) (*cell.Cell, error) {
		return contracts.ClientChangeSecretBody(queryID(), secretHash, excess)
	})
}

// Withdraw takes the balance above the stake back to the contract's
// owner.
func (c *Client) Withdraw(ctx context.Context, p client.ProxyID) error {
	return c.op(ctx, p, "withdrawing from", 0, true, func(excess *address.Address) (*cell.Cell, error) {
		return contracts.ClientWithdrawBody(queryID(), excess)
	})
}

// RequestRefund starts closing the contract or, after its unlock time,
// claims the refund by force.
func (c *Client) RequestRefund(ctx context.Context, p client.ProxyID) error {
	return c.op(ctx, p, "requesting a refund from", 0, true, func(excess *address.Address) (*cell.Cell, error) {
		return contracts.ClientRequestRefundBody(queryID(), excess)
	})
}

// Charge relays the proxy's signed charge to the contract, after checking
// that it is a charge of this contract signed by the proxy's key.
func (c *Client) Charge(ctx context.Context, p client.ProxyID, signed []byte) error {
	addr, _, info, err := c.contract(ctx, p)
	if err != nil {
		return err
	}
	pay, err := payment.Parse(signed)
	if err != nil {
		return fmt.Errorf("relaying a charge to %s: %w", addr, err)
	}
	if err := pay.Verify(info.data.PublicKey, payment.OpClientCharge, addr); err != nil {
		return fmt.Errorf("relaying a charge to %s: %w", addr, err)
	}
	if _, err := ton.Active(ctx, c.net.chain, addr); errors.Is(err, ton.ErrNotFound) {
		return fmt.Errorf("relaying a charge to %s: %w", addr, client.ErrNoContract)
	}
	return relay(ctx, c.wallet, pay, nil)
}

// op sends an op with ClientOpGas plus amount to the deployed contract at
// p, from its owner (funded as needed) when owner is set, else from the
// wallet; client.ErrNoContract when it is not deployed.
func (c *Client) op(ctx context.Context, p client.ProxyID, what string, amount billing.NanoTON, owner bool, build func(excess *address.Address) (*cell.Cell, error)) error {
	addr, _, _, err := c.contract(ctx, p)
	if err != nil {
		return err
	}
	if _, err := ton.Active(ctx, c.net.chain, addr); errors.Is(err, ton.ErrNotFound) {
		return fmt.Errorf("%s client contract %s: %w", what, addr, client.ErrNoContract)
	} else if err != nil {
		return fmt.Errorf("%s client contract: %w", what, err)
	}
	from := c.wallet
	if owner {
		if from, err = c.funded(ctx, p.Generation, amount+ClientOpGas); err != nil {
			return fmt.Errorf("%s client contract %s: %w", what, addr, err)
		}
	}
	body, err := build(from.Address())
	if err != nil {
		return fmt.Errorf("%s client contract %s: %w", what, addr, err)
	}
	if err := from.Send(ctx, ton.Transfer{To: addr, Amount: amount + ClientOpGas, Bounce: true, Body: body}); err != nil {
		return fmt.Errorf("%s client contract %s: %w", what, addr, insufficient(err))
	}
	return nil
}
