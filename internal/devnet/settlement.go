package devnet

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/config"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// ClientStateFile, in a devnet's data directory, keeps the state of the
// client's contracts (running, refund requested, closed) and its account
// at each, across restarts.
const ClientStateFile = "client-state.json"

// WorkerStateFile is the file, in a devnet's data directory, that keeps
// worker i's accounts at the proxy contracts across restarts.
func WorkerStateFile(i int) string { return fmt.Sprintf("worker-%d-state.json", i) }

// workerStateGlob matches every worker's state file.
const workerStateGlob = "worker-*-state.json"

// Settlement sets how fast money moves on the emulated chain: how often
// the roles commit, poll and check, and the least value worth a message.
// The reference's figures (commits every 30–60 s, charges from 1 TON,
// payouts and withdrawals from 10 TON) would keep a devnet's few
// requests off chain for good, so a devnet moves every nanoTON within a
// second or two.
type Settlement struct {
	// CommitEvery is how often the proxy commits its ledger seqno on
	// chain; PollEvery how often it reads its clients' and workers'
	// contracts, charges, pays out and grants refunds.
	CommitEvery, PollEvery time.Duration
	// ClientCheckEvery is how often the client checks its contract;
	// PayoutEvery how often a worker submits its best signed payout.
	ClientCheckEvery, PayoutEvery time.Duration
	// ChargeThreshold and PayoutThreshold are the least uncharged or
	// unpaid value the proxy sends a charge or a payout for;
	// WithdrawThreshold the least commission in the proxy contract it
	// withdraws to its owner; MinPayout the least a worker submits a
	// payout for.
	ChargeThreshold, PayoutThreshold, WithdrawThreshold, MinPayout billing.NanoTON
	// Deposit is what the client deposits when it deploys its contract
	// (zero: one stake, the params' min_client_stake).
	Deposit billing.NanoTON
	// RootPollEvery is how often every role reads the root contract; a
	// node whose image or model the root drops is refused within it.
	RootPollEvery time.Duration
	// ProxyCloseDelay and ClientCloseDelay are proxy_delay_before_close
	// and client_delay_before_close, in whole seconds, of the params the
	// root of a new chain is deployed with (zero: the fake-TON root's 600
	// and 300 s). A proxy contract wound down after a change of the
	// root's params completes its close ProxyCloseDelay after its close
	// request.
	ProxyCloseDelay, ClientCloseDelay time.Duration
}

// closeDelays sets the close delays of params that are set.
func (s Settlement) closeDelays(params *contracts.Params) {
	if s.ProxyCloseDelay > 0 {
		params.ProxyDelayBeforeClose = uint32(s.ProxyCloseDelay / time.Second)
	}
	if s.ClientCloseDelay > 0 {
		params.ClientDelayBeforeClose = uint32(s.ClientCloseDelay / time.Second)
	}
}

// DefaultSettlement is a devnet's settlement: every half second, from a
// single nanoTON.
var DefaultSettlement = Settlement{
	CommitEvery: 500 * time.Millisecond, PollEvery: 500 * time.Millisecond,
	ClientCheckEvery: 500 * time.Millisecond, PayoutEvery: 500 * time.Millisecond, RootPollEvery: 500 * time.Millisecond,
	ChargeThreshold: 1, PayoutThreshold: 1, WithdrawThreshold: 1, MinPayout: 1,
}

func (s Settlement) withDefaults() Settlement {
	d := DefaultSettlement
	for _, f := range []struct{ v, def *time.Duration }{
		{&s.CommitEvery, &d.CommitEvery}, {&s.PollEvery, &d.PollEvery},
		{&s.ClientCheckEvery, &d.ClientCheckEvery}, {&s.PayoutEvery, &d.PayoutEvery}, {&s.RootPollEvery, &d.RootPollEvery},
	} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	for _, f := range []struct{ v, def *billing.NanoTON }{
		{&s.ChargeThreshold, &d.ChargeThreshold}, {&s.PayoutThreshold, &d.PayoutThreshold},
		{&s.WithdrawThreshold, &d.WithdrawThreshold}, {&s.MinPayout, &d.MinPayout},
	} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	return s
}

func (s Settlement) proxy(c *proxy.Config) {
	c.ChainCommitEvery, c.ChainPollEvery = config.Duration(s.CommitEvery), config.Duration(s.PollEvery)
	c.ChargeThresholdNano, c.PayoutThresholdNano = int64(s.ChargeThreshold), int64(s.PayoutThreshold)
	c.WithdrawThresholdNano = int64(s.WithdrawThreshold)
	c.RootPollEvery = config.Duration(s.RootPollEvery)
}

// worker configures worker i; with a data directory its accounts are kept
// there.
func (s Settlement) worker(c *worker.Config, dataDir string, i int) {
	c.PayoutEvery, c.MinPayoutNano = config.Duration(s.PayoutEvery), int64(s.MinPayout)
	// The worker learns of new signed payments as often as it pays out.
	c.PaymentPollEvery = config.Duration(s.PayoutEvery)
	c.RootPollEvery = config.Duration(s.RootPollEvery)
	if dataDir != "" {
		c.StateFile = filepath.Join(dataDir, WorkerStateFile(i))
	}
}

// client configures the client; with a data directory its contracts'
// state machine is kept there.
func (s Settlement) client(c *client.Config, dataDir string) {
	c.ChainCheckEvery, c.DepositNano = config.Duration(s.ClientCheckEvery), int64(s.Deposit)
	c.RootPollEvery = config.Duration(s.RootPollEvery)
	if dataDir != "" {
		c.StateFile = filepath.Join(dataDir, ClientStateFile)
	}
}
