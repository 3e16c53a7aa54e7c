package main

import (
	"context"
	"fmt"
	"io"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/liteclient"
)

func init() {
	commands["client"] = command{summary: "run a client: the OpenAI-compatible API in front of the network", run: runClient}
}

func runClient(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	rf := newRoleFlags("client", stderr, true)
	log, err := rf.parse(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := client.LoadConfig(*rf.config)
	if err != nil {
		return err
	}
	// Proxies do not attest clients (their client port's policy is
	// "any"), so a client needs no quote unless asked for a fake one.
	var issuer attest.Issuer = attest.NoEvidence
	if *rf.fakeTDX {
		if issuer, err = rf.issuer(log); err != nil {
			return err
		}
	}
	cert, err := certifier(ctx, issuer, log)
	if err != nil {
		return err
	}
	v, err := rf.verifier(cfg.ProxyPolicy, log)
	if err != nil {
		return err
	}
	contracts, err := fakeTONContracts(log)
	if err != nil {
		return err
	}
	deps := client.Deps{TLS: ratls.ClientConfig(cert, v), Logger: log, Prices: fakeTONPrices, Contracts: contracts}
	if cfg.RootContractAddress != "" {
		root, err := address.ParseAddr(cfg.RootContractAddress)
		if err != nil {
			return fmt.Errorf("root_contract_address: %w", err)
		}
		chain, err := liteclient.Open(ctx, liteclient.Options{ConfigPath: cfg.TonConfigFilename, Logger: log})
		if err != nil {
			return err
		}
		defer chain.Close()
		deps.Registry = func(ctx context.Context) ([]string, error) {
			rc, err := ton.ReadRootConfig(ctx, chain, root)
			if err != nil {
				return nil, err
			}
			out := make([]string, 0, len(rc.Proxies))
			for _, p := range rc.Proxies {
				out = append(out, p.ClientAddr())
			}
			return out, nil
		}
	}
	c, err := client.New(cfg, deps)
	if err != nil {
		return err
	}
	return serveRole(ctx, log, cfg.HTTPAddr(), c.Handler(), c.Run)
}
