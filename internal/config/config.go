// Package config owns how a node reads its JSON configuration: strictly
// (an unknown field is an error, so that a misspelt option is not
// ignored), with periods as Duration. Every role's LoadConfig and
// ParseConfig go through it.
package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"
)

// Duration is a configured period: in JSON a Go duration string such as
// "45s" or "500ms", or a number of seconds.
type Duration time.Duration

// UnmarshalJSON reads a duration string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("parsing duration: %w", err)
		}
		*d = Duration(v)
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("parsing duration: want a string such as \"45s\" or a number of seconds: %w", err)
	}
	if math.Abs(f) > float64(math.MaxInt64)/float64(time.Second) {
		return fmt.Errorf("parsing duration: %g seconds is out of range", f)
	}
	*d = Duration(f * float64(time.Second))
	return nil
}

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Decode decodes a JSON object into a T, strictly: a field T does not
// have is an error. what names the document in errors ("client config").
func Decode[T any](b []byte, what string) (T, error) {
	var v T
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, fmt.Errorf("decoding %s: %w", what, err)
	}
	return v, nil
}

// Load reads the file at path and parses it with parse (a role's
// ParseConfig, which decodes, fills in defaults and validates), naming the
// file in its errors. what names the document ("client config").
func Load[T any](path, what string, parse func([]byte) (T, error)) (T, error) {
	var zero T
	b, err := os.ReadFile(path)
	if err != nil {
		return zero, fmt.Errorf("reading %s: %w", what, err)
	}
	v, err := parse(b)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}
