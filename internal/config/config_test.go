package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type sample struct {
	Name  string   `json:"name"`
	Every Duration `json:"every"`
}

func TestDurationRoundTrip(t *testing.T) {
	tests := []struct {
		name, json string
		want       time.Duration
		wantErr    string
	}{
		{name: "string", json: `"1.5s"`, want: 1500 * time.Millisecond},
		{name: "seconds", json: `2`, want: 2 * time.Second},
		{name: "fraction of a second", json: `0.25`, want: 250 * time.Millisecond},
		{name: "not a duration", json: `"soon"`, wantErr: "parsing duration"},
		{name: "not a string or number", json: `true`, wantErr: "parsing duration"},
		{name: "out of range", json: `1e300`, wantErr: "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Duration
			err := json.Unmarshal([]byte(tt.json), &d)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || time.Duration(d) != tt.want {
				t.Fatalf("got %v, %v; want %v", time.Duration(d), err, tt.want)
			}
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			var back Duration
			if err := json.Unmarshal(b, &back); err != nil || back != d {
				t.Fatalf("round trip through %s: got %v, %v", b, time.Duration(back), err)
			}
		})
	}
}

func TestDecodeRefusesUnknownFields(t *testing.T) {
	got, err := Decode[sample]([]byte(`{"name":"a","every":"2s"}`), "sample config")
	if err != nil || got != (sample{Name: "a", Every: Duration(2 * time.Second)}) {
		t.Fatalf("got %+v, %v", got, err)
	}
	_, err = Decode[sample]([]byte(`{"name":"a","evry":"2s"}`), "sample config")
	if err == nil || !strings.Contains(err.Error(), `unknown field "evry"`) || !strings.Contains(err.Error(), "decoding sample config") {
		t.Fatalf("a misspelt field: got %v, want an error naming it and the document", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.json")
	if err := os.WriteFile(path, []byte(`{"name":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	parse := func(b []byte) (sample, error) { return Decode[sample](b, "sample config") }
	got, err := Load(path, "sample config", parse)
	if err != nil || got.Name != "x" {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := Load(filepath.Join(dir, "none.json"), "sample config", parse); err == nil || !strings.Contains(err.Error(), "reading sample config") {
		t.Fatalf("a missing file: got %v", err)
	}
	if err := os.WriteFile(path, []byte(`{"nme":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, "sample config", parse); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("a bad file: got %v, want an error naming %s", err, path)
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{`"45s"`: 45 * time.Second, `7200`: 2 * time.Hour, `0.5`: 500 * time.Millisecond} {
		var d Duration
		if err := d.UnmarshalJSON([]byte(in)); err != nil || time.Duration(d) != want {
			t.Errorf("%s: got %v, %v; want %v", in, time.Duration(d), err, want)
		}
	}
	for _, in := range []string{`"x"`, `true`, `1e300`} {
		var d Duration
		if err := d.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("%s: got nil error, want one", in)
		}
	}
	if b, _ := Duration(time.Minute).MarshalJSON(); string(b) != `"1m0s"` {
		t.Errorf("marshal: got %s", b)
	}
}
