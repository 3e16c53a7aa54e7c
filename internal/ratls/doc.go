// Package ratls owns COCOON's RA-TLS: self-signed Ed25519 certificates that
// carry an attestation quote bound to the certificate's key, in the
// reference's exact format; the tls.Config of both sides (TLS 1.3,
// AES-GCM, no session tickets, client certificate required); verification
// of the peer inside VerifyConnection (certificate shape, self-signature,
// validity by an injected clock, report-data binding, then an
// attest.Validator and an attest.Policy, with a bounded TTL cache of
// verified quotes); the live part of that policy, the root contract's
// allow-list, which SetPolicy replaces while handshakes run, which the
// accepting side applies when a peer asks to be admitted rather than in
// the handshake, and which Recheck applies again to established
// connections; and the verified Peer that handlers use.
//
// It verifies by default: a Verifier needs a Validator, and the only way to
// skip attestation is to pass attest.NoVerification by name.
package ratls
