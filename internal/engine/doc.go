// Package engine owns the built-in inference engine: a pure-Go runner of
// GGUF models of the llama and qwen2 architectures (weights, tokenizer,
// forward pass with a KV cache per sequence, sampling), a scheduler that
// interleaves several sequences behind a bounded queue, model loading from
// a path or a sha256-pinned URL, and the OpenAI-compatible HTTP handler
// that serves it (what `cocoon engine` serves, and what the devnet runs
// in process on a loopback listener; a worker reaches it over HTTP, as
// any engine, at forward_requests_to). Real deployments use an external
// engine; this
// one makes the network runnable on any machine without a GPU or a
// download.
package engine
