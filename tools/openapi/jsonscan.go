package openapi

// This file is the JSON scanner: it reads JSON straight into the yaml.Node tree kin-openapi decodes from, about ten
// times faster than kin-openapi's own path through the YAML parser on large documents (see load.go).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"
)

// parseJSON reads a JSON document into a yaml.Node tree. It accepts exactly RFC 8259 JSON; duplicate keys keep
// the last value, as encoding/json does.
func parseJSON(data []byte) (*yaml.Node, error) {
	s := &jsonScanner{data: data, line: 1, keys: map[string]string{}}
	s.skipSpace()
	n, err := s.value()
	if err != nil {
		return nil, err
	}
	s.skipSpace()
	if s.pos < len(s.data) {
		return nil, s.errorf("unexpected %q after the document", s.data[s.pos])
	}
	return n, nil
}

type jsonScanner struct {
	data      []byte
	pos       int
	line      int
	lineStart int
	depth     int
	// slab hands out nodes from blocks, far fewer allocations than one per node.
	slab []yaml.Node
	// keys interns object keys: a large document repeats a few hundred of them a million times.
	keys map[string]string
	ids  int
}

func (s *jsonScanner) node(kind yaml.Kind, tag, value string) *yaml.Node {
	if len(s.slab) == 0 {
		s.slab = make([]yaml.Node, 1024)
	}
	n := &s.slab[0]
	s.slab = s.slab[1:]
	// Line holds a sequence number, not the line: decoding errors name nodes by line, and a minified document
	// has one line. The scanner's own errors report real lines and columns.
	s.ids++
	n.Kind, n.Tag, n.Value, n.Line = kind, tag, value, s.ids
	return n
}

func (s *jsonScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d column %d: %s", s.line, s.pos-s.lineStart+1, fmt.Sprintf(format, args...))
}

func (s *jsonScanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\r':
			s.pos++
		case '\n':
			s.pos++
			s.line++
			s.lineStart = s.pos
		default:
			return
		}
	}
}

func (s *jsonScanner) value() (*yaml.Node, error) {
	if s.pos >= len(s.data) {
		return nil, s.errorf("unexpected end of input")
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == '"':
		str, err := s.str()
		if err != nil {
			return nil, err
		}
		n := s.node(yaml.ScalarNode, tagStr, str)
		n.Style = yaml.DoubleQuotedStyle
		return n, nil
	case c == 't':
		return s.literal("true", tagBool)
	case c == 'f':
		return s.literal("false", tagBool)
	case c == 'n':
		return s.literal("null", tagNull)
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	default:
		return nil, s.errorf("unexpected %q", c)
	}
}

func (s *jsonScanner) literal(word, tag string) (*yaml.Node, error) {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(word)) {
		return nil, s.errorf("invalid literal")
	}
	s.pos += len(word)
	return s.node(yaml.ScalarNode, tag, word), nil
}

func (s *jsonScanner) number() (*yaml.Node, error) {
	start := s.pos
	d := s.data
	i := s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case digits() == 0:
		s.pos = i
		return nil, s.errorf("invalid number")
	}
	float := false
	if i < len(d) && d[i] == '.' {
		i++
		float = true
		if digits() == 0 {
			s.pos = i
			return nil, s.errorf("invalid number")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		float = true
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if digits() == 0 {
			s.pos = i
			return nil, s.errorf("invalid number")
		}
	}
	text := string(d[start:i])
	s.pos = i
	tag := tagInt
	if float {
		tag = tagFloat
	} else if _, err := strconv.ParseInt(text, 10, 64); err != nil || text == "-0" {
		tag = tagFloat // beyond int64, or negative zero: a float, as encoding/json reads it
	}
	if tag == tagFloat {
		if _, err := strconv.ParseFloat(text, 64); err != nil {
			return nil, s.errorf("number %s is out of range", text)
		}
	}
	return s.node(yaml.ScalarNode, tag, text), nil
}

// str reads a string token; the fast path copies strings without escapes, the rest go through encoding/json.
func (s *jsonScanner) str() (string, error) {
	d := s.data
	start := s.pos + 1
	i := start
	simple := true
	for i < len(d) {
		c := d[i]
		if c == '"' {
			break
		}
		if c < 0x20 {
			s.pos = i
			return "", s.errorf("control character in a string")
		}
		if c == '\\' || c >= utf8.RuneSelf {
			simple = false
			if c == '\\' {
				i++
			}
		}
		i++
	}
	if i >= len(d) {
		return "", s.errorf("unterminated string")
	}
	s.pos = i + 1
	if simple {
		return string(d[start:i]), nil
	}
	if !bytes.ContainsRune(d[start:i], '\\') && utf8.Valid(d[start:i]) {
		return string(d[start:i]), nil
	}
	var out string
	if err := json.Unmarshal(d[start-1:i+1], &out); err != nil {
		s.pos = start - 1
		return "", s.errorf("invalid string: %v", err)
	}
	return out, nil
}

func (s *jsonScanner) enter() error {
	s.depth++
	if s.depth > maxNesting {
		return s.errorf("nested deeper than %d levels", maxNesting)
	}
	return nil
}

func (s *jsonScanner) object() (*yaml.Node, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	s.pos++
	n := s.node(yaml.MappingNode, tagMap, "")
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		s.depth--
		return n, nil
	}
	var index map[string]int
	for {
		s.skipSpace()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return nil, s.errorf("expected a string key")
		}
		key, err := s.str()
		if err != nil {
			return nil, err
		}
		if k, ok := s.keys[key]; ok {
			key = k
		} else if len(s.keys) < 1<<16 {
			s.keys[key] = key
		}
		s.skipSpace()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return nil, s.errorf("expected ':' after an object key")
		}
		s.pos++
		s.skipSpace()
		val, err := s.value()
		if err != nil {
			return nil, err
		}
		// Duplicate keys: the last one wins, as in encoding/json; the YAML decoder would refuse them.
		dup := -1
		if index != nil {
			if j, ok := index[key]; ok {
				dup = j
			}
		} else {
			for j := 0; j < len(n.Content); j += 2 {
				if n.Content[j].Value == key {
					dup = j
					break
				}
			}
		}
		if dup >= 0 {
			n.Content[dup+1] = val
		} else {
			kn := s.node(yaml.ScalarNode, tagStr, key)
			kn.Style = yaml.DoubleQuotedStyle
			n.Content = append(n.Content, kn, val)
			if index != nil {
				index[key] = len(n.Content) - 2
			} else if len(n.Content) >= 32 {
				index = make(map[string]int, len(n.Content))
				for j := 0; j < len(n.Content); j += 2 {
					index[n.Content[j].Value] = j
				}
			}
		}
		s.skipSpace()
		if s.pos >= len(s.data) {
			return nil, s.errorf("unexpected end of input in an object")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			s.depth--
			return n, nil
		default:
			return nil, s.errorf("expected ',' or '}' in an object")
		}
	}
}

func (s *jsonScanner) array() (*yaml.Node, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	s.pos++
	n := s.node(yaml.SequenceNode, tagSeq, "")
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		s.depth--
		return n, nil
	}
	for {
		s.skipSpace()
		val, err := s.value()
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, val)
		s.skipSpace()
		if s.pos >= len(s.data) {
			return nil, s.errorf("unexpected end of input in an array")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			s.depth--
			return n, nil
		default:
			return nil, s.errorf("expected ',' or ']' in an array")
		}
	}
}
