package devnet

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// TestCloseLeavesNoEngineConnections runs a network against an engine it
// does not own and checks that Close leaves no goroutine behind, on the
// engine's side either: an engine connection left open would hold the
// engine's graceful shutdown (up to 5 s for one that never carried a
// request, which the workers' transports dial now and then under load).
func TestCloseLeavesNoEngineConnections(t *testing.T) {
	srv := httptest.NewServer(&fakeEngine{chunks: 8})
	defer srv.Close()
	before := goleak.IgnoreCurrent()
	n := start(t, Options{Model: "m", Workers: 2, EngineURL: srv.URL})
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	hc := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 4 {
				res, err := hc.Post(n.ClientURL+"/v1/chat/completions", "application/json", strings.NewReader(chatStream))
				if err != nil {
					t.Error(err)
					return
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != 200 || !strings.HasSuffix(string(body), "[DONE]\n\n") {
					t.Errorf("streamed chat: %d %q %v, want 200 ending in [DONE]", res.StatusCode, body, err)
					return
				}
			}
		})
	}
	wg.Wait()
	tr.CloseIdleConnections()
	n.Close()
	goleak.VerifyNone(t, before)
}
