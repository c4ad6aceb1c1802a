// Package manifest parses and validates the manifest.toml of a curated toolkit: its identity, base URL, auth
// schemes, default headers, the upstream OpenAPI document its trimmed spec is generated from, and the operations it
// exposes with our own slugs, descriptions and pitfalls.
//
// Both the toolkits loader and the trimspec generator read manifests through this package, so the two always agree
// on what a manifest means. It depends only on the tools package (for the auth scheme names) and go-toml.
package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/toolmux/toolmux/tools"
)

// FileName is the manifest's file name inside a toolkit directory.
const FileName = "manifest.toml"

// SpecFileName is the file name of the trimmed OpenAPI document inside a toolkit directory.
const SpecFileName = "openapi.json"

// Toolkit kinds: an OpenAPI toolkit (the default) has a trimmed openapi.json; a GraphQL toolkit declares each tool
// as a fixed operation in the manifest and has no document.
const (
	KindOpenAPI = "openapi"
	KindGraphQL = "graphql"
)

// Manifest is one curated toolkit's manifest.toml.
type Manifest struct {
	// Slug is the toolkit slug, lower case; it is also the toolkit's directory name.
	Slug string `toml:"slug"`
	// Kind is KindOpenAPI (or empty) or KindGraphQL; for GraphQL base_url is the endpoint.
	Kind        string   `toml:"kind"`
	Name        string   `toml:"name"`
	Description string   `toml:"description"`
	Categories  []string `toml:"categories"`
	// BaseURL is the API's base URL; it overrides the document's servers.
	BaseURL string `toml:"base_url"`
	// Source names the upstream document the trimmed spec is generated from.
	Source Source `toml:"source"`
	// Headers are sent with every request to the API (Accept, API version pins).
	Headers     map[string]string `toml:"headers"`
	AuthSchemes []AuthScheme      `toml:"auth_schemes"`
	// DropParameters names parameters removed from every operation of the trimmed document (by name, inline or
	// through $ref), e.g. Slack's per-operation "token" or Google's "$.xgafv", "alt", "prettyPrint": credentials
	// are injected by toolmux and transport knobs only distract an agent.
	DropParameters []string `toml:"drop_parameters"`
	// WhoAmI is the tool that names the connected account, for the account label after connecting.
	WhoAmI *WhoAmI `toml:"whoami"`
	Tools  []Tool  `toml:"tools"`
}

// WhoAmI names one of the manifest's tools (by slug) that takes no required arguments and answers with the
// connected account's identity, and the dotted paths into its JSON result to try, in order, for the label.
type WhoAmI struct {
	Tool  string   `toml:"tool"`
	Label []string `toml:"label"`
	// Arguments are passed to the tool, for APIs that need one to name the account (Drive's about.get answers
	// only the fields asked for: {fields = "user"}).
	Arguments map[string]any `toml:"arguments"`
}

// Source is where the trimmed spec comes from.
type Source struct {
	// Spec is the full upstream OpenAPI document, relative to the repository root (a pinned npm package under
	// test-tools/node_modules).
	Spec string `toml:"spec"`
	// Package names the pinned package that ships Spec, for people reading the manifest ("@octokit/openapi@23.0.2").
	Package string `toml:"package"`
	// Extra, when set, is a supplementary OpenAPI 3.0 document of our own (relative to the repository root) whose
	// operations are merged into Spec before trimming: endpoints the vendor's description lacks. An operation at a
	// path and method Spec also has replaces Spec's. Tests check these operations against an httptest fake, never
	// against a mock of the same document.
	Extra string `toml:"extra"`
}

// AuthScheme is one way the API accepts credentials; the fields mirror tools.AuthScheme.
type AuthScheme struct {
	Scheme           string   `toml:"scheme"`
	In               string   `toml:"in"`
	Name             string   `toml:"name"`
	AuthorizationURL string   `toml:"authorization_url"`
	TokenURL         string   `toml:"token_url"`
	DeviceURL        string   `toml:"device_url"`
	Scopes           []string `toml:"scopes"`
	ScopeSeparator   string   `toml:"scope_separator"`
}

// Tool is one curated operation.
type Tool struct {
	// OperationID is the upstream document's operationId ("issues/create").
	OperationID string `toml:"operation_id"`
	// Slug is the tool's full slug ("GITHUB_CREATE_ISSUE").
	Slug string `toml:"slug"`
	// Name replaces the operation's summary when set.
	Name string `toml:"name"`
	// Description replaces the operation's description: what it does, its key arguments, what it returns.
	Description string `toml:"description"`
	// Important marks the toolkit's most used tools.
	Important bool `toml:"important"`
	// Pitfalls are short warnings an agent should read before calling the tool.
	Pitfalls []string `toml:"pitfalls"`
	// ReadOnly and Destructive override the annotations derived from the HTTP method, for APIs that read or
	// delete with POST (Slack, Google's batch calls). Unset keeps the method's.
	ReadOnly    *bool `toml:"read_only"`
	Destructive *bool `toml:"destructive"`
	// BodyMediaType keeps only this media type of the request body in the trimmed document, taking the schema of
	// the first listed one when the document lacks it. It is for descriptions converted from Google's discovery
	// format, which list only the media-upload types ("message/rfc822", "application/octet-stream") on endpoints
	// that also take the resource as JSON (Gmail messages.send, Drive files.create).
	BodyMediaType string `toml:"body_media_type"`
	// BodyProperties, when set, keeps only these properties of the request body's object schema (resolved through
	// a local $ref). Google reuses one resource schema for input and output, so its request bodies list dozens of
	// output-only fields (id, kind, etag, capabilities) an agent must not send.
	BodyProperties []string `toml:"body_properties"`

	// GraphQL toolkits only: GraphQL is the tool's fixed operation (one named query or mutation), Result the
	// dotted path into the answer's data that is the tool's result, and Variables the JSON schema of each variable
	// the operation declares (required follows from the GraphQL type).
	GraphQL   string                    `toml:"graphql"`
	Result    string                    `toml:"result"`
	Variables map[string]map[string]any `toml:"variables"`
}

// IsGraphQL reports whether the manifest declares a GraphQL toolkit.
func (m *Manifest) IsGraphQL() bool { return m.Kind == KindGraphQL }

var (
	toolkitSlugRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	toolSlugRE    = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
	headerNameRE  = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// Parse decodes and validates a manifest. Unknown keys are errors that name the key and its line. file names the
// manifest in error messages.
func Parse(file string, data []byte) (*Manifest, error) {
	var m Manifest
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", file, describe(err))
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", file, err)
	}
	return &m, nil
}

// describe turns go-toml's errors into messages that name the key and the line.
func describe(err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var msgs []string
		for i := range strict.Errors {
			e := &strict.Errors[i]
			line, _ := e.Position()
			msgs = append(msgs, fmt.Sprintf("line %d: unknown key %q", line, strings.Join(e.Key(), ".")))
		}
		return fmt.Errorf("%s (remove or rename it; see the toolkits package doc for the manifest keys)", strings.Join(msgs, "; "))
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		return fmt.Errorf("line %d column %d: %w", line, col, err)
	}
	return err
}

func (m *Manifest) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if !toolkitSlugRE.MatchString(m.Slug) {
		bad("slug %q must be lower case letters, digits and underscores, starting with a letter", m.Slug)
	}
	if strings.TrimSpace(m.Name) == "" {
		bad("name is empty")
	}
	if strings.TrimSpace(m.Description) == "" {
		bad("description is empty")
	}
	if u, err := url.Parse(m.BaseURL); err != nil || u.Scheme != "https" || u.Host == "" {
		bad("base_url %q must be an absolute https URL", m.BaseURL)
	}
	if m.Kind != "" && m.Kind != KindOpenAPI && m.Kind != KindGraphQL {
		bad("kind %q is unknown; use %q (the default) or %q", m.Kind, KindOpenAPI, KindGraphQL)
	}
	if m.IsGraphQL() {
		if m.Source.Spec != "" || len(m.DropParameters) > 0 {
			bad("a graphql toolkit has no source document: remove source.spec and drop_parameters")
		}
	} else if m.Source.Spec == "" {
		bad("source.spec is empty; name the full upstream document, relative to the repository root")
	} else if path.IsAbs(m.Source.Spec) || strings.HasPrefix(path.Clean(m.Source.Spec), "..") {
		bad("source.spec %q must be relative to the repository root and stay inside it", m.Source.Spec)
	}
	if e := m.Source.Extra; e != "" && (m.IsGraphQL() || path.IsAbs(e) || strings.HasPrefix(path.Clean(e), "..")) {
		bad("source.extra %q must be relative to the repository root, stay inside it, and belong to an openapi toolkit", e)
	}
	for _, name := range slices.Sorted(maps.Keys(m.Headers)) {
		value := m.Headers[name]
		if !headerNameRE.MatchString(name) {
			bad("headers: %q is not a valid header name", name)
		}
		if strings.ContainsAny(value, "\r\n") {
			bad("headers.%s: value contains CR or LF", name)
		}
	}
	if len(m.AuthSchemes) == 0 {
		bad("auth_schemes is empty; add [[auth_schemes]] with scheme = %q if the API needs no credentials", tools.SchemeNoAuth)
	}
	for i, a := range m.AuthSchemes {
		where := fmt.Sprintf("auth_schemes[%d] (%s)", i, a.Scheme)
		switch a.Scheme {
		case tools.SchemeOAuth2:
			for _, e := range []struct{ key, url string }{
				{"authorization_url", a.AuthorizationURL}, {"token_url", a.TokenURL}, {"device_url", a.DeviceURL},
			} {
				if e.url == "" && e.key == "device_url" {
					continue // the device flow is optional
				}
				if pu, err := url.Parse(e.url); err != nil || pu.Scheme != "https" || pu.Host == "" {
					bad("%s: %s %q must be an absolute https URL", where, e.key, e.url)
				}
			}
			if a.ScopeSeparator != "" && a.ScopeSeparator != " " && a.ScopeSeparator != "," {
				bad("%s: scope_separator %q must be \",\" or \" \" (the default)", where, a.ScopeSeparator)
			}
		case tools.SchemeAPIKey:
			if a.In != "header" && a.In != "query" {
				bad("%s: in must be \"header\" or \"query\", got %q", where, a.In)
			}
			if a.Name == "" {
				bad("%s: name is empty; set the header or query parameter that carries the key", where)
			}
		case tools.SchemeBearerToken, tools.SchemeBasic, tools.SchemeNoAuth:
		default:
			bad("%s: unknown scheme; use one of %s, %s, %s, %s, %s", where, tools.SchemeOAuth2, tools.SchemeAPIKey,
				tools.SchemeBearerToken, tools.SchemeBasic, tools.SchemeNoAuth)
		}
		if a.Scheme != tools.SchemeOAuth2 && (a.AuthorizationURL != "" || a.TokenURL != "" || a.DeviceURL != "" || len(a.Scopes) > 0 || a.ScopeSeparator != "") {
			bad("%s: OAuth2 endpoints and scopes belong only to scheme %s", where, tools.SchemeOAuth2)
		}
	}

	if len(m.Tools) == 0 {
		bad("no [[tools]]; list the operations the toolkit exposes")
	}
	prefix := strings.ToUpper(m.Slug) + "_"
	ops := map[string]int{}
	slugs := map[string]int{}
	for i, t := range m.Tools {
		where := fmt.Sprintf("tools[%d] (%s)", i, t.OperationID)
		if m.IsGraphQL() {
			where = fmt.Sprintf("tools[%d] (%s)", i, t.Slug)
			if t.OperationID != "" || t.BodyMediaType != "" || len(t.BodyProperties) > 0 {
				bad("%s: a graphql tool has no operation_id or body_media_type; write its operation in graphql", where)
			}
			if strings.TrimSpace(t.GraphQL) == "" {
				bad("%s: graphql is empty; write the tool's query or mutation", where)
			}
		} else if t.GraphQL != "" || t.Result != "" || len(t.Variables) > 0 {
			bad("%s: graphql, result and variables belong to kind = %q toolkits", where, KindGraphQL)
		}
		switch {
		case m.IsGraphQL():
		case t.OperationID == "":
			bad("%s: operation_id is empty", where)
		default:
			if j, dup := ops[t.OperationID]; dup {
				bad("%s: operation_id also listed at tools[%d]", where, j)
			} else {
				ops[t.OperationID] = i
			}
		}
		switch {
		case !toolSlugRE.MatchString(t.Slug):
			bad("%s: slug %q must be upper snake case", where, t.Slug)
		case !strings.HasPrefix(t.Slug, prefix):
			bad("%s: slug %q must start with %q", where, t.Slug, prefix)
		}
		if j, dup := slugs[t.Slug]; dup && t.Slug != "" {
			bad("%s: slug %q also used by tools[%d]", where, t.Slug, j)
		} else {
			slugs[t.Slug] = i
		}
		if strings.TrimSpace(t.Description) == "" {
			bad("%s: description is empty; say what it does, its key arguments and what it returns", where)
		}
		if t.BodyMediaType != "" {
			if mt, _, err := mime.ParseMediaType(t.BodyMediaType); err != nil || mt != t.BodyMediaType || !strings.Contains(mt, "/") {
				bad("%s: body_media_type %q must be a bare media type such as \"application/json\"", where, t.BodyMediaType)
			}
		}
		for k, p := range t.BodyProperties {
			if strings.TrimSpace(p) == "" || slices.Index(t.BodyProperties, p) != k {
				bad("%s: body_properties[%d] %q is empty or repeated", where, k, p)
			}
		}
		for k, p := range t.Pitfalls {
			if strings.TrimSpace(p) == "" {
				bad("%s: pitfalls[%d] is empty", where, k)
			}
		}
	}
	if w := m.WhoAmI; w != nil {
		if _, ok := slugs[w.Tool]; !ok {
			bad("whoami.tool %q is not one of the manifest's tool slugs", w.Tool)
		}
		if len(w.Label) == 0 {
			bad("whoami.label is empty; list the result fields that name the account, e.g. [\"login\"]")
		}
	}
	for i, p := range m.DropParameters {
		if strings.TrimSpace(p) == "" {
			bad("drop_parameters[%d] is empty", i)
		}
	}
	return errors.Join(errs...)
}

// ToolsWhoAmI converts the manifest's whoami entry to the catalog's type; nil when there is none.
func (m *Manifest) ToolsWhoAmI() *tools.WhoAmI {
	if m.WhoAmI == nil {
		return nil
	}
	return &tools.WhoAmI{Tool: m.WhoAmI.Tool, Label: slices.Clone(m.WhoAmI.Label), Arguments: maps.Clone(m.WhoAmI.Arguments)}
}

// Operation returns the tool entry for an operationId.
func (m *Manifest) Operation(operationID string) (Tool, bool) {
	for _, t := range m.Tools {
		if t.OperationID == operationID {
			return t, true
		}
	}
	return Tool{}, false
}

// ToolsAuthSchemes converts the manifest's auth schemes to the catalog's type.
func (m *Manifest) ToolsAuthSchemes() []tools.AuthScheme {
	out := make([]tools.AuthScheme, 0, len(m.AuthSchemes))
	for _, a := range m.AuthSchemes {
		out = append(out, tools.AuthScheme{
			Scheme:           a.Scheme,
			In:               a.In,
			Name:             a.Name,
			AuthorizationURL: a.AuthorizationURL,
			TokenURL:         a.TokenURL,
			DeviceURL:        a.DeviceURL,
			Scopes:           append([]string(nil), a.Scopes...),
			ScopeSeparator:   a.ScopeSeparator,
		})
	}
	return out
}
