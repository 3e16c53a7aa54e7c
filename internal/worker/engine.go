package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Engine sends inference requests to an OpenAI-compatible server (vLLM,
// SGLang, llama.cpp's server, Ollama, or the built-in engine served on a
// loopback listener). A request is bound to its context: cancelling it
// aborts the engine request, body included.
type Engine struct {
	base   *url.URL
	client *http.Client
}

// NewEngine returns an engine client for baseURL, such as
// "http://127.0.0.1:8000". A bare "host:port", the reference's
// forward_requests_to, is taken as http. client may be nil for a default
// one without an overall timeout (deadlines come from request contexts).
func NewEngine(baseURL string, client *http.Client) (*Engine, error) {
	if baseURL == "" {
		return nil, errors.New("setting up the engine client: no engine URL")
	}
	if !strings.Contains(baseURL, "://") {
		baseURL = "http://" + baseURL
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("setting up the engine client: parsing %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("setting up the engine client: unsupported scheme %q in %q", u.Scheme, baseURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("setting up the engine client: no host in %q", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if client == nil {
		client = &http.Client{Transport: &http.Transport{
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		}}
	}
	return &Engine{base: u, client: client}, nil
}

// CloseIdleConnections closes the engine connections that carry no
// request. The worker calls it when it stops: a kept-alive connection
// left open holds the engine's transport goroutines, and a connection
// the transport dialled for a request that another connection then
// served has carried nothing, which a Go engine's graceful shutdown
// (http.Server.Shutdown) waits 5 s for.
func (e *Engine) CloseIdleConnections() { e.client.CloseIdleConnections() }

// hopHeaders are not passed to the engine: they describe the connection,
// not the request.
var hopHeaders = []string{"Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "Te", "Trailer", "Proxy-Connection"}

// Do sends one request and returns the engine's response as soon as its
// head arrives; the caller reads and closes the body. path is the request
// path, such as "/v1/chat/completions".
func (e *Engine) Do(ctx context.Context, method, path string, header http.Header, body []byte) (*http.Response, error) {
	u := *e.base
	u.Path = e.base.Path + path
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building the engine request: %w", err)
	}
	for k, vs := range header {
		req.Header[k] = append([]string(nil), vs...)
	}
	for _, h := range hopHeaders {
		req.Header.Del(h)
	}
	// The caller's Host, which the client forwards, goes to the engine
	// as it came, as the reference's worker forwards headers; net/http
	// sends req.Host, not a Host in the header map.
	if host := req.Header.Get("Host"); host != "" {
		req.Host = host
		req.Header.Del("Host")
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sending the request to the engine: %w", err)
	}
	return res, nil
}

// Health asks the engine for its model list (GET /v1/models), the
// reference's health probe, and fails unless it answers 200.
func (e *Engine) Health(ctx context.Context) error {
	res, err := e.Do(ctx, http.MethodGet, "/v1/models", nil, nil)
	if err != nil {
		return fmt.Errorf("probing engine health: %w", err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("probing engine health: GET /v1/models answered %s", res.Status)
	}
	return nil
}
