package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/worker"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/CONFIG.md from the config types")

// TestConfigReference checks that docs/CONFIG.md is what the config types
// say: every field of every role's config, its JSON name, type, default
// (what ParseConfig fills into a minimal config) and its doc comment.
// `go test ./cmd/cocoon -run TestConfigReference -update` rewrites it.
func TestConfigReference(t *testing.T) {
	docs := fieldDocs(t, "../../internal/client/config.go", "../../internal/proxy/config.go", "../../internal/worker/config.go", "../../internal/chainconf/chainconf.go")
	var b bytes.Buffer
	b.WriteString("# Configuration reference\n\nGenerated from the config types by `go test ./cmd/cocoon -run TestConfigReference -update`; a test fails when this file\ndiffers from what they say. Each role reads one JSON file (`--config FILE`); unknown fields are errors. Amounts are\nintegers in nanoTON (1 TON = 1,000,000,000); durations are Go duration strings (`\"1.5s\"`, `\"500ms\"`) or numbers of\nseconds. A default is what the role uses when the field is absent or zero.\n")
	roles := []struct {
		name    string
		typ     reflect.Type
		minimal string
		parse   func([]byte) (any, error)
	}{
		{"client", reflect.TypeFor[client.Config](), `{"is_test":true,"proxies":["127.0.0.1:1"]}`, func(b []byte) (any, error) { return client.ParseConfig(b) }},
		{"proxy", reflect.TypeFor[proxy.Config](), `{"is_test":true}`, func(b []byte) (any, error) { return proxy.ParseConfig(b) }},
		{"worker", reflect.TypeFor[worker.Config](), `{"is_test":true,"proxies":["127.0.0.1:1"],"model_name":"m","forward_requests_to":"http://127.0.0.1:1","proxy_policy":"fake_tdx"}`, func(b []byte) (any, error) { return worker.ParseConfig(b) }},
	}
	for _, r := range roles {
		parsed, err := r.parse([]byte(r.minimal))
		if err != nil {
			t.Fatalf("%s: minimal config %s: %v", r.name, r.minimal, err)
		}
		var minimal map[string]any
		json.Unmarshal([]byte(r.minimal), &minimal)
		fmt.Fprintf(&b, "\n## %s (`cocoon %s --config FILE`)\n\n| field | type | default | meaning |\n|---|---|---|---|\n", r.name, r.name)
		writeFields(t, &b, r.typ, reflect.ValueOf(parsed), docs, minimal)
	}
	path := filepath.Join("..", "..", "docs", "CONFIG.md")
	if *updateDocs {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Errorf("docs/CONFIG.md is not what the config types say: run go test ./cmd/cocoon -run TestConfigReference -update")
	}
}

// writeFields writes a row per JSON field of typ, following embedded
// structs; v holds the parsed minimal config, whose values of fields the
// minimal config did not set are the defaults.
func writeFields(t *testing.T, b *bytes.Buffer, typ reflect.Type, v reflect.Value, docs map[string]string, minimal map[string]any) {
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous {
			writeFields(t, b, f.Type, v.Field(i), docs, minimal)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		doc := docs[path.Base(typ.PkgPath())+"."+typ.Name()+"."+f.Name]
		if doc == "" {
			t.Errorf("%s.%s (%s) has no doc comment", typ, f.Name, name)
		}
		def := "—"
		if _, set := minimal[name]; !set && !v.Field(i).IsZero() {
			j, _ := json.Marshal(v.Field(i).Interface())
			def = "`" + string(j) + "`"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", name, typeName(f.Type), def, strings.ReplaceAll(doc, "|", "\\|"))
	}
}

func typeName(t reflect.Type) string {
	switch {
	case t.Name() == "Duration":
		return "duration"
	case t.Kind() == reflect.Slice:
		return "array of " + typeName(t.Elem())
	case t.Kind() == reflect.Bool:
		return "boolean"
	case t.Kind() == reflect.String:
		return "string"
	}
	return "integer"
}

// fieldDocs reads the doc comments of struct fields in the files, keyed
// by "Type.Field". A comment above several fields ("A and B are …") goes
// to each of them.
func fieldDocs(t *testing.T, files ...string) map[string]string {
	docs := map[string]string{}
	fset := token.NewFileSet()
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return false
			}
			carried := ""
			for _, field := range st.Fields.List {
				doc := strings.Join(strings.Fields(field.Doc.Text()), " ")
				if doc == "" {
					doc = carried // the comment of the fields above, which names this one too
				}
				carried = ""
				for _, name := range field.Names {
					docs[f.Name.Name+"."+ts.Name.Name+"."+name.Name] = doc
					if strings.Contains(doc, " and "+name.Name) || strings.Contains(doc, name.Name+" and ") || strings.Contains(doc, ", "+name.Name) {
						carried = doc
					}
				}
				if field.Doc != nil && len(field.Names) == 1 {
					// A comment that names the next field too carries over.
					carried = doc
				}
			}
			return false
		})
	}
	return docs
}
