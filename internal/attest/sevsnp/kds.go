package sevsnp

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// amdKDS is AMD's Key Distribution Service, which issues VCEK
// certificates and the CRLs of each product's keys.
const amdKDS = "https://kdsintf.amd.com"

// maxKDSResponse bounds one KDS response.
const maxKDSResponse = 1 << 20

// maxMemoryCached bounds the in-memory cache of KDS responses (a VCEK per
// chip and TCB, a CRL per product); it is emptied when full.
const maxMemoryCached = 1024

// kdsGetter fetches VCEK certificates and CRLs from AMD's KDS (or a
// server at another base URL serving the same paths), keeping each in
// memory and, with a directory, on disk until its own expiry (a
// certificate's NotAfter, a CRL's NextUpdate); offline, it reads only the
// directory, whatever the expiry, which the Validator judges.
type kdsGetter struct {
	base    string // replaces amdKDS when set
	dir     string // cache or offline directory; "" for none
	offline bool
	client  *http.Client
	clock   func() time.Time

	// mu guards memory.
	mu     sync.Mutex
	memory map[string]cachedResponse
}

// cachedResponse is one KDS response on disk, under its AMD URL.
type cachedResponse struct {
	URL     string    `json:"url"`
	Body    []byte    `json:"body"`
	Expires time.Time `json:"expires"`
}

// get returns the body served at url, an AMD KDS URL.
func (g *kdsGetter) get(ctx context.Context, url string) ([]byte, error) {
	if g.offline {
		c, err := readCached(g.dir, url)
		if err != nil {
			return nil, fmt.Errorf("reading %s offline: %w: %w", url, ErrKDSUnavailable, err)
		}
		return c.Body, nil
	}
	now := g.clock()
	g.mu.Lock()
	c, ok := g.memory[url]
	g.mu.Unlock()
	if ok && now.Before(c.Expires) {
		return c.Body, nil
	}
	if g.dir != "" {
		if c, err := readCached(g.dir, url); err == nil && now.Before(c.Expires) {
			g.remember(c)
			return c.Body, nil
		}
	}
	body, err := g.fetch(ctx, url)
	if err != nil {
		return nil, err
	}
	c = cachedResponse{URL: url, Body: body, Expires: expiry(body, now)}
	g.remember(c)
	if g.dir != "" {
		if err := writeCached(g.dir, c); err != nil {
			return nil, err
		}
	}
	return body, nil
}

func (g *kdsGetter) remember(c cachedResponse) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.memory == nil || len(g.memory) >= maxMemoryCached {
		g.memory = make(map[string]cachedResponse)
	}
	g.memory[c.URL] = c
}

func (g *kdsGetter) fetch(ctx context.Context, url string) ([]byte, error) {
	target := url
	if g.base != "" {
		target = strings.TrimSuffix(g.base, "/") + strings.TrimPrefix(url, amdKDS)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", target, err)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w: %w", target, ErrKDSUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKDSResponse+1))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w: %w", target, ErrKDSUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: %w: HTTP status %s", target, ErrKDSUnavailable, resp.Status)
	}
	if len(body) > maxKDSResponse {
		return nil, fmt.Errorf("fetching %s: response larger than %d bytes", target, maxKDSResponse)
	}
	return body, nil
}

// expiry returns until when a KDS response may be reused: a certificate
// until its NotAfter, a CRL until its NextUpdate, anything else for an
// hour.
func expiry(body []byte, now time.Time) time.Time {
	if c, err := x509.ParseCertificate(body); err == nil {
		return c.NotAfter
	}
	if crl, err := x509.ParseRevocationList(body); err == nil && !crl.NextUpdate.IsZero() {
		return crl.NextUpdate
	}
	return now.Add(time.Hour)
}

func cachePath(dir, url string) string {
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(dir, hex.EncodeToString(sum[:])+".json")
}

func readCached(dir, url string) (cachedResponse, error) {
	b, err := os.ReadFile(cachePath(dir, url))
	if err != nil {
		return cachedResponse{}, err
	}
	var c cachedResponse
	if err := json.Unmarshal(b, &c); err != nil {
		return cachedResponse{}, fmt.Errorf("reading cached %s: %w", url, err)
	}
	if c.URL != url {
		return cachedResponse{}, fmt.Errorf("reading cached %s: file holds %s", url, c.URL)
	}
	return c, nil
}

// writeCached stores c in dir, atomically.
func writeCached(dir string, c cachedResponse) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("caching %s: %w", c.URL, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("caching %s: %w", c.URL, err)
	}
	tmp, err := os.CreateTemp(dir, ".kds-*")
	if err != nil {
		return fmt.Errorf("caching %s: %w", c.URL, err)
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("caching %s: %w", c.URL, err)
	}
	if err := os.Rename(tmp.Name(), cachePath(dir, c.URL)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("caching %s: %w", c.URL, err)
	}
	return nil
}
