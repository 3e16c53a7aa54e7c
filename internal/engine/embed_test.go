package engine

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"testing"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/cocoon-go/cocoon/internal/openai"
)

type floatList struct {
	Data []struct {
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	} `json:"data"`
	Model string                `json:"model"`
	Usage openai.EmbeddingUsage `json:"usage"`
}

func TestEmbeddings(t *testing.T) {
	m := storiesModel(t)
	srv := newServer(t, m, Options{})
	first := decodeBody[floatList](t, post(t, srv.URL+"/v1/embeddings", `{"model":"stories260K","input":["Once upon a time","The cat sat"]}`))
	if len(first.Data) != 2 || first.Model != "stories260K" {
		t.Fatalf("got %+v, want two embeddings of stories260K", first)
	}
	wantTokens := len(m.tok.Encode("Once upon a time", true)) + len(m.tok.Encode("The cat sat", true))
	if first.Usage.PromptTokens != int64(wantTokens) || first.Usage.TotalTokens != int64(wantTokens) {
		t.Errorf("usage = %+v, want %d prompt tokens", first.Usage, wantTokens)
	}
	for i, d := range first.Data {
		if d.Index != i || len(d.Embedding) != m.cfg.Dim {
			t.Fatalf("embedding %d: index %d, %d dimensions; want %d", i, d.Index, len(d.Embedding), m.cfg.Dim)
		}
		var norm float64
		for _, v := range d.Embedding {
			norm += float64(v) * float64(v)
		}
		if math.Abs(norm-1) > 1e-5 {
			t.Errorf("embedding %d has squared norm %v, want 1", i, norm)
		}
	}
	if same(first.Data[0].Embedding, first.Data[1].Embedding) {
		t.Error("two different texts embed the same")
	}

	// Deterministic, and base64 carries the same floats.
	again := decodeBody[floatList](t, post(t, srv.URL+"/v1/embeddings", `{"model":"stories260K","input":"Once upon a time","encoding_format":"float"}`))
	if len(again.Data) != 1 || !same(again.Data[0].Embedding, first.Data[0].Embedding) {
		t.Error("the same text embedded twice differs")
	}
	b64 := decodeBody[struct {
		Data []struct {
			Embedding string `json:"embedding"`
		} `json:"data"`
	}](t, post(t, srv.URL+"/v1/embeddings", `{"model":"stories260K","input":"Once upon a time","encoding_format":"base64"}`))
	raw, err := base64.StdEncoding.DecodeString(b64.Data[0].Embedding)
	if err != nil || len(raw) != 4*m.cfg.Dim {
		t.Fatalf("base64 embedding: %d bytes, %v", len(raw), err)
	}
	for i, v := range first.Data[0].Embedding {
		if got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])); got != v {
			t.Fatalf("base64 float %d = %v, want %v", i, got, v)
		}
	}
	// Token ids embed like the text they spell.
	ids := m.tok.Encode("Once upon a time", true)
	tok := decodeBody[floatList](t, post(t, srv.URL+"/v1/embeddings", `{"model":"stories260K","input":`+jsonInts(ids)+`}`))
	if len(tok.Data) != 1 || !same(tok.Data[0].Embedding, first.Data[0].Embedding) {
		t.Error("token ids embed differently from their text")
	}
}

func TestEmbeddingsRefuses(t *testing.T) {
	srv := newServer(t, storiesModel(t), Options{})
	for name, tc := range map[string]struct {
		body   string
		status int
	}{
		"other model":        {`{"model":"x","input":"a"}`, http.StatusNotFound},
		"no input":           {`{"model":"stories260K"}`, http.StatusBadRequest},
		"empty input":        {`{"model":"stories260K","input":""}`, http.StatusBadRequest},
		"empty list":         {`{"model":"stories260K","input":[]}`, http.StatusBadRequest},
		"bad format":         {`{"model":"stories260K","input":"a","encoding_format":"hex"}`, http.StatusBadRequest},
		"other dimensions":   {`{"model":"stories260K","input":"a","dimensions":3}`, http.StatusBadRequest},
		"token out of range": {`{"model":"stories260K","input":[[1,99999999]]}`, http.StatusBadRequest},
		"object input":       {`{"model":"stories260K","input":{"a":1}}`, http.StatusBadRequest},
	} {
		t.Run(name, func(t *testing.T) {
			resp := post(t, srv.URL+"/v1/embeddings", tc.body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
}

// TestEmbeddingsOfficialSDK embeds through OpenAI's Go SDK, in both
// encodings it asks for.
func TestEmbeddingsOfficialSDK(t *testing.T) {
	m := storiesModel(t)
	srv := newServer(t, m, Options{})
	client := sdk.NewClient(option.WithBaseURL(srv.URL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	for _, format := range []sdk.EmbeddingNewParamsEncodingFormat{sdk.EmbeddingNewParamsEncodingFormatFloat, sdk.EmbeddingNewParamsEncodingFormatBase64} {
		res, err := client.Embeddings.New(context.Background(), sdk.EmbeddingNewParams{
			Model: "stories260K", Input: sdk.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"Once upon a time", "a dog"}},
			EncodingFormat: format,
		})
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if len(res.Data) != 2 || len(res.Data[0].Embedding) != m.cfg.Dim || res.Usage.PromptTokens == 0 {
			t.Errorf("%s: got %d embeddings of %d floats, usage %+v", format, len(res.Data), len(res.Data[0].Embedding), res.Usage)
		}
	}
}

func same(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func jsonInts(ids []int32) string {
	b, _ := json.Marshal(ids) // ints always marshal
	return string(b)
}
