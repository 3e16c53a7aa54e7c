// Package attest owns the vocabulary of remote attestation in cocoon-go: the
// Issuer/Validator pair that turns 64 bytes of report data into a quote and
// back into verified Measurements, the binding of report data to a peer's
// claims (its TLS public key), the image hashes (the reference's for TDX,
// a domain-separated one for AMD SEV-SNP), and the Policy that decides which
// measurements a role accepts (the reference's named policies any, fake_tdx
// and tdx, cocoon's fake_sev_snp and sev_snp and their alternatives such as
// tdx_or_sev_snp, with allow-lists of MRTDs, RTMR tuples, SEV-SNP launch
// measurements, image hashes, Intel root key ids, TCB statuses and an
// SEV-SNP TCB minimum, and a live AllowList such as the root contract's
// worker_hashes, whose refusals name the image, the list and its source).
//
// It knows nothing vendor-specific: attest/tdx verifies real Intel TDX
// quotes, attest/sevsnp real AMD SEV-SNP reports, and attest/faketdx and
// attest/fakesevsnp provide fake attestation.
package attest
