package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"
)

// Bounds of a multipart form, which an audio upload is.
const (
	maxFormParts       = 64
	maxPartHeaderBytes = 8 << 10
	// MaxFormValue bounds a text field that Value returns.
	MaxFormValue = 64 << 10
)

// ErrNotMultipart reports a body that is not multipart/form-data.
var ErrNotMultipart = errors.New("not a multipart/form-data body")

// Form is a multipart/form-data body scanned in place: its parts are
// offsets into the body, which is never copied. Remove and SetValue
// rewrite the body in place where they can.
type Form struct {
	body     []byte
	boundary string
	parts    []Part
}

// Part is one part of a Form.
type Part struct {
	Name        string // the name of its Content-Disposition
	Filename    string // the filename of its Content-Disposition; empty for a text field
	ContentType string
	header      []byte // the header lines, without the blank line that ends them
	start, end  int    // the content's offsets in the body
}

// Size is the length of the part's content.
func (p Part) Size() int { return p.end - p.start }

// ParseForm scans body as multipart/form-data with the boundary that
// contentType names. Lines end in CRLF, as RFC 7578 requires; the body
// ends with the closing delimiter, and every part has a Content-Disposition
// of form-data with a name.
func ParseForm(contentType string, body []byte) (*Form, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" {
		return nil, fmt.Errorf("reading the upload: %w (Content-Type %q)", ErrNotMultipart, contentType)
	}
	b := params["boundary"]
	if b == "" || len(b) > 70 {
		return nil, fmt.Errorf("reading the upload: %w: boundary of %d bytes, want 1 to 70", ErrNotMultipart, len(b))
	}
	f := &Form{body: body, boundary: b}
	delim := []byte("--" + b)
	// The first delimiter starts the body or follows a preamble's CRLF.
	i := 0
	if !bytes.HasPrefix(body, delim) {
		j := bytes.Index(body, append([]byte("\r\n"), delim...))
		if j < 0 {
			return nil, errors.New("reading the upload: no multipart boundary")
		}
		i = j + 2
	}
	sep := append([]byte("\r\n"), delim...)
	for {
		i += len(delim)
		if bytes.HasPrefix(body[i:], []byte("--")) {
			return f, nil // the closing delimiter; an epilogue is ignored
		}
		// Transport padding, then CRLF.
		for i < len(body) && (body[i] == ' ' || body[i] == '\t') {
			i++
		}
		if !bytes.HasPrefix(body[i:], []byte("\r\n")) {
			return nil, errors.New("reading the upload: malformed multipart boundary line")
		}
		i += 2
		if len(f.parts) == maxFormParts {
			return nil, fmt.Errorf("reading the upload: more than %d parts", maxFormParts)
		}
		var p Part
		var hdrEnd int
		if bytes.HasPrefix(body[i:], []byte("\r\n")) {
			hdrEnd = i // no header lines
		} else {
			h := bytes.Index(body[i:min(len(body), i+maxPartHeaderBytes)], []byte("\r\n\r\n"))
			if h < 0 {
				return nil, fmt.Errorf("reading the upload: part headers unterminated within %d bytes", maxPartHeaderBytes)
			}
			hdrEnd = i + h + 2
		}
		p.header = body[i:hdrEnd]
		if err := p.parseHeader(); err != nil {
			return nil, err
		}
		p.start = hdrEnd + 2
		e := bytes.Index(body[p.start:], sep)
		if e < 0 {
			return nil, errors.New("reading the upload: a part does not end with the boundary")
		}
		p.end = p.start + e
		f.parts = append(f.parts, p)
		i = p.end + 2
	}
}

// parseHeader reads the part's Content-Disposition and Content-Type.
func (p *Part) parseHeader() error {
	disposition := false
	for _, line := range bytes.Split(p.header, []byte("\r\n")) {
		if len(line) == 0 {
			continue
		}
		k, v, ok := strings.Cut(string(line), ":")
		if !ok {
			return fmt.Errorf("reading the upload: malformed part header %q", clipString(string(line)))
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "content-disposition":
			d, params, err := mime.ParseMediaType(v)
			if err != nil || d != "form-data" || params["name"] == "" {
				return fmt.Errorf("reading the upload: part disposition %q is not form-data with a name", clipString(v))
			}
			p.Name, p.Filename, disposition = params["name"], params["filename"], true
		case "content-type":
			p.ContentType = v
		}
	}
	if !disposition {
		return errors.New("reading the upload: a part has no Content-Disposition")
	}
	return nil
}

func clipString(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// Bytes returns the body with its rewrites.
func (f *Form) Bytes() []byte { return f.body }

// Content returns the bytes of a part, within the body.
func (f *Form) Content(p Part) []byte { return f.body[p.start:p.end] }

// part returns the index of the first part named name, or -1.
func (f *Form) part(name string) int {
	for i, p := range f.parts {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// Value returns the text field name: ok is false when there is none, and
// err reports one that is a file or longer than MaxFormValue.
func (f *Form) Value(name string) (v string, ok bool, err error) {
	i := f.part(name)
	if i < 0 {
		return "", false, nil
	}
	p := f.parts[i]
	if p.Filename != "" {
		return "", true, fmt.Errorf("reading the upload: %s is a file, want a text field", name)
	}
	if p.Size() > MaxFormValue {
		return "", true, fmt.Errorf("reading the upload: field %s of %d bytes exceeds %d", name, p.Size(), MaxFormValue)
	}
	return string(f.Content(p)), true, nil
}

// File returns the file part name.
func (f *Form) File(name string) (Part, bool) {
	i := f.part(name)
	if i < 0 || f.parts[i].Filename == "" {
		return Part{}, false
	}
	return f.parts[i], true
}

// Remove deletes every part named name, moving the rest of the body
// down in place.
func (f *Form) Remove(name string) {
	for i := f.part(name); i >= 0; i = f.part(name) {
		p := f.parts[i]
		// The part runs from its delimiter line to the CRLF before the
		// next delimiter; cut from its delimiter to the next one.
		from := p.start - 2 - len(p.header) - 2 - len(f.boundary) - 2
		for from > 0 && !bytes.HasPrefix(f.body[from:], []byte("--"+f.boundary)) {
			from-- // transport padding between the delimiter and its CRLF
		}
		f.parts = append(f.parts[:i], f.parts[i+1:]...)
		f.splice(i, from, p.end+2, nil)
	}
}

// SetValue replaces the content of the first part named name, in place
// when the new value is no longer than the old one.
func (f *Form) SetValue(name, value string) bool {
	i := f.part(name)
	if i < 0 {
		return false
	}
	p := f.parts[i]
	f.parts[i].end = p.start + len(value)
	f.splice(i+1, p.start, p.end, []byte(value))
	return true
}

// splice replaces body[from:to] with repl and shifts the offsets of the
// parts from index i on, which all lie after to.
func (f *Form) splice(i, from, to int, repl []byte) {
	delta := len(repl) - (to - from)
	tail := len(f.body) - to
	switch {
	case delta <= 0:
		copy(f.body[from:], repl)
		copy(f.body[from+len(repl):], f.body[to:])
		f.body = f.body[:from+len(repl)+tail]
	default:
		nb := make([]byte, 0, len(f.body)+delta)
		nb = append(append(append(nb, f.body[:from]...), repl...), f.body[to:]...)
		f.body = nb
	}
	for j := i; j < len(f.parts); j++ {
		f.parts[j].start += delta
		f.parts[j].end += delta
	}
	// Headers of later parts are slices of the old body positions.
	f.reslice()
}

// reslice points every part's header at its place in the current body.
func (f *Form) reslice() {
	for j := range f.parts {
		p := &f.parts[j]
		n := len(p.header)
		p.header = f.body[p.start-2-n : p.start-2]
	}
}

// cocoonFields are COCOON's own request fields.
var cocoonFields = []string{"max_coefficient", "timeout", "enable_debug", "request_guid"}

// FormCocoonParams reads COCOON's fields from an upload's text fields, as
// ExtractCocoonParams reads them from a JSON body (numbers and booleans
// written as in JSON), applying the defaults for absent ones, and removes
// them from the form.
func FormCocoonParams(f *Form) (CocoonParams, error) {
	m := map[string]json.RawMessage{"model": json.RawMessage(`""`)}
	for _, k := range cocoonFields {
		v, ok, err := f.Value(k)
		if err != nil {
			return CocoonParams{}, err
		}
		if !ok {
			continue
		}
		raw := json.RawMessage(v)
		if k == "request_guid" {
			raw, _ = json.Marshal(v) // a string always marshals
		}
		m[k] = raw
	}
	p, err := (&Body{m: m}).ExtractCocoonParams()
	if err != nil {
		return p, err
	}
	for _, k := range cocoonFields {
		f.Remove(k)
	}
	return p, nil
}
