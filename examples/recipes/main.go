// Command recipes runs Telegram's first jobs for COCOON through a COCOON
// client's OpenAI-compatible API: translating a message, summarising a
// long chat and transcribing a voice message. docs/RECIPES.md explains the
// prompts and parameters.
//
//	go run ./examples/recipes translate  --model M --to French "Hello, how are you?"
//	go run ./examples/recipes summarize  --model M chat.txt
//	go run ./examples/recipes transcribe --model whisper voice.ogg
//
// The answer goes to stdout; what the client billed for (the usage each
// answer reports) to stderr.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "recipes:", err)
		os.Exit(1)
	}
}

// usage is what an answer reports it used.
type usage struct {
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	// The audio endpoints report type "duration" with seconds, or type
	// "tokens" with input and output tokens.
	Type         string  `json:"type"`
	Seconds      float64 `json:"seconds"`
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
}

// api is a COCOON client's OpenAI-compatible API.
type api struct {
	base   string
	key    string
	http   *http.Client
	stderr io.Writer
}

// run parses the subcommand and its flags and runs the recipe.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("want a recipe: translate, summarize or transcribe")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", envOr("COCOON_URL", "http://127.0.0.1:10000"), "the COCOON client's base URL")
	key := fs.String("api-key", os.Getenv("COCOON_API_KEY"), "the client's API key, if it demands one")
	model := fs.String("model", "", "the model to use (see GET /v1/models and its endpoints)")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long to wait for the answer")
	a := &api{http: &http.Client{}, stderr: stderr}
	// call asks the API for the recipe's answer to its input: the
	// argument itself for translate, the file it names (- for stdin) for
	// the others.
	var call func(ctx context.Context, input []byte) (string, error)
	fromFile := true
	switch args[0] {
	case "translate":
		to := fs.String("to", "English", "the language to translate into")
		maxTokens := fs.Int("max-tokens", 0, "the longest translation in tokens (default: 3 per word of the message, at least 64)")
		fromFile = false
		call = func(ctx context.Context, text []byte) (string, error) {
			return a.translate(ctx, *model, *to, string(text), *maxTokens)
		}
	case "summarize":
		points := fs.Int("points", 5, "at most this many bullet points")
		chunk := fs.Int("chunk-chars", 6000, "a chat longer than this many characters is summarised in parts first (keep it within the model's context)")
		maxTokens := fs.Int("max-tokens", 300, "the longest summary in tokens")
		call = func(ctx context.Context, chat []byte) (string, error) {
			return a.summarize(ctx, *model, string(chat), *points, *chunk, *maxTokens)
		}
	case "transcribe":
		language := fs.String("language", "", "the language spoken, as ISO 639-1 (such as ru or en): faster and more accurate than detection")
		translate := fs.Bool("into-english", false, "translate the speech into English (/v1/audio/translations) instead of transcribing it")
		prompt := fs.String("prompt", "", "words the speech may contain, such as names, to guide the recognition")
		call = func(ctx context.Context, audio []byte) (string, error) {
			return a.transcribe(ctx, *model, filepath.Base(fs.Arg(0)), audio, *language, *prompt, *translate)
		}
	default:
		return fmt.Errorf("unknown recipe %q: want translate, summarize or transcribe", args[0])
	}
	if err := parse(fs, args[1:], 1); err != nil {
		return err
	}
	a.base, a.key = strings.TrimSuffix(*base, "/"), *key
	input := []byte(fs.Arg(0))
	if fromFile {
		var err error
		if input, err = readInput(fs.Arg(0), stdin); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	out, err := call(ctx, input)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, out)
	return nil
}

// parse reads a recipe's flags and checks its arguments.
func parse(fs *flag.FlagSet, args []string, nargs int) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.Lookup("model").Value.String() == "" {
		return errors.New("--model is required")
	}
	if fs.NArg() != nargs {
		return fmt.Errorf("%s takes %d argument (a file, - for stdin, or the text)", fs.Name(), nargs)
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// readInput reads a file, or stdin for "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

// post sends a request and decodes a JSON answer into v, or returns the
// API's error.
func (a *api) post(ctx context.Context, path, contentType string, body []byte, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	if a.key != "" {
		req.Header.Set("Authorization", "Bearer "+a.key)
	}
	res, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("calling %s: %w", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("reading the answer of %s: %w", path, err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("%s answered %d: %s", path, res.StatusCode, e.Error.Message)
		}
		return fmt.Errorf("%s answered %d: %s", path, res.StatusCode, bytes.TrimSpace(b))
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decoding the answer of %s: %w", path, err)
	}
	return nil
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// chat runs one non-streamed chat completion and returns its text.
func (a *api) chat(ctx context.Context, req map[string]any) (string, error) {
	body, _ := json.Marshal(req) // maps of plain values always marshal
	var res struct {
		Choices []struct {
			Message      message `json:"message"`
			FinishReason string  `json:"finish_reason"`
		} `json:"choices"`
		Usage usage `json:"usage"`
	}
	if err := a.post(ctx, "/v1/chat/completions", "application/json", body, &res); err != nil {
		return "", err
	}
	if len(res.Choices) == 0 {
		return "", errors.New("the answer has no choice")
	}
	fmt.Fprintf(a.stderr, "usage: %d prompt + %d completion tokens\n", res.Usage.PromptTokens, res.Usage.CompletionTokens)
	return strings.TrimSpace(res.Choices[0].Message.Content), nil
}

// translate translates text into the language to. The system prompt
// pins the task (translation only, no commentary) and what to keep;
// temperature 0 gives the most likely translation, and the completion
// limit scales with the message.
func (a *api) translate(ctx context.Context, model, to, text string, maxTokens int) (string, error) {
	if maxTokens <= 0 {
		maxTokens = max(64, 3*len(strings.Fields(text)))
	}
	return a.chat(ctx, map[string]any{
		"model": model,
		"messages": []message{
			{"system", "You are a professional translator. Translate the user's message into " + to + ". " +
				"Keep its meaning, tone, names, numbers, links, emoji and line breaks. " +
				"Reply with the translation only, without quotes or comments."},
			{"user", text},
		},
		"temperature": 0,
		"max_tokens":  maxTokens,
	})
}

// summarize summarises a chat (one message per line, "Name: text"): a
// chat longer than chunk characters is cut at line ends into parts, each
// part summarised, and the summaries summarised, so that no request
// outgrows the model's context.
func (a *api) summarize(ctx context.Context, model, chat string, points, chunk, maxTokens int) (string, error) {
	parts := splitLines(chat, chunk)
	if len(parts) == 0 {
		return "", errors.New("the chat is empty")
	}
	ask := func(text, what string) (string, error) {
		return a.chat(ctx, map[string]any{
			"model": model,
			"messages": []message{
				{"system", fmt.Sprintf("You summarise %s for someone who missed it. Write at most %d short bullet points: "+
					"decisions, questions still open, and who does what by when. Use the language of the chat. "+
					"Do not invent anything that is not in it.", what, points)},
				{"user", text},
			},
			"temperature": 0.2,
			"max_tokens":  maxTokens,
		})
	}
	if len(parts) == 1 {
		return ask(parts[0], "a group chat")
	}
	var sums []string
	for i, p := range parts {
		s, err := ask(p, fmt.Sprintf("part %d of %d of a group chat", i+1, len(parts)))
		if err != nil {
			return "", err
		}
		sums = append(sums, s)
	}
	return ask(strings.Join(sums, "\n"), "the summaries of the parts of a group chat, in order,")
}

// splitLines cuts text at line ends into parts of at most limit bytes
// (a longer line is a part of its own).
func splitLines(text string, limit int) []string {
	var parts []string
	var cur strings.Builder
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if cur.Len() > 0 && cur.Len()+len(line)+1 > limit {
			parts = append(parts, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(line)
	}
	if cur.Len() > 0 {
		parts = append(parts, cur.String())
	}
	return parts
}

// transcribe turns a voice message into text: the audio file as a
// multipart upload, response_format json so that the answer reports the
// audio's duration that is billed.
func (a *api) transcribe(ctx context.Context, model, name string, audio []byte, language, prompt string, intoEnglish bool) (string, error) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField("model", model)
	w.WriteField("response_format", "json")
	if language != "" && !intoEnglish {
		w.WriteField("language", language)
	}
	if prompt != "" {
		w.WriteField("prompt", prompt)
	}
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		return "", err
	}
	fw.Write(audio)
	w.Close()
	path := "/v1/audio/transcriptions"
	if intoEnglish {
		path = "/v1/audio/translations"
	}
	var res struct {
		Text  string `json:"text"`
		Usage usage  `json:"usage"`
	}
	if err := a.post(ctx, path, w.FormDataContentType(), b.Bytes(), &res); err != nil {
		return "", err
	}
	if res.Usage.Type == "duration" {
		fmt.Fprintf(a.stderr, "usage: %g seconds of audio\n", res.Usage.Seconds)
	} else {
		fmt.Fprintf(a.stderr, "usage: %d input + %d output tokens\n", res.Usage.InputTokens, res.Usage.OutputTokens)
	}
	return strings.TrimSpace(res.Text), nil
}
