package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// Extra holds the members of a JSON object that a type does not model, so
// that a decoded request can be encoded again without losing anything.
type Extra map[string]json.RawMessage

// ErrDuplicateKey reports a JSON object that names a member twice.
var ErrDuplicateKey = errors.New("duplicate key")

// DecodeObject splits a JSON object into its members. It rejects anything
// that is not a single object and objects that repeat a key, since two
// parsers could disagree on which of the repeated values counts.
func DecodeObject(data []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("reading JSON object: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("reading JSON object: not an object")
	}
	m := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("reading JSON object key: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("reading JSON object: key is not a string")
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("reading JSON member %q: %w", key, err)
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("reading JSON object: %w %q", ErrDuplicateKey, key)
		}
		m[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("reading JSON object end: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("reading JSON object: trailing data after the object")
	}
	return m, nil
}

// EncodeObject writes members as a JSON object with keys in sorted order.
func EncodeObject(m map[string]json.RawMessage) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k) // a string always marshals
		b.Write(kb)
		b.WriteByte(':')
		b.Write(m[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}

// splitExtra decodes data into known (a pointer to a struct without custom
// unmarshalling) and returns the members whose keys are not in names.
func splitExtra(data []byte, known any, names []string) (Extra, error) {
	m, err := DecodeObject(data)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, known); err != nil {
		return nil, err
	}
	for _, n := range names {
		delete(m, n)
	}
	if len(m) == 0 {
		return nil, nil
	}
	return Extra(m), nil
}

// joinExtra encodes known and adds the extra members to the object.
func joinExtra(known any, extra Extra) ([]byte, error) {
	b, err := json.Marshal(known)
	if err != nil {
		return nil, err
	}
	if len(extra) == 0 {
		return b, nil
	}
	m, err := DecodeObject(b)
	if err != nil {
		return nil, err
	}
	for k, v := range extra {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return EncodeObject(m), nil
}
