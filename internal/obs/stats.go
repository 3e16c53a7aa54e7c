package obs

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"sort"
	"strings"
)

// JSONStatsHandler serves snapshot() as JSON: the /jsonstats page. The
// snapshot is a role's own struct, with the reference's key names where
// they exist.
func JSONStatsHandler(snapshot func() any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := json.Marshal(snapshot())
		if err != nil {
			http.Error(w, "encoding stats: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
}

// StatsHandler serves snapshot() as an HTML page titled title: the /stats
// page. Objects become two-column tables, lists of objects become tables
// with a column per key; every string is escaped.
func StatsHandler(title string, snapshot func() any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := json.Marshal(snapshot())
		if err != nil {
			http.Error(w, "encoding stats: "+err.Error(), http.StatusInternalServerError)
			return
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			http.Error(w, "decoding stats: "+err.Error(), http.StatusInternalServerError)
			return
		}
		var sb strings.Builder
		t := html.EscapeString(title)
		fmt.Fprintf(&sb, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>", t)
		sb.WriteString("<style>body{font-family:sans-serif}table{border-collapse:collapse;margin:2px}td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top;text-align:left}</style>")
		fmt.Fprintf(&sb, "</head><body><h1>%s</h1>\n", t)
		renderHTML(&sb, v)
		sb.WriteString("\n</body></html>\n")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(sb.String()))
	})
}

func renderHTML(sb *strings.Builder, v any) {
	switch v := v.(type) {
	case map[string]any:
		keys := sortedKeys(v)
		sb.WriteString("<table>")
		for _, k := range keys {
			fmt.Fprintf(sb, "<tr><th>%s</th><td>", html.EscapeString(k))
			renderHTML(sb, v[k])
			sb.WriteString("</td></tr>")
		}
		sb.WriteString("</table>")
	case []any:
		if cols, ok := objectColumns(v); ok {
			sb.WriteString("<table><tr>")
			for _, c := range cols {
				fmt.Fprintf(sb, "<th>%s</th>", html.EscapeString(c))
			}
			sb.WriteString("</tr>")
			for _, row := range v {
				sb.WriteString("<tr>")
				for _, c := range cols {
					sb.WriteString("<td>")
					if cell, ok := row.(map[string]any)[c]; ok {
						renderHTML(sb, cell)
					}
					sb.WriteString("</td>")
				}
				sb.WriteString("</tr>")
			}
			sb.WriteString("</table>")
			return
		}
		for i, e := range v {
			if i > 0 {
				sb.WriteString("<br>")
			}
			renderHTML(sb, e)
		}
	case nil:
		sb.WriteString("&mdash;")
	default:
		sb.WriteString(html.EscapeString(fmt.Sprint(v)))
	}
}

// objectColumns returns the union of keys when every element is an object.
func objectColumns(list []any) ([]string, bool) {
	if len(list) == 0 {
		return nil, false
	}
	seen := map[string]any{}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		for k := range m {
			seen[k] = nil
		}
	}
	return sortedKeys(seen), true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// RequireAccessHash guards h like the reference's http_access_hash: when
// hash is non-empty, a request must carry ?access_hash=<hash> or it gets
// 400. An empty hash lets every request through.
func RequireAccessHash(hash string, h http.Handler) http.Handler {
	if hash == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.URL.Query().Get("access_hash")
		if subtle.ConstantTimeCompare([]byte(got), []byte(hash)) != 1 {
			http.Error(w, "missing or wrong access_hash", http.StatusBadRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Mount registers /stats, /jsonstats and /metrics on mux. The stats pages
// are guarded by accessHash (see RequireAccessHash); /metrics is guarded
// the same way.
func Mount(mux *http.ServeMux, title string, snapshot func() any, m *Metrics, accessHash string) {
	mux.Handle("GET /stats", RequireAccessHash(accessHash, StatsHandler(title, snapshot)))
	mux.Handle("GET /jsonstats", RequireAccessHash(accessHash, JSONStatsHandler(snapshot)))
	mux.Handle("GET /metrics", RequireAccessHash(accessHash, m.Handler()))
}
