package client

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cocoon-go/cocoon/internal/client/gateway"
	"github.com/xssnick/tonutils-go/address"
)

// openWait bounds how long POST /control/open waits for a connection
// under a new contract.
const openWait = 30 * time.Second

// endpoint is the client's standing at one proxy endpoint: the generation
// of its contracts it uses there (ProxyID.Generation), whether it waits
// for a need before it opens the next one, and why it is not connected.
// The Client's mu guards it.
type endpoint struct {
	gen uint32
	// parked is set once the generation's contract there was closed (by
	// Close, or on chain by its owner) and until something needs the
	// proxy again: a request that finds no connection, or Open. The
	// connection slots then wait instead of dialling.
	parked bool
	// opening is set from the move to a new generation until the slot
	// connects under it or fails: requests wait up to openWait meanwhile.
	opening bool
	// status says why the client is not connected there, "" while it is;
	// short is set when that is its wallet's lack of funds.
	status string
	short  bool
}

// restoreGenerations sets each endpoint's generation to the latest of
// the contracts the state file lists there. Called by New.
func (c *Client) restoreGenerations() {
	for _, ca := range c.chainAccts {
		ep := c.endpointLocked(ca.proxy)
		ep.gen = max(ep.gen, ca.id.Generation)
	}
}

// endpointLocked returns the state of the endpoint addr, making it; the
// caller holds mu.
func (c *Client) endpointLocked(addr string) *endpoint {
	ep := c.endpoints[addr]
	if ep == nil {
		ep = &endpoint{}
		c.endpoints[addr] = ep
	}
	return ep
}

// generation is the generation of the client's contracts in use at addr.
func (c *Client) generation(addr string) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endpointLocked(addr).gen
}

// ownerFor is the owner the client names to proxies for its contracts of
// generation gen, as a string and parsed (nil without contracts): the
// configured owner_address without a chain, the generation's owner with
// one.
func (c *Client) ownerFor(gen uint32) (string, *address.Address, error) {
	if c.chain == nil {
		if c.owner == nil {
			return c.cfg.OwnerAddress, nil, nil
		}
		return c.cfg.WireAddress(c.owner), c.owner, nil
	}
	o, err := c.chain.Owner(gen)
	if err != nil {
		return "", nil, fmt.Errorf("the owner of our contracts of generation %d: %w", gen, err)
	}
	return c.cfg.WireAddress(o), o, nil
}

// setStatus records why the client is not connected to addr ("" once it
// is), which ends an opening.
func (c *Client) setStatus(addr, status string, short bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ep := c.endpointLocked(addr)
	ep.status, ep.short, ep.opening = status, short, false
}

// openingLocked reports whether an endpoint is opening a new contract;
// the caller holds mu.
func (c *Client) openingLocked() bool {
	for _, ep := range c.endpoints {
		if ep.opening {
			return true
		}
	}
	return false
}

// park makes the connection slots of addr wait for a need before they
// open the next generation's contract there, as its current one was
// closed for why.
func (c *Client) park(addr, why string) {
	c.mu.Lock()
	ep := c.endpointLocked(addr)
	first := !ep.parked
	ep.parked = true
	ep.status = fmt.Sprintf("our client contract at proxy %s is closed (%s): a new one is deployed and funded on the next request or POST /control/open", addr, why)
	ep.short = false
	c.mu.Unlock()
	if first {
		c.log.Info("our client contract at this proxy is closed: a new one is deployed and funded on the next request or POST /control/open",
			"proxy", addr, "why", why)
	}
}

// wantOpen unparks every parked endpoint, so that its slots open the next
// generation's contract there: a request found no connection, or Open
// was called. It reports whether any was parked.
func (c *Client) wantOpen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	any := false
	for _, ep := range c.endpoints {
		if ep.parked {
			ep.parked, any = false, true
		}
	}
	if any {
		close(c.needed)
		c.needed = make(chan struct{})
	}
	return any
}

// reopen is what a connection slot of addr does when the contract of
// generation gen there is closing or closed: while the endpoint is
// parked it waits for a need, then it moves the endpoint to generation
// next (once, whichever slot comes first) and reports true, for the slot
// to connect under it at once. It reports false when ctx ends.
func (c *Client) reopen(ctx context.Context, addr string, gen, next uint32) bool {
	for {
		c.mu.Lock()
		ep := c.endpointLocked(addr)
		if !ep.parked {
			moved := ep.gen == gen
			if moved {
				ep.gen = max(next, gen+1)
			}
			next := ep.gen
			ep.status = fmt.Sprintf("opening a new client contract at proxy %s (generation %d): deploying and funding it; retry in a few seconds", addr, next)
			ep.short, ep.opening = false, true
			c.mu.Unlock()
			if moved {
				c.log.Info("our client contract at this proxy is closed: opening a new one", "proxy", addr, "closed_generation", gen, "generation", next)
			}
			return true
		}
		needed := c.needed
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return false
		case <-needed:
		}
	}
}

// noProxyError is gateway.ErrNoProxy with why no proxy is connected: the
// root's cause, if it gave one (cause), and each proxy's; it is
// gateway.ErrUnfunded too when a wallet's lack of funds is why (short).
type noProxyError struct {
	msg   string
	short bool // a wallet's lack of funds is why
	cause error
}

func (e *noProxyError) Error() string { return e.msg }
func (e *noProxyError) Unwrap() []error {
	errs := []error{gateway.ErrNoProxy}
	if e.short {
		errs = append(errs, gateway.ErrUnfunded)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// noProxy is the error of a request that found no connection:
// gateway.ErrNoProxy with the latest refusal for the root's cause and the reasons the
// endpoints give.
func (c *Client) noProxy() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var why []string
	if c.refusal != nil {
		why = append(why, c.refusal.Error())
	}
	short := false
	for _, addr := range slices.Sorted(maps.Keys(c.endpoints)) {
		if ep := c.endpoints[addr]; ep.status != "" {
			why = append(why, ep.status)
			short = short || ep.short
		}
	}
	if len(why) == 0 {
		return gateway.ErrNoProxy
	}
	return &noProxyError{msg: gateway.ErrNoProxy.Error() + ": " + strings.Join(why, "; "), short: short, cause: c.refusal}
}

// Open makes the client deploy and fund a new contract at every proxy
// where its contract was closed, as a request finding no connection
// does, and waits up to openWait for a connection. It answers at once
// where the client is connected.
func (c *Client) Open(ctx context.Context) error {
	if c.chain == nil {
		return ErrNoChain
	}
	if c.wantOpen() {
		c.log.Info("opening new client contracts where ours are closed (POST /control/open)")
	}
	ctx, cancel := context.WithTimeout(ctx, openWait)
	defer cancel()
	if c.WaitReady(ctx) != nil {
		return fmt.Errorf("no proxy connection within %v: %w", openWait, c.noProxy())
	}
	return nil
}

// ProxyStatusSnapshot is the client's standing at one proxy endpoint: the
// generation of its contracts it uses there, their owner, and why it is
// not connected ("" while it is).
type ProxyStatusSnapshot struct {
	Proxy      string `json:"proxy"`
	Generation uint32 `json:"generation"`
	Owner      string `json:"owner_address,omitempty"`
	Waiting    bool   `json:"waiting_for_need"`
	Status     string `json:"status,omitempty"`
}

// endpointsSnapshot lists the endpoints of the proxies in use, in
// address order.
func (c *Client) endpointsSnapshot() []ProxyStatusSnapshot {
	proxies := c.proxyList()
	c.mu.Lock()
	out := make([]ProxyStatusSnapshot, 0, len(proxies))
	for _, addr := range slices.Sorted(slices.Values(proxies)) {
		ep := c.endpointLocked(addr)
		out = append(out, ProxyStatusSnapshot{Proxy: addr, Generation: ep.gen, Waiting: ep.parked, Status: ep.status})
	}
	c.mu.Unlock()
	for i := range out {
		if o, _, err := c.ownerFor(out[i].Generation); err == nil {
			out[i].Owner = o
		}
	}
	return out
}
