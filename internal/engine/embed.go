package engine

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"

	"github.com/cocoon-go/cocoon/internal/openai"
)

// maxEmbedInputs bounds the inputs of one embeddings request, as OpenAI
// does.
const maxEmbedInputs = 2048

// Embed returns the embedding of a token sequence: the model's final
// hidden states (after its output norm) averaged over the tokens and
// scaled to unit length. It runs on the calling goroutine, one token
// after another in a fixed order, so that the same tokens always give
// the same vector; at most Options.Threads embeddings run at once. ctx
// is checked before every token.
func (e *Engine) Embed(ctx context.Context, tokens []int32) ([]float32, error) {
	cfg := e.model.cfg
	if len(tokens) == 0 {
		return nil, fmt.Errorf("embedding: %w: no tokens", ErrBadToken)
	}
	if len(tokens) > cfg.Context {
		return nil, fmt.Errorf("embedding: %w: %d tokens, context %d", ErrPromptTooLong, len(tokens), cfg.Context)
	}
	for _, id := range tokens {
		if id < 0 || int(id) >= cfg.Vocab {
			return nil, fmt.Errorf("embedding: %w: %d (vocabulary %d)", ErrBadToken, id, cfg.Vocab)
		}
	}
	select {
	case e.embedSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-e.quit:
		return nil, ErrClosed
	}
	defer func() { <-e.embedSlots }()
	m := e.model
	st := newState(cfg, len(tokens))
	sum := make([]float64, cfg.Dim)
	for pos, tok := range tokens {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m.forward(st, int(tok), pos, false, nil, 1)
		rmsNorm(st.xb, st.x, m.outNorm, cfg.NormEps)
		for i, v := range st.xb {
			sum[i] += float64(v)
		}
	}
	var norm float64
	for _, v := range sum {
		norm += v * v
	}
	norm = math.Sqrt(norm)
	out := make([]float32, cfg.Dim)
	if norm == 0 {
		return out, nil
	}
	for i, v := range sum {
		out[i] = float32(v / norm)
	}
	return out, nil
}

// embeddingRequest is the body of POST /v1/embeddings.
type embeddingRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
	User           string          `json:"user"`
}

// embedInputs reads input: a string, an array of strings, an array of
// token ids, or an array of arrays of token ids.
func (h *handler) embedInputs(raw json.RawMessage) ([][]int32, error) {
	bad := func(format string, args ...any) error { return badRequest("input", format, args...) }
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, bad("input must not be empty")
		}
		return [][]int32{h.e.model.tok.Encode(one, true)}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || len(items) == 0 {
		return nil, bad("input must be a string, an array of strings or an array of token arrays")
	}
	if len(items) > maxEmbedInputs {
		return nil, bad("at most %d inputs", maxEmbedInputs)
	}
	var ids []int64
	if json.Unmarshal(raw, &ids) == nil {
		return [][]int32{toTokens(ids)}, nil
	}
	out := make([][]int32, 0, len(items))
	for _, it := range items {
		var s string
		if json.Unmarshal(it, &s) == nil {
			if s == "" {
				return nil, bad("input must not hold an empty string")
			}
			out = append(out, h.e.model.tok.Encode(s, true))
			continue
		}
		var ids []int64
		if err := json.Unmarshal(it, &ids); err != nil || len(ids) == 0 {
			return nil, bad("input must be a string, an array of strings or an array of token arrays")
		}
		out = append(out, toTokens(ids))
	}
	return out, nil
}

// toTokens narrows token ids; one outside int32 becomes -1, which Embed
// refuses as out of the vocabulary.
func toTokens(ids []int64) []int32 {
	out := make([]int32, len(ids))
	for i, id := range ids {
		if id < 0 || id > math.MaxInt32 {
			id = -1
		}
		out[i] = int32(id)
	}
	return out
}

func (h *handler) embeddings(w http.ResponseWriter, r *http.Request) error {
	var req embeddingRequest
	if err := decode(r, &req, anyMembers, nil); err != nil {
		return err
	}
	if req.Model != h.name {
		return &apiError{status: http.StatusNotFound, typ: openai.ErrorTypeInvalidRequest, param: "model", code: "model_not_found",
			msg: fmt.Sprintf("model %q is not served here (this engine serves %q)", req.Model, h.name)}
	}
	switch req.EncodingFormat {
	case "", "float", "base64":
	default:
		return badRequest("encoding_format", "encoding_format must be float or base64")
	}
	if req.Dimensions != nil && *req.Dimensions != h.e.model.cfg.Dim {
		return badRequest("dimensions", "this model embeds in %d dimensions only", h.e.model.cfg.Dim)
	}
	if len(req.Input) == 0 {
		return badRequest("input", "input is missing")
	}
	inputs, err := h.embedInputs(req.Input)
	if err != nil {
		return err
	}
	out := openai.EmbeddingList{Object: openai.ObjectList, Model: h.name, Data: make([]openai.Embedding, 0, len(inputs))}
	for i, toks := range inputs {
		v, err := h.e.Embed(r.Context(), toks)
		if err != nil {
			return err
		}
		out.Usage.PromptTokens += int64(len(toks))
		var vec any = v
		if req.EncodingFormat == "base64" {
			b := make([]byte, 4*len(v))
			for j, f := range v {
				binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(f))
			}
			vec = base64.StdEncoding.EncodeToString(b)
		}
		out.Data = append(out.Data, openai.Embedding{Object: openai.ObjectEmbedding, Index: i, Embedding: vec})
	}
	out.Usage.TotalTokens = out.Usage.PromptTokens
	writeJSON(w, http.StatusOK, out)
	return nil
}
