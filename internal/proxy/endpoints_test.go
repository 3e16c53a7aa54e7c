package proxy

import (
	"errors"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// readyWorker runs a worker's handshake up to its comparison, lets
// declare run in its place (it may send cocoon.workerEndpoints) and
// completes it.
func readyWorker(t *testing.T, p *Proxy, model string, declare func(wc *workerConn)) *workerConn {
	t.Helper()
	wc := newWorkerConn(p)
	w := workerParams()
	w.Model = model
	var connected tl.WorkerConnectedToProxy
	if err := ask(t, wc, &tl.WorkerConnectToProxy{Params: w}, &connected); err != nil {
		t.Fatal(err)
	}
	var cmp tl.WorkerCompareBalanceWithProxyResult
	if err := ask(t, wc, &tl.WorkerCompareBalanceWithProxy{}, &cmp); err != nil {
		t.Fatal(err)
	}
	if declare != nil {
		declare(wc)
	}
	var done tl.WorkerProxyHandshakeCompleted
	if err := ask(t, wc, &tl.WorkerProxyHandshakeComplete{}, &done); err != nil {
		t.Fatal(err)
	}
	return wc
}

func TestWorkerDeclaresEndpoints(t *testing.T) {
	p := newTestProxy(t)
	// A worker that declares nothing, as the reference's, serves the
	// reference's endpoints.
	plain := readyWorker(t, p, "chat", nil)
	if strings.Join(plain.endpoints, " ") != "/v1/chat/completions /v1/completions" || plain.audioRate != 0 {
		t.Errorf("undeclared worker serves %v at %d tokens/s, want the reference's two", plain.endpoints, plain.audioRate)
	}
	// A declared rate above the proxy's cap is capped, and the answer
	// says so.
	speech := readyWorker(t, p, "whisper", func(wc *workerConn) {
		var acc tl.CocoonWorkerEndpointsAccepted
		err := ask(t, wc, &tl.CocoonWorkerEndpoints{Endpoints: []string{openai.PathTranscriptions, openai.PathTranslations}, AudioTokensPerSecond: 5000}, &acc)
		if err != nil || acc.AudioTokensPerSecond != DefaultMaxAudioTokensPerSecond {
			t.Errorf("declaring 5000 tokens/s: %+v, %v; want the cap %d", acc, err, DefaultMaxAudioTokensPerSecond)
		}
		// One declaration only.
		if err := ask(t, wc, &tl.CocoonWorkerEndpoints{Endpoints: []string{openai.PathEmbeddings}}, &acc); err == nil {
			t.Error("a second declaration was accepted")
		}
	})
	if speech.audioRate != DefaultMaxAudioTokensPerSecond {
		t.Errorf("speech worker bills at %d tokens/s, want %d", speech.audioRate, DefaultMaxAudioTokensPerSecond)
	}
	for _, w := range p.Snapshot().WorkerConnections {
		if w.Model == "whisper" && (len(w.Endpoints) != 2 || w.AudioTokensPerSecond != DefaultMaxAudioTokensPerSecond) {
			t.Errorf("stats of the speech worker: %+v", w)
		}
	}
	got := map[string]string{}
	for _, m := range p.modelEndpoints().Models {
		got[m.Name] = strings.Join(m.Endpoints, " ")
	}
	if got["chat"] != "/v1/chat/completions /v1/completions" || got["whisper"] != "/v1/audio/transcriptions /v1/audio/translations" {
		t.Errorf("model endpoints = %v", got)
	}

	// Routing: the model's worker for its endpoint, a clear refusal
	// otherwise.
	if wc, err := p.pick("whisper", openai.PathTranslations, 4000, nil, nil); err != nil || wc != speech {
		t.Errorf("pick whisper translations = %v, %v; want the speech worker", wc, err)
	} else {
		p.release(wc, neutral, 0)
	}
	_, err := p.pick("whisper", openai.PathEmbeddings, 4000, nil, nil)
	var rej *rejection
	if !errors.As(err, &rej) || rej.code != wire.CodeProtoViolation || !strings.HasPrefix(rej.message, unsupportedEndpoint+": model whisper does not serve /v1/embeddings") {
		t.Errorf("pick whisper embeddings = %v, want an unsupported endpoint rejection", err)
	}
	if _, err := p.pick("chat", "/v1/images/generations", 4000, nil, nil); err == nil {
		t.Error("a path no worker serves was routed")
	}
}

func TestWorkerEndpointsRefused(t *testing.T) {
	tests := []struct {
		name string
		q    *tl.CocoonWorkerEndpoints
	}{
		{"none", &tl.CocoonWorkerEndpoints{}},
		{"unknown", &tl.CocoonWorkerEndpoints{Endpoints: []string{"/v1/images/generations"}}},
		{"twice", &tl.CocoonWorkerEndpoints{Endpoints: []string{openai.PathEmbeddings, openai.PathEmbeddings}}},
		{"negative rate", &tl.CocoonWorkerEndpoints{Endpoints: []string{openai.PathTranscriptions}, AudioTokensPerSecond: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readyWorker(t, newTestProxy(t), "m", func(wc *workerConn) {
				var acc tl.CocoonWorkerEndpointsAccepted
				var qe *wire.QueryError
				if err := ask(t, wc, tt.q, &acc); !errors.As(err, &qe) || qe.Code != wire.CodeProtoViolation {
					t.Errorf("got %v, want a protocol violation", err)
				}
			})
		})
	}
	t.Run("before the comparison", func(t *testing.T) {
		wc := newWorkerConn(newTestProxy(t))
		var acc tl.CocoonWorkerEndpointsAccepted
		if err := ask(t, wc, &tl.CocoonWorkerEndpoints{Endpoints: []string{openai.PathEmbeddings}}, &acc); err == nil {
			t.Error("a declaration before connectToProxy was accepted")
		}
	})
}

// TestAudioBilledAtTheCap checks that an answer reporting audio seconds
// is billed at most at the proxy's rate, whatever the worker claims.
func TestAudioBilledAtTheCap(t *testing.T) {
	p := newTestProxy(t)
	r := &request{p: p, endpoint: openai.PathTranscriptions, coef: billing.CoefficientOne, prices: billing.DefaultPrices(2, 1), audioRate: 10}
	r.usage = openai.NewAudioUsageCounter()
	r.usage.Write([]byte(`{"text":"hi","usage":{"type":"duration","seconds":3}}`))
	r.noteTokens(&tl.ProxyQueryFinalInfo{TokensUsed: tl.TokensUsed{TotalTokensUsed: 3000}})
	if r.tokens != 30 {
		t.Errorf("a worker claiming 3000 tokens for 3 s at 10 tokens/s is billed %d, want 30", r.tokens)
	}
	r.noteTokens(&tl.ProxyQueryFinalInfo{TokensUsed: tl.TokensUsed{TotalTokensUsed: 20}})
	if r.tokens != 20 {
		t.Errorf("a worker claiming less than the proxy counts is billed %d, want its 20", r.tokens)
	}
}

func TestRequestPath(t *testing.T) {
	q := tl.Marshal(&tl.HTTPRequest{Method: "POST", URL: "/v1/audio/translations?x=1", HTTPVersion: "HTTP/1.1", Payload: []byte("body")})
	if got, err := requestPath(q); err != nil || got != openai.PathTranslations {
		t.Errorf("requestPath = %q, %v", got, err)
	}
	for _, bad := range [][]byte{nil, q[:6], tl.Marshal(&tl.TCPPing{})} {
		if _, err := requestPath(bad); err == nil {
			t.Errorf("requestPath(%x) succeeded", bad)
		}
	}
}

func FuzzRequestPath(f *testing.F) {
	f.Add(tl.Marshal(&tl.HTTPRequest{Method: "POST", URL: "/v1/embeddings", HTTPVersion: "HTTP/1.1"}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		path, err := requestPath(b)
		if err != nil {
			return
		}
		again, err := requestPath(tl.Marshal(&tl.HTTPRequest{Method: "POST", URL: path}))
		if err != nil || again != path {
			t.Fatalf("path %q re-read as %q, %v", path, again, err)
		}
	})
}
