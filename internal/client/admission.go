package client

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/cocoon-go/cocoon/internal/trust"
)

// setUpTrust makes, with a root, the gate that chooses and checks the
// proxies by the root's lists, bound to the proxies' verifier.
func (c *Client) setUpTrust() error {
	if c.root == nil {
		return nil
	}
	if c.proxyPeers == nil {
		return errors.New("building the client: a root needs ProxyPeers, the verifier of the proxies, to check them against the root's proxy_hashes")
	}
	c.trust = trust.ForChain(c.cfg.Chain, c.now, c.log)
	c.trust.Announce(c.cfg.CheckProxyHashes, "check_proxy_hashes", "proxies",
		"proxies are not checked against the root's proxy_hashes and registered endpoints")
	if err := c.trust.Bind(trust.Proxies, c.proxyPeers); err != nil {
		return fmt.Errorf("building the client: proxy_policy: %w", err)
	}
	// Until the root is read, there is no proxy to dial.
	c.proxies = nil
	return nil
}

// readRoot reads the root once. Its registered proxies are the ones to
// dial from now on: all of them, or with checks on those of
// Config.Proxies, when it names some. Every ready connection is verified
// again (the proxy's quote anew once the verifier's cache entry has aged
// one poll) and closed when the root no longer registers its endpoint or
// lists its image. A failed read leaves the last reading, which ages.
func (c *Client) readRoot(ctx context.Context) {
	l, err := c.root(ctx)
	if err == nil {
		err = c.trust.Update(l)
	}
	if err != nil {
		if ctx.Err() == nil {
			c.log.Warn("reading the root contract", "err", err)
		}
		return
	}
	list := l.ClientEndpoints()
	if c.trust.Enforcing() && len(c.cfg.Proxies) > 0 {
		list = list[:0:0]
		for _, p := range c.cfg.Proxies {
			if err := l.CheckClientEndpoint(p); err != nil {
				c.refused(err)
				c.log.Warn("not using a configured proxy", "proxy", p, "err", err)
				continue
			}
			list = append(list, p)
		}
	}
	if len(list) == 0 {
		c.log.Warn("no proxy to use: the root registers none of them", "root", l.Root, "version", l.Version)
	}
	c.mu.Lock()
	changed := !slices.Equal(c.proxies, list)
	c.proxies = list
	close(c.listed)
	c.listed = make(chan struct{})
	c.mu.Unlock()
	if changed {
		c.log.Info("proxies to use, from the root", "proxies", list, "root", l.Root, "version", l.Version)
	}
	c.mu.Lock()
	conns := append([]*proxyConn(nil), c.conns...)
	c.mu.Unlock()
	for _, pc := range conns {
		err := c.trust.CheckClientEndpoint(pc.addr)
		if err == nil {
			_, err = c.proxyPeers.Recheck(ctx, pc.certs)
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			pc.evict(err)
		}
	}
}

// admitted checks, before a request goes to pc, that the root's lists in
// force still register its endpoint and list its image, so that no
// request goes to a proxy the last reading dropped, even before the poll
// closes its connection.
func (c *Client) admitted(pc *proxyConn) error {
	if c.trust == nil {
		return nil
	}
	if err := c.trust.Ready(); err != nil {
		return err
	}
	if err := c.trust.CheckClientEndpoint(pc.addr); err != nil {
		return err
	}
	return c.trust.CheckImage(trust.Proxies, pc.image)
}

// admitEndpoint checks, before a connection to addr, that the root's
// reading is fresh and registers addr; a refusal is recorded.
func (c *Client) admitEndpoint(addr string) error {
	if c.trust == nil {
		return nil
	}
	err := c.trust.Ready()
	if err == nil {
		err = c.trust.CheckClientEndpoint(addr)
	}
	if err != nil {
		c.refused(err)
	}
	return err
}

// awaitRoot waits for the next reading of the root; it reports false
// when ctx ended first.
func (c *Client) awaitRoot(ctx context.Context) bool {
	c.mu.Lock()
	listed := c.listed
	c.mu.Unlock()
	select {
	case <-ctx.Done():
		return false
	case <-listed:
		return true
	}
}

// refused records a proxy refused for the root's cause.
func (c *Client) refused(err error) {
	c.mu.Lock()
	c.refusal = err
	c.mu.Unlock()
}

// evict closes a connection to a proxy the root no longer admits; its
// running requests fail with the cause.
func (pc *proxyConn) evict(err error) {
	pc.mu.Lock()
	if pc.evicted == nil {
		pc.evicted = err
	}
	pc.mu.Unlock()
	pc.c.refused(err)
	pc.c.log.Warn("closing the connection to a proxy the root no longer admits", "proxy", pc.addr, "err", err)
	pc.sess.Abort(fmt.Errorf("the root no longer admits this proxy: %w", err))
}
