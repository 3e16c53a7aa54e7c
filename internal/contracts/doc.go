// Package contracts owns everything the Go side knows about the COCOON
// smart contracts (root, proxy, client, worker and the cocoon wallet,
// whose Tolk sources and compiled code are in contracts/ at the
// repository's root): their opcodes and exit codes with what each means,
// the codecs of their storage (root configuration, CocoonParams, proxy,
// client, worker and wallet data), the message bodies the nodes send them
// and the reports they send the proxy, the proxy's save-state record,
// the derivation of a contract's address from its StateInit under a
// root's params (for a chain's root, our fake-TON root and the
// reference's), and the compiled code. It reads and writes cells only;
// rootadmin deploys and administers the root on a chain. A test checks the
// opcodes, exit codes and layouts against the Tolk sources and the
// TypeScript wrappers.
package contracts
