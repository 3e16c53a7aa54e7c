// Package archtest holds the repository's architecture tests: every package
// documents what it owns and stands in a layer (vocabulary, contracts,
// mechanisms, adapters, roles, composition, commands), imports point down
// those layers as STYLE.md describes, test files included (a test may
// also use the test-helper packages, any adapter, and the devnet, which
// lifts it to the devnet's layer), no production package imports a test
// helper, examples use the module through its public client library only,
// the contracts' compiled code is read through internal/contracts only,
// no production path but the devnet command (and the benchmark that runs
// devnets) imports the devnet, and the roles do not link bbolt: only
// internal/node imports store/boltstore. It has no code of its own.
package archtest
