package client_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/cocoon-go/cocoon/client"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/devnet"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

// openReady opens a client with the library on the devnet's proxy, with
// a config of its own (a fresh owner, the devnet's fake attestation), and
// waits until it is ready. The caller closes it.
func openReady(ctx context.Context, t *testing.T, n *devnet.Network) *client.Client {
	t.Helper()
	raw, _ := json.Marshal(map[string]any{"is_test": true, "proxies": []string{n.ProxyClientsAddr}, "proxy_policy": "fake_tdx",
		"owner_address": contracts.NewOwnerAddress().String()})
	cfg, err := client.ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Open(ctx, cfg, client.Options{InsecureFakeTDX: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ready(ctx); err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c
}

// readAll reads and closes the body of a response that must have come
// (err nil), and returns its status code and body.
func readAll(t *testing.T, res *http.Response, err error) (int, string) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// TestOpenAIGoThroughTheLibrary opens a client on a devnet's proxy with
// the library and sends it OpenAI's Go SDK's requests through Transport:
// the model list, a chat completion and a stream with its usage, then
// reads what the client was charged.
func TestOpenAIGoThroughTheLibrary(t *testing.T) {
	model := sharedtest.Path(t, "models/stories260K.gguf")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := devnet.Start(ctx, devnet.Options{ModelPath: model})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	c := openReady(ctx, t, n)
	defer func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	ai := sdk.NewClient(option.WithBaseURL(client.BaseURL), option.WithHTTPClient(c.HTTPClient()), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	models, err := ai.Models.List(ctx)
	if err != nil || len(models.Data) != 1 || models.Data[0].ID != n.Model {
		t.Fatalf("models: got %+v, %v; want %s", models, err, n.Model)
	}
	user := []sdk.ChatCompletionMessageParamUnion{sdk.UserMessage("Once upon a time")}
	answer, err := ai.Chat.Completions.New(ctx, sdk.ChatCompletionNewParams{Model: n.Model, Messages: user, MaxTokens: sdk.Int(8)})
	if err != nil || len(answer.Choices) != 1 || answer.Choices[0].Message.Content == "" || answer.Usage.CompletionTokens == 0 {
		t.Fatalf("chat completion: got %+v, %v", answer, err)
	}
	stream := ai.Chat.Completions.NewStreaming(ctx, sdk.ChatCompletionNewParams{Model: n.Model, Messages: user, MaxTokens: sdk.Int(8),
		StreamOptions: sdk.ChatCompletionStreamOptionsParam{IncludeUsage: sdk.Bool(true)}})
	var text strings.Builder
	var usage int64
	chunks := 0
	for stream.Next() {
		chunks++
		ch := stream.Current()
		if len(ch.Choices) > 0 {
			text.WriteString(ch.Choices[0].Delta.Content)
		}
		usage += ch.Usage.CompletionTokens
	}
	if err := stream.Err(); err != nil || chunks < 2 || text.Len() == 0 || usage == 0 {
		t.Fatalf("stream: %d chunks, text %q, %d completion tokens, err %v", chunks, text.String(), usage, err)
	}
	// The proxy's signed reports of the two requests reach the client's
	// account at it.
	deadline := time.Now().Add(30 * time.Second)
	for b := c.Balances(); b.Tokens == 0 || len(b.Accounts) != 1; b = c.Balances() {
		if time.Now().After(deadline) {
			t.Fatalf("balances %+v: want the proxy's account of the requests", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b := c.Balances(); b.Accounts[0].Proxy != n.ProxyClientsAddr || b.Accounts[0].Tokens != b.Tokens {
		t.Errorf("balances %+v: want one account at %s holding every token", b, n.ProxyClientsAddr)
	}
	// The same API through plain net/http, with a bad request refused as
	// OpenAI refuses it.
	res, err := c.HTTPClient().Post(client.BaseURL+"chat/completions", "application/json", strings.NewReader(`{"model":"`+n.Model+`"}`))
	if code, body := readAll(t, res, err); code != http.StatusBadRequest || !strings.Contains(body, `"param":"messages"`) {
		t.Errorf("a request without messages: got %d %s, want a 400 naming messages", code, body)
	}
}

// TestServe serves a client's API on a listener, as `cocoon client` does:
// its models answer over HTTP, and once ctx ends Serve closes the client
// and returns.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := devnet.Start(ctx, devnet.Options{Model: "m", Engine: func(int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"object":"list","data":[]}`)) })
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	c := openReady(ctx, t, n)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- c.Serve(sctx, ln) }()
	res, err := http.Get("http://" + ln.Addr().String() + "/v1/models")
	if code, body := readAll(t, res, err); code != http.StatusOK || !strings.Contains(body, `"id":"m"`) {
		t.Errorf("GET /v1/models: %d %s, want the devnet's model m", code, body)
	}
	stop()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/v1/models"); err == nil {
		t.Error("the listener still serves after Serve returned")
	}
	res, err = c.HTTPClient().Post(client.BaseURL+"chat/completions", "application/json", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
	if err == nil {
		if code, body := readAll(t, res, err); code == http.StatusOK {
			t.Errorf("a request after Serve returned: %d %s, want the client closed", code, body)
		}
	}
}
