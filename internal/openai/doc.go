// Package openai owns the OpenAI-compatible vocabulary that every COCOON
// role speaks at its HTTP edge: request and response types that keep
// unknown fields for forwarding, the error body, a Server-Sent Events
// writer and incremental reader, a streaming usage extractor for billing,
// and pure body rewrites used by request validation (COCOON's extra
// fields, max-token limits, forced usage reporting).
//
// It imports nothing internal and does no I/O beyond the readers and
// writers handed to it.
package openai
