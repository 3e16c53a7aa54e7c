package proxy

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/trust"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// joinWorker runs a worker's handshake on cp over a pipe: connect, the
// balance comparison and its completion. It returns the connection and
// the first refusal.
func joinWorker(t *testing.T, cp chainProxy, owner, model string, certs []*x509.Certificate) (*workerConn, error) {
	t.Helper()
	wc := newWorkerConn(cp.Proxy)
	wc.certs = certs
	wc.sess, _ = pipeSession(t, wc)
	w := workerParams()
	w.Model, w.WorkerOwnerAddress = model, paymenttest.Addr([]byte(owner)).String()
	var connected tl.WorkerConnectedToProxy
	if err := ask(t, wc, &tl.WorkerConnectToProxy{Params: w}, &connected); err != nil {
		return wc, err
	}
	var cmp tl.WorkerCompareBalanceWithProxyResult
	if err := ask(t, wc, &tl.WorkerCompareBalanceWithProxy{}, &cmp); err != nil {
		return wc, err
	}
	var done tl.WorkerProxyHandshakeCompleted
	return wc, ask(t, wc, &tl.WorkerProxyHandshakeComplete{}, &done)
}

// setRoot makes the fake chain's root list lists and the proxy read it,
// as its root poll does.
func setRoot(t *testing.T, cp chainProxy, version uint32, workers [][32]byte, models ...string) {
	t.Helper()
	cp.chain.mu.Lock()
	cp.chain.root.Version = version
	cp.chain.root.Lists.WorkerHashes = workers
	cp.chain.root.Lists.ModelHashes = nil
	for _, m := range models {
		cp.chain.root.Lists.ModelHashes = append(cp.chain.root.Lists.ModelHashes, trust.ModelHash(m))
	}
	cp.chain.mu.Unlock()
	cp.refreshRoot(t.Context())
}

func queryError(t *testing.T, err error) *wire.QueryError {
	t.Helper()
	var qe *wire.QueryError
	if !errors.As(err, &qe) {
		t.Fatalf("got %v, want a query error", err)
	}
	return qe
}

// TestWorkerAdmission refuses workers the root does not list, each with
// its cause, admits one it lists, and evicts it at the poll that finds
// it no longer listed; requests for its model then say why.
func TestWorkerAdmission(t *testing.T) {
	cp := newChainProxy(t, "")
	_, err := joinWorker(t, cp, "w", "Org/Other@1:2", nil)
	if qe := queryError(t, err); !strings.HasPrefix(qe.Message, "proxy refuses this worker: model Org/Other@1:2 is not registered: its hash ") ||
		!strings.HasSuffix(qe.Message, "is not in the root's model_hashes (root EQfakeroot, version 3)") {
		t.Errorf("unregistered model: got %q", qe.Message)
	}
	if _, err := cp.pick("Org/Other", openai.PathChatCompletions, 4000, nil, cp.inst.Load()); err == nil || !strings.HasPrefix(err.Error(), "no worker may serve model Org/Other: model Org/Other@1:2 is not registered") {
		t.Errorf("request for the refused model: got %v", err)
	}

	setRoot(t, cp, 4, [][32]byte{{9}}, testModel)
	_, err = joinWorker(t, cp, "w", testModel, nil)
	want := "proxy refuses this worker: worker image hash 5c55c8f4db4010ba9203d83536d0609856af8c847ac039e37e7dde8fbd574b61 is not in the root's worker_hashes (root EQfakeroot, version 4)"
	if qe := queryError(t, err); qe.Message != want {
		t.Errorf("unregistered image: got %q, want %q", qe.Message, want)
	}

	setRoot(t, cp, 5, [][32]byte{fakeImage}, testModel)
	wc, err := joinWorker(t, cp, "w", testModel, nil)
	if err != nil {
		t.Fatalf("listed worker: %v", err)
	}
	if got, err := cp.pick("Org/M", openai.PathChatCompletions, 4000, nil, cp.inst.Load()); err != nil || got != wc {
		t.Fatalf("pick: %v, %v; want the admitted worker", got, err)
	}
	cp.release(wc, neutral, 0)
	if ws := cp.Snapshot().WorkerConnections; len(ws) != 1 || ws[0].ImageHash != "5c55c8f4db4010ba9203d83536d0609856af8c847ac039e37e7dde8fbd574b61" || ws[0].FullModel != testModel {
		t.Errorf("worker connections %+v, want the worker with its image and full model", ws)
	}

	setRoot(t, cp, 6, nil, testModel)
	select {
	case <-wc.sess.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the unlisted worker's connection is still open after the poll")
	}
	_, err = cp.pick("Org/M", openai.PathChatCompletions, 4000, nil, cp.inst.Load())
	var rej *rejection
	if !errors.As(err, &rej) || rej.code != wire.CodeNotReady ||
		rej.message != "no worker may serve model Org/M: worker image hash 5c55c8f4db4010ba9203d83536d0609856af8c847ac039e37e7dde8fbd574b61 is not in the root's worker_hashes (root EQfakeroot, version 6)" {
		t.Errorf("request after the eviction: got %v", err)
	}
	a := cp.Snapshot().Admission
	if a.Refused != 2 || a.Evicted != 1 || !strings.Contains(a.LastRefusal, "version 6") {
		t.Errorf("admission stats %+v, want 2 refused, 1 evicted, the last naming version 6", a)
	}

	// Listed again, a worker is admitted again.
	setRoot(t, cp, 7, [][32]byte{fakeImage}, testModel)
	if _, err := joinWorker(t, cp, "w", testModel, nil); err != nil {
		t.Fatalf("worker after the root listed it again: %v", err)
	}
	if _, err := cp.pick("Org/M", openai.PathChatCompletions, 4000, nil, cp.inst.Load()); err != nil {
		t.Errorf("request after the worker came back: %v", err)
	}
}

// TestStaleRootStopsNewWork refuses requests and workers once the root's
// state, as last read, is older than max_root_age.
func TestStaleRootStopsNewWork(t *testing.T) {
	cp := newChainProxy(t, `,"max_root_age":"1h"`)
	cp.chain.mu.Lock()
	cp.chain.asOf = time.Now().Add(-2 * time.Hour)
	cp.chain.mu.Unlock()
	cp.refreshRoot(t.Context())
	cc := newClientConn(cp.Proxy)
	answer := refusedQuery(t, cp, cc)
	if answer.ErrorCode != wire.CodeNotReady || !strings.HasPrefix(answer.Error, "the root contract's state is 2h0m") ||
		!strings.HasSuffix(answer.Error, "more than max_root_age 1h0m0s: no new work until it is read again") {
		t.Errorf("request on a stale root: %d %q", answer.ErrorCode, answer.Error)
	}
	if _, err := joinWorker(t, cp, "w", testModel, nil); err == nil || !strings.Contains(queryError(t, err).Message, "max_root_age") {
		t.Errorf("worker on a stale root: got %v, want it refused", err)
	}
	if r := cp.Snapshot().Root; r == nil || !strings.Contains(r.NotReady, "max_root_age") {
		t.Errorf("stats root %+v, want why no new work is taken", r)
	}
}

// imageValidator validates the quotes of a test TEE that names its image:
// the report data, then one byte, the image's MRTD.
type imageValidator struct{}

func (imageValidator) Validate(_ context.Context, quote []byte, rd [attest.ReportDataSize]byte) (attest.Measurements, error) {
	if len(quote) != attest.ReportDataSize+1 {
		return attest.Measurements{}, attest.ErrNoQuote
	}
	if [attest.ReportDataSize]byte(quote[:attest.ReportDataSize]) != rd {
		return attest.Measurements{}, attest.ErrReportDataMismatch
	}
	m := attest.Measurements{Kind: attest.KindFakeTDX, ReportData: rd}
	m.MRTD[0] = quote[attest.ReportDataSize]
	return m, nil
}

// imageCert returns a certificate of the test TEE with image i, and that
// image's hash.
func imageCert(t *testing.T, i byte) ([]*x509.Certificate, [32]byte) {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(nil)
	rd := attest.ReportData(key.Public().(ed25519.PublicKey))
	der, err := ratls.CreateCertificate(key, append(rd[:], i), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	var m attest.Measurements
	m.MRTD[0] = i
	return []*x509.Certificate{c}, m.ImageHash()
}

// TestNoRequestServedByUnlistedWorker is a property: for any sequence of
// root changes, worker handshakes and requests, no request goes to a
// worker whose image or model the root did not list at its handshake or
// at the last poll. Workers present real RA-TLS certificates, which the
// real verifier checks.
func TestNoRequestServedByUnlistedWorker(t *testing.T) {
	models := []string{"Org/A@1:a", "Org/B@1:b"}
	served, refused := 0, 0
	for seed := range 30 {
		rng := rand.New(rand.NewPCG(uint64(seed), 13))
		policy, _ := attest.NamedPolicy("fake_tdx")
		v, err := ratls.NewVerifier(imageValidator{}, policy)
		if err != nil {
			t.Fatal(err)
		}
		cp := newChainProxyWith(t, "", v)
		images := make([][32]byte, 4)
		certs := make([][]*x509.Certificate, len(images))
		for i := range images {
			certs[i], images[i] = imageCert(t, byte(i))
		}
		version := uint32(3)
		var listed [][32]byte
		var registered []string
		setRoot(t, cp, version, nil)
		for step := range 100 {
			switch r := rng.IntN(10); {
			case r < 2:
				version++
				listed, registered = nil, nil
				for _, h := range images {
					if rng.IntN(2) == 0 {
						listed = append(listed, h)
					}
				}
				for _, m := range models {
					if rng.IntN(3) > 0 {
						registered = append(registered, m)
					}
				}
				setRoot(t, cp, version, listed, registered...)
			case r < 5:
				i, m := rng.IntN(len(images)), models[rng.IntN(len(models))]
				_, err := joinWorker(t, cp, "w", m, certs[i])
				ok := slices.Contains(listed, images[i]) && slices.Contains(registered, m)
				if ok != (err == nil) {
					t.Fatalf("seed %d step %d: worker of image %d, model %s joined with %v; listed %v", seed, step, i, m, err, ok)
				}
				if err != nil {
					refused++
					if !strings.Contains(err.Error(), "is not in the root's worker_hashes") && !strings.Contains(err.Error(), "is not registered") {
						t.Fatalf("seed %d step %d: refusal %v names no cause", seed, step, err)
					}
				}
			default:
				m := models[rng.IntN(len(models))]
				wc, err := cp.pick(baseModel(m), openai.PathChatCompletions, 4000, nil, cp.inst.Load())
				if err != nil {
					continue
				}
				if !slices.Contains(listed, wc.image) || !slices.Contains(registered, wc.fullModel) {
					t.Fatalf("seed %d step %d: a request for %s went to a worker of image %x, model %s, which the last poll does not list", seed, step, m, wc.image, wc.fullModel)
				}
				served++
				cp.release(wc, neutral, 0)
			}
		}
	}
	// The property holds only if it was tested: requests were served and
	// workers refused.
	t.Logf("served %d requests and refused %d workers over 30 sequences of 100 steps", served, refused)
	if served < 100 || refused < 100 {
		t.Errorf("served %d requests and refused %d workers over every sequence, want at least 100 of each", served, refused)
	}
}
