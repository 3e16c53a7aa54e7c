package sevsnp

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest/vendorcache"
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
	memory  vendorcache.Memory
}

// get returns the body served at url, an AMD KDS URL.
func (g *kdsGetter) get(ctx context.Context, url string) ([]byte, error) {
	if g.offline {
		c, err := vendorcache.Read(g.dir, url)
		if err != nil {
			return nil, fmt.Errorf("reading %s offline: %w: %w", url, ErrKDSUnavailable, err)
		}
		return c.Body, nil
	}
	now := g.clock()
	if c, ok := g.memory.Get(url, now); ok {
		return c.Body, nil
	}
	if g.dir != "" {
		if c, err := vendorcache.Read(g.dir, url); err == nil && now.Before(c.Expires) {
			g.memory.Put(c, maxMemoryCached)
			return c.Body, nil
		}
	}
	target := url
	if g.base != "" {
		target = strings.TrimSuffix(g.base, "/") + strings.TrimPrefix(url, amdKDS)
	}
	_, body, err := vendorcache.Get(ctx, g.client, target, maxKDSResponse, ErrKDSUnavailable)
	if err != nil {
		return nil, err
	}
	c := vendorcache.Response{URL: url, Body: body, Expires: expiry(body, now)}
	g.memory.Put(c, maxMemoryCached)
	if g.dir != "" {
		if err := vendorcache.Write(g.dir, c); err != nil {
			return nil, err
		}
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
