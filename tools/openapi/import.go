// Package openapi turns OpenAPI documents into toolmux toolkits (Import) and executes their tools over HTTP
// (HTTPExecutor). It depends on the tools package, kin-openapi (chosen by measurement, see bench/openapilib) and
// the YAML parser kin-openapi uses; nothing else in toolmux.
//
// # Import
//
// Import accepts OpenAPI 3.0, 3.1 and Swagger 2.0 (converted to 3.0 by kin-openapi's openapi2conv), as JSON or
// YAML. The document is untrusted input: it is refused above Options.MaxBytes, its nesting is bounded, every local
// $ref must resolve, and $refs to other files or URLs are refused (nothing is ever fetched). Reference cycles are
// fine: a schema that contains itself is cut where it recurs, as {"description": "(recursive Name)"}.
//
// One tool per operation (GET, PUT, POST, DELETE, OPTIONS, HEAD, PATCH, TRACE), in path order:
//   - Slug: see ToolSlug. Colliding slugs get "_2", "_3"… and a Warning; Options.Include overrides may set the slug.
//   - Annotations from the method: GET, HEAD, OPTIONS and TRACE are readOnly and idempotent, PUT is idempotent,
//     DELETE is destructive and idempotent, every tool is openWorld. Tags are the true annotations' names,
//     "important" for overrides that say so, the operation's OpenAPI tags, and "deprecated" for deprecated
//     operations. The toolkit's categories are the document's tags (the 20 used by most operations).
//   - Name is the summary (else the operationId); Description is summary and description, cut near 1,500
//     characters at a sentence boundary.
//   - InputSchema is a flat JSON Schema 2020-12 object (additionalProperties false) of the path, query and header
//     parameters and the request body; cookie parameters are skipped with a warning, and so are the Accept,
//     Content-Type and Authorization headers and API key parameters of the document's security schemes (the
//     Authorizer sets those). A body is read from application/json (or */*+json), else form-urlencoded, else
//     multipart. An object body with properties is flattened: each property is an argument (HTTPBody.Props); any
//     other body is the single argument request_body (HTTPBody.Arg). Bodies of other media types (text, XML,
//     binary) are a string request_body sent as is.
//   - Argument names are the parameter and property names, except that characters model APIs refuse in property
//     names (anything outside [A-Za-z0-9_.-], and names over 64 bytes) are replaced by "_".
//   - Name clashes between locations are resolved by priority path > query > header > body: the first keeps the
//     name, a later one is renamed "<location>_<name>" (a body property "name" next to a query parameter "name"
//     becomes "body_name", a query "id" next to a path "id" becomes "query_id"), numbered if that is taken too.
//     HTTPParam.Name and HTTPBody.Props keep the name on the wire.
//   - Schema conversion: nullable becomes a "null" type, 3.0 boolean exclusiveMinimum/Maximum the numeric form,
//     example becomes examples, OpenAPI-only keywords (discriminator, xml, externalDocs, x-*) are dropped, allOf of
//     plain objects is merged, readOnly properties are left out of inputs and writeOnly ones out of outputs, and
//     nesting is capped.
//   - OutputSchema is the schema of the first 2xx response (200, 201, other 2xx, 2XX, default) that has one,
//     three levels deep and cut further until it is under about 16 KB.
//   - About (for search; not sent to MCP clients) holds the descriptions of the operation's tags from the document's
//     tags list and the description of the object its 2xx response returns: through $ref and allOf, and through
//     one list or envelope ({"data": [...]}, a pagination object) to the items it holds. See about.go.
//
// The toolkit's base URL is Options.BaseURL, else the first server (variables replaced by their defaults; for
// Swagger 2.0 the https scheme when offered, host and basePath). A relative or missing server URL leaves it empty
// with a warning: the caller must supply one (--base-url). An operation (or path item) with an absolute server of
// its own keeps it in HTTPBinding.BaseURL, unless Options.BaseURL is set. Auth schemes come from the security
// schemes: apiKey is API_KEY, http bearer BEARER_TOKEN, http basic BASIC, oauth2 OAUTH2 with its URLs and scopes;
// none is NO_AUTH.
//
// Documents are often a little wrong; what can be fixed without guessing is fixed with a Warning instead of a
// refusal (load.go lists the repairs). All 2,639 documents of the APIs.guru collection import (TestImportAPIsGuru).
package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/toolmux/toolmux/tools"
)

// Warning is something Import skipped or changed; the toolkit is still usable.
type Warning struct {
	// Construct is where: a JSON pointer ("#/paths/~1pets/get") or a short name ("servers").
	Construct string
	Message   string
}

// String formats the warning as "construct: message".
func (w Warning) String() string { return w.Construct + ": " + w.Message }

// ImportError is why Import refused a document.
type ImportError struct {
	// File names the document as the caller gave it.
	File string
	// Construct is where: a JSON pointer ("#/paths/~1repos/get/parameters/0") or a short name ("document",
	// "openapi version").
	Construct string
	Err       error
}

// Error reads "import FILE: CONSTRUCT: reason".
func (e *ImportError) Error() string {
	return fmt.Sprintf("import %s: %s: %v", e.File, e.Construct, e.Err)
}

// Unwrap returns the underlying error.
func (e *ImportError) Unwrap() error { return e.Err }

// tagDeprecated marks tools of deprecated operations.
const tagDeprecated = "deprecated"

// Limits on text taken from a document.
const (
	maxDescription = 1500
	maxCategories  = 20
)

// methods are the operations of a path item, in the order tools are made.
var methods = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}

// Import converts an OpenAPI 3.0/3.1 or Swagger 2.0 document (JSON or YAML) into a toolkit. file names the
// document in errors and warnings. Every error is an *ImportError. ctx is checked between operations.
func Import(ctx context.Context, file string, data []byte, opts Options) (tk *tools.Toolkit, warnings []Warning, err error) {
	imp := &importer{
		file:    file,
		opts:    opts,
		outputs: map[*openapi3.Schema]json.RawMessage{},
		params:  map[*openapi3.Parameter]json.RawMessage{},
		bodies:  map[*openapi3.Schema]*convertedBody{},
	}
	defer func() {
		if r := recover(); r != nil {
			tk, warnings, err = nil, nil, imp.fail("document", fmt.Errorf("internal error in the importer (panic: %v); please report this document", r))
		}
	}()
	maxBytes := opts.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if int64(len(data)) > maxBytes {
		return nil, nil, imp.fail("document", fmt.Errorf("the document is %d bytes, over the limit of %d bytes; raise the import size limit if you trust it", len(data), maxBytes))
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, imp.fail("document", err)
	}
	l, lerr := loadDocument(data)
	if lerr != nil {
		return nil, nil, imp.fail(lerr.construct, lerr.err)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, imp.fail("document", err)
	}
	tk, err = imp.build(ctx, l)
	if err != nil {
		return nil, nil, err
	}
	return tk, imp.warnings, nil
}

// importer holds the state of one Import call.
type importer struct {
	file    string
	opts    Options
	oas30   bool
	swagger bool
	// docServer is the document's own server URL, when it is usable; docServerRaw as written.
	docServer    string
	docServerRaw string
	warnings     []Warning
	// outputs, params and bodies cache converted schemas by what they came from: operations share many.
	outputs map[*openapi3.Schema]json.RawMessage
	params  map[*openapi3.Parameter]json.RawMessage
	bodies  map[*openapi3.Schema]*convertedBody
	// tagDocs are the descriptions of the document's tags, by name (see about.go).
	tagDocs map[string]string
}

func (imp *importer) fail(construct string, err error) *ImportError {
	return &ImportError{File: imp.file, Construct: construct, Err: err}
}

func (imp *importer) warn(construct, msg string) {
	imp.warnings = append(imp.warnings, Warning{Construct: construct, Message: msg})
}

// entry is one operation on its way to becoming a tool.
type entry struct {
	tool     *tools.Tool
	ptr      string
	opID     string
	method   string
	path     string
	override *Override
}

func (imp *importer) build(ctx context.Context, l *loaded) (*tools.Toolkit, error) {
	doc := l.doc
	imp.warnings = append(imp.warnings, l.repairs...)
	imp.oas30 = l.version != openAPI31
	imp.swagger = l.version == swagger2
	imp.tagDocs = tagDocs(doc)
	info := doc.Info
	if info == nil {
		info = &openapi3.Info{}
	}

	slug := toolkitSlug(imp.opts.Slug)
	if slug == "" {
		slug = toolkitSlug(info.Title)
	}
	if slug == "" {
		return nil, imp.fail("slug", errors.New("no toolkit slug given and the document has no title to derive one from; pass --slug"))
	}

	tk := &tools.Toolkit{
		Slug:        slug,
		Name:        oneLine(firstNonEmpty(imp.opts.Name, info.Title, slug)),
		Description: truncateText(firstNonEmpty(imp.opts.Description, info.Description), maxDescription),
		Source:      tools.SourceOpenAPI,
		Version:     info.Version,
		BaseURL:     imp.baseURL(doc),
	}
	var authParams map[string]bool
	tk.AuthSchemes, authParams = imp.authSchemes(doc)

	var entries []*entry
	seenInclude := map[string]bool{}
	if doc.Paths != nil {
		paths := doc.Paths.Keys()
		sort.Strings(paths)
		for _, path := range paths {
			item := doc.Paths.Value(path)
			if item == nil {
				continue
			}
			imp.warnUnsupportedMethods(path, item)
			for _, method := range methods {
				op := item.GetOperation(method)
				if op == nil {
					continue
				}
				if err := ctx.Err(); err != nil {
					return nil, imp.fail(jsonPointer("paths", path, strings.ToLower(method)), err)
				}
				var ov *Override
				if imp.opts.Include != nil {
					o, ok := imp.opts.Include[op.OperationID]
					if !ok || op.OperationID == "" {
						continue
					}
					ov = &o
					seenInclude[op.OperationID] = true
				}
				e, err := imp.operation(slug, tk.Version, path, method, item, op, authParams)
				if err != nil {
					return nil, err
				}
				e.override = ov
				entries = append(entries, e)
			}
		}
	}
	if imp.opts.Include != nil {
		var missing []string
		for id := range imp.opts.Include {
			if !seenInclude[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return nil, imp.fail("include", fmt.Errorf("operationId %s not found in the document; check the toolkit's include list", strings.Join(quoteAll(missing), ", ")))
		}
	}
	if err := imp.assignSlugs(slug, entries); err != nil {
		return nil, err
	}
	tk.Tools = make([]*tools.Tool, 0, len(entries))
	for _, e := range entries {
		tk.Tools = append(tk.Tools, e.tool)
	}
	tk.Categories = categories(doc, tk.Tools)
	if len(tk.Tools) == 0 {
		imp.warn("paths", "the document has no operations; the toolkit has no tools")
	}
	return tk, nil
}

// warnUnsupportedMethods reports operations toolmux does not import (QUERY, custom methods).
func (imp *importer) warnUnsupportedMethods(path string, item *openapi3.PathItem) {
	var other []string
	if item.Query != nil {
		other = append(other, "QUERY")
	}
	for m, op := range item.AdditionalOperations {
		if op != nil {
			other = append(other, m)
		}
	}
	sort.Strings(other)
	for _, m := range other {
		imp.warn(jsonPointer("paths", path), fmt.Sprintf("%s operation skipped: only the standard HTTP methods are imported", m))
	}
}

// operation builds the tool of one operation; its slug is assigned later.
func (imp *importer) operation(toolkit, version, path, method string, item *openapi3.PathItem, op *openapi3.Operation, authParams map[string]bool) (*entry, error) {
	ptr := jsonPointer("paths", path, strings.ToLower(method))
	params := mergeParams(path, method, item.Parameters, op.Parameters)
	input, binding, err := imp.buildInput(ptr, method, path, params, op.RequestBody, authParams)
	if err != nil {
		return nil, imp.fail(ptr, err)
	}
	output, err := imp.outputSchema(op)
	if err != nil {
		return nil, imp.fail(ptr+"/responses", err)
	}
	imp.operationServer(ptr, item, op, binding)

	var ann tools.Annotations
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE":
		ann.ReadOnly, ann.Idempotent = true, true
	case "PUT":
		ann.Idempotent = true
	case "DELETE":
		ann.Destructive, ann.Idempotent = true, true
	}
	ann.OpenWorld = true

	summary := oneLine(op.Summary)
	name := summary
	if name == "" && upperSnake(op.OperationID) != "" {
		name = oneLine(op.OperationID)
	}
	if name == "" {
		name = method + " " + path
	}
	desc := strings.TrimSpace(op.Description)
	full := summary
	switch {
	case desc == "":
	case summary == "" || strings.HasPrefix(strings.ToLower(desc), strings.ToLower(summary)):
		full = desc
	default:
		full = summary + "\n\n" + desc
	}
	tool := &tools.Tool{
		Toolkit:      toolkit,
		Name:         name,
		Description:  truncateText(full, maxDescription),
		InputSchema:  input,
		OutputSchema: output,
		Annotations:  ann,
		Version:      version,
		HTTP:         binding,
	}
	for _, t := range op.Tags {
		if t = strings.TrimSpace(t); t != "" && !tool.HasTag(t) {
			tool.Tags = append(tool.Tags, t)
		}
	}
	tool.About = imp.about(tool, op)
	if op.Deprecated && !tool.HasTag(tagDeprecated) {
		tool.Tags = append(tool.Tags, tagDeprecated)
	}
	return &entry{tool: tool, ptr: ptr, opID: op.OperationID, method: method, path: path}, nil
}

// finishTags puts the annotation tags and "important" before the operation's own tags.
func finishTags(t *tools.Tool) {
	var tags []string
	for _, x := range []struct {
		on  bool
		tag string
	}{
		{t.Annotations.ReadOnly, tools.TagReadOnly},
		{t.Annotations.Destructive, tools.TagDestructive},
		{t.Annotations.Idempotent, tools.TagIdempotent},
		{t.Annotations.OpenWorld, tools.TagOpenWorld},
		{t.Important, tools.TagImportant},
	} {
		if x.on {
			tags = append(tags, x.tag)
		}
	}
	for _, tag := range t.Tags {
		if !containsString(tags, tag) {
			tags = append(tags, tag)
		}
	}
	t.Tags = tags
}

// assignSlugs gives every tool its slug: override slugs first (they must be unique), then the slug rule, numbered
// on collision with a warning.
func (imp *importer) assignSlugs(toolkit string, entries []*entry) error {
	owner := map[string]string{}
	for _, e := range entries {
		o := e.override
		if o == nil {
			continue
		}
		if o.Name != "" {
			e.tool.Name = o.Name
		}
		if o.Description != "" {
			e.tool.Description = o.Description
		}
		e.tool.Important = o.Important
		e.tool.Pitfalls = o.Pitfalls
		if o.ReadOnly != nil {
			e.tool.Annotations.ReadOnly = *o.ReadOnly
			if *o.ReadOnly {
				e.tool.Annotations.Idempotent = true
			}
		}
		if o.Destructive != nil {
			e.tool.Annotations.Destructive = *o.Destructive
		}
		if o.Slug == "" {
			continue
		}
		s := upperSnake(o.Slug)
		if prev, ok := owner[s]; ok {
			return imp.fail("include", fmt.Errorf("override slug %s is set for %s and %s; give each operation its own slug", s, prev, e.ptr))
		}
		owner[s] = e.ptr
		e.tool.Slug = s
	}
	for _, e := range entries {
		if e.tool.Slug == "" {
			base := ToolSlug(toolkit, e.opID, e.method, e.path)
			s := base
			for i := 2; owner[s] != ""; i++ {
				s = fmt.Sprintf("%s_%d", base, i)
			}
			if s != base {
				imp.warn(e.ptr, fmt.Sprintf("slug %s is already used by %s; this operation is %s", base, owner[base], s))
			}
			owner[s] = e.ptr
			e.tool.Slug = s
		}
		finishTags(e.tool)
	}
	return nil
}

// param is a parameter with the JSON pointer of where it is declared.
type param struct {
	*openapi3.Parameter
	ptr string
}

// mergeParams returns the path item's parameters overridden by the operation's (same name and location).
func mergeParams(path, method string, pathLevel, opLevel openapi3.Parameters) []param {
	key := func(p *openapi3.ParameterRef) string {
		if p == nil || p.Value == nil {
			return ""
		}
		return p.Value.In + ":" + p.Value.Name
	}
	own := map[string]bool{}
	for _, p := range opLevel {
		own[key(p)] = true
	}
	out := make([]param, 0, len(pathLevel)+len(opLevel))
	for i, p := range pathLevel {
		if p != nil && p.Value != nil && !own[key(p)] {
			out = append(out, param{p.Value, jsonPointer("paths", path, "parameters", fmt.Sprint(i))})
		}
	}
	for i, p := range opLevel {
		if p != nil && p.Value != nil {
			out = append(out, param{p.Value, jsonPointer("paths", path, strings.ToLower(method), "parameters", fmt.Sprint(i))})
		}
	}
	return out
}

// baseURL picks the toolkit's base URL.
func (imp *importer) baseURL(doc *openapi3.T) string {
	if len(doc.Servers) > 0 && doc.Servers[0] != nil {
		imp.docServerRaw = doc.Servers[0].URL
	}
	if imp.opts.BaseURL != "" {
		return strings.TrimRight(imp.opts.BaseURL, "/")
	}
	if len(doc.Servers) == 0 || doc.Servers[0] == nil {
		imp.warn("servers", "the document names no server; pass the API's base URL (--base-url)")
		return ""
	}
	idx := 0
	if imp.swagger {
		for i, s := range doc.Servers {
			if s != nil && strings.HasPrefix(s.URL, "https:") {
				idx = i
				break
			}
		}
	}
	u, problem := serverURL(doc.Servers[idx])
	if problem != "" {
		imp.warn(jsonPointer("servers", fmt.Sprint(idx)), problem+"; pass the API's base URL (--base-url)")
		return ""
	}
	imp.docServer = u
	return u
}

// serverURL returns a server's URL with its variables set to their defaults, without a trailing "/", or why it
// cannot be used as a base URL.
func serverURL(s *openapi3.Server) (string, string) {
	u := s.URL
	for name, v := range s.Variables {
		if v != nil {
			u = strings.ReplaceAll(u, "{"+name+"}", v.Default)
		}
	}
	if strings.ContainsAny(u, "{}") {
		return "", fmt.Sprintf("server URL %q has a variable without a default", u)
	}
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		return "", fmt.Sprintf("server URL %q is not an absolute http(s) URL", u)
	}
	return strings.TrimRight(u, "/"), ""
}

// operationServer applies the server an operation or its path item declares for itself (GitHub uploads release
// assets to uploads.github.com): its URL becomes the binding's BaseURL. It is ignored, with a warning, when it is
// not an absolute URL, and when the caller set the base URL: everything then goes where the caller said.
func (imp *importer) operationServer(ptr string, item *openapi3.PathItem, op *openapi3.Operation, binding *tools.HTTPBinding) {
	var servers openapi3.Servers
	construct := ptr + "/servers"
	if op.Servers != nil && len(*op.Servers) > 0 {
		servers = *op.Servers
	} else if len(item.Servers) > 0 {
		servers = item.Servers
		construct = ptr[:strings.LastIndex(ptr, "/")] + "/servers"
	}
	if len(servers) == 0 || servers[0] == nil {
		return
	}
	if servers[0].URL == imp.docServerRaw {
		return
	}
	u, problem := serverURL(servers[0])
	switch {
	case problem != "":
		imp.warn(construct, problem+"; the operation calls the toolkit's base URL")
	case imp.opts.BaseURL != "":
		imp.warn(construct, fmt.Sprintf("the operation's server %s is ignored: the base URL was set to %s", u, imp.opts.BaseURL))
	case u != imp.docServer:
		binding.BaseURL = u
	}
}

// authSchemes maps the document's security schemes; it also returns the "in:name" keys (name lower-cased) of API
// key parameters, which are left out of tool arguments.
func (imp *importer) authSchemes(doc *openapi3.T) ([]tools.AuthScheme, map[string]bool) {
	authParams := map[string]bool{}
	var out []tools.AuthScheme
	if doc.Components == nil || len(doc.Components.SecuritySchemes) == 0 {
		return []tools.AuthScheme{{Scheme: tools.SchemeNoAuth}}, authParams
	}
	names := make([]string, 0, len(doc.Components.SecuritySchemes))
	for n := range doc.Components.SecuritySchemes {
		names = append(names, n)
	}
	sort.Strings(names)
	add := func(a tools.AuthScheme) {
		for _, x := range out {
			if x.Scheme == a.Scheme && x.In == a.In && x.Name == a.Name && x.AuthorizationURL == a.AuthorizationURL && x.TokenURL == a.TokenURL {
				return
			}
		}
		out = append(out, a)
	}
	for _, n := range names {
		ref := doc.Components.SecuritySchemes[n]
		construct := jsonPointer("components", "securitySchemes", n)
		if imp.swagger {
			construct = jsonPointer("securityDefinitions", n)
		}
		if ref == nil || ref.Value == nil {
			continue
		}
		s := ref.Value
		switch strings.ToLower(s.Type) {
		case "apikey":
			in := strings.ToLower(s.In)
			if in != "header" && in != "query" {
				imp.warn(construct, fmt.Sprintf("API key in %q is not supported (only header and query); scheme skipped", s.In))
				continue
			}
			authParams[in+":"+strings.ToLower(s.Name)] = true
			add(tools.AuthScheme{Scheme: tools.SchemeAPIKey, In: in, Name: s.Name})
		case "http", "basic":
			switch strings.ToLower(s.Scheme) {
			case "bearer":
				add(tools.AuthScheme{Scheme: tools.SchemeBearerToken})
			case "basic", "":
				add(tools.AuthScheme{Scheme: tools.SchemeBasic})
			default:
				imp.warn(construct, fmt.Sprintf("HTTP auth scheme %q is not supported; scheme skipped", s.Scheme))
			}
		case "oauth2":
			add(oauthScheme(s.Flows))
		default:
			imp.warn(construct, fmt.Sprintf("security scheme type %q is not supported; scheme skipped", s.Type))
		}
	}
	if len(out) == 0 {
		out = append(out, tools.AuthScheme{Scheme: tools.SchemeNoAuth})
	}
	return out, authParams
}

// oauthScheme takes the URLs and scopes of the best flow: authorization code, else implicit, else client
// credentials or password.
func oauthScheme(flows *openapi3.OAuthFlows) tools.AuthScheme {
	a := tools.AuthScheme{Scheme: tools.SchemeOAuth2}
	if flows == nil {
		return a
	}
	var flow *openapi3.OAuthFlow
	for _, f := range []*openapi3.OAuthFlow{flows.AuthorizationCode, flows.Implicit, flows.ClientCredentials, flows.Password} {
		if f != nil {
			flow = f
			break
		}
	}
	if flow == nil {
		return a
	}
	a.AuthorizationURL = flow.AuthorizationURL
	a.TokenURL = flow.TokenURL
	for s := range flow.Scopes {
		a.Scopes = append(a.Scopes, s)
	}
	sort.Strings(a.Scopes)
	return a
}

// categories are the document's tags (then tags only operations use), the maxCategories used most.
func categories(doc *openapi3.T, ts []*tools.Tool) []string {
	var names []string
	seen := map[string]bool{}
	for _, t := range doc.Tags {
		if t != nil && strings.TrimSpace(t.Name) != "" && !seen[t.Name] {
			seen[t.Name] = true
			names = append(names, t.Name)
		}
	}
	count := map[string]int{}
	for _, t := range ts {
		for _, tag := range t.Tags {
			count[tag]++
		}
	}
	if len(names) == 0 {
		for _, t := range ts {
			for _, tag := range t.Tags {
				if !seen[tag] && !isDerivedTag(tag) {
					seen[tag] = true
					names = append(names, tag)
				}
			}
		}
	}
	if len(names) > maxCategories {
		sort.SliceStable(names, func(i, j int) bool { return count[names[i]] > count[names[j]] })
		names = names[:maxCategories]
	}
	return names
}

// isDerivedTag reports whether a tag is one Import adds itself.
func isDerivedTag(tag string) bool {
	switch tag {
	case tools.TagReadOnly, tools.TagDestructive, tools.TagIdempotent, tools.TagOpenWorld, tools.TagImportant, tagDeprecated:
		return true
	}
	return false
}

// truncateText trims s and cuts it to at most max bytes, at the end of a sentence when one ends in the second half,
// else at a word boundary with an ellipsis. max 0 returns "".
func truncateText(s string, max int) string {
	s = strings.TrimSpace(s)
	if len(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	cut := s[:max]
	for len(cut) > 0 && !utf8.RuneStart(s[len(cut)]) {
		cut = cut[:len(cut)-1] // do not split a rune
	}
	best := -1
	for i := len(cut) - 1; i >= max/2; i-- {
		if (cut[i] == '.' || cut[i] == '!' || cut[i] == '?') && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\n') {
			best = i + 1
			break
		}
	}
	if best > 0 {
		return strings.TrimSpace(cut[:best])
	}
	if i := strings.LastIndexFunc(cut, unicode.IsSpace); i >= max/2 {
		cut = cut[:i]
	}
	return strings.TrimSpace(cut) + "…"
}

// oneLine collapses whitespace runs, line breaks included, to single spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
