package main

import (
	"context"
	"io"

	"github.com/cocoon-go/cocoon/client"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/cli"
	"github.com/cocoon-go/cocoon/internal/node"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/worker"
)

func init() {
	commands["proxy"] = command{summary: "run a proxy: accept workers and clients, route requests", run: runProxy}
	commands["worker"] = command{summary: "run a worker: serve proxies' requests on an inference engine", run: runWorker}
	commands["client"] = command{summary: "run a client: the OpenAI-compatible API in front of the network", run: runClient}
}

// The role commands: each loads its config, applies the flags and
// builds its node, then runs it until ctx ends.
func runProxy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return cli.Role(ctx, newFlagSet("proxy", stdout, stderr), args, stderr, proxy.LoadConfig,
		func(c *proxy.Config) (*chainconf.Chain, bool) { return &c.Chain, c.IsTest }, node.NewProxy)
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return cli.Role(ctx, newFlagSet("worker", stdout, stderr), args, stderr, worker.LoadConfig,
		func(c *worker.Config) (*chainconf.Chain, bool) { return &c.Chain, c.IsTest }, node.NewWorker)
}

// runClient is `cocoon client`: the client library serving its API.
func runClient(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return cli.Role(ctx, newFlagSet("client", stdout, stderr), args, stderr, client.LoadConfig,
		func(c *client.Config) (*chainconf.Chain, bool) { return &c.Chain, c.IsTest }, cli.OpenClient)
}
