// Package toolkits holds the curated toolkits embedded in the toolmux binary, so `toolmux serve` with no config
// serves real tools. Each toolkit is one directory:
//
//	toolkits/<slug>/manifest.toml   identity, base URL, auth schemes, default headers, the operations it exposes
//	                                with our own slugs, descriptions, pitfalls and important flags
//	toolkits/<slug>/openapi.json    the vendor's OpenAPI document trimmed to those operations (generated)
//
// Builtin parses the embedded manifests once and returns one Definition per directory; Definition.Load imports its
// trimmed document with tools/openapi and completes the toolkit from the manifest. Everything a reviewer should
// read about a tool lives in the manifest; openapi.json is generated and never edited by hand.
//
// # Manifest
//
// A manifest.toml (unknown keys are errors; github/manifest.toml is the worked example):
//
//	slug = "acme"                      # the directory name
//	name = "Acme"
//	description = "What the API is for, in one or two sentences."
//	categories = ["productivity"]
//	base_url = "https://api.acme.com"
//	[source]
//	spec = "test-tools/node_modules/acme-openapi/openapi.json"   # relative to the repository root
//	package = "acme-openapi@1.2.3"
//	extra = "toolkits/acme/supplement.json"   # optional: our own document of what the vendor's lacks (below)
//	[headers]                          # sent with every request
//	Accept = "application/json"
//	[[auth_schemes]]                   # OAUTH2, API_KEY (in, name), BEARER_TOKEN, BASIC or NO_AUTH
//	scheme = "OAUTH2"
//	authorization_url = "https://acme.com/oauth/authorize"
//	token_url = "https://acme.com/oauth/token"
//	device_url = ""                    # optional
//	scopes = ["read"]
//	scope_separator = ","              # optional: for providers that want scope=read,write, not a space
//	drop_parameters = ["token"]        # removed from every operation (credentials, transport knobs)
//	[whoami]                           # optional: the tool naming the connected account, for its label
//	tool = "ACME_GET_ME"
//	label = ["login", "name"]          # dotted paths into its result, first non-empty wins
//	arguments = {}                     # optional: arguments for the call
//	[[tools]]                          # one per operation
//	operation_id = "widgets/create"    # the document's operationId
//	slug = "ACME_CREATE_WIDGET"        # UPPER_SNAKE, starting with the toolkit slug
//	name = ""                          # optional; replaces the summary
//	description = "What it does, its key arguments, what it returns (1-3 sentences)."
//	important = true                   # one of the toolkit's ~10 most used tools
//	pitfalls = ["Traps an agent should know before calling it."]
//	read_only = true                   # optional: override the HTTP method's annotations
//	destructive = false                # (APIs that read or delete with POST)
//	body_media_type = "application/json"   # optional: keep only this request body media type (see manifest.Tool)
//	body_properties = ["name", "parents"]  # optional: keep only these request body properties (see manifest.Tool)
//
// # GraphQL toolkits
//
// A manifest with kind = "graphql" (linear/manifest.toml) has no source document and no openapi.json: base_url is
// the GraphQL endpoint and each [[tools]] entry is one fixed operation, so an agent fills in typed variables and
// never writes GraphQL:
//
//	[[tools]]
//	slug = "ACME_CREATE_WIDGET"
//	description = "..."
//	result = "widgetCreate"            # dotted path into the answer's data that is the tool's result
//	graphql = """mutation WidgetCreate($name: String!) { widgetCreate(input: {name: $name}) { id } }"""
//	variables.name = { type = "string", description = "The widget's name." }
//
// Every declared variable needs a JSON schema with a description; "required" follows from the GraphQL type
// (non-null without default) and the built-in scalars' JSON types are checked. Queries are read-only, mutations
// not, unless read_only / destructive say otherwise. tools/graphql builds and runs these tools.
//
// # Adding a curated toolkit
//
//  1. Pin the vendor's full OpenAPI 3.x document as an npm package in test-tools/package.json (the generator and
//     the freshness test read it from test-tools/node_modules).
//  2. Create toolkits/<slug>/manifest.toml, shaped as in the Manifest section above.
//  3. Run `go generate ./toolkits` to write toolkits/<slug>/openapi.json; it fails naming any operation_id the
//     document does not have.
//  4. Run `go test ./toolkits -run TestGolden -update` to record the new tools in testdata/<slug>.golden.json,
//     then `go test ./toolkits/...`; review the golden diff and commit the manifest, openapi.json and the golden
//     file together.
//  5. Write toolkits/<slug>/testdata/calls.json (below) with at least one call of every tool, and run
//     `go test ./e2e -run TestCuratedToolkits/<slug>`.
//
// No Go code changes: the embed patterns pick up every toolkit directory.
//
// A vendor without a published description gets a document of our own, e.g. hackernews/source.json, named by
// source.spec like any other. A vendor whose description lacks endpoints (Notion's, converted from Postman, has no
// search, page creation or cursors) keeps it as source.spec, and source.extra names a supplementary OpenAPI 3.0
// document of ours written from the vendor's API reference (notion/supplement.json): trimspec merges its
// operations and components before trimming; an operation at a path and method the vendor's document also has
// replaces it, and the manifest names either document's operationIds.
//
// # Request-level tests (testdata/calls.json)
//
// e2e's TestCuratedToolkits runs every call listed in toolkits/<slug>/testdata/calls.json through the built binary
// (one `toolmux serve` session, multi-execute) against Prism mocking source.spec, the vendor's full description,
// so each request is validated against what the vendor publishes; toolkits built from our own document are served
// by an httptest fake registered in e2e (curatedFakes) instead, and so are the operations of source.extra (Prism
// on our own document would prove nothing), while the vendor's operations stay on Prism. Tools with
// body_media_type go to a second Prism on the toolkit's trimmed openapi.json, which has the JSON media type and
// the vendor's body schema where the vendor's document lists only upload media types. Static credentials come from the toolkit's first
// BEARER_TOKEN, BASIC or API_KEY scheme and must reach every request, and an account connected with them must
// pass the [whoami] call. The file is a JSON list of:
//
//	{"tool": "SLACK_SEND_MESSAGE", "arguments": {"channel": "C0123456789", "text": "hi"}}
//	{"tool": "JIRA_GET_ISSUE", "arguments": {"issueIdOrKey": "NOPE-1"}, "expect_status": 404}   // a failure expected
//	{"raw": {"method": "POST", "path": "/chat.postMessage", "query": {}, "headers": {}, "body": "text=x",
//	         "anonymous": false, "expect_text": "channel"}, "expect_status": 422}
//
// Every tool of the manifest needs at least one tool entry; a call without expect_status must succeed (2xx). A raw
// entry is sent to the mock without toolmux (with the credential unless anonymous): each toolkit needs at least
// one with a 4xx expect_status, the negative control proving the mock validates; expect_text must appear in the
// answer (Prism puts its validation errors in the sl-violations header).
//
// Warnings from openapi.Import are not returned: the tests require every curated toolkit to import without any.
//
// This package depends on tools, tools/openapi, tools/graphql and its own internal/manifest. The session and the CLI import it;
// lower packages do not.
package toolkits

import (
	"cmp"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"sync"

	"github.com/toolmux/toolmux/toolkits/internal/manifest"
	"github.com/toolmux/toolmux/tools"
	"github.com/toolmux/toolmux/tools/graphql"
	"github.com/toolmux/toolmux/tools/openapi"
)

//go:generate go run ./internal/trimspec -dir .

//go:embed */manifest.toml */openapi.json
var files embed.FS

// Definition is one curated toolkit as embedded in the binary: enough to import it and to describe it without
// importing it.
type Definition struct {
	// Slug is the toolkit slug ("github"), also its directory name.
	Slug        string
	Name        string
	Description string
	Categories  []string
	// BaseURL is the API's base URL from the manifest.
	BaseURL string
	// Spec is the trimmed OpenAPI document; it is shared between calls and must not be modified.
	Spec []byte
	// SpecFile names Spec inside the embedded tree ("github/openapi.json"), for messages and format detection.
	SpecFile string
	// Options are the importer options Load passes to openapi.Import: slug, name, description, base URL and one
	// override per curated operation.
	Options openapi.Options
	// AuthSchemes are the ways the API accepts credentials, with the provider's OAuth2 endpoints and default scopes.
	AuthSchemes []tools.AuthScheme
	// DefaultHeaders are sent with every request to the API (Accept, API version pins).
	DefaultHeaders map[string]string
	// WhoAmI is the call that names a connected account; nil when the manifest declares none.
	WhoAmI *tools.WhoAmI
	// Hash is the hex SHA-256 of the manifest and the spec; it changes whenever Load's result can, so it keys
	// the compiled catalog cache.
	Hash string
	// Kind is "openapi" or "graphql" (manifest kind). A GraphQL toolkit has no Spec; its tools are the manifest's
	// fixed operations and BaseURL is its endpoint.
	Kind string
	// graphQL are a GraphQL toolkit's tool declarations.
	graphQL []graphql.ToolSpec
}

// embedded is one toolkit directory read from the embedded tree.
type embedded struct {
	manifest *manifest.Manifest
	spec     []byte
	specFile string
	hash     string
}

// parsed reads and validates the embedded manifests once per process.
var parsed = sync.OnceValues(func() ([]embedded, error) { return parse(files) })

// Builtin returns the curated toolkits embedded in the binary, sorted by slug. The manifests are parsed once; each
// call returns fresh Definition values that the caller may modify (except Spec).
func Builtin() ([]Definition, error) {
	all, err := parsed()
	if err != nil {
		return nil, err
	}
	defs := make([]Definition, 0, len(all))
	for _, e := range all {
		defs = append(defs, e.definition())
	}
	return defs, nil
}

// Load imports the toolkit's trimmed document and completes the toolkit from the manifest: name, description,
// categories, base URL, auth schemes and default headers. The tools carry the manifest's slugs, descriptions,
// pitfalls and important flags.
func (d Definition) Load(ctx context.Context) (*tools.Toolkit, error) {
	tk, _, err := d.load(ctx)
	// Warnings are dropped here on purpose: the test suite requires every curated toolkit to import without any,
	// so at run time there are none worth telling a user about.
	return tk, err
}

func (d Definition) load(ctx context.Context) (*tools.Toolkit, []openapi.Warning, error) {
	var tk *tools.Toolkit
	var warnings []openapi.Warning
	var err error
	if d.Kind == manifest.KindGraphQL {
		tk = &tools.Toolkit{Source: tools.SourceGraphQL}
		for _, spec := range d.graphQL {
			t, err := graphql.NewTool(d.Slug, spec)
			if err != nil {
				return nil, nil, fmt.Errorf("load built-in toolkit %s: %w (fix its manifest)", d.Slug, err)
			}
			tk.Tools = append(tk.Tools, t)
		}
	} else if tk, warnings, err = openapi.Import(ctx, d.SpecFile, d.Spec, d.Options); err != nil {
		return nil, nil, fmt.Errorf("load built-in toolkit %s: %w (the embedded %s is broken; run `go generate ./toolkits` and rebuild)",
			d.Slug, err, d.SpecFile)
	}
	tk.Slug = d.Slug
	tk.Name = d.Name
	tk.Description = d.Description
	tk.Categories = slices.Clone(d.Categories)
	tk.BaseURL = d.BaseURL
	tk.AuthSchemes = slices.Clone(d.AuthSchemes)
	tk.DefaultHeaders = maps.Clone(d.DefaultHeaders)
	if d.WhoAmI != nil {
		w := *d.WhoAmI
		w.Label = slices.Clone(w.Label)
		w.Arguments = maps.Clone(w.Arguments)
		tk.WhoAmI = &w
	}
	for _, t := range tk.Tools {
		if t.Important && !t.HasTag(tools.TagImportant) {
			t.Tags = append(t.Tags, tools.TagImportant)
		}
	}
	return tk, warnings, nil
}

func (e embedded) definition() Definition {
	m := e.manifest
	include := make(map[string]openapi.Override, len(m.Tools))
	var gql []graphql.ToolSpec
	for _, t := range m.Tools {
		if m.IsGraphQL() {
			vars := make(map[string]map[string]any, len(t.Variables))
			for name, schema := range t.Variables {
				vars[name] = maps.Clone(schema)
			}
			gql = append(gql, graphql.ToolSpec{
				Slug: t.Slug, Name: t.Name, Description: t.Description, Important: t.Important,
				Pitfalls: slices.Clone(t.Pitfalls), Query: t.GraphQL, ResultPath: t.Result, Variables: vars,
				ReadOnly: t.ReadOnly, Destructive: t.Destructive,
			})
			continue
		}
		include[t.OperationID] = openapi.Override{
			Slug:        t.Slug,
			Name:        t.Name,
			Description: t.Description,
			Important:   t.Important,
			Pitfalls:    slices.Clone(t.Pitfalls),
			ReadOnly:    t.ReadOnly,
			Destructive: t.Destructive,
		}
	}
	return Definition{
		Slug:        m.Slug,
		Name:        m.Name,
		Description: m.Description,
		Categories:  slices.Clone(m.Categories),
		BaseURL:     m.BaseURL,
		Spec:        e.spec,
		SpecFile:    e.specFile,
		Options: openapi.Options{
			Slug:        m.Slug,
			Name:        m.Name,
			Description: m.Description,
			BaseURL:     m.BaseURL,
			Include:     include,
		},
		AuthSchemes:    m.ToolsAuthSchemes(),
		DefaultHeaders: maps.Clone(m.Headers),
		WhoAmI:         m.ToolsWhoAmI(),
		Hash:           e.hash,
		Kind:           cmp.Or(m.Kind, manifest.KindOpenAPI),
		graphQL:        gql,
	}
}

// parse reads every <dir>/manifest.toml of fsys with its <dir>/openapi.json.
func parse(fsys fs.FS) ([]embedded, error) {
	manifests, err := fs.Glob(fsys, "*/"+manifest.FileName)
	if err != nil {
		return nil, fmt.Errorf("list embedded toolkits: %w", err)
	}
	slices.Sort(manifests)
	var out []embedded
	for _, mfile := range manifests {
		dir := path.Dir(mfile)
		raw, err := fs.ReadFile(fsys, mfile)
		if err != nil {
			return nil, fmt.Errorf("read embedded %s: %w", mfile, err)
		}
		m, err := manifest.Parse(mfile, raw)
		if err != nil {
			return nil, err
		}
		if m.Slug != dir {
			return nil, fmt.Errorf("embedded %s: slug %q differs from its directory %q; rename one", mfile, m.Slug, dir)
		}
		var spec []byte
		specFile := path.Join(dir, manifest.SpecFileName)
		if m.IsGraphQL() {
			specFile = "" // the manifest is the whole toolkit
		} else if spec, err = fs.ReadFile(fsys, specFile); err != nil {
			return nil, fmt.Errorf("toolkit %s has no %s: %w (run `go generate ./toolkits`)", m.Slug, specFile, err)
		}
		h := sha256.New()
		fmt.Fprintf(h, "%d\n", len(raw))
		h.Write(raw)
		h.Write(spec)
		out = append(out, embedded{manifest: m, spec: spec, specFile: specFile, hash: hex.EncodeToString(h.Sum(nil))})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no curated toolkits embedded; the binary was built without toolkits/*/manifest.toml")
	}
	return out, nil
}
