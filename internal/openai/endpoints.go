package openai

import "strings"

// The inference endpoints COCOON carries. A worker declares which of them
// its engine serves; the proxy routes each request by model and endpoint.
const (
	PathChatCompletions = "/v1/chat/completions"
	PathCompletions     = "/v1/completions"
	PathEmbeddings      = "/v1/embeddings"
	PathTranscriptions  = "/v1/audio/transcriptions"
	PathTranslations    = "/v1/audio/translations"
)

// Endpoints lists every endpoint COCOON carries, in a fixed order.
var Endpoints = []string{PathChatCompletions, PathCompletions, PathEmbeddings, PathTranscriptions, PathTranslations}

// ReferenceEndpoints are what the reference's workers serve (its request
// validation accepts nothing else): the endpoints of a worker that
// declares none.
var ReferenceEndpoints = []string{PathChatCompletions, PathCompletions}

// IsEndpoint reports whether path is an endpoint COCOON carries.
func IsEndpoint(path string) bool {
	for _, e := range Endpoints {
		if e == path {
			return true
		}
	}
	return false
}

// IsAudio reports whether path takes a multipart audio upload.
func IsAudio(path string) bool { return path == PathTranscriptions || path == PathTranslations }

// RequestPath returns the path of a request target as http.request
// carries it: an absolute URL's path, without query or fragment.
func RequestPath(target string) string {
	if i := strings.Index(target, "://"); i >= 0 {
		rest := target[i+3:]
		j := strings.IndexByte(rest, '/')
		if j < 0 {
			return "/"
		}
		target = rest[j:]
	}
	if i := strings.IndexAny(target, "?#"); i >= 0 {
		target = target[:i]
	}
	return target
}
