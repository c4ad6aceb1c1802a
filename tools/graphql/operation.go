// Package graphql runs tools that are fixed GraphQL operations: each tool is one named query or mutation with
// typed variables, declared in a curated toolkit's manifest, and the tool's arguments are exactly those variables.
// An agent never writes GraphQL; it fills in variables that a JSON schema describes.
//
//   - ParseOperation reads the header of an operation document (its type, name and variable definitions) and
//     checks that the document holds exactly one operation with balanced selections.
//   - NewTool builds a tools.Tool from a ToolSpec: the input schema is the declared variables' JSON schemas, with
//     "required" derived from the GraphQL types (non-null without default), and a check that each schema's type
//     agrees with the variable's GraphQL type for the built-in scalars.
//   - Executor posts {query, operationName, variables} to the endpoint with credentials from an Authorizer and
//     turns the answer into a tools.Result: the data at the tool's result path, or an *Error carrying the GraphQL
//     errors' messages (with a hint to reconnect on authentication errors).
//
// It depends only on the tools package.
package graphql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Operation is the header of a GraphQL operation document.
type Operation struct {
	// Type is "query", "mutation" or "subscription".
	Type string
	// Name is the operation's name.
	Name string
	// Variables are the variable definitions in order.
	Variables []Variable
}

// Variable is one variable definition: $name: Type = default.
type Variable struct {
	Name string
	// Type is the GraphQL type as written without spaces, e.g. "[String!]!".
	Type string
	// NonNull is true when the outer type ends in "!".
	NonNull bool
	// HasDefault is true when the definition has a default value.
	HasDefault bool
}

// Required reports whether a caller must give the variable: non-null and without default.
func (v Variable) Required() bool { return v.NonNull && !v.HasDefault }

// List reports whether the variable's type is a list.
func (v Variable) List() bool { return strings.HasPrefix(v.Type, "[") }

// BaseType is the named type inside the list and non-null wrappers ("String" for "[String!]!").
func (v Variable) BaseType() string { return strings.Trim(v.Type, "[]!") }

// ParseOperation reads a GraphQL document that holds exactly one named query, mutation or subscription (fragment
// definitions may follow or precede it) and returns that operation's header. It checks the syntax of the
// operation header and that braces, brackets and parentheses balance; the rest is the server's business.
func ParseOperation(doc string) (Operation, error) {
	if !utf8.ValidString(doc) {
		return Operation{}, fmt.Errorf("the GraphQL document is not valid UTF-8")
	}
	p := &parser{lex: lexer{src: doc}}
	if err := p.next(); err != nil {
		return Operation{}, err
	}
	var op Operation
	found := false
	for p.tok.kind != tokEOF {
		if p.tok.kind != tokName {
			return Operation{}, p.errorf("expected query, mutation or fragment, found %s", p.tok)
		}
		switch p.tok.text {
		case "query", "mutation", "subscription":
			if found {
				return Operation{}, p.errorf("the document holds more than one operation; a tool is exactly one")
			}
			found = true
			var err error
			if op, err = p.operation(); err != nil {
				return Operation{}, err
			}
		case "fragment":
			if err := p.fragment(); err != nil {
				return Operation{}, err
			}
		default:
			return Operation{}, p.errorf("expected query, mutation or fragment, found %s", p.tok)
		}
	}
	if !found {
		return Operation{}, fmt.Errorf("the GraphQL document holds no operation; write one named query or mutation")
	}
	return op, nil
}

type parser struct {
	lex lexer
	tok token
}

func (p *parser) next() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("GraphQL document line %d: %s", p.tok.line, fmt.Sprintf(format, args...))
}

// expect consumes a punctuator.
func (p *parser) expect(punct string) error {
	if p.tok.kind != tokPunct || p.tok.text != punct {
		return p.errorf("expected %q, found %s", punct, p.tok)
	}
	return p.next()
}

func (p *parser) name(what string) (string, error) {
	if p.tok.kind != tokName {
		return "", p.errorf("expected %s, found %s", what, p.tok)
	}
	n := p.tok.text
	return n, p.next()
}

func (p *parser) is(punct string) bool { return p.tok.kind == tokPunct && p.tok.text == punct }

func (p *parser) operation() (Operation, error) {
	op := Operation{Type: p.tok.text}
	if err := p.next(); err != nil {
		return op, err
	}
	if p.tok.kind != tokName {
		return op, p.errorf("the %s has no name; name it (the name is sent as operationName)", op.Type)
	}
	op.Name = p.tok.text
	if err := p.next(); err != nil {
		return op, err
	}
	if p.is("(") {
		if err := p.next(); err != nil {
			return op, err
		}
		seen := map[string]bool{}
		for !p.is(")") {
			v, err := p.variable()
			if err != nil {
				return op, err
			}
			if seen[v.Name] {
				return op, p.errorf("variable $%s is defined twice", v.Name)
			}
			seen[v.Name] = true
			op.Variables = append(op.Variables, v)
		}
		if err := p.next(); err != nil {
			return op, err
		}
	}
	if err := p.directives(); err != nil {
		return op, err
	}
	return op, p.selectionSet()
}

func (p *parser) variable() (Variable, error) {
	if err := p.expect("$"); err != nil {
		return Variable{}, err
	}
	name, err := p.name("a variable name")
	if err != nil {
		return Variable{}, err
	}
	if err := p.expect(":"); err != nil {
		return Variable{}, err
	}
	var sb strings.Builder
	if err := p.typeRef(&sb, 0); err != nil {
		return Variable{}, err
	}
	v := Variable{Name: name, Type: sb.String(), NonNull: strings.HasSuffix(sb.String(), "!")}
	if p.is("=") {
		if err := p.next(); err != nil {
			return v, err
		}
		if err := p.value(0); err != nil {
			return v, err
		}
		v.HasDefault = true
	}
	return v, p.directives()
}

// maxDepth bounds nesting of types and values so a hostile document cannot exhaust the stack.
const maxDepth = 64

func (p *parser) typeRef(sb *strings.Builder, depth int) error {
	if depth > maxDepth {
		return p.errorf("type nested too deeply")
	}
	if p.is("[") {
		sb.WriteString("[")
		if err := p.next(); err != nil {
			return err
		}
		if err := p.typeRef(sb, depth+1); err != nil {
			return err
		}
		if err := p.expect("]"); err != nil {
			return err
		}
		sb.WriteString("]")
	} else {
		n, err := p.name("a type name")
		if err != nil {
			return err
		}
		sb.WriteString(n)
	}
	if p.is("!") {
		sb.WriteString("!")
		return p.next()
	}
	return nil
}

// value skips one value: a variable, scalar, enum, list or object.
func (p *parser) value(depth int) error {
	if depth > maxDepth {
		return p.errorf("value nested too deeply")
	}
	switch {
	case p.is("$"):
		if err := p.next(); err != nil {
			return err
		}
		_, err := p.name("a variable name")
		return err
	case p.is("["):
		if err := p.next(); err != nil {
			return err
		}
		for !p.is("]") {
			if p.tok.kind == tokEOF {
				return p.errorf("unclosed list value")
			}
			if err := p.value(depth + 1); err != nil {
				return err
			}
		}
		return p.next()
	case p.is("{"):
		if err := p.next(); err != nil {
			return err
		}
		for !p.is("}") {
			if _, err := p.name("an object field name"); err != nil {
				return err
			}
			if err := p.expect(":"); err != nil {
				return err
			}
			if err := p.value(depth + 1); err != nil {
				return err
			}
		}
		return p.next()
	case p.tok.kind == tokName || p.tok.kind == tokString || p.tok.kind == tokNumber:
		return p.next()
	}
	return p.errorf("expected a value, found %s", p.tok)
}

func (p *parser) directives() error {
	for p.is("@") {
		if err := p.next(); err != nil {
			return err
		}
		if _, err := p.name("a directive name"); err != nil {
			return err
		}
		if p.is("(") {
			if err := p.arguments(0); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *parser) arguments(depth int) error {
	if err := p.expect("("); err != nil {
		return err
	}
	for !p.is(")") {
		if _, err := p.name("an argument name"); err != nil {
			return err
		}
		if err := p.expect(":"); err != nil {
			return err
		}
		if err := p.value(depth + 1); err != nil {
			return err
		}
	}
	return p.next()
}

// selectionSet parses { field(args) @dir { ... } ...spread ... on Type { } } recursively.
func (p *parser) selectionSet() error { return p.selections(0) }

func (p *parser) selections(depth int) error {
	if depth > maxDepth {
		return p.errorf("selections nested too deeply")
	}
	if err := p.expect("{"); err != nil {
		return err
	}
	empty := true
	for !p.is("}") {
		empty = false
		if p.is("...") {
			if err := p.next(); err != nil {
				return err
			}
			if p.tok.kind == tokName && p.tok.text == "on" {
				if err := p.next(); err != nil {
					return err
				}
				if _, err := p.name("a type condition"); err != nil {
					return err
				}
			} else if p.tok.kind == tokName {
				if err := p.next(); err != nil {
					return err
				}
			}
			if err := p.directives(); err != nil {
				return err
			}
			if p.is("{") {
				if err := p.selections(depth + 1); err != nil {
					return err
				}
			}
			continue
		}
		if _, err := p.name("a field"); err != nil {
			return err
		}
		if p.is(":") { // alias: field
			if err := p.next(); err != nil {
				return err
			}
			if _, err := p.name("a field"); err != nil {
				return err
			}
		}
		if p.is("(") {
			if err := p.arguments(depth); err != nil {
				return err
			}
		}
		if err := p.directives(); err != nil {
			return err
		}
		if p.is("{") {
			if err := p.selections(depth + 1); err != nil {
				return err
			}
		}
	}
	if empty {
		return p.errorf("empty selection set")
	}
	return p.next()
}

func (p *parser) fragment() error {
	if err := p.next(); err != nil {
		return err
	}
	if _, err := p.name("a fragment name"); err != nil {
		return err
	}
	if p.tok.kind != tokName || p.tok.text != "on" {
		return p.errorf("expected \"on\", found %s", p.tok)
	}
	if err := p.next(); err != nil {
		return err
	}
	if _, err := p.name("a type condition"); err != nil {
		return err
	}
	if err := p.directives(); err != nil {
		return err
	}
	return p.selectionSet()
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokPunct
	tokName
	tokNumber
	tokString
)

type token struct {
	kind tokKind
	text string
	line int
}

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "the end of the document"
	case tokString:
		return "a string"
	}
	return fmt.Sprintf("%q", t.text)
}

type lexer struct {
	src  string
	pos  int
	line int
}

func (l *lexer) next() (token, error) {
	if l.line == 0 {
		l.line = 1
	}
	// Ignored tokens: whitespace, commas, comments, a byte order mark.
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\n':
			l.line++
			l.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == ',':
			l.pos++
		case c == '#':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
		case strings.HasPrefix(l.src[l.pos:], "\ufeff"):
			l.pos += len("\ufeff")
		default:
			goto scan
		}
	}
	return token{kind: tokEOF, line: l.line}, nil
scan:
	start, c := l.pos, l.src[l.pos]
	tok := token{line: l.line}
	switch {
	case strings.HasPrefix(l.src[l.pos:], "..."):
		l.pos += 3
		tok.kind, tok.text = tokPunct, "..."
	case strings.IndexByte("!$&()...:=@[]{}|", c) >= 0 && c != '.':
		l.pos++
		tok.kind, tok.text = tokPunct, string(c)
	case c == '_' || isLetter(c):
		for l.pos < len(l.src) && (l.src[l.pos] == '_' || isLetter(l.src[l.pos]) || isDigit(l.src[l.pos])) {
			l.pos++
		}
		tok.kind, tok.text = tokName, l.src[start:l.pos]
	case c == '-' || isDigit(c):
		l.pos++
		for l.pos < len(l.src) && (isDigit(l.src[l.pos]) || strings.IndexByte(".eE+-", l.src[l.pos]) >= 0) {
			l.pos++
		}
		tok.kind, tok.text = tokNumber, l.src[start:l.pos]
	case strings.HasPrefix(l.src[l.pos:], `"""`):
		end := strings.Index(l.src[l.pos+3:], `"""`)
		for end >= 0 && l.src[l.pos+3+end-1] == '\\' { // \""" does not close a block string
			next := strings.Index(l.src[l.pos+3+end+1:], `"""`)
			if next < 0 {
				end = -1
				break
			}
			end += 1 + next
		}
		if end < 0 {
			return tok, fmt.Errorf("GraphQL document line %d: unterminated block string", l.line)
		}
		body := l.src[l.pos : l.pos+3+end+3]
		l.line += strings.Count(body, "\n")
		l.pos += len(body)
		tok.kind, tok.text = tokString, body
	case c == '"':
		l.pos++
		for {
			if l.pos >= len(l.src) || l.src[l.pos] == '\n' {
				return tok, fmt.Errorf("GraphQL document line %d: unterminated string", l.line)
			}
			if l.src[l.pos] == '\\' {
				l.pos += 2
				continue
			}
			if l.src[l.pos] == '"' {
				l.pos++
				break
			}
			l.pos++
		}
		tok.kind, tok.text = tokString, l.src[start:min(l.pos, len(l.src))]
	default:
		r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
		return tok, fmt.Errorf("GraphQL document line %d: unexpected character %q", l.line, r)
	}
	return tok, nil
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
