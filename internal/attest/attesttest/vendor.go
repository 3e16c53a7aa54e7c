package attesttest

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// Document is what a fake vendor service serves at one path.
type Document struct {
	Header http.Header
	Body   []byte
}

// VendorServer stands for a TEE vendor's service (Intel PCS or a PCCS,
// AMD KDS): it serves docs by request URI, answers 404 to any other, and
// counts the requests it gets. It closes when the test ends.
func VendorServer(t *testing.T, docs map[string]Document) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		d, ok := docs[r.URL.RequestURI()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		for k, vs := range d.Header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.Write(d.Body)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}
