package main

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

const (
	listPath         = "../../internal/tl/constructors.txt"
	generatedPath    = "../../internal/tl/zz_generated.go"
	ownSchemaPath    = "../../internal/tl/cocoon.tl"
	ownGeneratedPath = "../../internal/tl/zz_cocoon_generated.go"
)

func readSchema(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(sharedtest.Path(t, "reference/cocoon_api.tl"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGeneratedCodeIsCommitted regenerates internal/tl/zz_generated.go and
// zz_cocoon_generated.go in memory and fails if a committed file differs.
func TestGeneratedCodeIsCommitted(t *testing.T) {
	schema := readSchema(t)
	list, err := os.ReadFile(listPath)
	if err != nil {
		t.Fatal(err)
	}
	got, err := generate(schema, list)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	sameAsCommitted(t, generatedPath, got)
	own, err := os.ReadFile(ownSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	got, err = generateOwn(own, schema)
	if err != nil {
		t.Fatalf("generateOwn: %v", err)
	}
	sameAsCommitted(t, ownGeneratedPath, got)
}

// sameAsCommitted fails with the first differing line if got is not the
// committed file at path.
func sameAsCommitted(t *testing.T, path string, got []byte) {
	t.Helper()
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
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
			t.Fatalf("%s is not what tlgen makes (run go generate ./internal/tl); first difference at line %d:\ncommitted   %q\ntlgen makes %q", strings.TrimPrefix(path, "../../"), i+1, c, g)
		}
	}
}

// TestOwnIDs pins the ids of cocoon.tl's declarations: peers speak them,
// so they must stay what the hand-written constructors gave them, the
// CRC32 of each declaration with its parentheses kept.
func TestOwnIDs(t *testing.T) {
	own, err := os.ReadFile(ownSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	src, err := generateOwn(own, readSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint32{
		"CocoonCancelQuery":             0x65f4e9e4,
		"CocoonWorkerEndpoints":         0xabfebc22,
		"CocoonWorkerEndpointsAccepted": 0x98033fd6,
		"CocoonGetModelEndpoints":       0xec00c09c,
		"CocoonModelEndpoint":           0xa37e85ba,
		"CocoonModelEndpoints":          0x08847e1a,
	}
	got := make(map[string]uint32)
	for _, m := range regexp.MustCompile(`(?m)^const (\w+)ID uint32 = 0x([0-9a-f]{8})$`).FindAllSubmatch(src, -1) {
		id, _ := strconv.ParseUint(string(m[2]), 16, 32)
		got[string(m[1])] = uint32(id)
	}
	if len(got) != len(want) {
		t.Errorf("cocoon.tl gives %d ids, want %d: %v", len(got), len(want), got)
	}
	for name, id := range want {
		if got[name] != id {
			t.Errorf("id of %s: got %#08x, want %#08x", name, got[name], id)
		}
	}
	// The reference's rule, which drops parentheses, would give another id.
	d, err := parseDecl("cocoon.modelEndpoint name:string endpoints:(vector string) = cocoon.ModelEndpoint", false)
	if err != nil {
		t.Fatal(err)
	}
	if d.id == want["CocoonModelEndpoint"] {
		t.Errorf("the reference's rule gives cocoon.modelEndpoint the id %#08x too; the parentheses test says nothing", d.id)
	}
}

func TestOwnRefused(t *testing.T) {
	const ref = "a.x y:int = a.X;\n"
	tests := []struct{ name, own, want string }{
		{"explicit id", "b.x#12345678 y:int = b.X;", "explicit #id"},
		{"name of the reference", "a.x y:long = a.X;", "declares it too"},
		{"unknown field type", "b.x y:float = b.X;", "does not know"},
		{"bad schema", "b.x y:int;", "no result type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := generateOwn([]byte(tt.own), []byte(ref))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("generateOwn: got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// A declaration whose CRC32 is a reference's id under another name.
	const clash = "b.y z:int = b.Y"
	refIDs := fmt.Sprintf("r.z#%08x = r.Z;\n", crc32.ChecksumIEEE([]byte(clash)))
	if _, err := generateOwn([]byte(clash+";"), []byte(refIDs)); err == nil || !strings.Contains(err.Error(), "is that of the reference's r.z") {
		t.Errorf("generateOwn with a clashing id: got %v", err)
	}
}

func TestSchemaDocs(t *testing.T) {
	const src = `// the file's header, nobody's doc

// it is one
// over two lines
a.one x:int = a.One;
a.two = a.Two; // a trailing comment
---functions---
// it is three,
// written across
a.three x:int
  y:long = a.Three;
// a comment before a blank line

a.four = a.Four;
`
	got := schemaDocs(src)
	want := map[string]string{"a.one": "it is one over two lines", "a.three": "it is three, written across"}
	if len(got) != len(want) {
		t.Errorf("got docs %q, want %q", got, want)
	}
	for name, doc := range want {
		if got[name] != doc {
			t.Errorf("doc of %s: got %q, want %q", name, got[name], doc)
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
	own := filepath.Join(dir, "own.tl")
	ownOut := filepath.Join(dir, "own.go")
	if err := os.WriteFile(own, []byte("// it is ours\nb.y z:long = b.Y;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-schema", schema, "-list", list, "-out", out, "-own", own, "-ownout", ownOut}); err != nil {
		t.Fatal(err)
	}
	src, err = os.ReadFile(ownOut)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"// BY is the TL constructor b.y: it is ours.", fmt.Sprintf("const BYID uint32 = %#08x", crc32.ChecksumIEEE([]byte("b.y z:long = b.Y"))), "registry[BYID] = constructor{", "var ownConstructors = map[uint32]bool{"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("the file generated from -own lacks %q:\n%s", want, src)
		}
	}
}
