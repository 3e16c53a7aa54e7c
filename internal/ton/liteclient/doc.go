// Package liteclient owns COCOON's access to a real TON network through
// liteservers (tonutils-go's liteclient and ton packages): it reads a
// global config file, connects to every liteserver in it, fails over and
// retries between them, checks the proofs of what it reads against the
// config's trusted block, and lists an account's transactions for
// monitoring. It implements ton.Chain.
package liteclient
