package tools

// This file reads what a tool's input schema says of its arguments beyond their names, for search: their
// descriptions and enum values ("status_type": on_track, at_risk, off_track), and the fields of a request body
// wrapped in an envelope object ({"data": {"name": …, "notes": …}}). A small scanner reads only those keys of the
// schema and skips the rest, so the index of a few thousand tools builds in milliseconds.

import (
	"bytes"
)

// argDepth is how many levels of properties argDoc reads: the arguments, and the fields of object arguments.
const argDepth = 2

// argDoc is what a tool's input schema says of its arguments.
type argDoc struct {
	// texts are, breadth first, the description and enum values of each argument, then the name, description and
	// enum values of each field of the object arguments.
	texts []string
	// envelope are the field names of the request body's envelope: the one object argument a body holds ("data").
	envelope []string
}

// schemaNode is the part of a JSON schema argDoc reads.
type schemaNode struct {
	description rawString
	enum        []rawString
	names       []rawString // property names, in the document's order
	props       []*schemaNode
	alts        []*schemaNode // items, anyOf, oneOf and allOf
}

// readArgDoc scans a tool's input schema, keeping about maxBytes of texts; a schema it cannot read yields an
// empty argDoc. sc is reused from tool to tool.
func readArgDoc(sc *schemaScanner, t *Tool, maxBytes int) argDoc {
	var d argDoc
	if len(t.InputSchema) == 0 {
		return d
	}
	sc.reset(t.InputSchema)
	root := sc.node(0)
	if sc.bad || root == nil {
		return d
	}
	size := 0
	add := func(text rawString) {
		if size < maxBytes && len(text.raw) > 0 {
			// The budget counts the text, not its encoding: a schema read back from the catalog cache, where
			// encoding/json wrote "<" as "\u003c", keeps the same texts as when it was imported.
			s := sc.text(text)
			d.texts = append(d.texts, s)
			size += len(s)
		}
	}
	level := []*schemaNode{root}
	for depth := 0; depth < argDepth && len(level) > 0 && size < maxBytes; depth++ {
		var next []*schemaNode
		for _, n := range level {
			n.each(func(obj *schemaNode) {
				for k, p := range obj.props {
					if size >= maxBytes {
						return
					}
					if depth > 0 {
						add(obj.names[k])
					}
					p.each(func(v *schemaNode) {
						add(v.description)
						if len(v.enum) > 0 && size < maxBytes {
							enum := sc.enum[:0]
							for _, e := range v.enum {
								if len(enum) > 0 {
									enum = append(enum, ' ')
								}
								enum = append(enum, sc.text(e)...)
							}
							sc.enum = enum
							add(rawString{raw: enum})
						}
					})
					next = append(next, p)
				}
			})
		}
		level = next
	}
	if b := t.HTTP; b != nil && b.Body != nil && len(b.Body.Props) == 1 {
		for arg := range b.Body.Props {
			for k, name := range root.names {
				if string(name.raw) == arg {
					root.props[k].each(func(v *schemaNode) {
						for _, field := range v.names {
							d.envelope = append(d.envelope, sc.text(field))
						}
					})
				}
			}
		}
	}
	return d
}

// each calls fn with the node and the schemas it stands for: its items, anyOf, oneOf and allOf branches.
func (n *schemaNode) each(fn func(*schemaNode)) {
	fn(n)
	for _, a := range n.alts {
		a.each(fn)
	}
}

// schemaScanner reads the keys of a JSON schema that argDoc needs and skips everything else. Its nodes live until
// the next reset.
type schemaScanner struct {
	src   []byte
	pos   int
	bad   bool
	nodes []*schemaNode // every node made since the last reset, for reuse
	used  int
	nest  int    // schemas open around the position: items, anyOf… nest without bound in a hostile document
	buf   []byte // unescaping
	enum  []byte // an argument's enum values, joined
}

// maxNest bounds the nesting of schemas the scanner descends into; deeper ones are skipped.
const maxNest = 32

func (s *schemaScanner) reset(src []byte) {
	s.src, s.pos, s.bad, s.used, s.nest = src, 0, false, 0, 0
}

// newNode returns an empty node, reusing one of a previous schema.
func (s *schemaScanner) newNode() *schemaNode {
	if s.used == len(s.nodes) {
		s.nodes = append(s.nodes, &schemaNode{})
	}
	n := s.nodes[s.used]
	s.used++
	*n = schemaNode{enum: n.enum[:0], names: n.names[:0], props: n.props[:0], alts: n.alts[:0]}
	return n
}

// node reads an object schema at the current position; depth counts the properties levels above it. Properties
// deeper than argDepth are skipped.
func (s *schemaScanner) node(depth int) *schemaNode {
	s.space()
	if s.nest >= maxNest || !s.eat('{') {
		s.skip()
		return nil
	}
	s.nest++
	defer func() { s.nest-- }()
	n := s.newNode()
	s.members(func(key rawString) {
		switch string(key.raw) {
		case "description":
			n.description = s.str()
		case "enum":
			s.elems(func() {
				s.space()
				if s.pos < len(s.src) && s.src[s.pos] == '"' {
					if v := s.str(); len(v.raw) > 0 {
						n.enum = append(n.enum, v)
					}
				} else {
					s.skip()
				}
			})
		case "properties":
			if depth >= argDepth {
				s.skip()
				return
			}
			s.space()
			if !s.eat('{') {
				s.skip()
				return
			}
			s.members(func(name rawString) {
				if p := s.node(depth + 1); p != nil {
					n.names = append(n.names, name)
					n.props = append(n.props, p)
				}
			})
		case "items":
			if a := s.node(depth); a != nil {
				n.alts = append(n.alts, a)
			}
		case "anyOf", "oneOf", "allOf":
			s.elems(func() {
				if a := s.node(depth); a != nil {
					n.alts = append(n.alts, a)
				}
			})
		default:
			s.skip()
		}
	})
	return n
}

// members calls fn for each key of the object whose "{" was just read, with the position at the key's value; fn
// must consume the value.
func (s *schemaScanner) members(fn func(key rawString)) {
	for !s.bad {
		s.space()
		if s.eat('}') {
			return
		}
		if s.pos < len(s.src) && s.src[s.pos] == ',' {
			s.pos++
			continue
		}
		key := s.str()
		s.space()
		if s.bad || !s.eat(':') {
			s.bad = true
			return
		}
		fn(key)
	}
}

// elems calls fn for each element of the array at the current position (skipping a non-array value); fn must
// consume the element.
func (s *schemaScanner) elems(fn func()) {
	s.space()
	if !s.eat('[') {
		s.skip()
		return
	}
	for !s.bad {
		s.space()
		if s.eat(']') {
			return
		}
		if s.pos < len(s.src) && s.src[s.pos] == ',' {
			s.pos++
			continue
		}
		start := s.pos
		fn()
		if s.pos == start {
			s.bad = true
		}
	}
}

func (s *schemaScanner) space() {
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *schemaScanner) eat(c byte) bool {
	if s.pos < len(s.src) && s.src[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

// rawString is a JSON string as it is in the document, without its quotes: String decodes it only when needed.
type rawString struct {
	raw     []byte
	escaped bool
}

// text returns the string's value; escapes other than of quotes, backslashes and white space become spaces, which
// is all search needs.
func (s *schemaScanner) text(r rawString) string {
	if !r.escaped {
		return string(r.raw)
	}
	b := s.buf[:0]
	for i := 0; i < len(r.raw); i++ {
		c := r.raw[i]
		if c != '\\' || i+1 == len(r.raw) {
			b = append(b, c)
			continue
		}
		i++
		switch r.raw[i] {
		case '"', '\\', '/':
			b = append(b, r.raw[i])
		case 'u':
			// An ASCII character stays itself: encoding/json writes <, > and & as \u003c, \u003e and \u0026, and
			// a schema read back from the catalog cache must read as it did when it was imported.
			if c, ok := asciiEscape(r.raw[i+1:]); ok {
				b = append(b, c)
			} else {
				b = append(b, ' ')
			}
			i += min(4, len(r.raw)-i-1)
		default: // \n, \t, \r, \b, \f
			b = append(b, ' ')
		}
	}
	s.buf = b
	return string(b)
}

// asciiEscape decodes the four hex digits at the start of hex when they stand for a printable ASCII character.
func asciiEscape(hex []byte) (byte, bool) {
	if len(hex) < 4 {
		return 0, false
	}
	v := 0
	for _, c := range hex[:4] {
		switch {
		case c >= '0' && c <= '9':
			v = v*16 + int(c-'0')
		case c >= 'a' && c <= 'f':
			v = v*16 + int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			v = v*16 + int(c-'A') + 10
		default:
			return 0, false
		}
	}
	if v < 0x20 || v > 0x7e {
		return 0, false
	}
	return byte(v), true
}

// str reads a JSON string.
func (s *schemaScanner) str() rawString {
	s.space()
	if !s.eat('"') {
		s.bad = true
		return rawString{}
	}
	start := s.pos
	end := s.stringEnd()
	if end < 0 {
		s.bad = true
		return rawString{}
	}
	s.pos = end + 1
	raw := s.src[start:end]
	return rawString{raw: raw, escaped: bytes.IndexByte(raw, '\\') >= 0}
}

// stringEnd returns the index of the quote that closes the string starting at s.pos, or -1.
func (s *schemaScanner) stringEnd() int {
	for i := s.pos; i < len(s.src); {
		j := bytes.IndexByte(s.src[i:], '"')
		if j < 0 {
			return -1
		}
		q := i + j
		backslashes := 0
		for k := q - 1; k >= s.pos && s.src[k] == '\\'; k-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return q
		}
		i = q + 1
	}
	return -1
}

// skip skips the JSON value at the current position.
func (s *schemaScanner) skip() {
	s.space()
	if s.pos >= len(s.src) {
		s.bad = true
		return
	}
	switch s.src[s.pos] {
	case '"':
		s.pos++
		end := s.stringEnd()
		if end < 0 {
			s.bad = true
			return
		}
		s.pos = end + 1
	case '{', '[':
		depth := 0
		for s.pos < len(s.src) {
			switch s.src[s.pos] {
			case '"':
				s.skip()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.pos++
					return
				}
			}
			s.pos++
		}
		s.bad = true
	default:
		for s.pos < len(s.src) {
			switch s.src[s.pos] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			s.pos++
		}
	}
}
