package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/cocoon-go/cocoon/internal/client/gateway"
	"github.com/cocoon-go/cocoon/internal/obs"
)

// ControlAnswer is what the control endpoints answer: whether the
// operation went through, why not, and the contracts as they stand after
// it.
type ControlAnswer struct {
	OK        bool               `json:"ok"`
	Error     string             `json:"error,omitempty"`
	Contracts []ContractSnapshot `json:"contracts"`
}

// mountControl registers the control endpoints, guarded like the stats
// pages: POST /control/withdraw takes back every contract's balance above
// its stake, POST /control/close closes every contract, POST /control/open
// deploys and funds a new one where the client's was closed and waits for
// a connection under it.
func (c *Client) mountControl(mux *http.ServeMux) {
	mux.Handle("POST /control/withdraw", obs.RequireAccessHash(c.cfg.HTTPAccessHash, c.control(c.Withdraw)))
	mux.Handle("POST /control/close", obs.RequireAccessHash(c.cfg.HTTPAccessHash, c.control(c.Close)))
	mux.Handle("POST /control/open", obs.RequireAccessHash(c.cfg.HTTPAccessHash, c.control(c.Open)))
}

// control runs op for a request and answers JSON: 200 when it went
// through, 409 without a chain, 503 when no proxy connection came, 502
// when the chain failed.
func (c *Client) control(op func(ctx context.Context) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := op(r.Context())
		ans := ControlAnswer{OK: err == nil, Contracts: []ContractSnapshot{}}
		status := http.StatusOK
		switch {
		case errors.Is(err, ErrNoChain):
			status = http.StatusConflict
		case errors.Is(err, gateway.ErrNoProxy):
			status = http.StatusServiceUnavailable
		case err != nil:
			status = http.StatusBadGateway
		}
		if err != nil {
			ans.Error = err.Error()
			c.log.Warn("control request failed", "path", r.URL.Path, "err", err)
		}
		if c.chain != nil {
			ans.Contracts = c.contractsSnapshot()
		}
		b, _ := json.Marshal(ans) // a plain struct always marshals
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(append(b, '\n'))
	})
}
