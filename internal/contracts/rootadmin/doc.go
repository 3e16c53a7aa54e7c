// Package rootadmin owns what is done to the COCOON root contract on a
// chain: deploying it (the one way the devnet, `cocoon root deploy` and
// the tests deploy a root), its owner's operations (allowed hashes,
// registered proxies, prices, owner, contract code) sent from the owner's
// wallet, and finding the root's transaction that answers each and
// explaining its outcome by the contracts' exit codes. What the
// operations carry is package contracts'; this package adds the chain.
package rootadmin
