// Command openai-go is a Go program on the COCOON network with no
// `cocoon client` beside it: it opens a client from a client config with
// the library (package client), and asks a model through OpenAI's Go SDK,
// whose requests go through the library into the network. It streams the
// answer, then prints what the client was charged.
//
// Against a devnet (`make devnet`), once its client is stopped or with a
// config of your own (a client config names its wallet, which pays):
//
//	go run ./examples/openai-go --config ~/.cache/cocoon/devnet/client.json --insecure-fake-tdx "Once upon a time"
//
// --config - reads the config from standard input, for a program that
// holds it rather than a file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/cocoon-go/cocoon/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fs := flag.NewFlagSet("openai-go", flag.ContinueOnError)
	config := fs.String("config", "", "the client config `file` (as `cocoon client --config` reads it); - reads it from standard input")
	model := fs.String("model", "", "the model to ask (default: the first the network serves)")
	maxTokens := fs.Int64("max-tokens", 64, "the most tokens to generate")
	fake := fs.Bool("insecure-fake-tdx", false, "accept proxies' fake TDX quotes, which prove nothing (a devnet's)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if *config == "" || fs.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: openai-go --config FILE [--model M] [--insecure-fake-tdx] PROMPT")
		os.Exit(2)
	}
	cfg, err := loadConfig(*config, os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openai-go:", err)
		os.Exit(1)
	}
	q := question{model: *model, prompt: fs.Arg(0), maxTokens: *maxTokens}
	opts := client.Options{InsecureFakeTDX: *fake, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if err := run(ctx, cfg, opts, q, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "openai-go:", err)
		os.Exit(1)
	}
}

// loadConfig reads the client config in the file path, or from stdin
// when path is "-".
func loadConfig(path string, stdin io.Reader) (client.Config, error) {
	if path != "-" {
		return client.LoadConfig(path)
	}
	b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
	if err != nil {
		return client.Config{}, fmt.Errorf("reading the client config from standard input: %w", err)
	}
	return client.ParseConfig(b)
}

// question is what run asks.
type question struct {
	model, prompt string
	maxTokens     int64
}

// run opens a client from cfg, waits for a proxy, streams the answer to
// q through OpenAI's Go SDK to w, and prints what the client was charged.
func run(ctx context.Context, cfg client.Config, opts client.Options, q question, w io.Writer) error {
	c, err := client.Open(ctx, cfg, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := c.Ready(rctx); err != nil {
		return err
	}
	ai := sdk.NewClient(option.WithBaseURL(client.BaseURL), option.WithHTTPClient(c.HTTPClient()), option.WithAPIKey(apiKey(cfg)))
	if q.model == "" {
		models, err := ai.Models.List(ctx)
		if err != nil {
			return fmt.Errorf("listing the models: %w", err)
		}
		if len(models.Data) == 0 {
			return errors.New("the network serves no model")
		}
		q.model = models.Data[0].ID
	}
	stream := ai.Chat.Completions.NewStreaming(ctx, sdk.ChatCompletionNewParams{
		Model: q.model, Messages: []sdk.ChatCompletionMessageParamUnion{sdk.UserMessage(q.prompt)}, MaxTokens: sdk.Int(q.maxTokens),
		StreamOptions: sdk.ChatCompletionStreamOptionsParam{IncludeUsage: sdk.Bool(true)},
	})
	var usage sdk.CompletionUsage
	for stream.Next() {
		ch := stream.Current()
		if len(ch.Choices) > 0 {
			fmt.Fprint(w, ch.Choices[0].Delta.Content)
		}
		if ch.Usage.TotalTokens > 0 {
			usage = ch.Usage
		}
	}
	if err := stream.Err(); err != nil {
		return fmt.Errorf("asking %s: %w", q.model, err)
	}
	fmt.Fprintf(w, "\n\n%s: %d prompt and %d completion tokens\n", q.model, usage.PromptTokens, usage.CompletionTokens)
	b := c.Balances()
	fmt.Fprintf(w, "charged so far: %d tokens, %s TON\n", b.Tokens, nanoTON(b.PaidNano))
	for _, k := range b.Contracts {
		fmt.Fprintf(w, "contract %s at proxy %s holds %s TON\n", k.Address, k.Proxy, nanoTON(k.BalanceNano))
	}
	return nil
}

// apiKey is the first of the config's api_keys, which the client's API
// demands of every request; the library serves the same API.
func apiKey(cfg client.Config) string {
	if len(cfg.APIKeys) > 0 {
		return cfg.APIKeys[0]
	}
	return "none"
}

// nanoTON writes an amount of nanoTON in TON, exactly.
func nanoTON(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%s%d.%09d", sign, n/1e9, n%1e9), "0"), ".")
}
