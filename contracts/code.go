// Package contracts owns the compiled code of the COCOON smart contracts
// (root, proxy, worker, client and the cocoon wallet) as raw BoCs, built
// from the Tolk sources beside it, and the hash of each code cell.
package contracts

import (
	"embed"
	"fmt"
)

//go:embed build/*.boc build/*.hash
var build embed.FS

// Names of the compiled contracts.
const (
	Root   = "root"
	Proxy  = "proxy"
	Worker = "worker"
	Client = "client"
	Wallet = "wallet"
)

// Names lists every compiled contract.
var Names = []string{Root, Proxy, Worker, Client, Wallet}

// BOC returns the compiled code of the named contract as a BoC whose root
// is the code cell.
func BOC(name string) ([]byte, error) {
	b, err := build.ReadFile("build/" + name + ".boc")
	if err != nil {
		return nil, fmt.Errorf("reading the code of contract %q: %w", name, err)
	}
	return b, nil
}
