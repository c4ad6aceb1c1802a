package openapi

// This file turns untrusted bytes into a kin-openapi document. kin-openapi's own Loader parses every input, JSON
// included, with the YAML parser, which is slow on large flow collections (1.4–2 s and 1.1 GB allocated for the
// 13 MB GitHub description, see bench/openapilib). So JSON is read by a small scanner straight into the yaml.Node
// tree kin-openapi decodes from, YAML by the YAML parser, and both trees are checked here before the library sees
// them: nesting depth, YAML alias cycles, and every $ref (local ones must resolve, others are refused with the JSON
// pointer of the object that holds them).
//
// Real documents are often a little wrong. What can be fixed without guessing is fixed, with a warning: "items"
// written as a list, a $ref to the wrong kind of component, references deep inside other objects (given a name of
// their own), and objects the decoder rejects (left out, up to maxRepairs of them). discriminator objects are
// dropped before decoding: JSON Schema has no use for them.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"
)

// maxNesting bounds how deeply a document may nest objects and arrays.
const maxNesting = 256

// Tags of the yaml.Node scalars the scanner produces.
const (
	tagStr   = "!!str"
	tagInt   = "!!int"
	tagFloat = "!!float"
	tagBool  = "!!bool"
	tagNull  = "!!null"
	tagMap   = "!!map"
	tagSeq   = "!!seq"
)

// specVersion is the dialect a document is written in.
type specVersion int

const (
	swagger2 specVersion = iota + 1
	openAPI30
	openAPI31
)

// loaded is a parsed document with every local reference resolved.
type loaded struct {
	doc     *openapi3.T
	version specVersion
	// repairs are the warnings of the fixes made to the document before decoding it.
	repairs []Warning
}

// loadError is an error with the construct it concerns; Import turns it into an *ImportError.
type loadError struct {
	construct string
	err       error
	// repairable is set when construct points at the object at fault, which may be left out.
	repairable bool
}

func (e *loadError) Error() string { return e.construct + ": " + e.err.Error() }

func docErr(format string, args ...any) *loadError {
	return &loadError{construct: "document", err: fmt.Errorf(format, args...)}
}

// loadDocument parses data (JSON or YAML; OpenAPI 3.0, 3.1 or Swagger 2.0) and resolves its local references.
func loadDocument(data []byte) (l *loaded, lerr *loadError) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	root, perr := parseTree(data)
	if perr != nil {
		return nil, perr
	}
	if root.Kind != yaml.MappingNode {
		return nil, docErr("the document is not an object; expected an OpenAPI 3 or Swagger 2.0 description")
	}
	version, verr := detectVersion(root)
	if verr != nil {
		return nil, verr
	}
	checker, cerr := checkTree(root, version)
	if cerr != nil {
		return nil, cerr
	}
	for attempt := 0; ; attempt++ {
		doc, lerr := decode(root, data, version, checker)
		if lerr == nil {
			return &loaded{doc: doc, version: version, repairs: checker.warnings}, nil
		}
		// A document with a few invalid objects is still worth importing: leave them out, say so, and try again.
		if !lerr.repairable || attempt >= maxRepairs || !dropNode(root, lerr.construct) {
			return nil, lerr
		}
		checker.modified = true
		checker.warnings = append(checker.warnings, Warning{Construct: lerr.construct, Message: "left out because it is invalid: " + lerr.err.Error()})
	}
}

// maxRepairs is how many invalid objects Import leaves out of one document before it gives up.
const maxRepairs = 20

// decode runs kin-openapi over the checked tree: decoding, Swagger 2.0 conversion, reference resolution.
func decode(root *yaml.Node, data []byte, version specVersion, checker *treeChecker) (doc *openapi3.T, lerr *loadError) {
	// kin-openapi is a large library fed with untrusted input: a panic in it must not take the process down. It
	// comes back as an error that names itself so tests can tell it from an ordinary refusal.
	defer func() {
		if r := recover(); r != nil {
			doc, lerr = nil, docErr("internal error in the OpenAPI loader (panic: %v); please report this document", r)
		}
	}()
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	if version == swagger2 {
		var doc2 openapi2.T
		js := data
		if !isJSON(data) || checker.modified {
			var v any
			if err := root.Decode(&v); err != nil {
				return nil, decodeErr(root, "decode Swagger 2.0 document", err)
			}
			var err error
			if js, err = json.Marshal(v); err != nil {
				return nil, docErr("decode Swagger 2.0 document: %w", err)
			}
		}
		if err := json.Unmarshal(js, &doc2); err != nil {
			return nil, docErr("decode Swagger 2.0 document: %w", err)
		}
		doc, err := openapi2conv.ToV3WithLoader(&doc2, loader, nil)
		if err != nil {
			return nil, checker.refErr("convert Swagger 2.0 to OpenAPI 3", err)
		}
		return doc, nil
	}
	doc = &openapi3.T{}
	if err := root.Decode(doc); err != nil {
		return nil, decodeErr(root, "decode OpenAPI document", err)
	}
	if err := loader.ResolveRefsIn(doc, nil); err != nil {
		return nil, checker.refErr("resolve references", err)
	}
	return doc, nil
}

// dropNode removes the object member at ptr from the tree. It only removes members of objects at least three levels
// down (a schema's keyword, a response, an operation), never array items, whose removal would renumber the pointers
// of their siblings.
func dropNode(root *yaml.Node, ptr string) bool {
	segs := strings.Split(strings.TrimPrefix(ptr, "#/"), "/")
	if !strings.HasPrefix(ptr, "#/") || len(segs) < 3 {
		return false
	}
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	parent := root
	for _, s := range segs[:len(segs)-1] {
		switch parent.Kind {
		case yaml.MappingNode:
			parent = mapValue(parent, s)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(parent.Content) {
				return false
			}
			parent = parent.Content[i]
		default:
			return false
		}
		if parent == nil {
			return false
		}
	}
	if parent.Kind != yaml.MappingNode {
		return false
	}
	last := segs[len(segs)-1]
	for i := 0; i+1 < len(parent.Content); i += 2 {
		if parent.Content[i].Value == last {
			parent.Content = append(parent.Content[:i:i], parent.Content[i+2:]...)
			return true
		}
	}
	return false
}

// refErr places an error of kin-openapi's reference resolution at the first object using a $ref it quotes.
func (c *treeChecker) refErr(what string, err error) *loadError {
	msg := err.Error()
	for _, m := range quotedRe.FindAllString(msg, -1) {
		if ptr, ok := c.firstUse[strings.Trim(m, `"`)]; ok {
			return &loadError{construct: ptr, err: fmt.Errorf("%s: %w", what, err), repairable: true}
		}
	}
	return docErr("%s: %w", what, err)
}

var (
	versionRe   = regexp.MustCompile(`^3\.([01])(\.\d+)?(-[0-9A-Za-z.-]+)?$`)
	quotedRe    = regexp.MustCompile(`"[^"]*"`)
	yamlLineRe  = regexp.MustCompile(`line (\d+): `)
	yamlFieldRe = regexp.MustCompile(`field "([^"]+)"`)
	yamlTagText = strings.NewReplacer("!!map", "an object", "!!seq", "an array", "!!str", "a string",
		"!!int", "a number", "!!float", "a number", "!!bool", "a boolean", "!!null", "null",
		"[]interface {}", "a list", "map[string]interface {}", "an object", "yaml: construct errors:", "")
)

// decodeErr places a decoding error at the node it names. The decoder reports nodes by line; nodes read from JSON
// carry a sequence number there instead (see jsonScanner.node), which names exactly one node.
func decodeErr(root *yaml.Node, what string, err error) *loadError {
	msg := err.Error()
	m := yamlLineRe.FindStringSubmatchIndex(msg)
	if m == nil {
		return docErr("%s: %s", what, strings.TrimSpace(yamlTagText.Replace(msg)))
	}
	line, _ := strconv.Atoi(msg[m[2]:m[3]])
	reason := msg[m[1]:]
	if i := strings.IndexByte(reason, '\n'); i >= 0 {
		reason = reason[:i]
	}
	reason = strings.TrimSpace(yamlTagText.Replace(reason))
	if path, ok := findLine(root, line, nil); ok {
		// The decoder names the object; when it also names the field at fault, point at that.
		if f := yamlFieldRe.FindStringSubmatch(reason); f != nil {
			if n, err := lookupPointer(root, jsonPointer(path...)); err == nil && mapValue(n, f[1]) != nil {
				path = append(path, f[1])
			}
		}
		return &loadError{construct: jsonPointer(path...), err: fmt.Errorf("%s: %s", what, reason), repairable: true}
	}
	return docErr("%s: line %d: %s", what, line, reason)
}

// findLine returns the path of the first node at line (depth first).
func findLine(n *yaml.Node, line int, path []string) ([]string, bool) {
	if n.Line == line {
		return path, true
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Line == line {
				return append(path, n.Content[i].Value), true
			}
			if p, ok := findLine(n.Content[i+1], line, append(path, n.Content[i].Value)); ok {
				return p, true
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if p, ok := findLine(c, line, append(path, strconv.Itoa(i))); ok {
				return p, true
			}
		}
	}
	return nil, false
}

// isJSON reports whether data starts like a JSON object.
func isJSON(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '{'
}

// parseTree reads JSON with the scanner and anything else as YAML.
func parseTree(data []byte) (*yaml.Node, *loadError) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, docErr("the document is empty")
	}
	if isJSON(data) {
		root, jerr := parseJSON(data)
		if jerr == nil {
			return root, nil
		}
		// YAML's flow syntax is a superset of JSON ({openapi: 3.0.0}); report the JSON error if YAML fails too.
		if root, yerr := parseYAML(data); yerr == nil {
			return root, nil
		}
		return nil, docErr("invalid JSON: %w", jerr)
	}
	root, err := parseYAML(data)
	if err != nil {
		return nil, docErr("invalid YAML: %w", err)
	}
	return root, nil
}

func parseYAML(data []byte) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("YAML parser failed: %v", r)
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	root = &doc
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil, errors.New("the document is empty")
		}
		root = doc.Content[0]
	}
	if err := prepYAML(root, 0); err != nil {
		return nil, err
	}
	return root, nil
}

// prepYAML makes a YAML tree decode like the JSON it stands for, as kin-openapi's own YAML path does: local tags
// and timestamps become strings, keys become strings, and infinities and NaN, which JSON cannot carry, are refused.
// Aliases are not followed: the anchored node is prepared where it is defined.
func prepYAML(n *yaml.Node, depth int) error {
	if depth > maxNesting {
		return fmt.Errorf("line %d: nested deeper than %d levels", n.Line, maxNesting)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == tagFloat {
			switch strings.ToLower(strings.TrimLeft(n.Value, "+-")) {
			case ".inf", ".nan":
				return fmt.Errorf("line %d: %s is not a JSON number", n.Line, n.Value)
			}
		}
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") || n.Tag == "!!timestamp" || n.Tag == "!!binary" {
			n.Tag = tagStr
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && k.Tag != tagStr && k.Tag != "!!merge" {
				if k.Tag == tagNull {
					return fmt.Errorf("line %d: an object key is null", k.Line)
				}
				k.Tag = tagStr
			}
		}
	}
	for _, c := range n.Content {
		if err := prepYAML(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// detectVersion reads the swagger or openapi field.
func detectVersion(root *yaml.Node) (specVersion, *loadError) {
	verErr := func(format string, args ...any) *loadError {
		return &loadError{construct: "openapi version", err: fmt.Errorf(format, args...)}
	}
	if v := mapValue(root, "swagger"); v != nil {
		if v.Kind != yaml.ScalarNode || v.Value != "2.0" {
			return 0, verErr("unsupported swagger version %q; toolmux imports Swagger 2.0 and OpenAPI 3.0/3.1", scalarText(v))
		}
		return swagger2, nil
	}
	v := mapValue(root, "openapi")
	if v == nil {
		return 0, verErr("neither an openapi nor a swagger field; this is not an OpenAPI 3 or Swagger 2.0 description")
	}
	s := scalarText(v)
	switch m := versionRe.FindStringSubmatch(s); {
	case v.Kind != yaml.ScalarNode || m == nil:
	case m[1] == "0":
		return openAPI30, nil
	case m[1] == "1":
		return openAPI31, nil
	}
	return 0, verErr("unsupported OpenAPI version %q; toolmux imports OpenAPI 3.0, 3.1 and Swagger 2.0", s)
}

func scalarText(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return "(not a string)"
	}
	return n.Value
}

// mapValue returns the value of key in a mapping node, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// treeChecker walks a parsed document before the library sees it.
type treeChecker struct {
	root *yaml.Node
	// path holds the keys and indexes from the root to the node being checked.
	path []string
	// open holds the nodes being walked, to find aliases that point into their own ancestors.
	open     map[*yaml.Node]bool
	resolved map[string]error
	version  specVersion
	// firstUse maps every $ref value to the pointer of the first object that uses it, to place library errors.
	firstUse map[string]string
	// deep are the references in schema positions that point inside other objects; see hoistDeepRefs.
	deep []deepRef
	// modified is set when the tree no longer matches the document's bytes.
	modified bool
	// warnings record the repairs made to the tree.
	warnings []Warning
}

// checkTree refuses what kin-openapi must not see: nesting beyond maxNesting, YAML aliases that contain themselves,
// $refs to other files or URLs, and local $refs that point nowhere.
func checkTree(root *yaml.Node, version specVersion) (*treeChecker, *loadError) {
	c := &treeChecker{root: root, open: map[*yaml.Node]bool{}, resolved: map[string]error{}, version: version, firstUse: map[string]string{}}
	if err := c.walk(root, ""); err != nil {
		return nil, err
	}
	c.hoistDeepRefs()
	return c, nil
}

// dataKeys hold example or default values, whose "$ref" members are data, not references.
var dataKeys = map[string]bool{"example": true, "default": true, "enum": true, "const": true}

func (c *treeChecker) walk(n *yaml.Node, key string) *loadError {
	if len(c.path) > maxNesting {
		return &loadError{construct: c.pointer(), err: fmt.Errorf("nested deeper than %d levels", maxNesting)}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if c.open[n.Alias] {
			return &loadError{construct: c.pointer(), err: errors.New("YAML alias refers to a node that contains it (a cycle)")}
		}
		return nil // the anchored node is checked where it is defined
	case yaml.MappingNode, yaml.SequenceNode:
	default:
		return nil
	}
	c.open[n] = true
	defer delete(c.open, n)
	if n.Kind == yaml.SequenceNode {
		if key == "examples" {
			return nil // a JSON Schema examples array: data
		}
		for i, item := range n.Content {
			c.path = append(c.path, strconv.Itoa(i))
			err := c.walk(item, "")
			c.path = c.path[:len(c.path)-1]
			if err != nil {
				return err
			}
		}
		return nil
	}
	drop := -1
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := k.Value
		if name == "items" && v.Kind == yaml.SequenceNode && !nameMaps[key] {
			v = c.repairItems(v)
			n.Content[i+1] = v
			c.modified = true
		}
		if name == "discriminator" && !nameMaps[key] {
			// Dropped from the JSON Schema anyway, and kin-openapi resolves mapping values as references, which
			// documents fill with file names.
			drop = i
			continue
		}
		if name == "$ref" && v.Kind == yaml.ScalarNode {
			if err := c.checkRef(v.Value); err != nil {
				return &loadError{construct: c.pointer(), err: err}
			}
			if c.repairRefKind(n, v.Value) {
				return nil
			}
			if _, ok := c.firstUse[v.Value]; !ok {
				c.firstUse[v.Value] = c.pointer()
			}
			if !c.standardRef(v.Value) && isSchemaContext(c.path) {
				c.deep = append(c.deep, deepRef{obj: n, ref: v, ptr: c.pointer()})
			}
			continue
		}
		if !nameMaps[key] && (dataKeys[name] || strings.HasPrefix(name, "x-") || (name == "value" && c.underExamples())) {
			continue
		}
		c.path = append(c.path, name)
		err := c.walk(v, name)
		c.path = c.path[:len(c.path)-1]
		if err != nil {
			return err
		}
	}
	if drop >= 0 {
		n.Content = append(n.Content[:drop:drop], n.Content[drop+2:]...)
		c.modified = true
	}
	return nil
}

// standardRef reports whether ref names a component the way kin-openapi resolves best: #/components/KIND/NAME
// (Swagger 2.0: #/definitions/NAME, #/parameters/NAME, #/responses/NAME).
func (c *treeChecker) standardRef(ref string) bool {
	segs := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
	if c.version == swagger2 {
		return len(segs) == 2 && (segs[0] == "definitions" || segs[0] == "parameters" || segs[0] == "responses")
	}
	return len(segs) == 3 && segs[0] == "components"
}

// repairRefKind replaces a reference object that points to the wrong kind of object (a schema that refers to a
// response, a response that refers to a schema) with a harmless one, and reports whether it did.
func (c *treeChecker) repairRefKind(obj *yaml.Node, ref string) bool {
	target := c.refKind(ref)
	if target == "" {
		return false
	}
	var repl []*yaml.Node
	schema := isSchemaContext(c.path)
	switch {
	case schema && target != "schemas":
		repl = nil // {}: any value
	case !schema && len(c.path) >= 2 && c.path[len(c.path)-2] == "responses" && target != "responses":
		repl = []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: tagStr, Value: "description"},
			{Kind: yaml.ScalarNode, Tag: tagStr, Value: "(invalid reference " + ref + ")"},
		}
	default:
		return false
	}
	obj.Content = repl
	c.modified = true
	c.warnings = append(c.warnings, Warning{Construct: c.pointer(),
		Message: fmt.Sprintf("$ref %q points to a %s object where a %s belongs; ignored", ref, strings.TrimSuffix(target, "s"), c.contextName())})
	return true
}

func (c *treeChecker) contextName() string {
	if isSchemaContext(c.path) {
		return "schema"
	}
	return "response"
}

// refKind is the component section a reference points into ("schemas", "responses", "parameters", …), or "" when
// it does not point at a whole component. Swagger 2.0 definitions are "schemas".
func (c *treeChecker) refKind(ref string) string {
	segs := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
	if c.version == swagger2 {
		if len(segs) != 2 {
			return ""
		}
		switch segs[0] {
		case "definitions":
			return "schemas"
		case "parameters", "responses":
			return segs[0]
		}
		return ""
	}
	if len(segs) != 3 || segs[0] != "components" {
		return ""
	}
	return segs[1]
}

// isSchemaContext reports whether the object at path is a schema.
func isSchemaContext(path []string) bool {
	n := len(path)
	if n == 0 {
		return false
	}
	switch path[n-1] {
	case "schema", "items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else",
		"unevaluatedItems", "unevaluatedProperties", "additionalItems", "itemSchema":
		return true
	}
	if n >= 2 {
		switch path[n-2] {
		case "properties", "patternProperties", "$defs", "dependentSchemas", "allOf", "anyOf", "oneOf",
			"prefixItems", "schemas", "definitions":
			return true
		}
	}
	return false
}

// deepRef is a reference found by the walk, with the object that holds it.
type deepRef struct {
	obj, ref *yaml.Node
	ptr      string
}

// hoistDeepRefs gives every schema that a $ref reaches deep inside another object (a property of a component,
// a schema inside an operation) a name of its own under components/schemas (Swagger 2.0: definitions) and points
// the $ref there: kin-openapi resolves such pointers through its typed model, which fails where the document
// uses keys the model does not have.
func (c *treeChecker) hoistDeepRefs() {
	if len(c.deep) == 0 {
		return
	}
	var section *yaml.Node
	prefix := "#/components/schemas/"
	if c.version == swagger2 {
		section = ensureMap(c.root, "definitions")
		prefix = "#/definitions/"
	} else {
		section = ensureMap(ensureMap(c.root, "components"), "schemas")
	}
	names := map[string]string{}
	for _, d := range c.deep {
		refNode := d.ref
		ref := refNode.Value
		name, ok := names[ref]
		if !ok {
			target, err := lookupPointer(c.root, ref)
			if err != nil {
				continue // checkRef already refused it
			}
			if target == c.root || target == mapValue(c.root, "components") || target == section {
				// Hoisting one of the section's own ancestors would make the tree contain itself.
				d.obj.Content = nil
				c.warnings = append(c.warnings, Warning{Construct: d.ptr, Message: fmt.Sprintf("$ref %q points to the document itself, not a schema; ignored", ref)})
				continue
			}
			base := argName(strings.ReplaceAll(strings.TrimPrefix(ref, "#/"), "/", "_"))
			name = base
			for i := 2; mapValue(section, name) != nil; i++ {
				name = fmt.Sprintf("%s_%d", base, i)
			}
			section.Content = append(section.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: tagStr, Value: name}, target)
			names[ref] = name
		}
		if _, ok := c.firstUse[prefix+name]; !ok {
			c.firstUse[prefix+name] = c.firstUse[ref]
		}
		refNode.Value = prefix + name
		c.modified = true
	}
}

// ensureMap returns the mapping under key in m, adding an empty one when it is missing or not a mapping.
func ensureMap(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			if m.Content[i+1].Kind != yaml.MappingNode {
				m.Content[i+1] = &yaml.Node{Kind: yaml.MappingNode, Tag: tagMap}
			}
			return m.Content[i+1]
		}
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: tagMap}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: tagStr, Value: key}, v)
	return v
}

// nameMaps are the objects whose keys are names chosen by the document's author (a property called "example" is
// a schema, not an example value).
var nameMaps = map[string]bool{
	"properties": true, "patternProperties": true, "$defs": true, "definitions": true, "schemas": true,
	"parameters": true, "responses": true, "headers": true, "requestBodies": true, "securitySchemes": true,
	"paths": true, "callbacks": true, "links": true, "pathItems": true, "webhooks": true, "dependentSchemas": true,
}

// repairItems reads "items" written as a list (JSON Schema draft 4's tuple form, which OpenAPI does not have and
// which such documents use to mean "one of these") as anyOf, or for Swagger 2.0, which has no anyOf, as the first
// schema that is not just {"type": "null"}.
func (c *treeChecker) repairItems(list *yaml.Node) *yaml.Node {
	ptr := jsonPointer(append(c.path, "items")...)
	var kept []*yaml.Node
	for _, item := range list.Content {
		if t := mapValue(item, "type"); len(item.Content) == 2 && t != nil && t.Value == "null" {
			continue
		}
		kept = append(kept, item)
	}
	switch {
	case len(kept) == 0:
		c.warnings = append(c.warnings, Warning{Construct: ptr, Message: "items is a list with no schema; read as any value"})
		return &yaml.Node{Kind: yaml.MappingNode, Tag: tagMap}
	case len(kept) == 1 || c.version == swagger2:
		if len(kept) > 1 {
			c.warnings = append(c.warnings, Warning{Construct: ptr, Message: "items is a list of schemas; Swagger 2.0 has no anyOf, so only the first is used"})
		}
		return kept[0]
	}
	c.warnings = append(c.warnings, Warning{Construct: ptr, Message: "items is a list of schemas; read as anyOf"})
	return &yaml.Node{Kind: yaml.MappingNode, Tag: tagMap, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: tagStr, Value: "anyOf"},
		{Kind: yaml.SequenceNode, Tag: tagSeq, Content: kept},
	}}
}

// underExamples reports whether the current object is an Example object: a member of an examples map.
func (c *treeChecker) underExamples() bool {
	return len(c.path) >= 2 && c.path[len(c.path)-2] == "examples"
}

// errRemoteRef marks a $ref to another file or URL.
var errRemoteRef = errors.New("only local references (#/...) are supported")

func (c *treeChecker) checkRef(ref string) error {
	if !strings.HasPrefix(ref, "#") {
		kind := "file"
		if u, err := url.Parse(ref); err == nil && u.Scheme != "" {
			kind = "remote"
		}
		return fmt.Errorf("%s $ref %q refused: %w", kind, ref, errRemoteRef)
	}
	if err, ok := c.resolved[ref]; ok {
		return err
	}
	_, err := lookupPointer(c.root, ref)
	if err != nil {
		err = fmt.Errorf("$ref %q does not resolve: %w", ref, err)
	}
	c.resolved[ref] = err
	return err
}

// pointer is the JSON pointer of the node being checked.
func (c *treeChecker) pointer() string {
	return jsonPointer(c.path...)
}

// jsonPointer formats path segments as a URI-fragment JSON pointer, "#/paths/~1pets/get".
func jsonPointer(segments ...string) string {
	var b strings.Builder
	b.WriteString("#")
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

// lookupPointer finds the node a local reference ("#/components/schemas/Pet") points to.
func lookupPointer(root *yaml.Node, ref string) (*yaml.Node, error) {
	frag := strings.TrimPrefix(ref, "#")
	if u, err := url.PathUnescape(frag); err == nil {
		frag = u
	}
	if frag == "" {
		return root, nil
	}
	if !strings.HasPrefix(frag, "/") {
		return nil, errors.New("a local reference must be a JSON pointer starting with #/")
	}
	n := root
	for _, seg := range strings.Split(frag[1:], "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		for hops := 0; n.Kind == yaml.AliasNode && n.Alias != nil; hops++ {
			if hops > maxNesting {
				return nil, errors.New("too many YAML aliases")
			}
			n = n.Alias
		}
		switch n.Kind {
		case yaml.MappingNode:
			next := mapValue(n, seg)
			if next == nil {
				return nil, fmt.Errorf("no member %q", seg)
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil, fmt.Errorf("no item %q", seg)
			}
			n = n.Content[i]
		default:
			return nil, fmt.Errorf("%q is inside a scalar", seg)
		}
	}
	return n, nil
}
