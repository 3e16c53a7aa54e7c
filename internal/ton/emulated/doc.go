// Package emulated owns the in-process TON chain: accounts with their
// balance, code and data, inbound external messages, internal messages
// routed between contracts in logical-time order with bounces, a clock
// injected by the caller, and persistence to a file so that a devnet's
// chain survives restarts. Every transaction runs on tonutils-go's TVM
// (EmulateTransaction) under a real blockchain configuration, so gas,
// fees and phases are those of TON.
//
// config.boc is the default blockchain configuration of @ton/sandbox
// 0.41.0 (dist/config/defaultConfig.js, mainnet config at masterchain
// seqno 52956904), carried here as raw BoC bytes.
package emulated
