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
// parsers could disagree on which of the repeated values counts. The
// members' values share one copy of data.
func DecodeObject(data []byte) (map[string]json.RawMessage, error) {
	// The members are found by a scan that trusts the syntax, once it is
	// checked.
	if !json.Valid(data) {
		var v json.RawMessage
		err := json.Unmarshal(data, &v) // to say what is wrong
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return nil, fmt.Errorf("reading JSON object: %w", err)
	}
	m := make(map[string]json.RawMessage)
	err := members(bytes.Clone(data), func(key string, v json.RawMessage) error {
		if _, dup := m[key]; dup {
			return fmt.Errorf("reading JSON object: %w %q", ErrDuplicateKey, key)
		}
		m[key] = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// objectMember returns the value of data's top-level member key (the last
// one, if the key repeats, as encoding/json decodes it into a map), or nil
// when data is a JSON object without it. data must be valid JSON.
func objectMember(data []byte, key string) (json.RawMessage, error) {
	if !json.Valid(data) {
		return nil, errors.New("reading JSON object: invalid JSON")
	}
	var found json.RawMessage
	err := members(data, func(k string, v json.RawMessage) error {
		if k == key {
			found = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}

// members calls yield with the key and value of each top-level member of
// data, a JSON value that json.Valid has accepted, in order, and stops at
// the first error yield returns. The values share data.
func members(data []byte, yield func(key string, value json.RawMessage) error) error {
	i := skipSpace(data, 0)
	if i == len(data) || data[i] != '{' {
		return errors.New("reading JSON object: not an object")
	}
	for i = skipSpace(data, i+1); data[i] != '}'; i = skipSpace(data, i) {
		if data[i] == ',' {
			i = skipSpace(data, i+1)
		}
		end := endOfString(data, i)
		key, err := objectKey(data[i:end])
		if err != nil {
			return fmt.Errorf("reading JSON object key: %w", err)
		}
		i = skipSpace(data, skipSpace(data, end)+1) // past the colon
		end = endOfValue(data, i)
		if err := yield(key, data[i:end:end]); err != nil {
			return err
		}
		i = end
	}
	return nil
}

// The helpers below scan JSON that json.Valid has accepted.

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// endOfString returns the index after the string that starts at b[i].
func endOfString(b []byte, i int) int {
	for i++; ; i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// endOfValue returns the index after the value that starts at b[i].
func endOfValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return endOfString(b, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '"':
				i = endOfString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
		i++
	}
	return i
}

// objectKey decodes a quoted key; one without escapes or non-ASCII bytes
// is taken as it is.
func objectKey(quoted []byte) (string, error) {
	plain := quoted[1 : len(quoted)-1]
	for _, c := range plain {
		if c == '\\' || c >= 0x80 {
			var s string
			err := json.Unmarshal(quoted, &s)
			return s, err
		}
	}
	return string(plain), nil
}

// EncodeObject writes members as a JSON object with keys in sorted order.
func EncodeObject(m map[string]json.RawMessage) []byte {
	keys := make([]string, 0, len(m))
	size := 2
	for k, v := range m {
		keys = append(keys, k)
		size += len(k) + len(v) + 4
	}
	sort.Strings(keys)
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendKey(b, k)
		b = append(b, ':')
		b = append(b, m[k]...)
	}
	return append(b, '}')
}

// appendKey appends k as a JSON string, as json.Marshal writes it.
func appendKey(b []byte, k string) []byte {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			kb, _ := json.Marshal(k) // a string always marshals
			return append(b, kb...)
		}
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"')
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
