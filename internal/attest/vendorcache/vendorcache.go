// Package vendorcache owns what the TEE verifiers share in fetching the
// documents their vendor publishes to endorse its hardware (Intel's
// collateral from PCS or a PCCS, AMD's certificates and CRLs from KDS):
// the bounded HTTP GET, the in-memory cache and the on-disk cache, each
// response kept until an expiry its verifier reads from it.
package vendorcache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cocoon-go/cocoon/internal/statefile"
)

// Response is one fetched document, under the vendor's URL for it, as
// the caches keep it.
type Response struct {
	URL     string              `json:"url"`
	Header  map[string][]string `json:"header,omitempty"`
	Body    []byte              `json:"body"`
	Expires time.Time           `json:"expires"`
}

// Get fetches target with client, refusing a body larger than maxSize
// bytes; a failed request, a failed read or a status other than 200 OK
// wraps unavailable.
func Get(ctx context.Context, client *http.Client, target string, maxSize int, unavailable error) (http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("fetching %s: %w", target, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("fetching %s: %w: %w", target, unavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(maxSize)+1))
	if err != nil {
		return nil, nil, fmt.Errorf("fetching %s: %w: %w", target, unavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("fetching %s: %w: HTTP status %s", target, unavailable, resp.Status)
	}
	if len(body) > maxSize {
		return nil, nil, fmt.Errorf("fetching %s: response larger than %d bytes", target, maxSize)
	}
	return resp.Header, body, nil
}

// Memory keeps responses in memory. The zero Memory is empty and ready.
type Memory struct {
	// mu guards responses.
	mu        sync.Mutex
	responses map[string]Response
}

// Get returns the response kept for url, if it has not expired at now.
func (m *Memory) Get(url string, now time.Time) (Response, bool) {
	m.mu.Lock()
	r, ok := m.responses[url]
	m.mu.Unlock()
	return r, ok && now.Before(r.Expires)
}

// Put keeps r, emptying the memory first when it holds limit responses.
func (m *Memory) Put(r Response, limit int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.responses == nil || len(m.responses) >= limit {
		m.responses = make(map[string]Response)
	}
	m.responses[r.URL] = r
}

func file(dir, url string) string {
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(dir, hex.EncodeToString(sum[:])+".json")
}

// Read returns the response kept in dir for url, whatever its expiry.
func Read(dir, url string) (Response, error) {
	b, err := os.ReadFile(file(dir, url))
	if err != nil {
		return Response{}, err
	}
	var r Response
	if err := json.Unmarshal(b, &r); err != nil {
		return Response{}, fmt.Errorf("reading cached %s: %w", url, err)
	}
	if r.URL != url {
		return Response{}, fmt.Errorf("reading cached %s: file holds %s", url, r.URL)
	}
	return r, nil
}

// Write keeps r in dir, atomically, creating dir if need be.
func Write(dir string, r Response) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("caching %s: %w", r.URL, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("caching %s: %w", r.URL, err)
	}
	if err := statefile.Write(file(dir, r.URL), b); err != nil {
		return fmt.Errorf("caching %s: %w", r.URL, err)
	}
	return nil
}
