package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestOfficialSDK talks to the handler with OpenAI's own Go SDK: what it
// sends must be accepted and what we answer must decode.
func TestOfficialSDK(t *testing.T) {
	srv := newServer(t, storiesModel(t), Options{})
	client := sdk.NewClient(option.WithBaseURL(srv.URL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	ctx := context.Background()

	c, err := client.Completions.New(ctx, sdk.CompletionNewParams{
		Model:       "stories260K",
		Prompt:      sdk.CompletionNewParamsPromptUnion{OfString: sdk.String("Once upon a time")},
		MaxTokens:   sdk.Int(12),
		Temperature: sdk.Float(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Choices) != 1 || !strings.HasPrefix(c.Choices[0].Text, storyStart) || c.Usage.CompletionTokens != 12 {
		t.Errorf("completion: got %+v", c)
	}

	stream := client.Chat.Completions.NewStreaming(ctx, sdk.ChatCompletionNewParams{
		Model:               "stories260K",
		Messages:            []sdk.ChatCompletionMessageParamUnion{sdk.SystemMessage("Tell stories."), sdk.UserMessage("Once upon a time")},
		MaxCompletionTokens: sdk.Int(10),
		Seed:                sdk.Int(1),
		StreamOptions:       sdk.ChatCompletionStreamOptionsParam{IncludeUsage: sdk.Bool(true)},
	})
	var acc sdk.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(acc.Choices) != 1 || acc.Choices[0].Message.Content == "" || acc.Usage.CompletionTokens != 10 || acc.Usage.PromptTokens == 0 {
		t.Errorf("chat stream: got %+v", acc.ChatCompletion)
	}

	models, err := client.Models.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(models.Data) != 1 || models.Data[0].ID != "stories260K" {
		t.Errorf("models: got %+v", models.Data)
	}

	_, err = client.Completions.New(ctx, sdk.CompletionNewParams{Model: "nope", Prompt: sdk.CompletionNewParamsPromptUnion{OfString: sdk.String("x")}})
	var apiErr *sdk.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "model_not_found" {
		t.Errorf("unknown model: got %v, want a 404 model_not_found the SDK understands", err)
	}
}
