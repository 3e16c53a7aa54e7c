// Package ratls owns COCOON's RA-TLS: self-signed Ed25519 certificates that
// carry attestation evidence bound to the certificate's key — a TDX quote in
// the reference's exact format, or AMD SEV-SNP evidence in RFC 9999's CMW
// extension (OIDCMW), which the reference does not know —; the tls.Config
// of both sides (TLS 1.3, AES-GCM, no session tickets, client certificate
// required); verification of the peer inside VerifyConnection (certificate
// shape, self-signature, validity by an injected clock, report-data
// binding, then the attest.Validator of the evidence's TEE and one
// attest.Policy, with a bounded TTL cache of verified evidence); the live
// part of that policy, the root contract's allow-list, which SetPolicy
// replaces while handshakes run, which the accepting side applies when a
// peer asks to be admitted rather than in the handshake, and which Recheck
// applies again to established connections; and the verified Peer that
// handlers use.
//
// It verifies by default: a Verifier needs a Validator, and the only way to
// skip attestation is to pass attest.NoVerification by name.
package ratls
