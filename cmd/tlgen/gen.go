package main

import (
	"bytes"
	"fmt"
	"go/format"
	"hash/crc32"
	"slices"
	"strings"
	"unicode"
)

// scalar is a TL type that one Writer and Reader method pair handles.
type scalar struct {
	goType string
	method string // the Writer and Reader method: Int32 for int
	size   int    // the fewest bytes its encoding takes
}

var scalars = map[string]scalar{
	"#":      {"uint32", "Uint32", 4},
	"int":    {"int32", "Int32", 4},
	"long":   {"int64", "Int64", 8},
	"double": {"float64", "Double", 8},
	"string": {"string", "String", 4},
	"bytes":  {"[]byte", "Bytes", 4},
	"int128": {"[16]byte", "Int128", 16},
	"int256": {"[32]byte", "Int256", 32},
	"Bool":   {"bool", "Bool", 4},
}

// initialisms are the words that Go names write in capitals.
var initialisms = map[string]string{"id": "ID", "db": "DB", "sc": "SC", "http": "HTTP", "url": "URL", "tcp": "TCP", "ton": "TON"}

// goName turns a TL name (tcp.queryAnswer, request_id, proxyDb.Config)
// into a Go one (TCPQueryAnswer, RequestID, ProxyDBConfig).
func goName(tl string) string {
	var b strings.Builder
	word := func(w string) {
		if w == "" {
			return
		}
		if up, ok := initialisms[strings.ToLower(w)]; ok {
			b.WriteString(up)
			return
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	for part := range strings.FieldsFuncSeq(tl, func(r rune) bool { return r == '.' || r == '_' }) {
		start := 0
		for i, r := range part {
			if i > 0 && unicode.IsUpper(r) {
				word(part[start:i])
				start = i
			}
		}
		word(part[start:])
	}
	return b.String()
}

// gen holds what generate knows about the schema and the selection.
type gen struct {
	sel      *selection
	own      bool // cocoon-go's own declarations, not the reference's
	byName   map[string]*decl
	ctors    map[string][]*decl // boxed type → its constructors, in schema order
	selected []*decl            // in schema order
	// ifaces maps a boxed type with several constructors, which a selected
	// declaration returns, to the name of its Go interface.
	ifaces     map[string]string
	ifaceOrder []string
	// boxedFields lists the boxed types that fields hold, in order of
	// first use; each gets a write and a read function.
	boxedFields []string
	buf         bytes.Buffer
}

// generate returns the Go source of the constructors that list selects
// from schema, formatted: a type per declaration with its TLID, MarshalTL
// and UnmarshalTL; an interface per boxed type with several constructors;
// and the registry of ids.
func generate(schema, list []byte) ([]byte, error) {
	decls, err := parseSchema(string(schema))
	if err != nil {
		return nil, err
	}
	sel, err := parseList(string(list))
	if err != nil {
		return nil, err
	}
	return build(decls, sel, false)
}

// generateOwn returns the Go source of every declaration of own, the
// schema of cocoon-go's own constructors, in the shape generate gives the
// reference's, plus an exported constant for each id; their docs are the
// comment lines above them. The declarations are added to the registry
// and to ownConstructors, which keeps them out of the check against the
// reference. An own id is the CRC32 of the declaration as cocoon.tl writes
// it, whitespace collapsed but parentheses kept; an explicit #id, or a
// name or id that ref already holds, is refused.
func generateOwn(own, ref []byte) ([]byte, error) {
	decls, err := parseSchema(string(own))
	if err != nil {
		return nil, err
	}
	refDecls, err := parseSchema(string(ref))
	if err != nil {
		return nil, fmt.Errorf("reading the reference's schema: %w", err)
	}
	refNames := make(map[string]bool)
	refIDs := make(map[uint32]string)
	for _, d := range refDecls {
		refNames[d.name] = true
		refIDs[d.id] = d.name
	}
	sel := &selection{docs: schemaDocs(string(own)), nilAs: make(map[string]string)}
	for _, d := range decls {
		switch {
		case d.explicit:
			return nil, fmt.Errorf("generating %s: an own declaration takes the CRC32 of its text as id, not an explicit #id", d.name)
		case refNames[d.name]:
			return nil, fmt.Errorf("generating %s: the reference's schema declares it too", d.name)
		}
		// The CRC32 of the declaration with its whitespace collapsed and,
		// unlike tl-parser's rule for the reference, its parentheses kept:
		// the ids were first computed so, and cocoon-go peers speak them.
		d.id = crc32.ChecksumIEEE([]byte(d.text))
		if other := refIDs[d.id]; other != "" {
			return nil, fmt.Errorf("generating %s: its id %#08x is that of the reference's %s", d.name, d.id, other)
		}
		if _, ok := sel.docs[d.name]; !ok {
			sel.docs[d.name] = ""
		}
	}
	return build(decls, sel, true)
}

// build generates the selected declarations of decls; own says they are
// cocoon-go's own (see generateOwn).
func build(decls []*decl, sel *selection, own bool) ([]byte, error) {
	g := &gen{sel: sel, own: own, byName: make(map[string]*decl), ctors: make(map[string][]*decl), ifaces: make(map[string]string)}
	ctorGoNames := make(map[string]bool)
	for _, d := range decls {
		g.byName[d.name] = d
		if !d.function {
			g.ctors[d.result] = append(g.ctors[d.result], d)
			ctorGoNames[goName(d.name)] = true
		}
		if _, ok := sel.docs[d.name]; ok {
			if d.builtin {
				return nil, fmt.Errorf("generating %s: it is a built-in of TL, which package tl writes by hand", d.name)
			}
			g.selected = append(g.selected, d)
		}
	}
	var unknown []string
	for name := range sel.docs {
		if g.byName[name] == nil {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("the list names declarations that the schema lacks: %s", strings.Join(unknown, ", "))
	}
	goNames := make(map[string]string)
	for _, d := range g.selected {
		n := goName(d.name)
		if other, dup := goNames[n]; dup {
			return nil, fmt.Errorf("%s and %s would both be the Go type %s", other, d.name, n)
		}
		goNames[n] = d.name
		if !d.function && len(g.ctors[d.result]) > 1 && g.ifaces[d.result] == "" {
			name := goName(d.result)
			if ctorGoNames[name] {
				name += "T"
			}
			g.ifaces[d.result] = name
			g.ifaceOrder = append(g.ifaceOrder, d.result)
		}
	}
	for typ, c := range sel.nilAs {
		d := g.byName[c]
		if g.ifaces[typ] == "" || d == nil || d.function || d.result != typ || !slices.Contains(g.selected, d) || len(d.fields) > 0 {
			return nil, fmt.Errorf("nil %s = %s: the list must select %s, a constructor of %s without fields, and %s must have several constructors", typ, c, c, typ, typ)
		}
	}
	for _, d := range g.selected {
		for _, f := range d.fields {
			if err := g.check(d, f); err != nil {
				return nil, err
			}
		}
	}
	g.write()
	src, err := format.Source(g.buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting the generated code: %w", err)
	}
	return src, nil
}

// check reports a field type that the generator cannot write, and notes
// the boxed types that fields hold.
func (g *gen) check(d *decl, f field) error {
	if _, ok := scalars[f.typ]; ok {
		return nil
	}
	if ref := g.byName[f.typ]; ref != nil && !ref.function && !ref.builtin {
		if !slices.Contains(g.selected, ref) {
			return fmt.Errorf("field %s of %s holds a bare %s, which the list does not select", f.name, d.name, f.typ)
		}
		return nil
	}
	if cs := g.ctors[f.typ]; len(cs) > 0 {
		for _, c := range cs {
			if !slices.Contains(g.selected, c) {
				return fmt.Errorf("field %s of %s holds a boxed %s, but the list does not select its constructor %s", f.name, d.name, f.typ, c.name)
			}
		}
		if g.ifaces[f.typ] == "" {
			return fmt.Errorf("field %s of %s holds the boxed type %s, which has only one constructor: not supported", f.name, d.name, f.typ)
		}
		if !slices.Contains(g.boxedFields, f.typ) {
			g.boxedFields = append(g.boxedFields, f.typ)
		}
		return nil
	}
	return fmt.Errorf("field %s of %s has the type %s, which the generator does not know", f.name, d.name, f.typ)
}

func (g *gen) p(format string, args ...any) { fmt.Fprintf(&g.buf, format+"\n", args...) }

// comment writes text as a doc comment wrapped at 80 columns.
func (g *gen) comment(text string) {
	line := "//"
	for w := range strings.FieldsSeq(text) {
		if len(line)+1+len(w) > 80 && line != "//" {
			g.p("%s", line)
			line = "//"
		}
		line += " " + w
	}
	g.p("%s", line)
}

// goType is the Go type of a field, or of one element of a vector field.
func (g *gen) goType(f field) string {
	var t string
	switch {
	case scalars[f.typ].goType != "":
		t = scalars[f.typ].goType
	case g.ifaces[f.typ] != "":
		t = g.ifaces[f.typ]
	default:
		t = goName(f.typ)
		if f.cond != "" && !f.vector {
			t = "*" + t // absent without its flag bit
		}
	}
	if f.vector {
		t = "[]" + t
	}
	return t
}

// minSize is the fewest bytes that a value of a TL type takes.
func (g *gen) minSize(typ string) int {
	if s, ok := scalars[typ]; ok {
		return s.size
	}
	if g.ifaces[typ] != "" {
		return 4
	}
	n := 0
	for _, f := range g.byName[typ].fields {
		switch {
		case f.cond != "":
		case f.vector:
			n += 4
		default:
			n += g.minSize(f.typ)
		}
	}
	return n
}

func (g *gen) write() {
	if g.own {
		g.p("// Code generated by tlgen from cocoon.tl, cocoon-go's own schema. DO NOT EDIT.")
	} else {
		g.p("// Code generated by tlgen from the reference's cocoon_api.tl and constructors.txt. DO NOT EDIT.")
	}
	g.p("")
	g.p("package tl")
	var imports []string
	for _, t := range g.boxedFields {
		if _, ok := g.sel.nilAs[t]; !ok {
			imports = append(imports, `"errors"`)
			break
		}
	}
	if len(g.boxedFields) > 0 {
		imports = append(imports, `"fmt"`)
	}
	if len(imports) > 0 {
		g.p("import (\n%s\n)", strings.Join(imports, "\n"))
	}
	for _, d := range g.selected {
		g.writeDecl(d)
	}
	for _, t := range g.ifaceOrder {
		g.writeIface(t)
	}
	for _, t := range g.boxedFields {
		g.writeBoxedField(t)
	}
	g.p("")
	if g.own {
		g.p("// ownConstructors are the ids of cocoon.tl, which the reference's schema")
		g.p("// does not hold.")
		g.p("var ownConstructors = map[uint32]bool{")
		for _, d := range g.selected {
			g.p("%sID: true,", goName(d.name))
		}
		g.p("}")
		g.p("")
		g.p("func init() {")
		for _, d := range g.selected {
			g.p("registry[%sID] = constructor{%q, func() Object { return new(%s) }}", goName(d.name), d.name, goName(d.name))
		}
		g.p("}")
		return
	}
	g.p("// registry maps the id of every generated constructor to its name and")
	g.p("// a constructor.")
	g.p("var registry = map[uint32]constructor{")
	for _, d := range g.selected {
		g.p("%#08x: {%q, func() Object { return new(%s) }},", d.id, d.name, goName(d.name))
	}
	g.p("}")
}

// writeDecl writes the type of one declaration and its three methods.
func (g *gen) writeDecl(d *decl) {
	name := goName(d.name)
	kind := "constructor"
	if d.function {
		kind = "function"
	}
	g.p("")
	if doc := g.sel.docs[d.name]; doc != "" {
		g.comment(fmt.Sprintf("%s is the TL %s %s: %s.", name, kind, d.name, doc))
	} else {
		g.comment(fmt.Sprintf("%s is the TL %s %s.", name, kind, d.name))
	}
	g.p("//\n//\t%s", d.text)
	if groups := condGroups(d.fields); len(groups) > 0 {
		var parts []string
		for _, grp := range groups {
			var names []string
			for _, f := range grp {
				names = append(names, goName(f.name))
			}
			parts = append(parts, fmt.Sprintf("bit %d of %s carries %s", grp[0].flagBit, goName(grp[0].cond), strings.Join(names, ", ")))
		}
		g.p("//")
		g.comment("The conditional fields are present exactly when their bit is set: " + strings.Join(parts, "; ") + ".")
	}
	if iface := g.ifaces[d.result]; iface != "" && !d.function {
		g.p("//\n// It implements %s.", iface)
	}
	if len(d.fields) == 0 {
		g.p("type %s struct{}", name)
	} else {
		g.p("type %s struct {", name)
		for _, f := range d.fields {
			g.p("%s %s", goName(f.name), g.goType(f))
		}
		g.p("}")
	}
	g.p("")
	if g.own {
		g.comment(fmt.Sprintf("%sID is the constructor id of %s: the CRC32 of its declaration.", name, d.name))
		g.p("const %sID uint32 = %#08x", name, d.id)
		g.p("")
		g.p("// TLID returns the constructor id of %s.", d.name)
		g.p("func (*%s) TLID() uint32 { return %sID }", name, name)
	} else {
		g.p("// TLID returns the constructor id of %s.", d.name)
		g.p("func (*%s) TLID() uint32 { return %#08x }", name, d.id)
	}
	g.p("")
	g.p("// MarshalTL writes the body of %s.", d.name)
	if len(d.fields) == 0 {
		g.p("func (*%s) MarshalTL(*Writer) {}", name)
		g.p("")
		g.p("// UnmarshalTL reads the body of %s.", d.name)
		g.p("func (m *%s) UnmarshalTL(r *Reader) error { return r.Err() }", name)
		return
	}
	g.p("func (m *%s) MarshalTL(w *Writer) {", name)
	g.eachField(d.fields, g.writeField)
	g.p("}")
	g.p("")
	g.p("// UnmarshalTL reads the body of %s.", d.name)
	g.p("func (m *%s) UnmarshalTL(r *Reader) error {", name)
	g.p("*m = %s{}", name)
	g.eachField(d.fields, g.readField)
	g.p("return r.Err()")
	g.p("}")
}

// condGroups returns the conditional fields grouped by flags field and
// bit, in order of first appearance.
func condGroups(fields []field) [][]field {
	var groups [][]field
	for _, f := range fields {
		if f.cond == "" {
			continue
		}
		i := slices.IndexFunc(groups, func(grp []field) bool { return grp[0].cond == f.cond && grp[0].flagBit == f.flagBit })
		if i < 0 {
			groups = append(groups, nil)
			i = len(groups) - 1
		}
		groups[i] = append(groups[i], f)
	}
	return groups
}

// eachField calls emit for every field in order, inside one if statement
// for each run of fields that the same flag bit governs.
func (g *gen) eachField(fields []field, emit func(field)) {
	for i := 0; i < len(fields); {
		f := fields[i]
		if f.cond == "" {
			emit(f)
			i++
			continue
		}
		g.p("if m.%s&(1<<%d) != 0 {", goName(f.cond), f.flagBit)
		for ; i < len(fields) && fields[i].cond == f.cond && fields[i].flagBit == f.flagBit; i++ {
			emit(fields[i])
		}
		g.p("}")
	}
}

func (g *gen) writeField(f field) {
	x := "m." + goName(f.name)
	if f.vector {
		g.p("w.VectorLen(len(%s))", x)
		g.p("for i := range %s {", x)
		g.writeValue(f.typ, x+"[i]")
		g.p("}")
		return
	}
	if f.cond != "" && scalars[f.typ].goType == "" && g.ifaces[f.typ] == "" {
		// A bare object held by pointer: nil with its bit set is written
		// as the zero object.
		g.p("if %s == nil {", x)
		g.p("(&%s{}).MarshalTL(w)", goName(f.typ))
		g.p("} else {")
		g.p("%s.MarshalTL(w)", x)
		g.p("}")
		return
	}
	g.writeValue(f.typ, x)
}

func (g *gen) writeValue(typ, x string) {
	switch {
	case scalars[typ].method != "":
		g.p("w.%s(%s)", scalars[typ].method, x)
	case g.ifaces[typ] != "":
		g.p("write%s(w, %s)", g.ifaces[typ], x)
	default:
		g.p("%s.MarshalTL(w)", x)
	}
}

func (g *gen) readField(f field) {
	x := "m." + goName(f.name)
	if f.vector {
		g.p("if n := r.VectorLen(%d); n > 0 {", g.minSize(f.typ))
		g.p("%s = make(%s, n)", x, g.goType(f))
		g.p("for i := range %s {", x)
		g.readValue(f.typ, x+"[i]")
		g.p("}")
		g.p("}")
		return
	}
	if f.cond != "" && scalars[f.typ].goType == "" && g.ifaces[f.typ] == "" {
		g.p("%s = new(%s)", x, goName(f.typ))
		g.p("r.Bare(%s)", x)
		return
	}
	g.readValue(f.typ, x)
}

func (g *gen) readValue(typ, x string) {
	switch {
	case scalars[typ].method != "":
		g.p("%s = r.%s()", x, scalars[typ].method)
	case g.ifaces[typ] != "":
		g.p("%s = read%s(r)", x, g.ifaces[typ])
	default:
		g.p("r.Bare(&%s)", x)
	}
}

// writeIface writes the interface of a boxed type and the marker methods
// of its constructors. A function that returns the type does not
// implement it: it is a query, not a value of the type.
func (g *gen) writeIface(typ string) {
	iface := g.ifaces[typ]
	var ctors []*decl
	var names []string
	for _, d := range g.selected {
		if d.result == typ && !d.function {
			ctors = append(ctors, d)
			names = append(names, "*"+goName(d.name))
		}
	}
	g.p("")
	g.comment(fmt.Sprintf("%s is the boxed TL type %s, implemented by %s.", iface, typ, strings.Join(names, ", ")))
	g.p("type %s interface {", iface)
	g.p("Object")
	g.p("is%s()", iface)
	g.p("}")
	g.p("")
	for _, d := range ctors {
		g.p("func (*%s) is%s() {}", goName(d.name), iface)
	}
}

// writeBoxedField writes the functions that write and read a field of a
// boxed type.
func (g *gen) writeBoxedField(typ string) {
	iface := g.ifaces[typ]
	g.p("")
	if c, ok := g.sel.nilAs[typ]; ok {
		g.comment(fmt.Sprintf("write%s writes v boxed; nil stands for %s.", iface, c))
		g.p("func write%s(w *Writer, v %s) {", iface, iface)
		g.p("if v == nil {")
		g.p("w.Uint32(%#08x)", g.byName[c].id)
	} else {
		g.comment(fmt.Sprintf("write%s writes v boxed; a nil v is written as the invalid id 0 and recorded in Err.", iface))
		g.p("func write%s(w *Writer, v %s) {", iface, iface)
		g.p("if v == nil {")
		g.p("w.fail(errors.New(%q))", "encoding a nil "+typ)
		g.p("w.Uint32(0)")
	}
	g.p("return")
	g.p("}")
	g.p("w.Boxed(v)")
	g.p("}")
	g.p("")
	g.comment(fmt.Sprintf("read%s reads a boxed %s.", iface, typ))
	g.p("func read%s(r *Reader) %s {", iface, iface)
	g.p("off := r.Offset()")
	g.p("var v %s", iface)
	g.p("switch id := r.Uint32(); id {")
	for _, c := range g.ctors[typ] {
		g.p("case %#08x:", c.id)
		g.p("v = new(%s)", goName(c.name))
	}
	g.p("default:")
	g.p("if r.Err() == nil {")
	g.p("r.Fail(fmt.Errorf(%q, off, Name(id)))", "reading "+typ+" at offset %d: unexpected constructor %s")
	g.p("}")
	g.p("return nil")
	g.p("}")
	g.p("r.Bare(v)")
	g.p("return v")
	g.p("}")
}
