package tl

import (
	"hash/crc32"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

// schemaIDs parses a TL schema the way TON's tl-parser computes ids: each
// declaration, with comments and section markers dropped, parentheses
// removed and whitespace collapsed, hashed with CRC32 (IEEE), unless the
// name carries an explicit #id.
func schemaIDs(t *testing.T, src string) map[string]uint32 {
	t.Helper()
	src = regexp.MustCompile(`//[^\n]*`).ReplaceAllString(src, "")
	src = regexp.MustCompile(`---\w+---`).ReplaceAllString(src, "")
	ids := make(map[string]uint32)
	for _, decl := range strings.Split(src, ";") {
		decl = strings.Join(strings.Fields(strings.NewReplacer("(", "", ")", "").Replace(decl)), " ")
		if decl == "" {
			continue
		}
		name, _, _ := strings.Cut(decl, " ")
		if n, hex, ok := strings.Cut(name, "#"); ok {
			v, err := strconv.ParseUint(hex, 16, 32)
			if err != nil {
				t.Fatalf("explicit id of %q: %v", decl, err)
			}
			ids[n] = uint32(v)
			continue
		}
		// Parentheses go, and the spaces they leave collapse.
		ids[name] = crc32.ChecksumIEEE([]byte(decl))
	}
	return ids
}

func TestSchemaIDNormalization(t *testing.T) {
	tests := []struct {
		decl string
		want uint32
	}{
		{"tcp.ping id:long = tcp.Packet;", 0xbbe9627c},
		{"client.workerTypes types:(vector client.workerType) = client.WorkerTypes;", 0xf64e0e01},
		{"proxy.params#d5c5609f flags:# x:int = proxy.Params;", 0xd5c5609f},
		{"tokensUsed prompt_tokens_used:long cached_tokens_used:long completion_tokens_used:long reasoning_tokens_used:long \n  total_tokens_used:long = TokensUsed;", 0x70c5b15c},
	}
	for _, tt := range tests {
		ids := schemaIDs(t, tt.decl)
		if len(ids) != 1 {
			t.Fatalf("schemaIDs(%q) = %v, want one id", tt.decl, ids)
		}
		for name, got := range ids {
			if got != tt.want {
				t.Errorf("id of %s = %#08x, want %#08x", name, got, tt.want)
			}
		}
	}
}

// TestIDsMatchReferenceSchema checks every constructor we implement against
// the reference schema.
func TestIDsMatchReferenceSchema(t *testing.T) {
	src, err := os.ReadFile(sharedtest.Path(t, "reference/cocoon_api.tl"))
	if err != nil {
		t.Fatal(err)
	}
	ref := schemaIDs(t, string(src))
	for id, c := range registry {
		if ownConstructors[id] {
			continue // ours, not the reference's; see cocoon.tl
		}
		want, ok := ref[c.name]
		if !ok {
			t.Errorf("%s is not in the reference schema", c.name)
			continue
		}
		if id != want {
			t.Errorf("id of %s: got %#08x, want %#08x", c.name, id, want)
		}
		if got := c.new().TLID(); got != id {
			t.Errorf("%s: TLID() = %#08x, registered as %#08x", c.name, got, id)
		}
	}
	for name, want := range map[string]uint32{"boolTrue": BoolTrueID, "boolFalse": BoolFalseID} {
		if got := ref[name]; got != want {
			t.Errorf("id of %s: schema gives %#08x, we use %#08x", name, got, want)
		}
	}
	if got := len(registry); got <= 60 {
		t.Errorf("registry holds %d constructors, want more than 60", got)
	}
	t.Logf("%d constructors checked against the reference schema", len(registry))
}

// omitted matches the namespaces of the reference's runner configurations,
// databases and key manager, which no connection of ours carries, so
// constructors.txt leaves them out.
var omitted = regexp.MustCompile(`^(ton|\w+Runner|rootConfig|proxyDb|keyManagerDb|keyManager)\.`)

// TestIDsMatchAppendixA checks our ids against the table in the reference
// specification, which was extracted from the compiled schema: every
// constructor of the protocol is implemented with the id the table gives,
// and the id of each one left out is what schemaIDs computes.
func TestIDsMatchAppendixA(t *testing.T) {
	schema, err := os.ReadFile(sharedtest.Path(t, "reference/cocoon_api.tl"))
	if err != nil {
		t.Fatal(err)
	}
	ref := schemaIDs(t, string(schema))
	src, err := os.ReadFile(sharedtest.Path(t, "spec/reference.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	start := strings.Index(text, "## Appendix A")
	end := strings.Index(text, "## Appendix B")
	if start < 0 || end < start {
		t.Fatal("reference.md has no Appendix A")
	}
	table := make(map[string]uint32)
	for _, m := range regexp.MustCompile(`([a-zA-Z][\w.]*) ([0-9a-f]{8})\b`).FindAllStringSubmatch(text[start:end], -1) {
		v, _ := strconv.ParseUint(m[2], 16, 32)
		table[m[1]] = uint32(v)
	}
	if len(table) < 80 {
		t.Fatalf("parsed %d ids from Appendix A, want at least 80", len(table))
	}
	byName := make(map[string]uint32)
	for id, c := range registry {
		byName[c.name] = id
	}
	byName["boolTrue"], byName["boolFalse"], byName["vector"] = BoolTrueID, BoolFalseID, VectorID
	for name, want := range table {
		got, ok := byName[name]
		if !ok && omitted.MatchString(name) {
			if ref[name] != want {
				t.Errorf("id of %s, which we leave out: the schema gives %#08x, Appendix A says %#08x", name, ref[name], want)
			}
			continue
		}
		if !ok {
			t.Errorf("%s (%#08x) from Appendix A is not implemented", name, want)
			continue
		}
		if got != want {
			t.Errorf("id of %s: got %#08x, Appendix A says %#08x", name, got, want)
		}
	}
}
