package onchain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	// Wallet is the client's cocoon wallet, the owner of its contracts.
	Wallet *Wallet
	// Logger; nil discards.
	Logger *slog.Logger
}

// Client is one client's view of TON (client.Chain): its contract at each
// proxy, owned and operated by its cocoon wallet.
type Client struct {
	net    *network
	wallet *Wallet
	log    *slog.Logger
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
	data, err := contracts.NewClientData(c.wallet.Address(), info.addr, info.data).Cell()
	if err != nil {
		return nil, nil, proxyInfo{}, fmt.Errorf("deriving client contract: %w", err)
	}
	addr, err := contracts.AddressOf(info.data.Params.ClientCode, data)
	if err != nil {
		return nil, nil, proxyInfo{}, fmt.Errorf("deriving client contract: %w", err)
	}
	return addr, contracts.StateInit(info.data.Params.ClientCode, data), info, nil
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
// half of proxy_delay_before_close less client_delay_before_close
// (reference §4.5 step 1), none where the client's delay is the longer.
func closeWait(p contracts.Params) time.Duration {
	if p.ProxyDelayBeforeClose <= p.ClientDelayBeforeClose {
		return 0
	}
	return time.Duration(p.ProxyDelayBeforeClose-p.ClientDelayBeforeClose) * time.Second / 2
}

// Deploy deploys the contract at p with a top-up of amount and the secret
// hash, sending amount plus ClientOpGas.
func (c *Client) Deploy(ctx context.Context, p client.ProxyID, amount billing.NanoTON, secretHash [32]byte) error {
	if amount < 0 {
		return fmt.Errorf("deploying client contract: negative amount %d", int64(amount))
	}
	addr, init, _, err := c.contract(ctx, p)
	if err != nil {
		return err
	}
	body, err := contracts.ClientSecretAndTopUpBody(queryID(), amount, secretHash, c.wallet.Address())
	if err != nil {
		return fmt.Errorf("deploying client contract %s: %w", addr, err)
	}
	if err := c.wallet.Send(ctx, ton.Transfer{To: addr, Amount: amount + ClientOpGas, StateInit: init, Body: body}); err != nil {
		return fmt.Errorf("deploying client contract %s: %w", addr, err)
	}
	c.log.Info("client contract deployed", "contract", addr.String(), "amount", amount.String())
	return nil
}

// Register sends owner_client_register with nonce.
func (c *Client) Register(ctx context.Context, p client.ProxyID, nonce uint64) error {
	return c.op(ctx, p, "registering", 0, func(excess *address.Address) (*cell.Cell, error) {
		return contracts.ClientRegisterBody(queryID(), nonce, excess)
	})
}

// TopUp adds amount to the contract's balance, sending amount plus
// ClientOpGas.
func (c *Client) TopUp(ctx context.Context, p client.ProxyID, amount billing.NanoTON) error {
	if amount <= 0 {
		return fmt.Errorf("topping up client contract: amount %d, want positive", int64(amount))
	}
	return c.op(ctx, p, "topping up", amount, func(excess *address.Address) (*cell.Cell, error) {
		return contracts.ClientTopUpBody(queryID(), amount, excess)
	})
}

// ChangeSecret sets the contract's secret hash.
func (c *Client) ChangeSecret(ctx context.Context, p client.ProxyID, secretHash [32]byte) error {
	return c.op(ctx, p, "changing the secret of", 0, func(excess *address.Address) (*cell.Cell, error) {
		return contracts.ClientChangeSecretBody(queryID(), secretHash, excess)
	})
}

// Withdraw takes the balance above the stake back to the wallet.
func (c *Client) Withdraw(ctx context.Context, p client.ProxyID) error {
	return c.op(ctx, p, "withdrawing from", 0, func(excess *address.Address) (*cell.Cell, error) {
		return contracts.ClientWithdrawBody(queryID(), excess)
	})
}

// RequestRefund starts closing the contract or, after its unlock time,
// claims the refund by force.
func (c *Client) RequestRefund(ctx context.Context, p client.ProxyID) error {
	return c.op(ctx, p, "requesting a refund from", 0, func(excess *address.Address) (*cell.Cell, error) {
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

// op sends an owner op with ClientOpGas plus amount to the deployed
// contract at p; client.ErrNoContract when it is not deployed.
func (c *Client) op(ctx context.Context, p client.ProxyID, what string, amount billing.NanoTON, build func(excess *address.Address) (*cell.Cell, error)) error {
	addr, _, _, err := c.contract(ctx, p)
	if err != nil {
		return err
	}
	if _, err := ton.Active(ctx, c.net.chain, addr); errors.Is(err, ton.ErrNotFound) {
		return fmt.Errorf("%s client contract %s: %w", what, addr, client.ErrNoContract)
	} else if err != nil {
		return fmt.Errorf("%s client contract: %w", what, err)
	}
	body, err := build(c.wallet.Address())
	if err != nil {
		return fmt.Errorf("%s client contract %s: %w", what, addr, err)
	}
	if err := c.wallet.Send(ctx, ton.Transfer{To: addr, Amount: amount + ClientOpGas, Bounce: true, Body: body}); err != nil {
		return fmt.Errorf("%s client contract %s: %w", what, addr, err)
	}
	return nil
}
