// Package ton owns COCOON's access to the TON blockchain: the Chain
// interface the roles read configuration and accounts through and send
// messages with, the account and transaction views it returns, the
// wallets that sign externals (a standard v5r1 and the cocoon wallet), and
// reading the root's and a
// proxy contract's storage from a chain (decoded by package contracts,
// which owns what the contracts hold). The two implementations live in
// subpackages: emulated (an in-process chain on tonutils-go's TVM) and
// liteclient (real TON through liteservers); tontest is the conformance
// suite both pass.
package ton
