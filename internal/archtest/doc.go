// Package archtest holds the repository's architecture tests: every package
// documents what it owns, imports point down the layers that STYLE.md
// describes, the contracts' compiled code is read through
// internal/contracts only, and no production path but the devnet command
// (and the benchmark that runs devnets) imports the devnet. It has no code
// of its own.
package archtest
