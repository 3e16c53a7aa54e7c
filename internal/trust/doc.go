// Package trust owns the root contract as a node's live admission policy:
// the allow-lists it last read from the root (proxy, worker and model
// hashes, the registered proxies' endpoints), the checks that admit or
// refuse a peer against them, each refusal naming what was refused, why,
// and the root and version that said so, the bound on how old that
// reading may be before the node takes no new work, and handing the image
// lists to the RA-TLS verifiers so that new handshakes use them at once.
//
// Checking is on by default. Gate's InsecureSkipHashChecks switches it
// off; the roles allow that on test networks (is_test) only.
package trust
