// Package ton owns COCOON's access to the TON blockchain: the Chain
// interface the roles read configuration and accounts through and send
// messages with, the account and transaction views it returns, and the
// codecs of the COCOON contracts (root configuration, CocoonParams, the
// initial data of proxy, client, worker and cocoon-wallet contracts, and
// address derivation from a StateInit). The two implementations live in
// subpackages: emulated (an in-process chain on tonutils-go's TVM) and
// liteclient (real TON through liteservers); tontest is the conformance
// suite both pass.
package ton
