package worker

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/engine/enginetest"
	"github.com/cocoon-go/cocoon/internal/engine/fakespeech"
	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// audioQuery is a transcription upload for the worker of model "whisper".
func audioQuery(t testing.TB, path string, audio []byte, fields ...string) *query {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		w.WriteField(fields[i], fields[i+1])
	}
	if audio != nil {
		fw, _ := w.CreateFormFile("file", "voice.wav")
		fw.Write(audio)
	}
	w.Close()
	return &query{method: http.MethodPost, url: path, body: b.Bytes(), header: []header{{"Content-Type", w.FormDataContentType()}},
		coefficient: 1000, timeout: 10 * time.Second, endpoints: fakespeech.Endpoints, audioRate: 10}
}

func TestServeAudio(t *testing.T) {
	eng := newEngine(t, fakespeech.NewHandler("whisper"))
	audio := enginetest.WAV(2.5)
	tests := []struct {
		name, path, format string
		wantBody, wantType string
		wantTokens         int64 // 10 tokens a second of what the engine reports
	}{
		{"json", openai.PathTranscriptions, "json", `"text":"` + fakespeech.Transcript("transcribe", 2.5), "application/json", 30},
		{"text is asked as json and answered as text", openai.PathTranscriptions, "text", fakespeech.Transcript("transcribe", 2.5), "text/plain; charset=utf-8", 30},
		{"verbose_json's duration", openai.PathTranslations, "verbose_json", `"duration":"2.50"`, "application/json", 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &recordSink{}
			q := audioQuery(t, tt.path, audio, "model", "whisper", "response_format", tt.format)
			if err := serveQuery(context.Background(), eng, "whisper", billing.DefaultPrices(2, 1), q, sink, time.Now); err != nil {
				t.Fatal(err)
			}
			if !sink.finished || sink.status != 200 || sink.failMsg != "" {
				t.Fatalf("status %d, failed %q", sink.status, sink.failMsg)
			}
			if got := sink.body.String(); !strings.Contains(got, tt.wantBody) || tt.format == "text" && got != tt.wantBody {
				t.Errorf("body %q, want %q", got, tt.wantBody)
			}
			ct := ""
			for _, h := range sink.headers {
				if h.name == "Content-Type" {
					ct = h.value
				}
			}
			if ct != tt.wantType {
				t.Errorf("Content-Type %q, want %q", ct, tt.wantType)
			}
			if sink.tokens.Total != tt.wantTokens || sink.tokens.Prompt != tt.wantTokens {
				t.Errorf("tokens %+v, want %d prompt tokens", sink.tokens, tt.wantTokens)
			}
		})
	}
}

func TestPrepareRefuses(t *testing.T) {
	audio := enginetest.WAV(1)
	tests := []struct {
		name  string
		q     *query
		words string
	}{
		{"an endpoint the worker does not serve", audioQuery(t, openai.PathEmbeddings, nil), "unsupported method POST /v1/embeddings: this worker serves POST /v1/audio/transcriptions, /v1/audio/translations"},
		{"an undeclared worker's audio", func() *query {
			q := audioQuery(t, openai.PathTranscriptions, audio, "model", "whisper")
			q.endpoints = nil
			return q
		}(), "unsupported method"},
		{"another model", audioQuery(t, openai.PathTranscriptions, audio, "model", "other"), "model name mismatch"},
		{"no model", audioQuery(t, openai.PathTranscriptions, audio), "model is missing"},
		{"no file", audioQuery(t, openai.PathTranscriptions, nil, "model", "whisper"), "file is missing"},
		{"stream", audioQuery(t, openai.PathTranscriptions, audio, "model", "whisper", "stream", "true"), "stream is not supported"},
		{"srt", audioQuery(t, openai.PathTranscriptions, audio, "model", "whisper", "response_format", "srt"), "reports no usage"},
		{"not multipart", func() *query {
			q := audioQuery(t, openai.PathTranscriptions, audio, "model", "whisper")
			q.header = nil
			return q
		}(), "invalid upload"},
		{"embeddings without input", &query{method: "POST", url: openai.PathEmbeddings, body: []byte(`{"model":"whisper"}`), endpoints: []string{openai.PathEmbeddings}}, "input is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := prepare(tt.q, "whisper")
			qe, ok := err.(*queryError)
			if !ok || qe.code != wire.CodeProtoViolation || !strings.Contains(qe.message, tt.words) {
				t.Errorf("prepare = %v, want a protocol violation saying %q", err, tt.words)
			}
		})
	}
}

func TestPrepareEmbeddingsUnchanged(t *testing.T) {
	body := []byte(`{"model":"m","input":["a","b"],"encoding_format":"base64"}`)
	path, out, err := prepare(&query{method: "POST", url: openai.PathEmbeddings, body: body, endpoints: []string{openai.PathEmbeddings}}, "m")
	if err != nil || path != openai.PathEmbeddings || !bytes.Equal(out, body) {
		t.Errorf("prepare = %q %s %v, want the body unchanged (no max_tokens, no stream options)", path, out, err)
	}
}

func TestConfigEndpoints(t *testing.T) {
	base := `{"model_name":"m","forward_requests_to":"127.0.0.1:1","proxies":["127.0.0.1:2"],"is_test":true,"proxy_policy":"fake_tdx"`
	c, err := ParseConfig([]byte(base + `}`))
	if err != nil || strings.Join(c.Endpoints, " ") != "/v1/chat/completions /v1/completions" {
		t.Errorf("default endpoints %v, %v; want the reference's two", c.Endpoints, err)
	}
	for name, extra := range map[string]string{
		"unknown endpoint":     `,"endpoints":["/v1/images/generations"]`,
		"repeated endpoint":    `,"endpoints":["/v1/embeddings","/v1/embeddings"]`,
		"audio without a rate": `,"endpoints":["/v1/audio/transcriptions"]`,
		"negative rate":        `,"audio_tokens_per_second":-1`,
	} {
		if _, err := ParseConfig([]byte(base + extra + `}`)); err == nil {
			t.Errorf("%s: config accepted", name)
		}
	}
	if _, err := ParseConfig([]byte(base + `,"endpoints":["/v1/audio/transcriptions"],"audio_tokens_per_second":10}`)); err != nil {
		t.Errorf("an audio worker's config: %v", err)
	}
}

// FuzzPrepareUpload checks arbitrary uploads: never a panic, and an
// upload prepared once is prepared again unchanged.
func FuzzPrepareUpload(f *testing.F) {
	seed := audioQuery(f, openai.PathTranscriptions, enginetest.WAV(0.01), "model", "whisper", "response_format", "text")
	f.Add(seed.header[0].value, seed.body)
	f.Add("multipart/form-data; boundary=b", []byte("--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper\r\n--b--\r\n"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		q := &query{method: http.MethodPost, url: openai.PathTranscriptions, body: body, header: []header{{"Content-Type", contentType}}, endpoints: fakespeech.Endpoints}
		_, out, err := prepare(q, "whisper")
		if err != nil {
			return
		}
		out = append([]byte(nil), out...)
		again := &query{method: http.MethodPost, url: openai.PathTranscriptions, body: append([]byte(nil), out...), header: q.header, endpoints: fakespeech.Endpoints}
		if _, twice, err := prepare(again, "whisper"); err != nil || !bytes.Equal(twice, out) {
			t.Fatalf("preparing %q again gave %q, %v", out, twice, err)
		}
	})
}
