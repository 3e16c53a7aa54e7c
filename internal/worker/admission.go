package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/trust"
)

// setUpTrust makes, with a root, the gate that judges proxies and this
// worker by the root's lists, bound to the proxies' verifier.
func (w *Worker) setUpTrust(deps Deps) error {
	image, err := chainconf.OwnImage(w.cfg.ImageHash, deps.ImageHash, "worker")
	if err != nil {
		return fmt.Errorf("building the worker: %w", err)
	}
	w.image = image
	if w.root == nil {
		return nil
	}
	if deps.ProxyPeers == nil {
		return errors.New("building the worker: a root needs ProxyPeers, the verifier of the proxies, to check them against the root's proxy_hashes")
	}
	w.trust = trust.ForChain(w.cfg.Chain, w.now, w.log)
	w.trust.Announce(w.cfg.CheckProxyHashes, "check_proxy_hashes", "proxies",
		"proxies and this worker are not checked against the root's proxy_hashes, worker_hashes and model_hashes")
	if w.trust.Enforcing() && w.image == [32]byte{} {
		return errors.New("building the worker: checking this worker against the root's worker_hashes needs its own image hash (ImageHash)")
	}
	if err := w.trust.Bind(trust.Proxies, deps.ProxyPeers); err != nil {
		return fmt.Errorf("building the worker: proxy_policy: %w", err)
	}
	w.barred = w.judge()
	return nil
}

// rootLoop reads the root every rootEvery until ctx ends.
func (w *Worker) rootLoop(ctx context.Context) {
	t := time.NewTicker(w.rootEvery)
	defer t.Stop()
	for {
		w.readRoot(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// readRoot reads the root once: its lists judge the proxies and this
// worker from now on. Every ready proxy connection is verified again (its
// quote anew once the verifier's cache entry has aged one poll) and
// closed when the root no longer lists the proxy's image; this worker
// takes requests again, or stops, as the root lists it or not. A failed
// read leaves the last reading, which ages.
func (w *Worker) readRoot(ctx context.Context) {
	l, err := w.root(ctx)
	if err == nil {
		err = w.trust.Update(l)
	}
	if err != nil && ctx.Err() == nil {
		w.log.Warn("reading the root contract", "err", err)
	}
	w.setBarred(w.judge())
	if err != nil {
		return
	}
	for _, pc := range w.readyConns() {
		_, err := w.proxyPeers.Recheck(ctx, pc.certs)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			w.log.Warn("closing the connection to a proxy the root no longer admits", "proxy", pc.addr, "err", err)
			pc.sess.Abort(fmt.Errorf("the root no longer admits this proxy: %w", err))
		}
	}
}

// judge says why the root does not admit this worker now: a reading too
// old, or one that lists neither its image nor its model; nil when it
// does.
func (w *Worker) judge() error {
	if err := w.trust.Ready(); err != nil {
		return err
	}
	if err := w.trust.CheckImage(trust.Workers, w.image); err != nil {
		return err
	}
	return w.trust.CheckModel(w.cfg.ModelName)
}

// setBarred records the root's judgement of this worker and, when it
// changes, says so and tells the proxies whether to send requests.
func (w *Worker) setBarred(why error) {
	w.mu.Lock()
	prev := w.barred
	w.barred = why
	close(w.judged)
	w.judged = make(chan struct{})
	w.mu.Unlock()
	switch {
	case why != nil && (prev == nil || prev.Error() != why.Error()):
		w.log.Warn("the root does not admit this worker: taking no requests until it does", "err", why)
	case why == nil && prev != nil:
		w.log.Info("the root admits this worker: taking requests")
	default:
		return
	}
	w.broadcastEnabled()
}

// admitted is nil while the root admits this worker (or nothing is
// checked), else why not.
func (w *Worker) admitted() error {
	if w.trust == nil {
		return nil
	}
	if err := w.trust.Ready(); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.barred
}

// proxyAdmitted checks, before the worker takes a request from pc, that
// the root's lists in force still list the proxy's image, so that no
// request is served for a proxy the last reading dropped, even before the
// poll closes its connection.
func (w *Worker) proxyAdmitted(pc *proxyConn) error {
	if w.trust == nil {
		return nil
	}
	return w.trust.CheckImage(trust.Proxies, pc.image)
}

// awaitAdmission waits, before a connection to the proxy at addr, until
// the root admits this worker; it reports false when ctx ended first.
func (w *Worker) awaitAdmission(ctx context.Context, addr string) bool {
	said := ""
	for {
		w.mu.Lock()
		why, judged := w.barred, w.judged
		w.mu.Unlock()
		if why == nil {
			return true
		}
		if why.Error() != said {
			said = why.Error()
			// Before the first reading, which is on its way, there is
			// nothing to warn about.
			level := slog.LevelWarn
			if errors.Is(why, trust.ErrNotRead) {
				level = slog.LevelDebug
			}
			w.log.Log(ctx, level, "not connecting to a proxy: the root does not admit this worker", "proxy", addr, "err", why)
		}
		select {
		case <-ctx.Done():
			return false
		case <-judged:
		}
	}
}

// AdmissionSnapshot is what the stats show of the root's judgement of
// this worker.
type AdmissionSnapshot struct {
	// Admitted is whether the root admits this worker now; Reason why
	// not.
	Admitted bool   `json:"admitted"`
	Reason   string `json:"reason,omitempty"`
	// ImageHash and ModelHash are what the root must list: the worker's
	// image hash in worker_hashes, its model's in model_hashes.
	ImageHash string `json:"image_hash,omitempty"`
	ModelHash string `json:"model_hash"`
}

func (w *Worker) admissionSnapshot() AdmissionSnapshot {
	s := AdmissionSnapshot{Admitted: true, ModelHash: fmt.Sprintf("%x", trust.ModelHash(w.cfg.ModelName))}
	if w.image != [32]byte{} {
		s.ImageHash = fmt.Sprintf("%x", w.image)
	}
	if err := w.admitted(); err != nil {
		s.Admitted, s.Reason = false, err.Error()
	}
	return s
}
