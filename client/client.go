// Package client is COCOON's client as a Go library: it connects to the
// network's proxies from a client config (the one `cocoon client
// --config` reads), checks their attestation, pays them, and serves the
// OpenAI-compatible API in this process, with no local HTTP server:
//
//	c, err := client.Open(ctx, cfg, client.Options{})
//	...
//	defer c.Close()
//	ai := openai.NewClient(option.WithBaseURL(client.BaseURL), option.WithHTTPClient(c.HTTPClient()))
//
// Transport is an http.RoundTripper that any net/http code, openai-go
// included, sends OpenAI requests through: each goes straight into the
// client, and its answer streams back as the network sends it. Handler is
// the same API as an http.Handler, which `cocoon client` serves on its
// port; Balances reads what the client spent and holds.
package client

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/config"
	"github.com/cocoon-go/cocoon/internal/node"
)

// Config is a client's configuration: every field of the JSON file
// `cocoon client --config` reads, as docs/CONFIG.md lists them.
type Config = client.Config

// Duration is a configured period (Config.ChainCheckEvery,
// RootPollEvery, MaxRootAge).
type Duration = config.Duration

// LoadConfig reads and checks a client config file, filling in the
// defaults.
func LoadConfig(path string) (Config, error) { return client.LoadConfig(path) }

// ParseConfig decodes and checks a client config, filling in the
// defaults; an unknown field is an error.
func ParseConfig(b []byte) (Config, error) { return client.ParseConfig(b) }

// BaseURL is the base URL of the OpenAI API for HTTPClient and
// Transport: its host names no server (requests never leave the
// process), and its path is the API's.
const BaseURL = "http://cocoon.invalid/v1/"

// Options are what a client is built with besides its config.
type Options struct {
	// InsecureFakeTDX and InsecureFakeSEVSNP accept proxies that attest
	// with fake evidence of each TEE, which proves nothing, and present
	// such evidence: for test networks and the devnet only. With both,
	// TEE says which the client presents ("fake-tdx" or
	// "fake-sev-snp").
	InsecureFakeTDX, InsecureFakeSEVSNP bool
	TEE                                 string
	// InsecureSkipAttestation accepts proxies without checking their
	// attestation or image hash: anyone can impersonate them.
	InsecureSkipAttestation bool
	// Logger receives diagnostics; nil discards them. Prompts and
	// completions are never logged.
	Logger *slog.Logger
}

// Client is a running COCOON client. Open starts it; Close stops it.
type Client struct {
	node   *node.Client
	h      http.Handler
	cancel context.CancelFunc
	done   chan struct{}
	err    error // set before done is closed
	once   sync.Once
}

// Open builds a client from cfg and starts it: it reads its chain (or
// runs on fake TON), then keeps connected to its proxies in the
// background until Close. It returns before a proxy is connected: Ready
// waits for one, and a request made before waits a few seconds for one.
func Open(ctx context.Context, cfg Config, opts Options) (*Client, error) {
	a := node.Attestation{TEE: opts.TEE, InsecureFakeTDX: opts.InsecureFakeTDX, InsecureFakeSEVSNP: opts.InsecureFakeSEVSNP, InsecureSkipAttestation: opts.InsecureSkipAttestation}
	n, err := node.NewClient(ctx, cfg, node.Options{Attestation: a, Logger: opts.Logger, NoHTTP: true})
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.Background())
	c := &Client{node: n, h: n.Handler(), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.err = n.Run(rctx)
	}()
	return c, nil
}

// Close stops the client: requests still running fail, connections
// close, and the client's contract states are written. It returns once
// everything the client started has stopped.
func (c *Client) Close() error {
	c.once.Do(c.cancel)
	<-c.done
	return c.err
}

// Handler serves the OpenAI-compatible API (/v1/chat/completions,
// /v1/completions, /v1/embeddings, /v1/models, the audio endpoints), the
// stats, the control endpoints and the pages, as `cocoon client` serves
// them on its port.
func (c *Client) Handler() http.Handler { return c.h }

// Serve serves Handler on ln until ctx ends, then closes the client and
// stops serving within node.ShutdownTimeout: what `cocoon client` runs on
// its HTTP port. It returns what Close returns.
func (c *Client) Serve(ctx context.Context, ln net.Listener) error {
	return node.Serve(ctx, ln, c.Handler(), func(ctx context.Context) error {
		<-ctx.Done()
		return c.Close()
	}, nil)
}

// Transport is an http.RoundTripper that serves every request with
// Handler in this process, whatever its URL's host: the request goes
// straight to the network, and the response's body streams the answer
// as it comes (server-sent events for a stream). Closing the body early
// abandons the request.
func (c *Client) Transport() http.RoundTripper { return transport{h: c.h} }

// HTTPClient is an *http.Client whose requests go through Transport: what
// openai-go (option.WithHTTPClient) and other SDKs take. Its requests
// have no timeout of their own; give each a context.
func (c *Client) HTTPClient() *http.Client { return &http.Client{Transport: c.Transport()} }

// Ready waits until the client has a proxy to send requests to, or ctx
// ends.
func (c *Client) Ready(ctx context.Context) error {
	if err := c.node.Role().WaitReady(ctx); err != nil {
		return fmt.Errorf("waiting for a proxy connection: %w", err)
	}
	return nil
}

// Balances are what the client spent at its proxies and, on a chain,
// what its contracts hold. Amounts are integer nanoTON.
type Balances struct {
	// Accounts are the client's accounts at its proxies: what each
	// proxy's signed reports say it charged. Requests, Tokens and
	// PaidNano sum them.
	Accounts                   []Account
	Requests, Tokens, PaidNano int64
	// Contracts are the client's contracts on chain, as last read; none
	// on fake TON.
	Contracts []Contract
}

// Account is the client's account at one proxy contract.
type Account struct {
	// Proxy is the proxy's endpoint; ProxyContract and ClientContract
	// the contracts the account is kept at.
	Proxy, ProxyContract, ClientContract string
	// Requests the proxy billed; Tokens its ledger holds for the client;
	// PaidNano their value.
	Requests, Tokens, PaidNano int64
}

// Contract is one of the client's contracts on chain.
type Contract struct {
	// Address is the contract's; Proxy the endpoint of the proxy it pays;
	// Generation which of the client's contracts there it is (0 first,
	// one more after each close).
	Address, Proxy string
	Generation     uint32
	// Deployed says the last read found the contract; State is 0
	// running, 1 closing, 2 closed.
	Deployed bool
	State    int
	// BalanceNano is what the contract holds for requests, StakeNano its
	// stake, TokensUsed the tokens charged to it.
	BalanceNano, StakeNano, TokensUsed int64
}

// Balances reads the client's balances as it knows them now.
func (c *Client) Balances() Balances {
	s := c.node.Role().Snapshot()
	b := Balances{Requests: s.Paid.Requests, Tokens: s.Paid.Tokens, PaidNano: s.Paid.PaidNano}
	for _, a := range s.Accounts {
		b.Accounts = append(b.Accounts, Account{Proxy: a.Proxy, ProxyContract: a.ProxySCAddress, ClientContract: a.ClientSCAddress,
			Requests: a.Requests, Tokens: a.Tokens, PaidNano: a.PaidNano})
	}
	for _, k := range s.Contracts {
		b.Contracts = append(b.Contracts, Contract{Address: k.Address, Proxy: k.Proxy, Generation: k.Generation, Deployed: k.Deployed,
			State: k.State, BalanceNano: k.BalanceNano, StakeNano: k.StakeNano, TokensUsed: k.TokensUsed})
	}
	return b
}
