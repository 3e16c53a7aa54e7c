package devnet

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/engine/enginetest"
	"github.com/cocoon-go/cocoon/internal/engine/fakespeech"
	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

// speechNet is a devnet of the built-in model and a worker in front of
// the fake speech engine.
func speechNet(t *testing.T) *Network {
	t.Helper()
	return start(t, Options{ModelPath: sharedtest.Path(t, "models/stories260K.gguf"), Extra: []ExtraWorker{FakeSpeechWorker()}, MaxUploadBytes: 1 << 20})
}

// do sends a request to the client API, a GET without a content type,
// and returns its status, body and Content-Type.
func do(t *testing.T, url, path, contentType string, body []byte) (int, []byte, string) {
	t.Helper()
	var res *http.Response
	var err error
	if contentType == "" {
		res, err = http.Get(url + path)
	} else {
		res, err = http.Post(url+path, contentType, bytes.NewReader(body))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b, res.Header.Get("Content-Type")
}

// audioForm is a transcription upload of audio with fields.
func audioForm(t *testing.T, audio []byte, fields ...string) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		w.WriteField(fields[i], fields[i+1])
	}
	fw, err := w.CreateFormFile("file", "voice.wav")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(audio)
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

// billed runs f and returns the adjusted tokens the proxy settled for it.
func billed(t *testing.T, n *Network, f func()) int64 {
	t.Helper()
	before := n.Proxy.Snapshot().Totals
	f()
	eventually(t, "the proxy settles the request", func() bool {
		for _, c := range n.Proxy.Snapshot().Clients {
			if c.Reserved != 0 {
				return false
			}
		}
		return true
	})
	tot := n.Proxy.Snapshot().Totals
	// Fake-TON prices: 2 nanoTON a token for the client, 1 for the worker.
	if d := tot.Tokens - before.Tokens; tot.Charged-before.Charged != 2*d || tot.Earned-before.Earned != d {
		t.Errorf("charged %d and earned %d for %d tokens, want 2 and 1 nanoTON a token", tot.Charged-before.Charged, tot.Earned-before.Earned, d)
	}
	return tot.Tokens - before.Tokens
}

func TestModelsSayTheirEndpoints(t *testing.T) {
	n := speechNet(t)
	status, body, _ := do(t, n.ClientURL, "/v1/models", "", nil)
	if status != 200 {
		t.Fatalf("GET /v1/models: %d %s", status, body)
	}
	var list struct {
		Data []struct {
			ID        string   `json:"id"`
			Object    string   `json:"object"`
			Endpoints []string `json:"endpoints"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range list.Data {
		got[m.ID] = strings.Join(m.Endpoints, " ")
	}
	want := map[string]string{
		"stories260K":   "/v1/chat/completions /v1/completions /v1/embeddings",
		FakeSpeechModel: "/v1/audio/transcriptions /v1/audio/translations",
	}
	for m, e := range want {
		if got[m] != e {
			t.Errorf("model %s serves %q, want %q", m, got[m], e)
		}
	}
}

func TestEmbeddingsThroughTheNetwork(t *testing.T) {
	n := speechNet(t)
	var status int
	var body []byte
	tokens := billed(t, n, func() {
		status, body, _ = do(t, n.ClientURL, openai.PathEmbeddings, "application/json", []byte(`{"model":"stories260K","input":["Once upon a time","a cat"]}`))
	})
	if status != 200 {
		t.Fatalf("embeddings: %d %s", status, body)
	}
	var res openai.EmbeddingList
	if err := json.Unmarshal(body, &res); err != nil || len(res.Data) != 2 {
		t.Fatalf("embeddings answer %s (%v)", body, err)
	}
	// Embeddings are billed their prompt tokens, at coefficient 1.0.
	if res.Usage.PromptTokens == 0 || tokens != res.Usage.PromptTokens {
		t.Errorf("billed %d tokens, want the %d prompt tokens the answer reports", tokens, res.Usage.PromptTokens)
	}
}

func TestTranscriptionThroughTheNetwork(t *testing.T) {
	n := speechNet(t)
	audio := enginetest.WAV(2.5)
	tests := []struct {
		name, path, format string
		wantText           string
		wantType           string
		// The fake engine reports json's duration in whole seconds (3)
		// and verbose_json's exactly (2.5): at 10 tokens a second.
		wantTokens int64
	}{
		{"json", openai.PathTranscriptions, "json", fakespeech.Transcript("transcribe", 2.5), "application/json", 30},
		{"text", openai.PathTranscriptions, "text", fakespeech.Transcript("transcribe", 2.5), "text/plain; charset=utf-8", 30},
		{"verbose_json translation", openai.PathTranslations, "verbose_json", fakespeech.Transcript("translate", 2.5), "application/json", 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct, form := audioForm(t, audio, "model", FakeSpeechModel, "response_format", tt.format, "timeout", "30")
			var status int
			var body []byte
			var gotType string
			tokens := billed(t, n, func() { status, body, gotType = do(t, n.ClientURL, tt.path, ct, form) })
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			if gotType != tt.wantType || !strings.Contains(string(body), tt.wantText) {
				t.Errorf("answer %s %q, want %s with %q", gotType, body, tt.wantType, tt.wantText)
			}
			if tokens != tt.wantTokens {
				t.Errorf("billed %d tokens, want %d", tokens, tt.wantTokens)
			}
		})
	}
}

func TestEndpointMismatch(t *testing.T) {
	n := speechNet(t)
	ct, form := audioForm(t, enginetest.WAV(1), "model", "stories260K")
	tests := []struct {
		name        string
		path, ct    string
		body        []byte
		status      int
		code, words string
	}{
		{"embeddings of the speech model", openai.PathEmbeddings, "application/json", []byte(`{"model":"` + FakeSpeechModel + `","input":"x"}`), 404, "unsupported_endpoint", "does not serve /v1/embeddings"},
		{"transcription by the text model", openai.PathTranscriptions, ct, form, 404, "unsupported_endpoint", "does not serve /v1/audio/transcriptions"},
		{"upload over max_upload_bytes", openai.PathTranscriptions, ct, append(form, make([]byte, 1<<20)...), 413, "request_too_large", "max_upload_bytes"},
		{"upload that is not multipart", openai.PathTranslations, "application/json", []byte(`{"model":"x"}`), 400, "invalid_request", "multipart"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, _ := do(t, n.ClientURL, tt.path, tt.ct, tt.body)
			var e openai.ErrorResponse
			json.Unmarshal(body, &e)
			if status != tt.status || e.Error.Code == nil || *e.Error.Code != tt.code || !strings.Contains(e.Error.Message, tt.words) {
				t.Errorf("got %d %s, want %d %s mentioning %q", status, body, tt.status, tt.code, tt.words)
			}
		})
	}
	if tot := n.Proxy.Snapshot().Totals; tot.Tokens != 0 || tot.Charged != 0 {
		t.Errorf("refused requests were billed: %+v", tot)
	}
}

// TestLargeUpload sends an upload of nearly the default bound, 14 MiB of
// WAV (7 min 38 s of 16 kHz speech), through the network in one frame
// per hop, billed its duration.
func TestLargeUpload(t *testing.T) {
	n := start(t, Options{ModelPath: sharedtest.Path(t, "models/stories260K.gguf"), Extra: []ExtraWorker{FakeSpeechWorker()}})
	audio := enginetest.WAV(458.752) // 14 MiB of samples
	ct, form := audioForm(t, audio, "model", FakeSpeechModel)
	var status int
	var body []byte
	tokens := billed(t, n, func() { status, body, _ = do(t, n.ClientURL, openai.PathTranscriptions, ct, form) })
	if status != 200 || !strings.Contains(string(body), fakespeech.Transcript("transcribe", 458.752)) {
		t.Fatalf("a %d-byte upload: %d %.200s", len(form), status, body)
	}
	if want := int64(459 * DefaultAudioTokensPerSecond); tokens != want {
		t.Errorf("billed %d tokens, want %d (459 s at %d tokens/s)", tokens, want, DefaultAudioTokensPerSecond)
	}
}
