package fakespeech

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/engine/enginetest"
)

func post(t *testing.T, url string, fields map[string]string, audio []byte) *http.Response {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if audio != nil {
		fw, _ := w.CreateFormFile("file", "voice.wav")
		fw.Write(audio)
	}
	w.Close()
	res, err := http.Post(url, w.FormDataContentType(), &b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func TestFormats(t *testing.T) {
	srv := httptest.NewServer(NewHandler("whisper"))
	defer srv.Close()
	audio := enginetest.WAV(2.5)
	tests := []struct {
		name, path, format string
		check              func(t *testing.T, body []byte)
	}{
		{"json", "/v1/audio/transcriptions", "", func(t *testing.T, body []byte) {
			var v struct {
				Text  string `json:"text"`
				Usage struct {
					Type    string `json:"type"`
					Seconds int    `json:"seconds"`
				} `json:"usage"`
			}
			if err := json.Unmarshal(body, &v); err != nil || v.Text != Transcript("transcribe", 2.5) || v.Usage.Type != "duration" || v.Usage.Seconds != 3 {
				t.Errorf("got %s (%v), want the transcript and 3 s of usage", body, err)
			}
		}},
		{"text", "/v1/audio/transcriptions", "text", func(t *testing.T, body []byte) {
			if string(body) != Transcript("transcribe", 2.5) {
				t.Errorf("got %q", body)
			}
		}},
		{"verbose_json translation", "/v1/audio/translations", "verbose_json", func(t *testing.T, body []byte) {
			var v struct {
				Task, Language, Duration, Text string
				Segments                       []any
			}
			if err := json.Unmarshal(body, &v); err != nil || v.Task != "translate" || v.Duration != "2.50" || v.Language != "en" || len(v.Segments) != 1 || v.Text != Transcript("translate", 2.5) {
				t.Errorf("got %s (%v)", body, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := post(t, srv.URL+tt.path, map[string]string{"model": "whisper", "response_format": tt.format}, audio)
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", res.StatusCode, body)
			}
			tt.check(t, body)
		})
	}
}

func TestRefuses(t *testing.T) {
	srv := httptest.NewServer(NewHandler("whisper"))
	defer srv.Close()
	tests := []struct {
		name   string
		fields map[string]string
		audio  []byte
		status int
	}{
		{"other model", map[string]string{"model": "x"}, enginetest.WAV(1), http.StatusNotFound},
		{"no file", map[string]string{"model": "whisper"}, nil, http.StatusBadRequest},
		{"srt", map[string]string{"model": "whisper", "response_format": "srt"}, enginetest.WAV(1), http.StatusBadRequest},
		{"stream", map[string]string{"model": "whisper", "stream": "true"}, enginetest.WAV(1), http.StatusBadRequest},
		{"wav without data", map[string]string{"model": "whisper"}, enginetest.WAV(1)[:36], http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := post(t, srv.URL+"/v1/audio/transcriptions", tt.fields, tt.audio); res.StatusCode != tt.status {
				t.Errorf("status %d, want %d", res.StatusCode, tt.status)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	for name, tc := range map[string]struct {
		audio []byte
		want  float64
	}{
		"wav":        {enginetest.WAV(1.25), 1.25},
		"other file": {bytes.Repeat([]byte{1}, 40000), 2.5},
		"tiny file":  {[]byte("ab"), 2.0 / 16000},
	} {
		got, err := Duration(bytes.NewReader(tc.audio))
		if err != nil || got != tc.want {
			t.Errorf("%s: Duration = %v, %v; want %v", name, got, err, tc.want)
		}
	}
	if _, err := Duration(strings.NewReader("")); err == nil {
		t.Error("Duration of an empty file succeeded")
	}
}

func FuzzDuration(f *testing.F) {
	f.Add(enginetest.WAV(0.5))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Duration(bytes.NewReader(b))
		if err == nil && (d < 0 || d != d) {
			t.Fatalf("Duration = %v", d)
		}
		// Decoding is deterministic: the same bytes give the same answer.
		d2, err2 := Duration(bytes.NewReader(b))
		if d2 != d && !(d != d && d2 != d2) || (err == nil) != (err2 == nil) {
			t.Fatalf("two reads differ: %v %v, %v %v", d, err, d2, err2)
		}
	})
}
