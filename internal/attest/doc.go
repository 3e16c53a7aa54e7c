// Package attest owns the vocabulary of remote attestation in cocoon-go: the
// Issuer/Validator pair that turns 64 bytes of report data into a quote and
// back into verified Measurements, the binding of report data to a peer's
// claims (its TLS public key), the reference's image hash, and the Policy
// that decides which measurements a role accepts (the reference's named
// policies any, fake_tdx and tdx, with allow-lists of MRTDs, RTMR tuples,
// image hashes, Intel root key ids and TCB statuses, and a live AllowList
// such as the root contract's worker_hashes, whose refusals name the
// image, the list and its source).
//
// It knows nothing vendor-specific: attest/tdx verifies real Intel TDX
// quotes and attest/faketdx provides the reference's fake attestation.
package attest
