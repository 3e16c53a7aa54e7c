// Package archtest holds the repository's architecture tests: every package
// documents what it owns, and imports point down the layers that
// STYLE.md describes. It has no code of its own.
package archtest
