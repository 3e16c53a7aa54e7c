// Package fakespeech is a FAKE speech-to-text engine for tests and the
// devnet: it speaks the API vLLM serves for Whisper models
// (POST /v1/audio/transcriptions and /v1/audio/translations, multipart
// uploads, response_format json, text or verbose_json, usage of type
// duration) but recognises no speech. Its "transcript" names the audio's
// length, which it reads from a WAV header, or estimates from the size of
// any other file at 16 kB a second. It lets a worker configured for vLLM
// Whisper be run and billed end to end without a GPU.
package fakespeech

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
)

// MaxUpload bounds an upload, as vLLM bounds its audio files (25 MB).
const MaxUpload = 25 << 20

// bytesPerSecond is the rate at which the length of audio other than WAV
// is estimated: 128 kbit/s.
const bytesPerSecond = 16000

// Handler serves the fake engine for one model name.
type Handler struct {
	model string
	mux   *http.ServeMux
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns the fake engine serving model.
func NewHandler(model string) *Handler {
	h := &Handler{model: model, mux: http.NewServeMux()}
	h.mux.HandleFunc("POST /v1/audio/transcriptions", func(w http.ResponseWriter, r *http.Request) { h.audio(w, r, "transcribe") })
	h.mux.HandleFunc("POST /v1/audio/translations", func(w http.ResponseWriter, r *http.Request) { h.audio(w, r, "translate") })
	h.mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []map[string]any{{"id": model, "object": "model", "created": 0, "owned_by": "fakespeech"}}})
	})
	h.mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fail(w, http.StatusNotFound, "NotFoundError", "not found")
	})
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// fail answers an error in the shape vLLM uses.
func fail(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": status}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v) // maps of plain values always marshal
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func (h *Handler) audio(w http.ResponseWriter, r *http.Request, task string) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxUpload)
	if err := r.ParseMultipartForm(MaxUpload); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail(w, http.StatusRequestEntityTooLarge, "BadRequestError", "Maximum file size exceeded")
			return
		}
		fail(w, http.StatusBadRequest, "BadRequestError", "invalid multipart form: "+err.Error())
		return
	}
	defer r.MultipartForm.RemoveAll()
	if got := r.FormValue("model"); got != h.model {
		fail(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("The model `%s` does not exist.", got))
		return
	}
	if r.FormValue("stream") == "true" {
		fail(w, http.StatusBadRequest, "BadRequestError", "this fake engine does not stream")
		return
	}
	format := r.FormValue("response_format")
	switch format {
	case "":
		format = "json"
	case "json", "text", "verbose_json":
	default:
		fail(w, http.StatusBadRequest, "BadRequestError", "Currently only support response_format `text`, `json` or `verbose_json`")
		return
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		fail(w, http.StatusBadRequest, "BadRequestError", "file is missing")
		return
	}
	defer file.Close()
	seconds, err := Duration(file)
	if err != nil {
		fail(w, http.StatusBadRequest, "BadRequestError", "reading the audio: "+err.Error())
		return
	}
	language := r.FormValue("language")
	if language == "" || task == "translate" {
		language = "en"
	}
	text := Transcript(task, seconds)
	switch format {
	case "text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, text)
	case "verbose_json":
		// vLLM writes the duration as a string and no usage.
		writeJSON(w, http.StatusOK, map[string]any{
			"task": task, "language": language, "duration": strconv.FormatFloat(seconds, 'f', 2, 64), "text": text,
			"segments": []map[string]any{{"id": 0, "seek": 0, "start": 0.0, "end": seconds, "text": text, "tokens": []int{},
				"temperature": 0.0, "avg_logprob": 0.0, "compression_ratio": 1.0, "no_speech_prob": 0.0}},
		})
	default:
		// vLLM reports the duration in whole seconds, rounded up.
		writeJSON(w, http.StatusOK, map[string]any{"text": text, "usage": map[string]any{"type": "duration", "seconds": int64(math.Ceil(seconds))}})
	}
}

// Transcript is what the fake engine "hears" in seconds of audio.
func Transcript(task string, seconds float64) string {
	if task == "translate" {
		return fmt.Sprintf("This is a fake English translation of %.2f seconds of audio.", seconds)
	}
	return fmt.Sprintf("This is a fake transcription of %.2f seconds of audio.", seconds)
}

// Duration returns the length of audio in seconds: from the header of a
// RIFF WAVE file (its data chunk's size over its byte rate), or for any
// other file its size at 16 kB a second.
func Duration(audio io.Reader) (float64, error) {
	var head [12]byte
	n, err := io.ReadFull(audio, head[:])
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		if n == 0 {
			return 0, errors.New("the file is empty")
		}
		return float64(n) / bytesPerSecond, nil
	}
	if err != nil {
		return 0, err
	}
	if string(head[:4]) != "RIFF" || string(head[8:]) != "WAVE" {
		rest, err := io.Copy(io.Discard, audio)
		if err != nil {
			return 0, err
		}
		return float64(int64(n)+rest) / bytesPerSecond, nil
	}
	var byteRate uint32
	for {
		var ch [8]byte
		if _, err := io.ReadFull(audio, ch[:]); err != nil {
			return 0, errors.New("a WAV file without a data chunk")
		}
		size := binary.LittleEndian.Uint32(ch[4:])
		switch string(ch[:4]) {
		case "fmt ":
			var fmtChunk [16]byte
			if size < 16 {
				return 0, errors.New("a WAV fmt chunk shorter than 16 bytes")
			}
			if _, err := io.ReadFull(audio, fmtChunk[:]); err != nil {
				return 0, errors.New("a truncated WAV fmt chunk")
			}
			byteRate = binary.LittleEndian.Uint32(fmtChunk[8:])
			size -= 16
		case "data":
			if byteRate == 0 {
				return 0, errors.New("a WAV data chunk before its format, or a byte rate of 0")
			}
			return float64(size) / float64(byteRate), nil
		}
		if _, err := io.CopyN(io.Discard, audio, int64(size)+int64(size&1)); err != nil {
			return 0, errors.New("a truncated WAV chunk")
		}
	}
}

// Endpoints are the endpoints the fake engine serves, as a worker in
// front of it declares them.
var Endpoints = []string{"/v1/audio/transcriptions", "/v1/audio/translations"}
