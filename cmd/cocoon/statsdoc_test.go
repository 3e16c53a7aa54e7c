package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// jsonKeys lists the JSON keys of t and of the structs it holds, as
// "parent.key" paths without list indexes.
func jsonKeys(t reflect.Type, prefix string, out map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.PkgPath() == "time" {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			jsonKeys(f.Type, prefix, out)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[prefix+name] = true
		jsonKeys(f.Type, prefix+name+".", out)
	}
}

// TestObservabilityReference checks that docs/OBSERVABILITY.md explains
// every /jsonstats key of every role and every metric: a key or metric
// added to the code without a word in the doc fails here.
func TestObservabilityReference(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "OBSERVABILITY.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	for _, part := range strings.Split(string(doc), "\n## ")[1:] {
		title, body, _ := strings.Cut(part, "\n")
		sections[strings.Fields(title)[0]] = body
	}
	for _, role := range []struct {
		name string
		typ  reflect.Type
	}{
		{"client", reflect.TypeFor[client.Snapshot]()},
		{"proxy", reflect.TypeFor[proxy.Snapshot]()},
		{"worker", reflect.TypeFor[worker.Snapshot]()},
	} {
		body, ok := sections[role.name]
		if !ok {
			t.Errorf("docs/OBSERVABILITY.md has no section ## %s", role.name)
			continue
		}
		keys := map[string]bool{}
		jsonKeys(role.typ, "", keys)
		var missing []string
		for k := range keys {
			where := body
			if strings.HasPrefix(k, "stats.") || strings.HasPrefix(k, "root.") {
				where = string(doc)
			}
			if !strings.Contains(where, "`"+k+"`") {
				missing = append(missing, k)
			}
		}
		slices.Sort(missing)
		if len(missing) > 0 {
			t.Errorf("docs/OBSERVABILITY.md, %s: /jsonstats keys without a word: %s", role.name, strings.Join(missing, " "))
		}
	}
	// Every metric a role registers beyond Go's and the process's.
	m := obs.NewMetrics("proxy")
	m.Observe(obs.Request{Model: "m", Worker: "w", Outcome: obs.OutcomeSuccess, PromptTokens: 1, Nano: 1, FirstToken: 1, Queue: 1})
	m.RequestStarted()
	m.RequestFinished(obs.OutcomeSuccess, 1)
	m.AddBytes(1)
	m.Retried()
	rec := newRecorder()
	m.Handler().ServeHTTP(rec, newGet("/metrics"))
	for _, name := range regexp.MustCompile(`(?m)^# HELP (cocoon_\w+)`).FindAllStringSubmatch(rec.Body.String(), -1) {
		if !strings.Contains(sections["metrics"], "`"+name[1]+"`") {
			t.Errorf("docs/OBSERVABILITY.md, metrics: %s has no word", name[1])
		}
	}
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func newGet(path string) *http.Request { return httptest.NewRequest(http.MethodGet, path, nil) }
