package worker

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/tl"
)

func newTestWorker(t *testing.T) *Worker {
	t.Helper()
	cfg, err := ParseConfig([]byte(`{"is_test":true,"model_name":"m@c:v","forward_requests_to":"127.0.0.1:1","proxies":["127.0.0.1:2"],"proxy_policy":"fake_tdx"}`))
	if err != nil {
		t.Fatal(err)
	}
	eng, _ := NewEngine(cfg.ForwardRequestsTo, nil)
	w, err := New(cfg, Deps{TLS: &tls.Config{}, Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestControlEndpoints(t *testing.T) {
	w := newTestWorker(t)
	h := w.Handler()
	do := func(url string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
		return rec.Code
	}
	if got := do("/request/disable"); got != 200 || !w.disabled() {
		t.Errorf("disable: %d, disabled=%v", got, w.disabled())
	}
	if got := do("/request/enable"); got != 200 || w.disabled() {
		t.Errorf("enable: %d, disabled=%v", got, w.disabled())
	}
	if got := do("/request/change_coefficient?coefficient=1.25"); got != 200 || w.Snapshot().LocalConf.Coefficient != 1250 {
		t.Errorf("change coefficient: %d, coefficient %d; want 1250", got, w.Snapshot().LocalConf.Coefficient)
	}
	for _, bad := range []string{"/request/change_coefficient?coefficient=-1", "/request/change_coefficient", "/nope"} {
		if got := do(bad); got != 400 {
			t.Errorf("GET %s = %d, want 400", bad, got)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/jsonstats", nil))
	var s Snapshot
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil || s.LocalConf.Model != "m@c:v" {
		t.Errorf("jsonstats = %q, %v", rec.Body.String(), err)
	}
}

// FuzzPrepare validates arbitrary request bodies: never a panic, and a
// prepared body, decoded and prepared again, stays the same.
func FuzzPrepare(f *testing.F) {
	f.Add("/v1/chat/completions", []byte(`{"model":"m","messages":[],"stream":true}`))
	f.Add("/v1/completions", []byte(`{"model":"m","prompt":"x","max_tokens":5000}`))
	f.Add("/v1/chat/completions", []byte(`{"model":"m","messages":[],"stream_options":{"include_usage":false}}`))
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		_, out, err := prepare(&query{method: http.MethodPost, url: path, body: body}, "m")
		if err != nil {
			return
		}
		if _, err := openai.DecodeObject(out); err != nil {
			t.Fatalf("prepared body %q is not an object: %v", out, err)
		}
		_, again, err := prepare(&query{method: http.MethodPost, url: path, body: out}, "m")
		if err != nil || string(again) != string(out) {
			t.Fatalf("preparing %q again gave %q, %v", out, again, err)
		}
	})
}

// FuzzCancelQuery checks the round trip of our cancel extension.
func FuzzCancelQuery(f *testing.F) {
	f.Add(tl.Marshal(&cancelQuery{RequestID: [32]byte{9}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c cancelQuery
		if tl.UnmarshalAs(b, &c) != nil {
			return
		}
		var again cancelQuery
		if err := tl.UnmarshalAs(tl.Marshal(&c), &again); err != nil || again != c {
			t.Fatalf("round trip: %+v, %v; want %+v", again, err, c)
		}
	})
}
