package devnet

import "context"

// restart stops the run of r and waits for it, then starts the node
// again with start.
func restart(ctx context.Context, r *role, start func(context.Context) error) error {
	r.stop()
	<-r.done
	return start(ctx)
}

// RestartProxy stops the proxy as its process ending would (it closes
// its connections, settling their requests, and flushes its ledger) and
// builds it again from its config, as `cocoon proxy` would: on the same
// endpoints, ledger, keys and chain. It returns once the new proxy runs;
// its peers reconnect on their own.
func (n *Network) RestartProxy(ctx context.Context) error {
	return restart(ctx, n.proxyRole, n.startProxy)
}

// RestartWorker stops worker i and builds it again from its config.
func (n *Network) RestartWorker(ctx context.Context, i int) error {
	return restart(ctx, n.workerRoles[i], n.startWorkers[i])
}

// RestartClient stops the client and builds it again from its config,
// with its state file.
func (n *Network) RestartClient(ctx context.Context) error {
	return restart(ctx, n.clientRole, n.startClient)
}

// StopWorker stops worker i: its proxy connections close at once, with
// whatever requests they carried.
func (n *Network) StopWorker(i int) { n.workerRoles[i].stop() }
