package devnet

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// nodeSDKDir is the npm package with OpenAI's Node SDK, pinned by its
// package-lock.json and installed by `make sdk-deps` (npm ci).
const nodeSDKDir = "../../examples/node"

// needNodeSDK returns node's path once the SDK is installed; without
// them the test is skipped, or fails under CI=true.
func needNodeSDK(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node is not installed"
	default:
		if _, err := os.Stat(filepath.Join(nodeSDKDir, "node_modules", "openai", "package.json")); err != nil {
			missing = "OpenAI's Node SDK is not installed in examples/node (make sdk-deps)"
		}
	}
	if missing == "" {
		return node
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(missing + ": required under CI=true")
	}
	t.Skip(missing)
	return ""
}

// TestOpenAINodeSDK runs OpenAI's official Node SDK (examples/node) against
// a devnet: embeddings.create on the built-in model and
// audio.transcriptions.create through a worker in front of the fake
// speech engine, each billed exactly what its answer reports.
func TestOpenAINodeSDK(t *testing.T) {
	node := needNodeSDK(t)
	n := speechNet(t)
	results := filepath.Join(t.TempDir(), "results.json")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "sdk.test.mjs")
	cmd.Dir = nodeSDKDir
	cmd.Env = append(os.Environ(), "COCOON_URL="+n.ClientURL, "COCOON_EMBED_MODEL="+n.Model,
		"COCOON_SPEECH_MODEL="+FakeSpeechModel, "COCOON_RESULTS="+results)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test sdk.test.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("the Node SDK's checks failed: %v", err)
	}
	b, err := os.ReadFile(results)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Embeddings struct {
			PromptTokens int64 `json:"prompt_tokens"`
		} `json:"embeddings"`
		Transcription struct {
			Type    string `json:"type"`
			Seconds int64  `json:"seconds"`
		} `json:"transcription"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("reading %s: %v", b, err)
	}
	// Embeddings bill their prompt tokens; audio its seconds at the
	// worker's rate; the refused request nothing. Coefficient 1.0,
	// multipliers 1.0, fake-TON prices 2 and 1 nanoTON a token.
	want := got.Embeddings.PromptTokens + got.Transcription.Seconds*DefaultAudioTokensPerSecond
	eventually(t, "the proxy settles both requests", func() bool { return n.Proxy.Snapshot().Totals.Tokens == want })
	tot := n.Proxy.Snapshot().Totals
	if got.Embeddings.PromptTokens == 0 || got.Transcription.Seconds == 0 || tot.Charged != 2*want || tot.Earned != want {
		t.Errorf("answers report %+v; the proxy billed %+v, want %d tokens charged at 2 and earned at 1 nanoTON", got, tot, want)
	}
	for _, c := range n.Proxy.Snapshot().Clients {
		if c.Reserved != 0 || c.Tokens != want {
			t.Errorf("client account %+v, want %d tokens and nothing reserved", c, want)
		}
	}
}
