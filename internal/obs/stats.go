package obs

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
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
// page, for a person. Objects become two-column tables, lists of objects
// (workers, accounts, connections) become tables with a column per key;
// amounts whose key ends in _nano show as TON decimals, rates per second
// and times with their units; every string is escaped. models, when set,
// adds a table of the requests by model first.
func StatsHandler(title string, snapshot func() any, models func() []ModelRow) http.Handler {
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
		if models != nil {
			renderModels(&sb, models())
		}
		renderHTML(&sb, "", v)
		sb.WriteString("\n</body></html>\n")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(sb.String()))
	})
}

// renderModels writes the table of requests by model.
func renderModels(sb *strings.Builder, rows []ModelRow) {
	sb.WriteString("<h2>Requests by model</h2>")
	if len(rows) == 0 {
		sb.WriteString("<p>none yet</p>")
		return
	}
	sb.WriteString("<table><tr><th>model</th><th>succeeded</th><th>failed</th><th>refused</th><th>prompt tokens</th><th>completion tokens</th><th>value</th><th>mean time to first token</th></tr>")
	for _, r := range rows {
		ttft := "&mdash;"
		if r.FirstTokenCount > 0 {
			ttft = fmt.Sprintf("%.3f s", (r.FirstTokenSum / time.Duration(r.FirstTokenCount)).Seconds())
		}
		fmt.Fprintf(sb, "<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%s</td><td>%s</td></tr>",
			html.EscapeString(r.Model), r.Success, r.Failed, r.Rejected, r.PromptTokens, r.OutputTokens, html.EscapeString(tonString(r.Nano)), ttft)
	}
	sb.WriteString("</table><h2>State</h2>\n")
}

// tonString writes nanoTON as TON with up to nine decimals.
func tonString(nano int64) string { return billing.NanoTON(nano).String() + " TON" }

// renderValue formats a scalar for a person, with the unit its key names.
func renderValue(key string, v any) string {
	n, ok := v.(json.Number)
	if s, isStr := v.(string); isStr && strings.HasSuffix(key, "_nano") {
		n, ok = json.Number(s), true
	}
	if !ok {
		return fmt.Sprint(v)
	}
	if i, err := n.Int64(); err == nil && strings.HasSuffix(key, "_nano") {
		return tonString(i)
	}
	f, err := n.Float64()
	if err != nil {
		return n.String()
	}
	if _, err := n.Int64(); err == nil {
		return n.String()
	}
	switch {
	case strings.HasSuffix(key, "rate"):
		return strconv.FormatFloat(f*100, 'f', 1, 64) + " %"
	case key == "avg_time" || strings.HasSuffix(key, "_seconds") || strings.HasSuffix(key, "_time"):
		return strconv.FormatFloat(f, 'f', 3, 64) + " s"
	case isRateKey(key):
		if f < 1e-6 {
			f = 0 // decayed to nothing
		}
		return strconv.FormatFloat(f, 'g', 3, 64) + " /s"
	}
	return strconv.FormatFloat(f, 'g', 4, 64)
}

// isRateKey reports a key of a decayed rate (RateNames).
func isRateKey(key string) bool {
	for _, r := range RateNames {
		if key == r {
			return true
		}
	}
	return false
}

func renderHTML(sb *strings.Builder, key string, v any) {
	switch v := v.(type) {
	case map[string]any:
		keys := sortedKeys(v)
		sb.WriteString("<table>")
		for _, k := range keys {
			label := k
			if isRateKey(k) {
				label = "per second over " + k
			}
			fmt.Fprintf(sb, "<tr><th>%s</th><td>", html.EscapeString(label))
			renderHTML(sb, k, v[k])
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
						renderHTML(sb, c, cell)
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
			renderHTML(sb, key, e)
		}
	case nil:
		sb.WriteString("&mdash;")
	default:
		sb.WriteString(html.EscapeString(renderValue(key, v)))
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
	mux.Handle("GET /stats", RequireAccessHash(accessHash, StatsHandler(title, snapshot, m.Models)))
	mux.Handle("GET /jsonstats", RequireAccessHash(accessHash, JSONStatsHandler(snapshot)))
	mux.Handle("GET /metrics", RequireAccessHash(accessHash, m.Handler()))
}
