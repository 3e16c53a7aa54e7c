package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/config"
	"github.com/cocoon-go/cocoon/internal/web"
)

// ShutdownTimeout bounds how long a node's HTTP server may take to stop
// once its run ends: requests still running are then cut.
const ShutdownTimeout = 5 * time.Second

// Serve serves h on ln and runs run beside it until ctx ends or either
// fails, then stops the server within ShutdownTimeout; if it does not
// stop by then, force (when set) runs before the server's connections are
// closed.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, run func(context.Context) error, force func()) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serving HTTP: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		err := run(gctx)
		sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			if force != nil {
				force()
			}
			srv.Close()
		}
		return err
	})
	return g.Wait()
}

// listen listens on ln's address unless ln is already given.
func listen(ln net.Listener, addr, what string) (net.Listener, error) {
	if ln != nil {
		return ln, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening for %s: %w", what, err)
	}
	return l, nil
}

// withPages runs a role with its pages' sampler beside it; both stop
// when the role does.
func withPages(site *web.Site, run func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		pctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() { site.Run(pctx) })
		err := run(ctx)
		cancel()
		wg.Wait()
		return err
	}
}

// pageOptions are the options of a role's pages (package web): its chain
// and root, or none on fake TON.
func pageOptions(rc *Chain, accessHash string, o Options, log *slog.Logger) web.Options {
	opts := web.Options{AccessHash: accessHash, Logger: log, SampleEvery: o.SampleEvery}
	if rc != nil {
		opts.Chain, opts.Root = rc.Chain, rc.Root
	}
	return opts
}

// closers releases what a node opened, once.
type closers struct {
	once sync.Once
	fns  []func()
}

func (c *closers) add(f func()) { c.fns = append(c.fns, f) }

// close runs the closers in reverse order, once.
func (c *closers) close() {
	c.once.Do(func() {
		for i := len(c.fns) - 1; i >= 0; i-- {
			c.fns[i]()
		}
	})
}

// run runs role and, unless ln is nil (Options.NoHTTP), serves h on ln
// beside it.
func run(ctx context.Context, ln net.Listener, h http.Handler, role func(context.Context) error) error {
	if ln == nil {
		return role(ctx)
	}
	return Serve(ctx, ln, h, role, nil)
}

// httpListener is the listener of a node's HTTP server, which c closes:
// Options.HTTP, or one on addr, or none with Options.NoHTTP.
func httpListener(o Options, addr string, c *closers, log *slog.Logger) (net.Listener, error) {
	if o.NoHTTP {
		return nil, nil
	}
	ln, err := listen(o.HTTP, addr, "HTTP")
	if err != nil {
		return nil, err
	}
	c.add(func() { ln.Close() })
	log.Info("HTTP listening", "addr", ln.Addr().String())
	return ln, nil
}

// addrOf is ln's address; nil without a listener.
func addrOf(ln net.Listener) net.Addr {
	if ln == nil {
		return nil
	}
	return ln.Addr()
}

// rootPollOf is how often a role reads the root: its config's
// root_poll_every, or the default for a config built in code without it.
func rootPollOf(every config.Duration) time.Duration {
	return time.Duration(cmp.Or(every, chainconf.DefaultRootPollEvery))
}
