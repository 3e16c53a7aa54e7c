package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

const (
	listPath      = "../../internal/tl/constructors.txt"
	generatedPath = "../../internal/tl/zz_generated.go"
)

func readSchema(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(sharedtest.Path(t, "reference/cocoon_api.tl"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGeneratedCodeIsCommitted regenerates internal/tl/zz_generated.go in
// memory and fails if the committed file differs.
func TestGeneratedCodeIsCommitted(t *testing.T) {
	schema := readSchema(t)
	list, err := os.ReadFile(listPath)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(generatedPath)
	if err != nil {
		t.Fatal(err)
	}
	got, err := generate(schema, list)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	if bytes.Equal(got, committed) {
		return
	}
	gl, cl := strings.Split(string(got), "\n"), strings.Split(string(committed), "\n")
	for i := range max(len(gl), len(cl)) {
		var g, c string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(cl) {
			c = cl[i]
		}
		if g != c {
			t.Fatalf("internal/tl/zz_generated.go is not what tlgen makes (run go generate ./internal/tl); first difference at line %d:\ncommitted   %q\ntlgen makes %q", i+1, c, g)
		}
	}
}

func TestGeneratedHeader(t *testing.T) {
	src, err := generate(readSchema(t), []byte("tcp.ping\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`).Match(src) {
		t.Errorf("the generated file lacks the standard Code generated ... DO NOT EDIT. line:\n%s", src)
	}
}

// TestIDsMatchAppendixA checks the id that the generator gives every
// declaration of the schema, explicit or computed, against the table in
// the reference specification, which was extracted from the compiled
// schema.
func TestIDsMatchAppendixA(t *testing.T) {
	decls, err := parseSchema(string(readSchema(t)))
	if err != nil {
		t.Fatal(err)
	}
	ids := make(map[string]uint32)
	explicit := 0
	for _, d := range decls {
		ids[d.name] = d.id
		if d.explicit {
			explicit++
		}
	}
	// The three *.params types and client.workerInstanceV2.
	if explicit != 4 {
		t.Errorf("the schema gives %d explicit ids, want 4", explicit)
	}
	spec, err := os.ReadFile(sharedtest.Path(t, "spec/reference.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(spec)
	start, end := strings.Index(text, "## Appendix A"), strings.Index(text, "## Appendix B")
	if start < 0 || end < start {
		t.Fatal("reference.md has no Appendix A")
	}
	checked := 0
	for _, m := range regexp.MustCompile(`([a-zA-Z][\w.]*) ([0-9a-f]{8})\b`).FindAllStringSubmatch(text[start:end], -1) {
		want, _ := strconv.ParseUint(m[2], 16, 32)
		got, ok := ids[m[1]]
		if !ok {
			t.Errorf("%s from Appendix A is not in the schema", m[1])
			continue
		}
		if got != uint32(want) {
			t.Errorf("id of %s: generator gives %#08x, Appendix A says %s", m[1], got, m[2])
		}
		checked++
	}
	if checked < 80 {
		t.Errorf("checked %d ids of Appendix A, want at least 80", checked)
	}
}

func TestGoName(t *testing.T) {
	tests := []struct{ tl, want string }{
		{"tcp.queryAnswer", "TCPQueryAnswer"},
		{"tcp.Packet", "TCPPacket"},
		{"request_id", "RequestID"},
		{"tokens_committed_to_db", "TokensCommittedToDB"},
		{"client_sc_address", "ClientSCAddress"},
		{"http_version", "HTTPVersion"},
		{"url", "URL"},
		{"coefficient_bucket50", "CoefficientBucket50"},
		{"client.workerInstanceV2", "ClientWorkerInstanceV2"},
		{"proxyDb.Config", "ProxyDBConfig"},
		{"ton.blockIdExt", "TONBlockIDExt"},
		{"tokensUsed", "TokensUsed"},
	}
	for _, tt := range tests {
		if got := goName(tt.tl); got != tt.want {
			t.Errorf("goName(%q) = %q, want %q", tt.tl, got, tt.want)
		}
	}
}

func TestParseDecl(t *testing.T) {
	d, err := parseDecl("client.queryAnswerEx request_id:int256 answer:bytes flags:# final_info:flags.0?client.queryFinalInfo = client.QueryAnswerEx", false)
	if err != nil {
		t.Fatal(err)
	}
	if d.id != 0xcd524720 || d.explicit || d.result != "client.QueryAnswerEx" || len(d.fields) != 4 {
		t.Fatalf("got %+v", d)
	}
	if f := d.fields[3]; f.name != "final_info" || f.typ != "client.queryFinalInfo" || f.cond != "flags" || f.flagBit != 0 {
		t.Errorf("final_info parsed as %+v", f)
	}
	d, err = parseDecl("client.workerTypes types:(vector client.workerType) = client.WorkerTypes", false)
	if err != nil {
		t.Fatal(err)
	}
	if f := d.fields[0]; d.id != 0xf64e0e01 || !f.vector || f.typ != "client.workerType" {
		t.Errorf("got id %#08x, field %+v", d.id, f)
	}
	d, err = parseDecl("proxy.params#d5c5609f flags:# x:int = proxy.Params", false)
	if err != nil || d.id != 0xd5c5609f || !d.explicit || d.name != "proxy.params" {
		t.Errorf("explicit id: got %+v, %v", d, err)
	}
	d, err = parseDecl("vector {t:Type} # [ t ] = Vector t", false)
	if err != nil || !d.builtin || d.id != 0x1cb5c415 {
		t.Errorf("vector: got %+v, %v", d, err)
	}
}

func TestRefused(t *testing.T) {
	const schema = `
int ? = Int;
a.small x:int = a.Small;
a.flagged flags:# s:flags.0?a.small = a.Flagged;
b.one x:int = b.Union;
b.two = b.Union;
c.single x:int = c.Single;
c.holder u:b.Union = c.Holder;
c.singleHolder s:c.Single = c.SingleHolder;
c.odd x:float = c.Odd;
`
	tests := []struct {
		name, schema, list, want string
	}{
		{"unknown declaration", schema, "a.small\nz.none\n", "schema lacks: z.none"},
		{"built-in", schema, "int\n", "built-in"},
		{"bare field not selected", schema, "a.flagged\n", "list does not select"},
		{"boxed field whose constructor is not selected", schema, "c.holder\nb.one\n", "does not select its constructor b.two"},
		{"boxed field whose constructors are not selected", schema, "c.holder\n", "does not select its constructor b.one"},
		{"boxed field of one constructor", schema, "c.singleHolder\nc.single\n", "only one constructor"},
		{"unknown field type", schema, "c.odd\n", "does not know"},
		{"nil of a constructor with fields", schema, "nil b.Union = b.one\nb.one\nb.two\n", "without fields"},
		{"listed twice", schema, "a.small\na.small\n", "listed twice"},
		{"doc line without a declaration", schema, "\tit is\n", "follows no declaration"},
		{"two words", schema, "a.small b.one\n", "alone"},
		{"flags field not declared", "a.bad s:flags.0?int = a.Bad;", "a.bad\n", "not an earlier flags field"},
		{"unknown section", "---things---\na.x = a.X;", "a.x\n", "section marker"},
		{"declared twice", "a.x = a.X;\na.x = a.X;", "a.x\n", "declared twice"},
		{"no result", "a.x y:int;", "a.x\n", "no result type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := generate([]byte(tt.schema), []byte(tt.list))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("generate: got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	schema := filepath.Join(dir, "s.tl")
	list := filepath.Join(dir, "l.txt")
	out := filepath.Join(dir, "out.go")
	if err := os.WriteFile(schema, []byte("a.x y:int = a.X;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(list, []byte("a.x\n\tit is a test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-list", list, "-out", out}); err == nil || !strings.Contains(err.Error(), "-schema is required") {
		t.Errorf("run without -schema: got %v", err)
	}
	if err := run([]string{"-schema", schema, "-list", list, "-out", out}); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"// AX is the TL constructor a.x: it is a test.", "type AX struct {\n\tY int32\n}", "m.Y = r.Int32()"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("the generated file lacks %q:\n%s", want, src)
		}
	}
}
