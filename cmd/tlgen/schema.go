package main

import (
	"fmt"
	"hash/crc32"
	"regexp"
	"strconv"
	"strings"
)

// decl is one declaration of a TL schema: a constructor, or a function
// after ---functions---.
type decl struct {
	name     string // tcp.ping
	id       uint32 // the explicit #id, or the CRC32 of the declaration
	explicit bool   // whether the schema wrote the id
	function bool
	// text is the declaration with its whitespace collapsed, for the doc
	// comment: client.workerTypes types:(vector client.workerType) = client.WorkerTypes
	text   string
	result string // the boxed type: tcp.Packet
	// fields is nil for the schema's built-in declarations (int ? = Int,
	// vector {t:Type} # [ t ] = Vector t), whose syntax is not name:type.
	fields  []field
	builtin bool
}

// field is one name:type of a declaration.
type field struct {
	name string // request_id
	// typ is the type, or the element type of a vector: int, #, Bool,
	// tokensUsed (a bare constructor), proxy.SignedPayment (a boxed type).
	typ    string
	vector bool
	// cond is the flags field whose bit flagBit says whether the field is
	// on the wire (flags.0?Bool), or "" for a field that always is.
	cond    string
	flagBit int
}

var (
	lineComment = regexp.MustCompile(`//[^\n]*`)
	section     = regexp.MustCompile(`^---(\w+)---$`)
	// fieldToken is name:type, where type is (vector t), flags.N?t, # or t.
	fieldToken = regexp.MustCompile(`^([a-z][a-z0-9_]*):(?:\(vector ([\w.]+)\)|(?:([a-z][a-z0-9_]*)\.(\d+)\?)?([\w.]+|#))$`)
	declName   = regexp.MustCompile(`^([a-zA-Z][\w.]*?)(?:#([0-9a-f]{8}))?$`)
	tokens     = regexp.MustCompile(`\w+:\([^)]*\)|\S+`)
)

// parseSchema reads the declarations of a TL schema in order. A
// declaration's id is the explicit #id where the schema gives one;
// otherwise it is the CRC32 (IEEE) of the declaration as TON's tl-parser
// normalizes it: comments and section markers dropped, parentheses and
// braces removed, whitespace collapsed to single spaces.
func parseSchema(src string) ([]*decl, error) {
	src = lineComment.ReplaceAllString(src, "")
	var decls []*decl
	function := false
	seen := make(map[string]bool)
	for stmt := range strings.SplitSeq(src, ";") {
		words := strings.Fields(stmt)
		for len(words) > 0 {
			m := section.FindStringSubmatch(words[0])
			if m == nil {
				break
			}
			switch m[1] {
			case "types":
				function = false
			case "functions":
				function = true
			default:
				return nil, fmt.Errorf("parsing schema: unknown section marker %s", words[0])
			}
			words = words[1:]
		}
		if len(words) == 0 {
			continue
		}
		d, err := parseDecl(strings.Join(words, " "), function)
		if err != nil {
			return nil, fmt.Errorf("parsing schema: %w", err)
		}
		if seen[d.name] {
			return nil, fmt.Errorf("parsing schema: %s is declared twice", d.name)
		}
		seen[d.name] = true
		decls = append(decls, d)
	}
	return decls, nil
}

// parseDecl parses one declaration whose whitespace is collapsed.
func parseDecl(text string, function bool) (*decl, error) {
	lhs, result, ok := strings.Cut(text, " = ")
	if !ok || strings.TrimSpace(result) == "" {
		return nil, fmt.Errorf("declaration %q has no result type", text)
	}
	toks := tokens.FindAllString(lhs, -1)
	m := declName.FindStringSubmatch(toks[0])
	if m == nil {
		return nil, fmt.Errorf("declaration %q: bad name %q", text, toks[0])
	}
	d := &decl{name: m[1], function: function, text: text, result: result}
	if m[2] != "" {
		v, err := strconv.ParseUint(m[2], 16, 32)
		if err != nil {
			return nil, fmt.Errorf("declaration %q: explicit id: %w", text, err)
		}
		d.id, d.explicit = uint32(v), true
	} else {
		d.id = crc32.ChecksumIEEE([]byte(strings.Join(strings.Fields(strings.NewReplacer("(", "", ")", "", "{", "", "}", "").Replace(text)), " ")))
	}
	flags := make(map[string]bool)
	for _, tok := range toks[1:] {
		fm := fieldToken.FindStringSubmatch(tok)
		if fm == nil {
			// int ? = Int, vector {t:Type} # [ t ] = Vector t and the
			// like: the schema's built-ins, which are not generated.
			d.fields, d.builtin = nil, true
			return d, nil
		}
		f := field{name: fm[1], typ: fm[5]}
		switch {
		case fm[2] != "":
			f.typ, f.vector = fm[2], true
		case fm[3] != "":
			if !flags[fm[3]] {
				return nil, fmt.Errorf("declaration %q: field %s depends on %s, which is not an earlier flags field", text, f.name, fm[3])
			}
			bit, err := strconv.Atoi(fm[4])
			if err != nil || bit > 31 {
				return nil, fmt.Errorf("declaration %q: field %s: flag bit %s is not 0 to 31", text, f.name, fm[4])
			}
			f.cond, f.flagBit = fm[3], bit
		}
		if f.typ == "#" && f.cond == "" && !f.vector {
			flags[f.name] = true
		}
		d.fields = append(d.fields, f)
	}
	return d, nil
}

// schemaDocs returns the doc of every declaration of src that has one: the
// text of the comment lines directly above its first line, joined by
// spaces. A blank line or a section marker ends a comment without
// attaching it, so a file's header comment is nobody's doc.
func schemaDocs(src string) map[string]string {
	docs := make(map[string]string)
	var pending []string
	start := true // whether the next declaration begins on this line
	for line := range strings.SplitSeq(src, "\n") {
		code, comment, _ := strings.Cut(line, "//")
		code = strings.TrimSpace(code)
		switch {
		case code == "" && strings.TrimSpace(line) == "":
			pending = nil
		case code == "":
			pending = append(pending, strings.TrimSpace(comment))
		case section.MatchString(code):
			pending = nil
		default:
			if start && len(pending) > 0 {
				name := strings.Fields(code)[0]
				if m := declName.FindStringSubmatch(name); m != nil {
					name = m[1]
				}
				docs[name] = strings.Join(pending, " ")
			}
			pending = nil
			start = strings.HasSuffix(code, ";")
		}
	}
	return docs
}
