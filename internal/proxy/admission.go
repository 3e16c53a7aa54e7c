package proxy

import (
	"context"
	"errors"
	"fmt"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/trust"
)

// admitWorker checks a worker that asks to be admitted against the root,
// as last read: the reading is recent enough, the worker's attestation
// still verifies (its quote, TCB status and collateral, through the
// verifier's cache) and its image hash is in the root's worker_hashes,
// and the sha256 of its full model name is in model_hashes. It returns
// the worker's image hash. Without a chain there is no root to check.
func (p *Proxy) admitWorker(ctx context.Context, wc *workerConn, model string) ([32]byte, error) {
	if p.trust == nil {
		return [32]byte{}, nil
	}
	if err := p.trust.Ready(); err != nil {
		return [32]byte{}, err
	}
	peer, err := p.workerPeers.Recheck(ctx, wc.certs)
	var unlisted *attest.NotAllowedError
	if errors.As(err, &unlisted) {
		return [32]byte{}, unlisted // the cause, without the verifier's wrapping
	}
	if err != nil {
		return [32]byte{}, err
	}
	if err := p.trust.CheckModel(model); err != nil {
		return [32]byte{}, err
	}
	return peer.ImageHash, nil
}

// listsAdmit checks a worker's image and full model against the root's
// lists in force; the caller holds p.mu, under which workers join and
// leave the selection, so that no request goes to a worker after a
// reading that does not list it.
func (p *Proxy) listsAdmit(wc *workerConn) error {
	if p.trust == nil {
		return nil
	}
	if err := p.trust.CheckImage(trust.Workers, wc.image); err != nil {
		return err
	}
	return p.trust.CheckModel(wc.fullModel)
}

// refuseWorker records a worker refused admission and why; the caller
// holds p.mu.
func (p *Proxy) refuseWorkerLocked(wc *workerConn, model string, err error) {
	p.admissions.refused.Add(1)
	p.barLocked(model, err)
	p.log.Warn("refusing a worker", "remote", wc.remote, "model", model, "err", err)
}

// barLocked records why a worker of the base model of full was refused
// or evicted; the caller holds p.mu.
func (p *Proxy) barLocked(full string, err error) {
	base := baseModel(full)
	p.barred[base] = err.Error()
	p.lastRefusal = fmt.Sprintf("worker of model %s: %v", full, err)
}

// applyRoot installs a reading of the root. The gate, and through it the
// worker port's verifier, use its lists from now on; every ready worker
// whose image or model it does not list leaves the selection at once and
// is evicted; every other worker is verified again, its quote validated
// anew once the verifier's cache entry has aged one poll, and evicted
// when it no longer verifies.
func (p *Proxy) applyRoot(ctx context.Context, l trust.Lists) {
	if p.trust == nil {
		return
	}
	type eviction struct {
		wc  *workerConn
		err error
	}
	var out []eviction
	p.mu.Lock()
	err := p.trust.Update(l)
	if err == nil {
		for _, ws := range p.models {
			for _, wc := range ws {
				if e := p.listsAdmit(wc); e != nil {
					out = append(out, eviction{wc, e})
				}
			}
		}
		for _, e := range out {
			p.removeWorkerLocked(e.wc)
			p.barLocked(e.wc.fullModel, e.err)
		}
	}
	p.mu.Unlock()
	if err != nil {
		p.chainFailed("reading the root contract", err)
		return
	}
	for _, e := range out {
		p.evict(e.wc, e.err)
	}
	for _, wc := range p.readyWorkers() {
		_, err := p.workerPeers.Recheck(ctx, wc.certs)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			continue
		}
		p.mu.Lock()
		removed := p.removeWorkerLocked(wc)
		if removed {
			p.barLocked(wc.fullModel, err)
		}
		p.mu.Unlock()
		if removed {
			p.evict(wc, err)
		}
	}
}

// evict ends a worker's connection because the root or its attestation no
// longer admits it; the caller has taken it out of the selection. Its
// running requests end with err as their cause: one that has sent nothing
// to its client yet moves to another worker, the others fail, billed for
// what their clients received.
func (p *Proxy) evict(wc *workerConn, err error) {
	wc.mu.Lock()
	if wc.evicted == nil {
		wc.evicted = err
	}
	wc.mu.Unlock()
	p.admissions.evicted.Add(1)
	p.log.Warn("evicting a worker the root no longer admits", "remote", wc.remote, "model", wc.fullModel, "err", err)
	wc.sess.Abort(fmt.Errorf("evicted: %w", err))
}

// readyWorkers lists the workers in the selection.
func (p *Proxy) readyWorkers() []*workerConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*workerConn
	for _, ws := range p.models {
		out = append(out, ws...)
	}
	return out
}

// currentLists returns the root's lists in force; ok is false without a
// chain or before the first reading.
func (p *Proxy) currentLists() (trust.Lists, bool) {
	if p.trust == nil {
		return trust.Lists{}, false
	}
	return p.trust.Current()
}

// AdmissionSnapshot is what the stats show of the admission of workers.
type AdmissionSnapshot struct {
	// Refused counts the workers refused when they asked to be admitted,
	// Evicted those whose connection the proxy ended because the root, or
	// their attestation, no longer admitted them.
	Refused int64 `json:"refused"`
	Evicted int64 `json:"evicted"`
	// LastRefusal is the latest refusal or eviction and its cause.
	LastRefusal string `json:"last_refusal,omitempty"`
	// ImageHash is the proxy's own image hash; ImageListed whether the
	// root's proxy_hashes, as last read, lists it.
	ImageHash   string `json:"image_hash,omitempty"`
	ImageListed bool   `json:"image_listed"`
}

func (p *Proxy) admissionSnapshot() AdmissionSnapshot {
	s := AdmissionSnapshot{Refused: p.admissions.refused.Load(), Evicted: p.admissions.evicted.Load()}
	if p.image != [32]byte{} {
		s.ImageHash = fmt.Sprintf("%x", p.image)
		if l, ok := p.currentLists(); ok {
			s.ImageListed = l.AllowList(trust.Proxies).Check(p.image) == nil
		}
	}
	p.mu.Lock()
	s.LastRefusal = p.lastRefusal
	p.mu.Unlock()
	return s
}
