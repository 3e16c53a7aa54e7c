package tdx

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest/vendorcache"
)

// intelPCS is the host go-tdx-guest builds collateral URLs on; a PCCS
// serves the same paths.
const intelPCS = "https://api.trustedservices.intel.com"

// intelRootCRL is where go-tdx-guest fetches the root CA's CRL; a PCCS
// serves it at pccsRootCRL.
const (
	intelRootCRL = "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"
	pccsRootCRL  = "/sgx/certification/v4/rootcacrl"
)

// maxCollateralSize bounds one collateral response.
const maxCollateralSize = 1 << 20

// ErrCollateralUnavailable reports that collateral could not be fetched or
// is missing from the offline directory.
var ErrCollateralUnavailable = errors.New("TDX collateral unavailable")

// maxMemoryCached bounds the in-memory collateral cache; there are a few
// responses per platform model (FMSPC), so this is never reached in
// practice, and the cache is emptied when it is.
const maxMemoryCached = 256

// collateralGetter serves go-tdx-guest's collateral requests: from a PCCS
// instead of Intel PCS when configured, through an in-memory cache and an
// optional disk cache that keep each response until its own expiry, or
// only from an offline directory.
type collateralGetter struct {
	pccs    string // replaces intelPCS when set
	dir     string // cache or offline directory; "" for none
	offline bool   // never fetch; read dir regardless of expiry
	client  *http.Client
	clock   func() time.Time
	memory  vendorcache.Memory
}

func (g *collateralGetter) Get(url string) (map[string][]string, []byte, error) {
	return g.GetContext(context.Background(), url)
}

func (g *collateralGetter) GetContext(ctx context.Context, url string) (map[string][]string, []byte, error) {
	if !g.offline {
		if c, ok := g.memory.Get(url, g.clock()); ok {
			return c.Header, c.Body, nil
		}
	}
	if g.dir != "" {
		c, err := vendorcache.Read(g.dir, url)
		switch {
		case err == nil && (g.offline || g.clock().Before(c.Expires)):
			return c.Header, c.Body, nil
		case g.offline:
			return nil, nil, fmt.Errorf("reading offline collateral for %s: %w: %w", url, ErrCollateralUnavailable, err)
		}
	}
	header, body, err := g.fetch(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	c := vendorcache.Response{URL: url, Header: header, Body: body, Expires: expiry(body, g.clock())}
	g.memory.Put(c, maxMemoryCached)
	if g.dir != "" {
		if err := vendorcache.Write(g.dir, c); err != nil {
			return nil, nil, err
		}
	}
	return header, body, nil
}

func (g *collateralGetter) fetch(ctx context.Context, url string) (map[string][]string, []byte, error) {
	target := url
	if g.pccs != "" {
		base := strings.TrimSuffix(g.pccs, "/")
		if rest, ok := strings.CutPrefix(url, intelPCS); ok {
			target = base + rest
		} else if url == intelRootCRL {
			target = base + pccsRootCRL
		}
	}
	header, body, err := vendorcache.Get(ctx, g.client, target, maxCollateralSize, ErrCollateralUnavailable)
	if err != nil {
		return nil, nil, fmt.Errorf("fetching collateral: %w", err)
	}
	if url == intelRootCRL {
		body = derCRL(body)
	}
	return header, body, nil
}

// derCRL returns a CRL as DER: some PCCS versions serve the root CA CRL
// hex-encoded rather than as Intel does.
func derCRL(body []byte) []byte {
	if _, err := x509.ParseRevocationList(body); err == nil {
		return body
	}
	if der, err := hex.DecodeString(strings.TrimSpace(string(body))); err == nil {
		if _, err := x509.ParseRevocationList(der); err == nil {
			return der
		}
	}
	return body
}

// expiry returns when a collateral response stops being current: the
// nextUpdate of TCB info, QE identity or a CRL, or an hour from now for
// anything else.
func expiry(body []byte, now time.Time) time.Time {
	var doc struct {
		TCBInfo struct {
			NextUpdate time.Time `json:"nextUpdate"`
		} `json:"tcbInfo"`
		EnclaveIdentity struct {
			NextUpdate time.Time `json:"nextUpdate"`
		} `json:"enclaveIdentity"`
	}
	if json.Unmarshal(body, &doc) == nil {
		if !doc.TCBInfo.NextUpdate.IsZero() {
			return doc.TCBInfo.NextUpdate
		}
		if !doc.EnclaveIdentity.NextUpdate.IsZero() {
			return doc.EnclaveIdentity.NextUpdate
		}
	}
	if crl, err := x509.ParseRevocationList(body); err == nil && !crl.NextUpdate.IsZero() {
		return crl.NextUpdate
	}
	return now.Add(time.Hour)
}
