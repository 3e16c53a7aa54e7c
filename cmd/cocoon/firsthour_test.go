package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

// TestFirstHour is a newcomer's first hour, scripted, on the built binary:
// --version, every -h, `cocoon devnet` on the stories260K model, the
// banner's commands as printed (the request, chain state, root show),
// probe against the devnet's proxy, a table of bad requests through
// OpenAI's Go SDK, and Ctrl-C. Every step must exit 0, or fail with a
// message that names the parameter.
func TestFirstHour(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a devnet")
	}
	model := sharedtest.Path(t, "models/stories260K.gguf")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "cocoon")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cocoon := func(args ...string) string {
		t.Helper()
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("cocoon %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if v := cocoon("--version"); !strings.HasPrefix(v, "cocoon ") {
		t.Errorf("--version printed %q", v)
	}
	for _, name := range append(helpNames(), "root", "chain", "attest", "version") {
		cocoon(append(strings.Fields(name), "-h")...)
	}

	data := filepath.Join(dir, "devnet")
	devnetCmd := exec.CommandContext(ctx, bin, "devnet", "--model", model, "--data-dir", data, "--ports-base", "0")
	stdout, err := devnetCmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	devnetCmd.Stderr = os.Stderr
	if err := devnetCmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer devnetCmd.Process.Kill()
	var banner strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		banner.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	text := banner.String()
	if !strings.Contains(text, "Press Ctrl-C") {
		t.Fatalf("no banner:\n%s", text)
	}

	// The banner's commands, as printed.
	curl := regexp.MustCompile(`curl -N (\S+) -d '(.*)'`).FindStringSubmatch(text)
	if curl == nil {
		t.Fatalf("the banner has no request:\n%s", text)
	}
	res, err := http.Post(curl[1], "application/json", strings.NewReader(curl[2]))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasSuffix(string(body), "data: [DONE]\n\n") || strings.Contains(string(body), `"usage"`) {
		t.Errorf("the banner's request: %d %q, want a stream without the usage it did not ask for", res.StatusCode, body)
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, bin+" chain state") || strings.HasPrefix(line, bin+" root show") {
			cocoon(strings.Fields(line)[1:]...)
		}
	}
	proxy := regexp.MustCompile(`clients (127\.0\.0\.1:\d+)`).FindStringSubmatch(text)
	if proxy == nil {
		t.Fatalf("the banner names no proxy clients endpoint:\n%s", text)
	}
	if out := cocoon("probe", "--data-dir", data, proxy[1]); !strings.Contains(out, "attestation:   verified against policy fake_tdx") {
		t.Errorf("probe:\n%s", out)
	}

	// Bad requests through the SDK: each a 400 naming its parameter.
	api := strings.TrimSuffix(curl[1], "chat/completions")
	client := sdk.NewClient(option.WithBaseURL(api), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	user := []sdk.ChatCompletionMessageParamUnion{sdk.UserMessage("Once upon a time")}
	bad := []struct {
		name        string
		params      sdk.ChatCompletionNewParams
		opts        []option.RequestOption
		param, code string
	}{
		{"tools on the built-in engine", sdk.ChatCompletionNewParams{Model: "stories260K", Messages: user,
			Tools: []sdk.ChatCompletionToolUnionParam{sdk.ChatCompletionFunctionTool(sdk.FunctionDefinitionParam{Name: "f"})}}, nil, "tools", "unsupported_parameter"},
		{"logprobs on the built-in engine", sdk.ChatCompletionNewParams{Model: "stories260K", Messages: user, Logprobs: sdk.Bool(true)}, nil, "logprobs", "unsupported_parameter"},
		{"max_tokens out of range", sdk.ChatCompletionNewParams{Model: "stories260K", Messages: user}, []option.RequestOption{option.WithJSONSet("max_tokens", 1e23)}, "max_tokens", "integer_above_max_value"},
		{"unknown role", sdk.ChatCompletionNewParams{Model: "stories260K", Messages: user}, []option.RequestOption{option.WithJSONSet("messages.0.role", "wizard")}, "messages[0].role", "invalid_value"},
		{"messages a string", sdk.ChatCompletionNewParams{Model: "stories260K", Messages: user}, []option.RequestOption{option.WithJSONSet("messages", "hi")}, "messages", "invalid_type"},
	}
	for _, b := range bad {
		_, err := client.Chat.Completions.New(ctx, b.params, b.opts...)
		var apiErr *sdk.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != b.param || apiErr.Code != b.code || strings.Contains(apiErr.Message, "Go struct") {
			t.Errorf("%s: got %v, want 400 param %q code %q", b.name, err, b.param, b.code)
		}
	}
	// A good stream through the SDK: choices[0] in every chunk.
	stream := client.Chat.Completions.NewStreaming(ctx, sdk.ChatCompletionNewParams{Model: "stories260K", Messages: user, MaxTokens: sdk.Int(8)})
	for stream.Next() {
		if len(stream.Current().Choices) == 0 {
			t.Errorf("a chunk without choices the caller did not ask for: %+v", stream.Current())
		}
	}
	if err := stream.Err(); err != nil {
		t.Errorf("stream: %v", err)
	}

	// The same API through OpenAI's Node SDK (examples/node, installed by
	// make sdk-deps).
	nodeSDK(t, ctx, api)

	devnetCmd.Process.Signal(syscall.SIGINT)
	if err := devnetCmd.Wait(); err != nil {
		t.Errorf("devnet after Ctrl-C: %v, want exit 0", err)
	}
}

// nodeSDK runs examples/node/chat.test.mjs, OpenAI's Node SDK against the
// client API at api. It skips where node or the SDK is not installed,
// and fails for that under CI=true.
func nodeSDK(t *testing.T, ctx context.Context, api string) {
	t.Helper()
	dir := filepath.Join("..", "..", "examples", "node")
	_, nodeErr := exec.LookPath("node")
	_, sdkErr := os.Stat(filepath.Join(dir, "node_modules", "openai", "package.json"))
	if nodeErr != nil || sdkErr != nil {
		msg := "OpenAI's Node SDK is not installed (node, and make sdk-deps): its conformance test did not run"
		if os.Getenv("CI") == "true" {
			t.Error(msg)
		} else {
			t.Log(msg)
		}
		return
	}
	cmd := exec.CommandContext(ctx, "node", "--test", "chat.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "COCOON_API_URL="+strings.TrimSuffix(api, "/"), "COCOON_MODEL=stories260K")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("OpenAI's Node SDK against the devnet: %v\n%s", err, out)
	}
}
