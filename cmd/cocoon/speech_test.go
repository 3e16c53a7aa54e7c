package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/devnet"
	"github.com/cocoon-go/cocoon/internal/engine/enginetest"
	"github.com/cocoon-go/cocoon/internal/engine/fakespeech"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// whisperConfig is the documented worker config for vLLM serving Whisper
// (docs/ENDPOINTS.md).
const whisperConfig = "../../examples/vllm-whisper/worker.json"

// TestVLLMWhisperWorkerConfig runs `cocoon worker` from the documented
// vLLM Whisper config, pointed at a devnet's proxy and at the fake speech
// engine serving the config's model as vLLM would, and transcribes
// through the devnet's client. Only where the config names real
// infrastructure (the chain, the proxies, TDX, the engine's address) is
// it changed.
func TestVLLMWhisperWorkerConfig(t *testing.T) {
	raw, err := os.ReadFile(whisperConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := worker.ParseConfig(raw)
	if err != nil {
		t.Fatalf("the documented config does not load: %v", err)
	}
	model := cfg.BaseModel()
	if cfg.AudioTokensPerSecond == 0 || strings.Join(cfg.Endpoints, " ") != "/v1/audio/transcriptions /v1/audio/translations" {
		t.Fatalf("the documented config serves %v at %d tokens/s", cfg.Endpoints, cfg.AudioTokensPerSecond)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := devnet.Start(ctx, devnet.Options{ModelPath: sharedtest.Path(t, "models/stories260K.gguf")})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	engine := httptest.NewServer(fakespeech.NewHandler(model))
	defer engine.Close()

	var m map[string]any
	json.Unmarshal(raw, &m)
	for _, k := range []string{"ton_config_filename", "root_contract_address", "node_wallet_key"} {
		delete(m, k)
	}
	m["is_test"], m["proxy_policy"], m["http_listen"] = true, "fake_tdx", "127.0.0.1:0"
	m["proxies"], m["forward_requests_to"] = []string{n.ProxyWorkersAddr}, engine.URL
	path := filepath.Join(t.TempDir(), "worker.json")
	writeJSON(t, path, m)
	startRole(t, runWorker, []string{"--config", path, "--insecure-fake-tdx"}, "HTTP listening")
	waitFor(t, "the whisper worker's registration", 30*time.Second, func() bool { return len(n.Proxy.Snapshot().WorkerConnections) == 2 })

	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("model", model)
	fw, _ := w.CreateFormFile("file", "voice.wav")
	fw.Write(enginetest.WAV(1.5))
	w.Close()
	res, err := http.Post(n.ClientURL+"/v1/audio/transcriptions", w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(b), fakespeech.Transcript("transcribe", 1.5)) {
		t.Fatalf("transcription through the documented worker: %d %s", res.StatusCode, b)
	}
	// 2 s (vLLM rounds up) at the config's rate.
	want := 2 * cfg.AudioTokensPerSecond
	waitFor(t, "the proxy's settlement", 5*time.Second, func() bool { return n.Proxy.Snapshot().Totals.Tokens == want })
}
