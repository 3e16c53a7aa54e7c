package liteclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/liteclient"
	"github.com/xssnick/tonutils-go/tlb"
	tonapi "github.com/xssnick/tonutils-go/ton"

	"github.com/cocoon-go/cocoon/internal/ton"
)

// Defaults of Options.
const (
	DefaultRetries = 3
	DefaultTimeout = 10 * time.Second
	// MaxWalk bounds how many transactions one Transactions call walks
	// back through before giving up: a monitor that far behind should
	// resynchronize from the account state instead.
	MaxWalk = 10000
	// pageSize is how many transactions one liteserver query returns.
	pageSize = 16
)

// Options configure Open.
type Options struct {
	// ConfigPath is a TON global config file (the JSON of
	// https://ton.org/global-config.json), read from disk only.
	ConfigPath string
	// Retries is how many times a failed query is retried, each time on
	// another liteserver (default DefaultRetries).
	Retries int
	// Timeout bounds one attempt of a query (default DefaultTimeout).
	Timeout time.Duration
	// Logger receives connection events; nil discards.
	Logger *slog.Logger
}

// api is the part of tonutils-go's API client this package uses.
type api interface {
	CurrentMasterchainInfo(ctx context.Context) (*tonapi.BlockIDExt, error)
	GetAccount(ctx context.Context, block *tonapi.BlockIDExt, addr *address.Address) (*tlb.Account, error)
	RunGetMethod(ctx context.Context, block *tonapi.BlockIDExt, addr *address.Address, method string, params ...any) (*tonapi.ExecutionResult, error)
	SendExternalMessage(ctx context.Context, msg *tlb.ExternalMessage) error
	ListTransactions(ctx context.Context, addr *address.Address, num uint32, lt uint64, txHash []byte) ([]*tlb.Transaction, error)
	GetTime(ctx context.Context) (uint32, error)
}

// Client is a ton.Chain on a real network.
type Client struct {
	api api
	// stick pins the queries of one operation to one liteserver.
	stick func(context.Context) context.Context
	log   *slog.Logger
	// stop closes the connections; nil for clients over a test api.
	stop func()
}

var _ ton.Chain = (*Client)(nil)

// LoadConfig reads and checks a global config file: it must name at
// least one liteserver and a trusted init block.
func LoadConfig(path string) (*liteclient.GlobalConfig, error) {
	cfg, err := liteclient.GetConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading TON global config: %w", err)
	}
	if len(cfg.Liteservers) == 0 {
		return nil, fmt.Errorf("reading TON global config %s: no liteservers", path)
	}
	if len(cfg.Validator.InitBlock.RootHash) == 0 {
		return nil, fmt.Errorf("reading TON global config %s: no validator init block to trust", path)
	}
	return cfg, nil
}

// Open reads the global config at opts.ConfigPath, connects to its
// liteservers and returns a client that checks every read against the
// config's trusted block. Close it when done.
func Open(ctx context.Context, opts Options) (*Client, error) {
	cfg, err := LoadConfig(opts.ConfigPath)
	if err != nil {
		return nil, err
	}
	if opts.Retries <= 0 {
		opts.Retries = DefaultRetries
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pool := liteclient.NewConnectionPool()
	if err := pool.AddConnectionsFromConfig(ctx, cfg); err != nil {
		pool.Stop()
		return nil, fmt.Errorf("connecting to liteservers: %w", err)
	}
	log.Info("connected to liteservers", "configured", len(cfg.Liteservers))
	client := tonapi.NewAPIClient(pool, tonapi.ProofCheckPolicySecure)
	client.SetTrustedBlockFromConfig(cfg)
	return &Client{
		api:   client.WithRetryTimeout(opts.Retries, opts.Timeout),
		stick: pool.StickyContext,
		log:   log,
		stop:  pool.Stop,
	}, nil
}

// Close closes the connections.
func (c *Client) Close() error {
	if c.stop != nil {
		c.stop()
	}
	return nil
}

// Now returns the liteserver's time.
func (c *Client) Now(ctx context.Context) (time.Time, error) {
	t, err := c.api.GetTime(ctx)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading chain time: %w", err)
	}
	return time.Unix(int64(t), 0).UTC(), nil
}

// account reads the proof-checked state of addr in the latest block.
func (c *Client) account(ctx context.Context, addr *address.Address) (*tonapi.BlockIDExt, *tlb.Account, error) {
	block, err := c.api.CurrentMasterchainInfo(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("reading masterchain head: %w", err)
	}
	acc, err := c.api.GetAccount(ctx, block, addr)
	if err != nil {
		return nil, nil, fmt.Errorf("reading account %s: %w", addr, err)
	}
	if !acc.IsActive || acc.State == nil {
		return nil, nil, fmt.Errorf("reading account %s: %w", addr, ton.ErrNotFound)
	}
	return block, acc, nil
}

// Account returns the state of addr.
func (c *Client) Account(ctx context.Context, addr *address.Address) (ton.Account, error) {
	_, acc, err := c.account(c.stick(ctx), addr)
	if err != nil {
		return ton.Account{}, err
	}
	return view(addr, acc)
}

func view(addr *address.Address, acc *tlb.Account) (ton.Account, error) {
	bal, err := ton.Nano(acc.State.Balance)
	if err != nil {
		return ton.Account{}, fmt.Errorf("reading balance of %s: %w", addr, err)
	}
	out := ton.Account{Address: addr, Balance: bal, LastLT: acc.LastTxLT, LastHash: acc.LastTxHash}
	switch acc.State.Status {
	case tlb.AccountStatusActive:
		out.Status, out.Code, out.Data = ton.StatusActive, acc.Code, acc.Data
	case tlb.AccountStatusFrozen:
		out.Status = ton.StatusFrozen
	case tlb.AccountStatusUninit:
		out.Status = ton.StatusUninit
	default:
		return ton.Account{}, fmt.Errorf("reading account %s: %w", addr, ton.ErrNotFound)
	}
	return out, nil
}

// RunGetMethod runs a get-method on the latest proof-checked state.
func (c *Client) RunGetMethod(ctx context.Context, addr *address.Address, method string, args ...any) ([]any, error) {
	ctx = c.stick(ctx)
	block, acc, err := c.account(ctx, addr)
	if err != nil {
		return nil, err
	}
	if acc.State.Status != tlb.AccountStatusActive {
		return nil, fmt.Errorf("running %s on %s: account is %s: %w", method, addr, acc.State.Status, ton.ErrNotFound)
	}
	res, err := c.api.RunGetMethod(ctx, block, addr, method, args...)
	var exec tonapi.ContractExecError
	switch {
	case errors.As(err, &exec) && exec.Code == tonapi.ErrCodeContractNotInitialized:
		return nil, fmt.Errorf("running %s on %s: %w", method, addr, ton.ErrNotFound)
	case errors.As(err, &exec):
		return nil, &ton.ExitError{Method: method, Code: int64(exec.Code)}
	case err != nil:
		return nil, fmt.Errorf("running %s on %s: %w", method, addr, err)
	}
	return res.AsTuple(), nil
}

// SendExternal hands an external message to a liteserver. Its effect
// shows later in the destination's transactions.
func (c *Client) SendExternal(ctx context.Context, msg *tlb.ExternalMessage) error {
	if msg == nil || msg.DstAddr == nil {
		return errors.New("sending external: no destination")
	}
	if err := c.api.SendExternalMessage(ctx, msg); err != nil {
		return fmt.Errorf("sending external to %s: %w", msg.DstAddr, err)
	}
	return nil
}

// Transactions returns up to limit transactions of addr after afterLT,
// oldest first. It walks back from the account's proven last transaction
// (each page is hash-checked against the one after it), at most MaxWalk
// transactions.
func (c *Client) Transactions(ctx context.Context, addr *address.Address, afterLT uint64, limit int) ([]ton.Tx, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("listing transactions: limit %d, want a positive number", limit)
	}
	ctx = c.stick(ctx)
	_, acc, err := c.account(ctx, addr)
	if errors.Is(err, ton.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var found []*tlb.Transaction
	lt, hash := acc.LastTxLT, acc.LastTxHash
walk:
	for lt > afterLT {
		page, err := c.api.ListTransactions(ctx, addr, pageSize, lt, hash)
		if errors.Is(err, tonapi.ErrNoTransactionsWereFound) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("listing transactions of %s: %w", addr, err)
		}
		if len(page) == 0 {
			break
		}
		for i := len(page) - 1; i >= 0; i-- {
			t := page[i]
			if t.LT <= afterLT {
				break walk
			}
			if len(found) >= MaxWalk {
				return nil, fmt.Errorf("listing transactions of %s: more than %d after LT %d", addr, MaxWalk, afterLT)
			}
			found = append(found, t)
		}
		oldest := page[0]
		if oldest.PrevTxLT >= lt {
			return nil, fmt.Errorf("listing transactions of %s: previous LT %d does not decrease", addr, oldest.PrevTxLT)
		}
		lt, hash = oldest.PrevTxLT, oldest.PrevTxHash
	}
	slices.Reverse(found)
	if len(found) > limit {
		found = found[:limit]
	}
	return ton.TxsFromTLB(addr, found)
}
