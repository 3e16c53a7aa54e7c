package main

import (
	"context"
	"io"

	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/worker"
)

func init() {
	commands["worker"] = command{summary: "run a worker: serve proxies' requests on an inference engine", run: runWorker}
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	rf := newRoleFlags("worker", stderr, true)
	log, err := rf.parse(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := worker.LoadConfig(*rf.config)
	if err != nil {
		return err
	}
	issuer, err := rf.issuer(log)
	if err != nil {
		return err
	}
	cert, err := certifier(ctx, issuer, log)
	if err != nil {
		return err
	}
	v, err := rf.verifier(cfg.ProxyPolicy, log)
	if err != nil {
		return err
	}
	eng, err := worker.NewEngine(cfg.ForwardRequestsTo, nil)
	if err != nil {
		return err
	}
	contracts, err := fakeTONContracts(log)
	if err != nil {
		return err
	}
	w, err := worker.New(cfg, worker.Deps{
		TLS: ratls.ClientConfig(cert, v), Engine: eng, Logger: log, Prices: fakeTONPrices, Contracts: contracts,
	})
	if err != nil {
		return err
	}
	return serveRole(ctx, log, cfg.HTTPAddr(), w.Handler(), w.Run)
}
