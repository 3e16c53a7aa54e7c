// Package gateway owns the client's OpenAI-compatible HTTP API: chat and
// text completions, embeddings and audio uploads, streamed or not, the
// model list, CORS, bearer keys, timing headers, the per-request log and
// OpenAI-style errors with stable codes. It forwards each request over a
// Network (the client's proxy connections) and streams the answer back
// from a Stream the connection fills; it knows nothing of proxies,
// contracts or money.
package gateway
