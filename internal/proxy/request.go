package proxy

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// request is one client request on its way through the proxy: it is sent
// to a worker, retried on another one while no answer byte has gone to the
// client, and ended by the worker's last message, an error, the time
// budget or the client. Every client-bound message leaves with the
// request's mutex held, so they go out in order.
type request struct {
	p        *Proxy
	cc       *clientConn
	clientID [32]byte
	model    string
	endpoint string // the path of its http.request
	maxCoef  int32
	query    []byte
	flags    uint32
	debug    bool
	start    time.Time
	deadline time.Time
	timer    *time.Timer

	// hold reserves the request's tokens against the client's balance;
	// prices are those it is reserved and billed at (pricesOf).
	hold   *billing.Hold
	prices billing.Prices

	// mu guards the fields below.
	mu     sync.Mutex
	wc     *workerConn // the worker now running the request, if any
	last   *workerConn // the worker of the latest attempt, billed at the end
	tokens int64       // adjusted tokens the latest attempt reported
	coef   int64       // the coefficient the latest attempt was sent with
	// audioRate is the rate the latest attempt's worker bills audio
	// seconds at.
	audioRate int64
	// usage reads the usage the answer reports while it streams, so that
	// a request is stopped once it outgrows its reservation; set when
	// the head arrives.
	usage     *openai.UsageCounter
	cancelled bool      // the client cancelled or left
	wid       [32]byte  // its request id on that worker
	sentAt    time.Time // when it went to that worker
	tried     []*workerConn
	headSent  bool
	headAt    time.Time // when the head passed the proxy
	answered  time.Time // when the first body byte passed the proxy
	done      bool
	// lastFailure is the error of the latest failed attempt, reported when
	// no other worker is left to try.
	lastFailure *rejection
}

// forward starts a client request.
func (p *Proxy) forward(cc *clientConn, m *tl.ClientRunQueryEx) {
	now := p.now()
	budget := time.Duration(m.Timeout * float64(time.Second))
	if !(m.Timeout > 0) || budget > maxBudget {
		budget = defaultBudget
	}
	r := &request{
		p: p, cc: cc, clientID: m.RequestID, model: m.ModelName, maxCoef: m.MaxCoefficient,
		query: append([]byte(nil), m.Query...), flags: m.Flags & 1, debug: m.EnableDebug,
		start: now, deadline: now.Add(budget), prices: p.pricesOf(cc),
	}
	reject := func(code int32, msg string) {
		cc.sess.Send(tl.Marshal(&tl.ClientQueryAnswerErrorEx{RequestID: r.clientID, ErrorCode: code, Error: msg, Flags: 1, FinalInfo: r.finalInfo(nil)}))
		p.stats.Finished(now, false, 0)
	}
	if p.disabled.Load() {
		reject(wire.CodeNotReady, "proxy is disabled")
		return
	}
	if p.trust != nil {
		if err := p.trust.Ready(); err != nil {
			reject(wire.CodeNotReady, err.Error())
			return
		}
	}
	hold, err := p.reserve(cc.account, m, r.prices)
	if err != nil {
		reject(wire.CodeNotReady, err.Error())
		return
	}
	// Checked after the reservation: the chain loop sets closing before it
	// reads the reservations, so either it sees this one or this sees
	// closing, and no request starts after a client's final refund or a
	// worker's last payout.
	if p.onChain.closing.Load() {
		p.ledger.Release(hold)
		reject(wire.CodeNotReady, "the proxy contract is closing")
		return
	}
	// Likewise for a rollover, which replaces inst before the chain loop
	// reads the old contract's reservations.
	if cc.inst != p.inst.Load() {
		p.ledger.Release(hold)
		reject(wire.CodeNotReady, "the proxy moved to a new contract: reconnect")
		return
	}
	if r.endpoint, err = requestPath(m.Query); err != nil {
		p.ledger.Release(hold)
		reject(wire.CodeProtoViolation, err.Error())
		return
	}
	r.hold = hold
	cc.mu.Lock()
	_, dup := cc.reqs[r.clientID]
	if !dup {
		cc.reqs[r.clientID] = r
	}
	cc.mu.Unlock()
	if dup {
		p.ledger.Release(hold)
		reject(wire.CodeProtoViolation, "duplicate request id")
		return
	}
	p.metrics.RequestStarted()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.timer = time.AfterFunc(budget, r.timedOut)
	r.dispatchLocked()
}

// dispatchLocked sends the request to the best worker not yet tried.
func (r *request) dispatchLocked() {
	p := r.p
	for {
		wc, err := p.pick(r.model, r.endpoint, r.maxCoef, r.tried, r.cc.inst)
		if err != nil {
			code, msg := int32(wire.CodeError), err.Error()
			var rej *rejection
			if errors.As(err, &rej) {
				code = rej.code
			}
			if f := r.lastFailure; f != nil {
				code, msg = f.code, f.message
			}
			r.failLocked(code, msg, nil)
			return
		}
		var wid [32]byte
		rand.Read(wid[:])
		wc.mu.Lock()
		wc.reqs[wid] = r
		wc.mu.Unlock()
		r.wc, r.last, r.wid, r.sentAt, r.tokens = wc, wc, wid, p.now(), 0
		r.coef = int64(wc.coefficientSnapshot())
		r.audioRate = wc.audioRate
		r.tried = append(r.tried, wc)
		left := r.deadline.Sub(r.sentAt)
		err = wc.sess.SendObject(&tl.ProxyRunQueryEx{
			Query: r.query, SignedPayment: p.workerPayment(wc), Coefficient: r.coef,
			Timeout: left.Seconds() * hopShare, RequestID: wid, Flags: r.flags, EnableDebug: r.debug,
		})
		if err == nil {
			return
		}
		p.log.Debug("sending request to worker failed", "remote", wc.remote, "err", err)
		r.lastFailure = &rejection{wire.CodeNotReady, "worker connection lost"}
		r.releaseLocked(failed)
		if len(r.tried) >= p.maxAttempts {
			r.failLocked(wire.CodeNotReady, "no worker accepted the request", nil)
			return
		}
		p.metrics.Retried()
	}
}

func (wc *workerConn) coefficientSnapshot() int32 {
	wc.p.mu.Lock()
	defer wc.p.mu.Unlock()
	return wc.coefficient
}

// current reports whether a worker message is for the running attempt.
func (r *request) current(wc *workerConn, wid [32]byte) bool {
	return !r.done && r.wc == wc && r.wid == wid
}

// releaseLocked ends the current attempt's use of its worker.
func (r *request) releaseLocked(v verdict) {
	if r.wc == nil {
		return
	}
	r.wc.mu.Lock()
	delete(r.wc.reqs, r.wid)
	r.wc.mu.Unlock()
	r.p.release(r.wc, v, r.p.now().Sub(r.sentAt))
	r.wc = nil
}

// cancelWorkerLocked stops the current attempt, telling the worker when it
// understands our cancel message; a reference worker runs on until its own
// deadline. v says whether the worker is to blame.
func (r *request) cancelWorkerLocked(v verdict) {
	if r.wc == nil {
		return
	}
	if r.wc.ext {
		r.wc.sess.Send(tl.Marshal(&tl.CocoonCancelQuery{RequestID: r.wid}))
	}
	r.releaseLocked(v)
}

// endLocked marks the request finished, bills it and forgets it.
func (r *request) endLocked(outcome string) {
	r.done = true
	r.timer.Stop()
	r.cc.mu.Lock()
	delete(r.cc.reqs, r.clientID)
	r.cc.mu.Unlock()
	billed := billing.Failed
	switch {
	case outcome == obs.OutcomeSuccess:
		billed = billing.Succeeded
	case r.cancelled:
		billed = billing.Cancelled
	}
	tokens := r.p.settle(r, billed)
	now := r.p.now()
	r.p.metrics.RequestFinished(outcome, now.Sub(r.start))
	r.p.stats.Finished(now, outcome == obs.OutcomeSuccess, now.Sub(r.start))
	rec := obs.Request{ID: hex.EncodeToString(r.clientID[:8]), Model: r.model, Outcome: outcome, Total: now.Sub(r.start)}
	if r.last != nil {
		rec.Worker = r.last.remote
	}
	if r.usage != nil {
		u := r.usage.Counts()
		rec.PromptTokens, rec.CachedTokens, rec.CompletionTokens, rec.ReasoningTokens = u.PromptTokens, u.CachedTokens, u.CompletionTokens, u.ReasoningTokens
	}
	if v, err := r.prices.Cost(tokens); err == nil {
		rec.Nano = int64(v)
	}
	if !r.sentAt.IsZero() {
		rec.Queue = r.sentAt.Sub(r.start) // until a worker took it, retries included
	}
	if !r.answered.IsZero() {
		rec.FirstToken = r.answered.Sub(r.start)
	}
	if r.lastFailure != nil {
		rec.Error = r.lastFailure.message
	}
	r.p.metrics.Observe(rec)
	obs.LogRequest(r.p.log, rec)
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

// finalInfo builds the client's final info from the worker's; a request
// with enable_debug gets the proxy's timing in the reference's debug form.
func (r *request) finalInfo(w *tl.ProxyQueryFinalInfo) *tl.ClientQueryFinalInfo {
	now := r.p.now()
	f := &tl.ClientQueryFinalInfo{Flags: 2, ProxyStartTime: unixSeconds(r.start), ProxyEndTime: unixSeconds(now)}
	if w != nil {
		f.TokensUsed = w.TokensUsed
		if w.Flags&2 != 0 {
			f.WorkerStartTime, f.WorkerEndTime = w.WorkerStartTime, w.WorkerEndTime
		}
	}
	if r.flags&1 != 0 && r.debug {
		headAt := r.headAt
		if headAt.IsZero() {
			headAt = now
		}
		f.Flags |= 1
		f.WorkerDebug = "{}"
		if w != nil && w.Flags&1 != 0 {
			f.WorkerDebug = w.WorkerDebug
		}
		f.ProxyDebug = fmt.Sprintf(`{"type":"proxy","start_time":%.6f,"answer_receive_start_at":%.6f,"answer_receive_end_at":%.6f}`,
			unixSeconds(r.start), unixSeconds(headAt), unixSeconds(now))
	}
	return f
}

// failLocked sends the error to the client, in the Ex form clients read,
// and ends the request.
func (r *request) failLocked(code int32, msg string, w *tl.ProxyQueryFinalInfo) {
	// The payment report that settling sends leaves in the same write.
	defer r.cc.sess.Hold()()
	r.cc.sess.SendObject(&tl.ClientQueryAnswerErrorEx{RequestID: r.clientID, ErrorCode: code, Error: msg, Flags: 1, FinalInfo: r.finalInfo(w)})
	outcome := obs.OutcomeFailed
	if r.wc == nil && !r.headSent && len(r.tried) == 0 {
		outcome = obs.OutcomeRejected
	}
	// A worker that is busy, broken or slow loses reputation; one that
	// refused a bad request does not.
	v := neutral
	if code == wire.CodeNotReady || code == wire.CodeTimeout {
		v = failed
	}
	r.releaseLocked(v)
	r.endLocked(outcome)
}

// workerHead passes the answer's head on, adding the proxy's timing
// headers.
func (r *request) workerHead(wc *workerConn, wid [32]byte, answer []byte, flags uint32, final *tl.ProxyQueryFinalInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.current(wc, wid) {
		return
	}
	var resp tl.HTTPResponse
	if err := tl.UnmarshalAs(answer, &resp); err != nil {
		r.cancelWorkerLocked(failed)
		r.failLocked(wire.CodeProtoViolation, "worker sent an undecodable answer head", nil)
		return
	}
	resp.Headers = append(resp.Headers,
		tl.HTTPHeader{Name: "X-Cocoon-Proxy-Start", Value: fmt.Sprintf("%.6f", unixSeconds(r.start))},
		tl.HTTPHeader{Name: "X-Cocoon-Proxy-End", Value: fmt.Sprintf("%.6f", unixSeconds(r.p.now()))})
	r.usage = openai.NewUsageCounter()
	if openai.IsAudio(r.endpoint) {
		r.usage = openai.NewAudioUsageCounter()
	}
	// The head may carry the first body bytes, or the whole body.
	if len(resp.Payload) > 0 && r.hold != nil && r.overReservation(resp.Payload) {
		r.cancelWorkerLocked(neutral)
		r.failLocked(wire.CodeError, billing.ErrReservationExceeded.Error(), nil)
		return
	}
	r.p.metrics.AddBytes(len(resp.Payload))
	r.answerLocked(resp.Payload)
	r.headSent, r.headAt = true, r.p.now()
	msg := &tl.ClientQueryAnswerEx{RequestID: r.clientID}
	if flags&1 != 0 {
		msg.Flags, msg.FinalInfo = 1, r.finalInfo(final)
		r.noteTokens(final)
	}
	tl.MarshalScratch(&resp, func(b []byte) error {
		msg.Answer = b // passLocked encodes it into the session's frame before returning
		r.passLocked(msg, flags&1 != 0)
		return nil
	})
}

// passLocked sends an answer message on to the client; the last one ends
// the request. A client that cannot take it ends the request too.
func (r *request) passLocked(msg tl.Object, last bool) {
	if last {
		// The payment report that settling sends leaves in the same write.
		defer r.cc.sess.Hold()()
	}
	if err := r.cc.sess.SendObject(msg); err != nil {
		r.cancelWorkerLocked(neutral)
		r.endLocked(obs.OutcomeFailed)
		return
	}
	if last {
		r.releaseLocked(succeeded)
		r.endLocked(obs.OutcomeSuccess)
	}
}

// noteTokens records the usage a worker's final info reports; the
// request is billed up to its reservation whatever the worker says. An
// answer that reported audio seconds is billed at most what the proxy
// counts from them at the rate it capped, so that a worker cannot bill
// its audio above the cap.
func (r *request) noteTokens(final *tl.ProxyQueryFinalInfo) {
	if final == nil || final.TokensUsed.TotalTokensUsed <= 0 {
		return
	}
	r.tokens = final.TokensUsed.TotalTokensUsed
	if r.usage != nil && r.usage.Counts().AudioMillis > 0 {
		if own, err := r.counted(); err == nil {
			r.tokens = min(r.tokens, own.Total)
		}
	}
}

// counted is what the answer has delivered so far, adjusted: the usage
// it reported, at least one completion token per chunk of text that came
// without one (openai.TokenCounts.Delivered).
func (r *request) counted() (billing.Adjusted, error) {
	c := r.usage.Counts().Delivered()
	u, err := billing.Usage{Prompt: c.PromptTokens, Cached: c.CachedTokens, Completion: c.CompletionTokens, Reasoning: c.ReasoningTokens}.WithAudio(c.AudioMillis, r.audioRate)
	if err != nil {
		return billing.Adjusted{}, err
	}
	return billing.Adjust(u, r.coef, r.prices)
}

// overReservation reads the usage an answer part reports, records it as
// what the request has delivered so far (openai.TokenCounts.Delivered:
// the usage in the chunks, which the worker asks the engine to report in
// every one, else the chunks of text), and tells whether the request has
// outgrown the tokens reserved for it; the check is as fine as the
// engine's usage updates. Such a request is billed its whole reservation.
// The reference never enforces the reservation while streaming, and bills
// a request cut short at nothing.
func (r *request) overReservation(part []byte) bool {
	r.usage.Write(part)
	a, err := r.counted()
	if err != nil {
		r.p.log.Debug("unusable usage in an answer", "err", err)
		return false
	}
	if err := r.hold.Charge(a.Total); err != nil {
		r.p.log.Warn("stopping a request that outgrew its reservation", "client", r.cc.account, "err", err)
		r.tokens = r.hold.Limit()
		return true
	}
	// A request that fails or is cancelled from here pays for what it
	// has produced.
	r.tokens = max(r.tokens, a.Total)
	return false
}

// requestPath reads the path of the http.request a query carries, which
// routes it by endpoint, without decoding its headers or body.
func requestPath(query []byte) (string, error) {
	rd := tl.NewReader(query)
	if id := rd.Uint32(); rd.Err() == nil && id != (*tl.HTTPRequest)(nil).TLID() {
		return "", fmt.Errorf("the query is %s, not an http.request", tl.Name(id))
	}
	rd.Bytes() // the method
	url := rd.Bytes()
	if err := rd.Err(); err != nil {
		return "", fmt.Errorf("undecodable http.request: %w", err)
	}
	return openai.RequestPath(string(url)), nil
}

// workerPart passes a body part on; the last one ends the request.
func (r *request) workerPart(wc *workerConn, wid [32]byte, answer []byte, flags uint32, final *tl.ProxyQueryFinalInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.current(wc, wid) {
		return
	}
	if !r.headSent {
		r.cancelWorkerLocked(failed)
		r.failLocked(wire.CodeProtoViolation, "worker sent an answer part before its head", nil)
		return
	}
	if r.hold != nil && r.overReservation(answer) {
		r.cancelWorkerLocked(neutral)
		r.failLocked(wire.CodeError, billing.ErrReservationExceeded.Error(), nil)
		return
	}
	msg := &tl.ClientQueryAnswerPartEx{RequestID: r.clientID, Answer: answer}
	if flags&1 != 0 {
		msg.Flags, msg.FinalInfo = 1, r.finalInfo(final)
		r.noteTokens(final)
	}
	r.p.metrics.AddBytes(len(answer))
	r.answerLocked(answer)
	r.passLocked(msg, flags&1 != 0)
}

// answerLocked records the time to the first body byte when data holds
// it; the caller holds r.mu.
func (r *request) answerLocked(data []byte) {
	if !r.answered.IsZero() || len(data) == 0 {
		return
	}
	r.answered = r.p.now()
	r.p.stats.FirstAnswer(r.answered, r.answered.Sub(r.start))
}

// retriable reports whether a worker's failure may succeed elsewhere: the
// worker was busy, disabled, lost its engine or its connection, or gave the
// request up on its own (a cancellation reaching the running attempt is the
// worker's: the proxy forgets an attempt before it cancels it, for instance
// when the worker shuts down). A request that one worker judges invalid is
// invalid everywhere.
func retriable(code int32) bool {
	return code == wire.CodeNotReady || code == wire.CodeCancelled
}

// workerFailed handles a worker's error or lost connection: before the
// first byte went to the client, the request moves to another worker.
func (r *request) workerFailed(wc *workerConn, wid [32]byte, code int32, msg string, final *tl.ProxyQueryFinalInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.current(wc, wid) {
		return
	}
	r.noteTokens(final)
	if !r.headSent && r.tokens == 0 && retriable(code) && len(r.tried) < r.p.maxAttempts && r.p.now().Before(r.deadline) {
		r.p.log.Debug("retrying request on another worker", "failed_worker", wc.remote, "code", code, "error", msg)
		r.lastFailure = &rejection{code, msg}
		r.releaseLocked(failed)
		r.p.metrics.Retried()
		r.dispatchLocked()
		return
	}
	r.failLocked(code, msg, final)
}

// timedOut ends a request that outran its budget.
func (r *request) timedOut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	r.cancelWorkerLocked(failed)
	r.failLocked(wire.CodeTimeout, "timeout in proxy", nil)
}

// clientCancelled ends a request whose client left or cancelled it.
func (r *request) clientCancelled() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	r.cancelled = true
	r.cancelWorkerLocked(neutral)
	r.endLocked(obs.OutcomeFailed)
}
