package openapi

// This file converts OpenAPI schema objects (kin-openapi's, with local references already resolved) into JSON Schema
// 2020-12, and builds a tool's input schema and HTTP binding from an operation's parameters and request body.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/toolmux/toolmux/tools"
)

// Limits that keep converted schemas a reasonable size for a model's context.
const (
	// inputDepth caps how deeply an input schema nests below the tool's arguments.
	inputDepth = 8
	// outputDepth caps the output schema; it is lowered further while the schema is over maxOutputSchema bytes.
	outputDepth = 3
	// maxOutputSchema is the size an output schema is cut down to, when it can be.
	maxOutputSchema = 16 << 10
	// Descriptions inside schemas are cut at a sentence boundary near these lengths.
	inputDescMax  = 400
	outputDescMax = 200
	// Examples larger than this (as JSON) are left out.
	maxExampleBytes = 300
	// schemaBudget caps the schema objects expanded for one tool's input or output schema.
	schemaBudget = 1000
)

// converter turns one OpenAPI schema tree into JSON Schema. It is not safe for concurrent use.
type converter struct {
	// output is true for response schemas: writeOnly properties are left out instead of readOnly ones.
	output bool
	// oas30 applies OpenAPI 3.0 semantics: nullable, boolean exclusiveMinimum/Maximum.
	oas30    bool
	maxDepth int
	descMax  int
	// budget is how many more schema objects this converter may expand; beyond it, schemas keep only their type
	// and description. It bounds the work and size of documents whose schemas fan out widely at every level.
	budget int
	// stack holds the schemas being converted, to cut reference cycles.
	stack []*openapi3.Schema
}

type jsonObject = map[string]any

// convert returns the JSON Schema for ref at nesting depth depth.
func (c *converter) convert(ref *openapi3.SchemaRef, depth int) jsonObject {
	if ref == nil || ref.Value == nil {
		return jsonObject{}
	}
	s := ref.Value
	if s.Always != nil {
		if *s.Always {
			return jsonObject{}
		}
		return jsonObject{"not": jsonObject{}}
	}
	out := make(jsonObject, 8)
	c.setType(out, s)
	if slices.Contains(c.stack, s) {
		out["description"] = "(recursive " + refName(ref) + ")"
		return out
	}
	c.describe(out, s.Description)
	if depth >= c.maxDepth || c.budget <= 0 {
		return out
	}
	c.budget--
	c.stack = append(c.stack, s)
	defer func() { c.stack = c.stack[:len(c.stack)-1] }()

	if s.Format != "" {
		out["format"] = s.Format
	}
	if len(s.Enum) > 0 {
		enum := make([]any, 0, len(s.Enum)+1)
		hasNull := false
		for _, v := range s.Enum {
			if jsonable(v) {
				enum = append(enum, v)
				hasNull = hasNull || v == nil
			}
		}
		if c.oas30 && s.Nullable && !hasNull {
			enum = append(enum, nil)
		}
		if len(enum) > 0 {
			out["enum"] = enum
		}
	}
	if s.Const != nil && jsonable(s.Const) {
		out["const"] = s.Const
	}
	if s.Default != nil && jsonable(s.Default) {
		out["default"] = s.Default
	}
	var examples []any
	if s.Example != nil && smallJSON(s.Example) {
		examples = append(examples, s.Example)
	}
	for _, ex := range s.Examples {
		if len(examples) < 3 && smallJSON(ex) {
			examples = append(examples, ex)
		}
	}
	if len(examples) > 0 {
		out["examples"] = examples
	}
	if s.Deprecated {
		out["deprecated"] = true
	}
	c.numberKeywords(out, s)
	if s.MinLength > 0 {
		out["minLength"] = s.MinLength
	}
	if s.MaxLength != nil {
		out["maxLength"] = *s.MaxLength
	}
	if s.Pattern != "" {
		out["pattern"] = s.Pattern
	}
	if s.ContentMediaType != "" {
		out["contentMediaType"] = s.ContentMediaType
	}
	if s.ContentEncoding != "" {
		out["contentEncoding"] = s.ContentEncoding
	}

	// Arrays: items stay at the array's depth, so "a list of X" costs no level.
	if s.Items != nil {
		out["items"] = c.convert(s.Items, depth)
	}
	if len(s.PrefixItems) > 0 {
		out["prefixItems"] = c.list(s.PrefixItems, depth+1)
	}
	if s.MinItems > 0 {
		out["minItems"] = s.MinItems
	}
	if s.MaxItems != nil {
		out["maxItems"] = *s.MaxItems
	}
	if s.UniqueItems {
		out["uniqueItems"] = true
	}

	// Objects.
	if len(s.Properties) > 0 {
		props, required := c.properties(s, depth+1)
		out["properties"] = props
		if len(required) > 0 {
			out["required"] = required
		}
	} else if req := dedupe(s.Required); len(req) > 0 {
		out["required"] = req
	}
	if ap := s.AdditionalProperties; ap.Has != nil && !*ap.Has {
		out["additionalProperties"] = false
	} else if ap.Schema != nil {
		out["additionalProperties"] = c.convert(ap.Schema, depth+1)
	}
	if len(s.PatternProperties) > 0 {
		pp := make(jsonObject, len(s.PatternProperties))
		for _, k := range slices.Sorted(maps.Keys(s.PatternProperties)) {
			pp[k] = c.convert(s.PatternProperties[k], depth+1)
		}
		out["patternProperties"] = pp
	}
	if s.MinProps > 0 {
		out["minProperties"] = s.MinProps
	}
	if s.MaxProps != nil {
		out["maxProperties"] = *s.MaxProps
	}

	// Composition.
	if len(s.AllOf) > 0 {
		c.allOf(out, s.AllOf, depth)
	}
	if len(s.OneOf) > 0 {
		out["oneOf"] = c.variants(s.OneOf, depth+1)
	}
	if len(s.AnyOf) > 0 {
		out["anyOf"] = c.variants(s.AnyOf, depth+1)
	}
	if s.Not != nil {
		out["not"] = c.convert(s.Not, depth+1)
	}
	return out
}

// setType writes the type keyword: a string, or an array when the schema allows several types or null.
func (c *converter) setType(out jsonObject, s *openapi3.Schema) {
	var types []string
	if s.Type != nil {
		for _, t := range *s.Type {
			if t == "file" { // Swagger 2.0 file parameters
				t = "string"
			}
			if t != "" && !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
	}
	if c.oas30 && s.Nullable && len(types) > 0 && !slices.Contains(types, "null") {
		types = append(types, "null")
	}
	switch len(types) {
	case 0:
	case 1:
		out["type"] = types[0]
	default:
		out["type"] = types
	}
}

func (c *converter) describe(out jsonObject, desc string) {
	if d := truncateText(desc, c.descMax); d != "" {
		out["description"] = d
	}
}

// numberKeywords converts the numeric bounds; OpenAPI 3.0's boolean exclusiveMinimum/Maximum become the numeric
// 2020-12 form.
func (c *converter) numberKeywords(out jsonObject, s *openapi3.Schema) {
	finite := func(f *float64) bool { return f != nil && !math.IsInf(*f, 0) && !math.IsNaN(*f) }
	if finite(s.Min) {
		if s.ExclusiveMin.IsTrue() {
			out["exclusiveMinimum"] = *s.Min
		} else {
			out["minimum"] = *s.Min
		}
	}
	if finite(s.Max) {
		if s.ExclusiveMax.IsTrue() {
			out["exclusiveMaximum"] = *s.Max
		} else {
			out["maximum"] = *s.Max
		}
	}
	if finite(s.ExclusiveMin.Value) {
		out["exclusiveMinimum"] = *s.ExclusiveMin.Value
	}
	if finite(s.ExclusiveMax.Value) {
		out["exclusiveMaximum"] = *s.ExclusiveMax.Value
	}
	if finite(s.MultipleOf) && *s.MultipleOf > 0 {
		out["multipleOf"] = *s.MultipleOf
	}
}

// properties converts an object's properties, leaving out readOnly ones in input schemas and writeOnly ones in
// output schemas; required keeps the document's order, restricted to the properties kept.
func (c *converter) properties(s *openapi3.Schema, depth int) (jsonObject, []string) {
	props := make(jsonObject, len(s.Properties))
	// By name: the converter's budget runs out part way through a big schema, and which properties are expanded
	// before it does must not change from one import of the same document to the next.
	for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
		p := s.Properties[name]
		if c.skipProperty(p) {
			continue
		}
		props[name] = c.convert(p, depth)
	}
	var required []string
	for _, r := range dedupe(s.Required) {
		if _, ok := props[r]; ok {
			required = append(required, r)
		}
	}
	return props, required
}

func (c *converter) skipProperty(p *openapi3.SchemaRef) bool {
	if p == nil || p.Value == nil {
		return false
	}
	if c.output {
		return p.Value.WriteOnly
	}
	return p.Value.ReadOnly
}

func (c *converter) list(refs openapi3.SchemaRefs, depth int) []any {
	out := make([]any, 0, len(refs))
	for _, r := range refs {
		out = append(out, c.convert(r, depth))
	}
	return out
}

// variants converts oneOf/anyOf branches, keeping each branch's title (it names the alternative).
func (c *converter) variants(refs openapi3.SchemaRefs, depth int) []any {
	out := make([]any, 0, len(refs))
	for _, r := range refs {
		v := c.convert(r, depth)
		if r != nil && r.Value != nil && r.Value.Title != "" && len(v) > 0 {
			v["title"] = r.Value.Title
		}
		out = append(out, v)
	}
	return out
}

// allOf merges the branches into out when they are all plain object schemas (the usual "base plus extra fields"
// pattern), which models and validators handle far better than allOf; otherwise it keeps allOf.
func (c *converter) allOf(out jsonObject, refs openapi3.SchemaRefs, depth int) {
	branches := make([]jsonObject, 0, len(refs))
	for _, r := range refs {
		branches = append(branches, c.convert(r, depth))
	}
	if len(branches) == 1 {
		for k, v := range branches[0] {
			if _, ok := out[k]; !ok {
				out[k] = v
			}
		}
		return
	}
	mergeable := out["type"] == nil || out["type"] == "object"
	for _, b := range branches {
		for k, v := range b {
			switch k {
			case "properties", "required", "description", "title":
			case "type":
				mergeable = mergeable && v == "object"
			case "additionalProperties":
				mergeable = mergeable && v != false
			default:
				mergeable = false
			}
		}
	}
	if !mergeable {
		all := make([]any, len(branches))
		for i, b := range branches {
			all[i] = b
		}
		out["allOf"] = all
		return
	}
	props, _ := out["properties"].(jsonObject)
	if props == nil {
		props = jsonObject{}
	}
	required, _ := out["required"].([]string)
	for _, b := range branches {
		if p, ok := b["properties"].(jsonObject); ok {
			for k, v := range p {
				props[k] = v
			}
		}
		if r, ok := b["required"].([]string); ok {
			for _, name := range r {
				if !slices.Contains(required, name) {
					required = append(required, name)
				}
			}
		}
		if _, ok := out["description"]; !ok && b["description"] != nil {
			out["description"] = b["description"]
		}
	}
	out["type"] = "object"
	if len(props) > 0 {
		out["properties"] = props
	}
	if len(required) > 0 {
		out["required"] = required
	}
}

// refName is the last segment of a schema's $ref, for "(recursive Name)".
func refName(ref *openapi3.SchemaRef) string {
	if ref.Ref != "" {
		return ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
	}
	if ref.Value != nil && ref.Value.Title != "" {
		return ref.Value.Title
	}
	return "schema"
}

func dedupe(list []string) []string {
	var out []string
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// jsonable reports whether v can be written as JSON (YAML can produce values that cannot).
func jsonable(v any) bool {
	_, err := json.Marshal(v)
	return err == nil
}

func smallJSON(v any) bool {
	b, err := json.Marshal(v)
	return err == nil && len(b) <= maxExampleBytes
}

// marshal encodes v as compact JSON without HTML escaping.
func marshal(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// outputSchema returns the JSON Schema of an operation's first successful response (200, 201, other 2xx codes,
// 2XX, default) that has one, cut down to about maxOutputSchema bytes; nil when there is none.
func (imp *importer) outputSchema(op *openapi3.Operation) (json.RawMessage, error) {
	sch := successSchema(op, true)
	if sch == nil {
		return nil, nil
	}
	// Many operations return the same schema (a repository, an issue): convert it once.
	if raw, ok := imp.outputs[sch.Value]; ok {
		return raw, nil
	}
	var last json.RawMessage
	for _, limits := range []struct{ depth, desc int }{
		{outputDepth, outputDescMax}, {outputDepth - 1, outputDescMax}, {1, outputDescMax}, {1, 0},
	} {
		c := &converter{output: true, oas30: imp.oas30, maxDepth: limits.depth, descMax: limits.desc, budget: schemaBudget}
		raw, err := marshal(c.convert(sch, 0))
		if err != nil {
			return nil, fmt.Errorf("encode output schema: %w", err)
		}
		last = raw
		if len(raw) <= maxOutputSchema {
			break
		}
	}
	imp.outputs[sch.Value] = last
	return last, nil
}

// successSchema returns the schema of an operation's first successful response (200, 201, other 2xx codes, 2XX,
// and default when withDefault is set) that has one, or nil.
func successSchema(op *openapi3.Operation, withDefault bool) *openapi3.SchemaRef {
	if op.Responses == nil {
		return nil
	}
	codes := op.Responses.Map()
	var order []string
	for _, k := range []string{"200", "201"} {
		if _, ok := codes[k]; ok {
			order = append(order, k)
		}
	}
	var other []string
	for k := range codes {
		if len(k) == 3 && k[0] == '2' && k != "200" && k != "201" && k[1] >= '0' && k[1] <= '9' {
			other = append(other, k)
		}
	}
	sort.Strings(other)
	order = append(order, other...)
	for _, k := range []string{"2XX", "2xx", "default"} {
		if _, ok := codes[k]; ok && (withDefault || k != "default") {
			order = append(order, k)
		}
	}
	for _, code := range order {
		r := codes[code]
		if r == nil || r.Value == nil {
			continue
		}
		_, mt := pickMedia(r.Value.Content, true)
		if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
			continue
		}
		return mt.Schema
	}
	return nil
}

// isJSONMedia reports whether a media type is JSON: application/json or any */*+json.
func isJSONMedia(mt string) bool {
	mt = strings.ToLower(strings.TrimSpace(strings.Split(mt, ";")[0]))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// pickMedia chooses the content to use: JSON first, then (for request bodies) form encodings, then anything with a
// schema. It returns the media type and its content.
func pickMedia(content openapi3.Content, response bool) (string, *openapi3.MediaType) {
	if len(content) == 0 {
		return "", nil
	}
	keys := make([]string, 0, len(content))
	for k := range content {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rank := func(k string) int {
		base := strings.ToLower(strings.TrimSpace(strings.Split(k, ";")[0]))
		switch {
		case base == "application/json":
			return 0
		case isJSONMedia(base):
			return 1
		case !response && base == "application/x-www-form-urlencoded":
			return 2
		case !response && base == "multipart/form-data":
			return 3
		case base == "*/*":
			return 4
		default:
			return 5
		}
	}
	sort.SliceStable(keys, func(i, j int) bool { return rank(keys[i]) < rank(keys[j]) })
	for _, k := range keys {
		if mt := content[k]; mt != nil {
			return k, mt
		}
	}
	return "", nil
}

// argBuilder assembles a tool's flat arguments and remembers which names are taken.
type argBuilder struct {
	props    map[string]json.RawMessage
	required []string
	taken    map[string]bool
}

// name returns the argument name for a value called wire in location in: the sanitized wire name, or, when that is
// taken by a higher-priority location, "<in>_<name>", then numbered.
func (a *argBuilder) name(in, wire string) string {
	base := argName(wire)
	if !a.taken[base] {
		a.taken[base] = true
		return base
	}
	prefixed := argName(in + "_" + wire)
	candidate := prefixed
	for i := 2; a.taken[candidate]; i++ {
		candidate = fmt.Sprintf("%s_%d", prefixed, i)
	}
	a.taken[candidate] = true
	return candidate
}

// inputLocations is the order in which parameter locations claim argument names.
var inputLocations = []string{openapi3.ParameterInPath, openapi3.ParameterInQuery, openapi3.ParameterInHeader}

// ignoredHeaders are header parameters OpenAPI says to ignore, or that the executor sets itself.
var ignoredHeaders = map[string]bool{"accept": true, "content-type": true, "authorization": true}

// buildInput makes the input schema and HTTP binding of one operation. params are the path item's and the
// operation's parameters merged; authParams holds "in:name" of API key parameters the Authorizer supplies.
func (imp *importer) buildInput(ptr string, method, path string, params []param, body *openapi3.RequestBodyRef, authParams map[string]bool) (json.RawMessage, *tools.HTTPBinding, error) {
	a := &argBuilder{props: map[string]json.RawMessage{}, taken: map[string]bool{}}
	binding := &tools.HTTPBinding{Method: method, Path: path}

	declared := map[string]bool{}
	for _, loc := range inputLocations {
		for _, p := range params {
			if p.In != loc {
				continue
			}
			if loc == openapi3.ParameterInPath {
				declared[p.Name] = true
			}
			if loc == openapi3.ParameterInHeader && ignoredHeaders[strings.ToLower(p.Name)] {
				continue
			}
			if authParams[loc+":"+strings.ToLower(p.Name)] {
				continue
			}
			if p.Name == "" {
				imp.warn(p.ptr, "parameter without a name skipped")
				continue
			}
			js, err := imp.paramSchema(p.Parameter)
			if err != nil {
				return nil, nil, err
			}
			arg := a.name(loc, p.Name)
			required := p.Required || loc == openapi3.ParameterInPath
			a.props[arg] = js
			if required {
				a.required = append(a.required, arg)
			}
			hp := tools.HTTPParam{Arg: arg, Name: p.Name, In: loc, Required: required}
			if multi, _ := p.Extensions["x-multi-segment"].(bool); multi && loc == openapi3.ParameterInPath {
				hp.MultiSegment = true
			}
			if p.Explode != nil && !*p.Explode && loc == openapi3.ParameterInQuery {
				f := false
				hp.Explode = &f
			}
			binding.Params = append(binding.Params, hp)
		}
		if loc == openapi3.ParameterInPath {
			// A template variable nobody declared still has to be filled in.
			for _, name := range templateVars(path) {
				if declared[name] {
					continue
				}
				imp.warn(ptr, fmt.Sprintf("path parameter %q is not declared; added as a required string", name))
				arg := a.name(loc, name)
				a.props[arg] = json.RawMessage(`{"type":"string"}`)
				a.required = append(a.required, arg)
				binding.Params = append(binding.Params, tools.HTTPParam{Arg: arg, Name: name, In: loc, Required: true})
				declared[name] = true
			}
		}
	}
	for _, p := range params {
		switch p.In {
		case openapi3.ParameterInPath, openapi3.ParameterInQuery, openapi3.ParameterInHeader:
		case openapi3.ParameterInCookie:
			imp.warn(p.ptr, fmt.Sprintf("cookie parameter %q skipped: cookies are not supported", p.Name))
		default:
			imp.warn(p.ptr, fmt.Sprintf("parameter %q in %q skipped: unknown location", p.Name, p.In))
		}
	}

	if body != nil && body.Value != nil {
		if err := imp.buildBody(ptr, a, binding, body.Value); err != nil {
			return nil, nil, err
		}
	}

	return a.encode(), binding, nil
}

// encode writes the input schema. The property schemas are already JSON; encoding/json would validate and compact
// every one of them again.
func (a *argBuilder) encode() json.RawMessage {
	names := make([]string, 0, len(a.props))
	size := 64
	for name, raw := range a.props {
		names = append(names, name)
		size += len(name) + len(raw) + 4
	}
	sort.Strings(names)
	b := make([]byte, 0, size)
	b = append(b, `{"additionalProperties":false,"properties":{`...)
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		b = append(b, ':')
		b = append(b, a.props[name]...)
	}
	b = append(b, '}')
	if len(a.required) > 0 {
		b = append(b, `,"required":[`...)
		for i, name := range a.required {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, name)
		}
		b = append(b, ']')
	}
	b = append(b, `,"type":"object"}`...)
	return b
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}

// templateVars lists the {variables} of a path template.
func templateVars(path string) []string {
	var out []string
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(path[i:], '}')
		if j < 0 {
			return out
		}
		if name := path[i+1 : i+j]; name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
		path = path[i+j+1:]
	}
}

func (imp *importer) inputConverter() *converter {
	return &converter{oas30: imp.oas30, maxDepth: inputDepth, descMax: inputDescMax, budget: schemaBudget}
}

// paramSchema returns the JSON Schema of one parameter. Parameters shared through components are converted once.
func (imp *importer) paramSchema(p *openapi3.Parameter) (json.RawMessage, error) {
	if raw, ok := imp.params[p]; ok {
		return raw, nil
	}
	sch := p.Schema
	if sch == nil {
		if _, mt := pickMedia(p.Content, true); mt != nil {
			sch = mt.Schema
		}
	}
	var js jsonObject
	if sch == nil {
		js = jsonObject{"type": "string"}
	} else {
		js = imp.inputConverter().convert(sch, 1)
	}
	if d := truncateText(p.Description, inputDescMax); d != "" {
		js["description"] = d
	}
	if p.Deprecated {
		js["deprecated"] = true
	}
	if _, ok := js["examples"]; !ok && p.Example != nil && smallJSON(p.Example) {
		js["examples"] = []any{p.Example}
	}
	raw, err := marshal(js)
	if err != nil {
		return nil, fmt.Errorf("encode parameter %q: %w", p.Name, err)
	}
	imp.params[p] = raw
	return raw, nil
}

// bodyArg is the argument that carries a request body that is not flattened.
const bodyArg = "request_body"

// convertedBody is a request body schema converted once and reused by every operation that shares it.
type convertedBody struct {
	// props, names and required are set when the body is an object with properties, which is flattened.
	props    map[string]json.RawMessage
	names    []string
	required []string
	// whole is the body's schema otherwise, without a description.
	whole jsonObject
}

// bodySchema converts a request body schema, flattening objects with properties.
func (imp *importer) bodySchema(sch *openapi3.SchemaRef) (*convertedBody, error) {
	var key *openapi3.Schema
	if sch != nil {
		key = sch.Value
	}
	if cb, ok := imp.bodies[key]; ok && key != nil {
		return cb, nil
	}
	js := imp.inputConverter().convert(sch, 1)
	cb := &convertedBody{}
	props, _ := js["properties"].(jsonObject)
	_, hasOneOf := js["oneOf"]
	_, hasAnyOf := js["anyOf"]
	t, _ := js["type"].(string)
	if len(props) > 0 && !hasOneOf && !hasAnyOf && (t == "" || t == "object") {
		cb.required, _ = js["required"].([]string)
		cb.props = make(map[string]json.RawMessage, len(props))
		for name, v := range props {
			raw, err := marshal(v)
			if err != nil {
				return nil, fmt.Errorf("encode body property %q: %w", name, err)
			}
			cb.props[name] = raw
			cb.names = append(cb.names, name)
		}
		sort.Strings(cb.names)
	} else {
		delete(js, "description")
		cb.whole = js
	}
	if key != nil {
		imp.bodies[key] = cb
	}
	return cb, nil
}

// buildBody adds the request body's arguments: the properties of an object body, or one request_body argument.
func (imp *importer) buildBody(ptr string, a *argBuilder, binding *tools.HTTPBinding, rb *openapi3.RequestBody) error {
	mediaType, mt := pickMedia(rb.Content, false)
	if mt == nil {
		if len(rb.Content) > 0 {
			imp.warn(ptr+"/requestBody", "request body has no usable content; skipped")
		}
		return nil
	}
	ct := strings.TrimSpace(strings.Split(mediaType, ";")[0])
	if ct == "*/*" {
		ct = "application/json"
	}
	hb := &tools.HTTPBody{ContentType: ct, Required: rb.Required}
	binding.Body = hb
	desc := truncateText(rb.Description, inputDescMax)

	structured := isJSONMedia(ct) || ct == "application/x-www-form-urlencoded" || ct == "multipart/form-data"
	if !structured {
		// Text, XML, binary uploads: the executor sends the argument as the raw body.
		js := jsonObject{"type": "string", "contentMediaType": ct, "description": firstNonEmpty(desc, fmt.Sprintf("The request body, sent as %s.", ct))}
		return imp.wholeBody(a, hb, rb, js)
	}
	cb, err := imp.bodySchema(mt.Schema)
	if err != nil {
		return err
	}
	if cb.props != nil {
		hb.Props = make(map[string]string, len(cb.names))
		for _, name := range cb.names {
			arg := a.name(tools.InBody, name)
			a.props[arg] = cb.props[name]
			hb.Props[arg] = name
			if rb.Required && slices.Contains(cb.required, name) {
				a.required = append(a.required, arg)
			}
		}
		return nil
	}
	js := make(jsonObject, len(cb.whole)+1)
	for k, v := range cb.whole {
		js[k] = v
	}
	js["description"] = firstNonEmpty(desc, "The request body.")
	return imp.wholeBody(a, hb, rb, js)
}

// wholeBody adds the single request_body argument.
func (imp *importer) wholeBody(a *argBuilder, hb *tools.HTTPBody, rb *openapi3.RequestBody, js jsonObject) error {
	raw, err := marshal(js)
	if err != nil {
		return fmt.Errorf("encode request body schema: %w", err)
	}
	arg := a.name(tools.InBody, bodyArg)
	a.props[arg] = raw
	if rb.Required {
		a.required = append(a.required, arg)
	}
	hb.Arg = arg
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}
