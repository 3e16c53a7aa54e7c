package main

import (
	"fmt"
	"strings"
)

// selection is what the list file says: which declarations to generate,
// the words of their doc comments, and what a nil boxed field stands for.
type selection struct {
	docs map[string]string // declaration name → "it ..."; "" for none
	// nilAs maps a boxed type to the constructor that a nil field of that
	// type is encoded as.
	nilAs map[string]string
}

// parseList reads the list file: a line names a declaration, the indented
// lines after it continue its doc, a line "nil T = c" says that a nil field
// of the boxed type T is encoded as the constructor c, and blank lines and
// lines starting with # are ignored.
func parseList(src string) (*selection, error) {
	s := &selection{docs: make(map[string]string), nilAs: make(map[string]string)}
	last := ""
	for i, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			last = ""
		case line[0] == ' ' || line[0] == '\t':
			if last == "" {
				return nil, fmt.Errorf("parsing list line %d: an indented doc line follows no declaration", i+1)
			}
			s.docs[last] = strings.TrimSpace(s.docs[last] + " " + trimmed)
		case strings.HasPrefix(trimmed, "nil "):
			typ, c, ok := strings.Cut(strings.TrimPrefix(trimmed, "nil "), " = ")
			if !ok || strings.ContainsAny(typ, " \t") || strings.ContainsAny(c, " \t") {
				return nil, fmt.Errorf("parsing list line %d: want \"nil Type = constructor\", got %q", i+1, trimmed)
			}
			if _, dup := s.nilAs[typ]; dup {
				return nil, fmt.Errorf("parsing list line %d: nil %s is given twice", i+1, typ)
			}
			s.nilAs[typ] = c
			last = ""
		default:
			if strings.ContainsAny(trimmed, " \t") {
				return nil, fmt.Errorf("parsing list line %d: want a declaration name alone, got %q", i+1, trimmed)
			}
			if _, dup := s.docs[trimmed]; dup {
				return nil, fmt.Errorf("parsing list line %d: %s is listed twice", i+1, trimmed)
			}
			s.docs[trimmed] = ""
			last = trimmed
		}
	}
	return s, nil
}
