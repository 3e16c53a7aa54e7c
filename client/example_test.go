package client_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/cocoon-go/cocoon/client"
)

// A client from the config `cocoon client` reads, streaming a chat
// completion through OpenAI's Go SDK. The devnet's config and fake
// attestation here; a client on TON names its chain and wallet in its
// config instead (docs/CLIENT.md).
func Example() {
	ctx := context.Background()
	cfg, err := client.LoadConfig("client.json")
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.Open(ctx, cfg, client.Options{InsecureFakeTDX: true})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ai := sdk.NewClient(option.WithBaseURL(client.BaseURL), option.WithHTTPClient(c.HTTPClient()))
	stream := ai.Chat.Completions.NewStreaming(ctx, sdk.ChatCompletionNewParams{
		Model:    "stories260K",
		Messages: []sdk.ChatCompletionMessageParamUnion{sdk.UserMessage("Once upon a time")},
	})
	for stream.Next() {
		if ch := stream.Current(); len(ch.Choices) > 0 {
			fmt.Print(ch.Choices[0].Delta.Content)
		}
	}
	if err := stream.Err(); err != nil {
		log.Fatal(err)
	}
}

// Any net/http code sends requests through Transport: they go straight
// into the client, whatever the URL's host.
func ExampleClient_Transport() {
	cfg, err := client.LoadConfig("client.json")
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.Open(context.Background(), cfg, client.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	hc := &http.Client{Transport: c.Transport()}
	res, err := hc.Post(client.BaseURL+"completions", "application/json",
		strings.NewReader(`{"model":"stories260K","prompt":"Once upon a time","max_tokens":16}`))
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	io.Copy(log.Writer(), res.Body)
}

// What the client was charged at each proxy, and what its contracts hold
// on chain.
func ExampleClient_Balances() {
	cfg, err := client.LoadConfig("client.json")
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.Open(context.Background(), cfg, client.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	b := c.Balances()
	fmt.Printf("%d requests, %d tokens, %d nanoTON\n", b.Requests, b.Tokens, b.PaidNano)
	for _, k := range b.Contracts {
		fmt.Printf("contract %s at %s: %d nanoTON\n", k.Address, k.Proxy, k.BalanceNano)
	}
}
