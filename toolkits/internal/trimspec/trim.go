package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/toolmux/toolmux/toolkits/internal/manifest"
)

// httpMethods are the operation keys of an OpenAPI 3.0 path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// droppedKeys are keywords removed everywhere outside data values: they cost bytes and feed no tool.
var droppedKeys = map[string]bool{
	"example":      true,
	"examples":     true,
	"externalDocs": true,
}

// droppedPrefixes are vendor extensions removed everywhere. Other extensions stay: x-multi-segment, for one, tells
// the executor that a path parameter may contain slashes.
var droppedPrefixes = []string{"x-github", "x-octokit"}

// dataKeys hold JSON values, not schema or OpenAPI objects, so they are copied untouched.
var dataKeys = map[string]bool{
	"enum":          true,
	"default":       true,
	"const":         true,
	"discriminator": true,
	"required":      true,
}

// nameKeys hold maps whose keys are names chosen by the document author (property names), never keywords.
var nameKeys = map[string]bool{
	"properties":        true,
	"patternProperties": true,
}

// decode parses a JSON document keeping numbers exactly as written.
func decode(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode openapi document: %w", err)
	}
	return doc, nil
}

// encode writes v as compact JSON with sorted keys and no HTML escaping, so output is byte-for-byte reproducible.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode trimmed document: %w", err)
	}
	return buf.Bytes(), nil
}

// trim returns a new OpenAPI 3.0 document holding only the manifest's operations and the components they reach,
// with the manifest's names and descriptions, minus examples, external docs, GitHub's vendor extensions and every
// non-2xx response. It fails naming every listed operationId the document does not have.
func trim(doc map[string]any, m *manifest.Manifest) (map[string]any, error) {
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		return nil, fmt.Errorf("source document is OpenAPI %q; trimspec reads OpenAPI 3.x documents", v)
	}
	paths, _ := doc["paths"].(map[string]any)
	if paths == nil {
		return nil, fmt.Errorf("source document has no paths")
	}

	outPaths := map[string]any{}
	found := map[string]bool{}
	tags := map[string]bool{}
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		item, _ := paths[p].(map[string]any)
		var outItem map[string]any
		for _, method := range httpMethods {
			op, _ := item[method].(map[string]any)
			id, _ := op["operationId"].(string)
			t, ok := m.Operation(id)
			if op == nil || !ok {
				continue
			}
			if found[id] {
				return nil, fmt.Errorf("operationId %q appears twice in the source document", id)
			}
			found[id] = true
			if outItem == nil {
				outItem = map[string]any{}
				if params, ok := item["parameters"]; ok {
					if kept := keepParameters(params, doc, m.DropParameters); len(kept) > 0 {
						outItem["parameters"] = clean(kept)
					}
				}
			}
			trimmed, err := trimOperation(op, t, doc)
			if err != nil {
				return nil, fmt.Errorf("operation %s: %w", id, err)
			}
			dropBodyFields(trimmed, m.DropParameters)
			if method == "get" || method == "head" {
				// OpenAPI: a request body on a method without defined body semantics SHALL be ignored. Converted
				// documents (Notion's, from Postman) carry empty ones that would become a meaningless argument.
				delete(trimmed, "requestBody")
			}
			if params, ok := op["parameters"]; ok {
				if kept := keepParameters(params, doc, m.DropParameters); len(kept) > 0 {
					trimmed["parameters"] = clean(kept)
				} else {
					delete(trimmed, "parameters")
				}
			}
			outItem[method] = trimmed
			for _, tag := range asSlice(op["tags"]) {
				if s, ok := tag.(string); ok {
					tags[s] = true
				}
			}
		}
		if outItem != nil {
			outPaths[p] = outItem
		}
	}
	var missing []string
	for _, t := range m.Tools {
		if !found[t.OperationID] {
			missing = append(missing, t.OperationID)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("operations listed in the manifest but missing from the source document: %s (check the operation_id spelling against the spec)",
			strings.Join(missing, ", "))
	}

	components, err := reachable(outPaths, doc)
	if err != nil {
		return nil, err
	}

	info, _ := doc["info"].(map[string]any)
	out := map[string]any{
		"openapi": doc["openapi"],
		"info": map[string]any{
			"title":       m.Name,
			"description": m.Description,
			"version":     info["version"],
		},
		"paths": outPaths,
	}
	if servers := asSlice(doc["servers"]); len(servers) > 0 {
		out["servers"] = clean(servers)
	}
	if len(tags) > 0 {
		var list []any
		for _, t := range slices.Sorted(maps.Keys(tags)) {
			list = append(list, map[string]any{"name": t})
		}
		out["tags"] = list
	}
	if len(components) > 0 {
		out["components"] = components
	}
	return out, nil
}

// merge adds the operations and components of extra, a supplementary OpenAPI 3.x document of our own, to doc. An
// operation at a path and method doc also has replaces doc's (the supplement documents what the vendor's description
// gets wrong or leaves out); a path template equal to one of doc's but for its parameter names, path-level keys other
// than operations, and a component doc also has with a different value are errors.
func merge(doc, extra map[string]any) error {
	if v, _ := extra["openapi"].(string); !strings.HasPrefix(v, "3.") {
		return fmt.Errorf("supplementary document is OpenAPI %q; write it as OpenAPI 3.x", v)
	}
	paths, _ := doc["paths"].(map[string]any)
	if paths == nil {
		paths = map[string]any{}
		doc["paths"] = paths
	}
	shapes := map[string]string{}
	for p := range paths {
		shapes[pathShape(p)] = p
	}
	extraPaths, _ := extra["paths"].(map[string]any)
	for _, p := range slices.Sorted(maps.Keys(extraPaths)) {
		if q, ok := shapes[pathShape(p)]; ok && q != p {
			return fmt.Errorf("path %s matches the source document's %s with other parameter names; use %s", p, q, q)
		}
		item, _ := extraPaths[p].(map[string]any)
		target, _ := paths[p].(map[string]any)
		if target == nil {
			target = map[string]any{}
			paths[p] = target
		}
		for _, k := range slices.Sorted(maps.Keys(item)) {
			if !slices.Contains(httpMethods, k) {
				return fmt.Errorf("path %s: only operations can be supplemented, not %q", p, k)
			}
			target[k] = item[k]
		}
	}
	extraComponents, _ := extra["components"].(map[string]any)
	if len(extraComponents) == 0 {
		return nil
	}
	components, _ := doc["components"].(map[string]any)
	if components == nil {
		components = map[string]any{}
		doc["components"] = components
	}
	for _, kind := range slices.Sorted(maps.Keys(extraComponents)) {
		section, _ := extraComponents[kind].(map[string]any)
		dst, _ := components[kind].(map[string]any)
		if dst == nil {
			dst = map[string]any{}
			components[kind] = dst
		}
		for _, name := range slices.Sorted(maps.Keys(section)) {
			if have, ok := dst[name]; ok && !reflect.DeepEqual(have, section[name]) {
				return fmt.Errorf("component #/components/%s/%s differs from the source document's; rename it", kind, name)
			}
			dst[name] = section[name]
		}
	}
	return nil
}

// pathShape is a path template with its parameter names erased: "/v1/blocks/{}/children".
func pathShape(p string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(p, '{')
		j := strings.IndexByte(p[max(i, 0):], '}')
		if i < 0 || j < 0 {
			b.WriteString(p)
			return b.String()
		}
		b.WriteString(p[:i] + "{}")
		p = p[i+j+1:]
	}
}

// trimOperation keeps what an importer turns into a tool: parameters, request body, tags and success responses.
func trimOperation(op map[string]any, t manifest.Tool, doc map[string]any) (map[string]any, error) {
	out := map[string]any{"operationId": t.OperationID, "description": t.Description}
	if t.Name != "" {
		out["summary"] = t.Name
	} else if s, ok := op["summary"]; ok {
		out["summary"] = s
	}
	for _, k := range []string{"tags", "parameters", "requestBody", "deprecated", "security"} {
		if v, ok := op[k]; ok {
			out[k] = clean(v)
		}
	}
	for k, v := range op {
		if strings.HasPrefix(k, "x-") && !dropped(k) {
			out[k] = clean(v)
		}
	}
	responses := map[string]any{}
	all, _ := op["responses"].(map[string]any)
	for code, r := range all {
		if strings.HasPrefix(code, "2") {
			responses[code] = trimResponse(r)
		}
	}
	if len(responses) == 0 {
		// OpenAPI requires at least one response; keep the document valid for operations that only list errors.
		responses["default"] = map[string]any{"description": "Response"}
	}
	out["responses"] = responses
	if t.BodyMediaType != "" {
		body, err := withMediaType(out["requestBody"], t.BodyMediaType)
		if err != nil {
			return nil, err
		}
		out["requestBody"] = body
	}
	if len(t.BodyProperties) > 0 {
		body, err := withProperties(out["requestBody"], t.BodyProperties, doc)
		if err != nil {
			return nil, err
		}
		out["requestBody"] = body
	}
	return out, nil
}

// withProperties returns an inline request body whose object schemas (one per media type, resolved through a
// local #/components/schemas reference) keep only the named properties. A name the schema lacks is an error.
func withProperties(body any, keep []string, doc map[string]any) (any, error) {
	rb, _ := body.(map[string]any)
	content, _ := rb["content"].(map[string]any)
	if len(content) == 0 {
		return nil, fmt.Errorf("body_properties is set but the operation has no inline request body content; remove body_properties")
	}
	components, _ := doc["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	outContent := map[string]any{}
	for _, mt := range slices.Sorted(maps.Keys(content)) {
		media, _ := content[mt].(map[string]any)
		schema, _ := media["schema"].(map[string]any)
		if ref, ok := schema["$ref"].(string); ok {
			kind, name, ok := splitRef(ref)
			if !ok || kind != "schemas" {
				return nil, fmt.Errorf("body_properties: request body schema %q is not a local schema reference", ref)
			}
			resolved, _ := schemas[name].(map[string]any)
			if resolved == nil {
				return nil, fmt.Errorf("body_properties: request body schema %q points at nothing", ref)
			}
			schema, _ = clean(resolved).(map[string]any)
		}
		props, _ := schema["properties"].(map[string]any)
		if len(props) == 0 {
			return nil, fmt.Errorf("body_properties: the %s request body is not an object schema with properties", mt)
		}
		kept := map[string]any{}
		var missing []string
		for _, name := range keep {
			p, ok := props[name]
			if !ok {
				missing = append(missing, name)
				continue
			}
			kept[name] = p
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("body_properties: the %s request body has no properties %s (have: %s)", mt,
				strings.Join(missing, ", "), strings.Join(slices.Sorted(maps.Keys(props)), ", "))
		}
		out := maps.Clone(schema)
		out["properties"] = kept
		if req := asSlice(schema["required"]); len(req) > 0 {
			var r []any
			for _, x := range req {
				if name, _ := x.(string); slices.Contains(keep, name) {
					r = append(r, x)
				}
			}
			if len(r) > 0 {
				out["required"] = r
			} else {
				delete(out, "required")
			}
		}
		m := maps.Clone(media)
		m["schema"] = out
		outContent[mt] = m
	}
	out := maps.Clone(rb)
	out["content"] = outContent
	return out, nil
}

// withMediaType returns an inline request body whose content is only mediaType: the document's own entry for it,
// else the first listed entry (by media type) under that name.
func withMediaType(body any, mediaType string) (any, error) {
	rb, _ := body.(map[string]any)
	content, _ := rb["content"].(map[string]any)
	if len(content) == 0 {
		return nil, fmt.Errorf("body_media_type is set but the operation has no inline request body content; remove body_media_type")
	}
	media, ok := content[mediaType]
	if !ok {
		media = content[slices.Sorted(maps.Keys(content))[0]]
	}
	out := maps.Clone(rb)
	out["content"] = map[string]any{mediaType: media}
	return out, nil
}

// trimResponse keeps a response's description and the schema of its JSON content; headers and links go.
func trimResponse(r any) any {
	m, ok := r.(map[string]any)
	if !ok {
		return clean(r)
	}
	if ref, ok := m["$ref"]; ok {
		return map[string]any{"$ref": ref}
	}
	out := map[string]any{"description": m["description"]}
	if out["description"] == nil {
		out["description"] = "Response"
	}
	content, _ := m["content"].(map[string]any)
	if mt := jsonMediaType(content); mt != "" {
		media, _ := content[mt].(map[string]any)
		kept := map[string]any{}
		if s, ok := media["schema"]; ok {
			kept["schema"] = clean(s)
		}
		out["content"] = map[string]any{mt: kept}
	}
	return out
}

// jsonMediaType picks application/json, else the first JSON-suffixed media type, else "".
func jsonMediaType(content map[string]any) string {
	if _, ok := content["application/json"]; ok {
		return "application/json"
	}
	for _, mt := range slices.Sorted(maps.Keys(content)) {
		if strings.HasSuffix(mt, "+json") {
			return mt
		}
	}
	return ""
}

// clean copies an OpenAPI value without dropped keywords and extensions, and replaces a schema that is nothing but
// a single-branch oneOf/anyOf/allOf by that branch (same meaning, one less level for importers to flatten).
func clean(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			switch {
			case droppedKeys[k] || dropped(k):
			case dataKeys[k]:
				out[k] = x
			case nameKeys[k]:
				props, ok := x.(map[string]any)
				if !ok {
					out[k] = clean(x)
					continue
				}
				named := make(map[string]any, len(props))
				for name, s := range props {
					named[name] = clean(s)
				}
				out[k] = named
			default:
				out[k] = clean(x)
			}
		}
		if len(out) == 1 {
			for _, k := range []string{"oneOf", "anyOf", "allOf"} {
				if list := asSlice(out[k]); len(list) == 1 {
					return list[0]
				}
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = clean(x)
		}
		return out
	default:
		return v
	}
}

// keepParameters returns the parameter list without the parameters named in drop, looking through local
// #/components/parameters references for the name. Parameters with an empty name (invalid OpenAPI, left by converters
// from other formats) go too.
func keepParameters(params any, doc map[string]any, drop []string) []any {
	list := asSlice(params)
	components, _ := doc["components"].(map[string]any)
	section, _ := components["parameters"].(map[string]any)
	var kept []any
	for _, p := range list {
		pm, _ := p.(map[string]any)
		if ref, ok := pm["$ref"].(string); ok {
			if kind, name, ok := splitRef(ref); ok && kind == "parameters" {
				pm, _ = section[name].(map[string]any)
			}
		}
		if name, ok := pm["name"].(string); ok && (name == "" || slices.Contains(drop, name)) {
			continue
		}
		kept = append(kept, p)
	}
	return kept
}

// dropBodyFields removes the fields named in drop from an operation's inline form bodies
// (application/x-www-form-urlencoded, multipart/form-data): APIs such as Slack's accept the credential as a form
// field as well as a parameter, and toolmux injects it. JSON bodies are data and stay untouched.
func dropBodyFields(op map[string]any, drop []string) {
	if len(drop) == 0 {
		return
	}
	body, _ := op["requestBody"].(map[string]any)
	content, _ := body["content"].(map[string]any)
	for _, mt := range []string{"application/x-www-form-urlencoded", "multipart/form-data"} {
		media, _ := content[mt].(map[string]any)
		schema, _ := media["schema"].(map[string]any)
		props, _ := schema["properties"].(map[string]any)
		if props == nil {
			continue
		}
		for _, name := range drop {
			delete(props, name)
		}
		var kept []any
		for _, r := range asSlice(schema["required"]) {
			if s, _ := r.(string); !slices.Contains(drop, s) {
				kept = append(kept, r)
			}
		}
		if len(kept) > 0 {
			schema["required"] = kept
		} else {
			delete(schema, "required")
		}
	}
}

func dropped(key string) bool {
	for _, p := range droppedPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// reachable collects, cleaned, every component the kept paths reference, directly or through other components.
func reachable(paths map[string]any, doc map[string]any) (map[string]any, error) {
	src, _ := doc["components"].(map[string]any)
	out := map[string]any{}
	seen := map[string]bool{}
	var queue []string
	enqueue := func(v any) { queue = append(queue, refs(v)...) }
	enqueue(paths)
	for len(queue) > 0 {
		ref := queue[0]
		queue = queue[1:]
		if seen[ref] {
			continue
		}
		seen[ref] = true
		kind, name, ok := splitRef(ref)
		if !ok {
			return nil, fmt.Errorf("reference %q is not a local #/components/<kind>/<name> reference; trimspec keeps only those", ref)
		}
		section, _ := src[kind].(map[string]any)
		raw, ok := section[name]
		if !ok {
			return nil, fmt.Errorf("reference %q points at nothing in the source document", ref)
		}
		var v any
		if kind == "responses" {
			v = trimResponse(raw)
		} else {
			v = clean(raw)
		}
		dst, _ := out[kind].(map[string]any)
		if dst == nil {
			dst = map[string]any{}
			out[kind] = dst
		}
		dst[name] = v
		enqueue(v)
	}
	return out, nil
}

// refs lists the $ref values inside v, in a stable order.
func refs(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				if s, ok := v[k].(string); ok && k == "$ref" {
					out = append(out, s)
					continue
				}
				walk(v[k])
			}
			// A discriminator's mapping names schemas by reference too; they must survive the trim.
			if d, ok := v["discriminator"].(map[string]any); ok {
				mapping, _ := d["mapping"].(map[string]any)
				for _, k := range slices.Sorted(maps.Keys(mapping)) {
					if s, ok := mapping[k].(string); ok && strings.HasPrefix(s, "#/") {
						out = append(out, s)
					}
				}
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

// splitRef splits "#/components/schemas/issue" into ("schemas", "issue"), undoing JSON pointer escapes.
func splitRef(ref string) (kind, name string, ok bool) {
	rest, ok := strings.CutPrefix(ref, "#/components/")
	if !ok {
		return "", "", false
	}
	kind, name, ok = strings.Cut(rest, "/")
	if !ok || strings.Contains(name, "/") {
		return "", "", false
	}
	name = strings.NewReplacer("~1", "/", "~0", "~").Replace(name)
	return kind, name, true
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
