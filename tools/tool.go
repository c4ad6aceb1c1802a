// Package tools is the catalog model of toolmux: toolkits, tools, their slugs, tags and schemas, the filter that
// decides what a session may see, the search index over a catalog, argument validation, and the Executor seam
// through which a tool call reaches its service.
//
// It depends on nothing else in toolmux. Importers (tools/openapi, later tools/mcpproxy) produce Toolkit values;
// the session composes a Catalog from them.
package tools

import (
	"context"
	"encoding/json"
)

// Source says where a toolkit's tools come from.
type Source string

// The toolkit sources.
const (
	SourceOpenAPI Source = "openapi"
	SourceMCP     Source = "mcp"
	SourceGraphQL Source = "graphql"
)

// Auth scheme names, as Composio spells them.
const (
	SchemeOAuth2      = "OAUTH2"
	SchemeAPIKey      = "API_KEY"
	SchemeBearerToken = "BEARER_TOKEN"
	SchemeBasic       = "BASIC"
	SchemeNoAuth      = "NO_AUTH"
)

// Annotations are the MCP tool annotations, derived from the HTTP method for OpenAPI tools.
type Annotations struct {
	ReadOnly    bool `json:"readOnlyHint,omitempty"`
	Destructive bool `json:"destructiveHint,omitempty"`
	Idempotent  bool `json:"idempotentHint,omitempty"`
	OpenWorld   bool `json:"openWorldHint,omitempty"`
}

// Tag names derived from annotations; they are what a session's tag filter matches.
const (
	TagReadOnly    = "readOnlyHint"
	TagDestructive = "destructiveHint"
	TagIdempotent  = "idempotentHint"
	TagOpenWorld   = "openWorldHint"
	TagImportant   = "important"
)

// AuthScheme is one way a toolkit's API accepts credentials.
type AuthScheme struct {
	// Scheme is one of the Scheme* constants.
	Scheme string `json:"scheme"`
	// In and Name place an API key: In is "header" or "query", Name the header or parameter name.
	In   string `json:"in,omitempty"`
	Name string `json:"name,omitempty"`
	// OAuth2 endpoints and default scopes, when Scheme is OAUTH2.
	AuthorizationURL string   `json:"authorization_url,omitempty"`
	TokenURL         string   `json:"token_url,omitempty"`
	DeviceURL        string   `json:"device_url,omitempty"`
	Scopes           []string `json:"scopes,omitempty"`
	// ScopeSeparator joins the scopes in the authorization request when the provider wants other than the space
	// OAuth 2.0 specifies: Slack and Linear take "read,write".
	ScopeSeparator string `json:"scope_separator,omitempty"`
}

// Toolkit is a named set of tools that share a service, a base URL and auth schemes.
type Toolkit struct {
	Slug        string       `json:"slug"`
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Categories  []string     `json:"categories,omitempty"`
	Source      Source       `json:"source"`
	BaseURL     string       `json:"base_url,omitempty"`
	AuthSchemes []AuthScheme `json:"auth_schemes,omitempty"`
	// DefaultHeaders are sent with every request to the toolkit's API unless a tool argument sets the same header
	// (curated toolkits pin Accept and API version headers this way).
	DefaultHeaders map[string]string `json:"default_headers,omitempty"`
	Version        string            `json:"version,omitempty"`
	// WhoAmI names the tool that describes the connected account, used to label an account after connecting;
	// nil when the API has no such call.
	WhoAmI *WhoAmI `json:"whoami,omitempty"`
	Tools  []*Tool `json:"tools"`
}

// WhoAmI is a toolkit's "who am I" call: a tool that takes no required arguments and answers with the connected
// account's identity.
type WhoAmI struct {
	// Tool is the tool's slug, e.g. "GITHUB_GET_AUTHENTICATED_USER".
	Tool string `json:"tool"`
	// Label lists dotted paths into the tool's JSON result, tried in order; the first non-empty string is the
	// account's label (e.g. ["login"] for GitHub, ["user", "team"] for Slack's auth.test).
	Label []string `json:"label"`
	// Arguments are the tool's arguments for the call; nil means none.
	Arguments map[string]any `json:"arguments,omitempty"`
}

// Tool is one operation an agent can call.
type Tool struct {
	// Slug is TOOLKIT_ACTION in upper snake case, unique in a catalog.
	Slug        string `json:"slug"`
	Toolkit     string `json:"toolkit"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// InputSchema and OutputSchema are JSON Schema 2020-12 documents. InputSchema is always an object schema.
	InputSchema  json.RawMessage `json:"input_schema"`
	OutputSchema json.RawMessage `json:"output_schema,omitempty"`
	// Tags are annotation names, "important", and the source's own tags (OpenAPI tags).
	Tags        []string    `json:"tags,omitempty"`
	Annotations Annotations `json:"annotations"`
	Important   bool        `json:"important,omitempty"`
	Version     string      `json:"version,omitempty"`
	// Pitfalls are short warnings an agent should read before calling the tool.
	Pitfalls []string `json:"pitfalls,omitempty"`
	// About is what the source says of the things the tool works with, beyond the operation itself: for OpenAPI,
	// the descriptions of the operation's tags and of the object its successful response returns ("An attachment
	// object represents any file attached to a task…"). Search indexes it as a low-weight field; search results
	// and tool schemas do not send it to MCP clients.
	About []string `json:"about,omitempty"`
	// HTTP binds the tool to an HTTP operation; nil for tools of other sources.
	HTTP *HTTPBinding `json:"http,omitempty"`
	// GraphQL binds the tool to one fixed GraphQL operation; nil for tools of other sources.
	GraphQL *GraphQLBinding `json:"graphql,omitempty"`
}

// GraphQLBinding is one fixed GraphQL operation: the tool's arguments are its variables, sent as they are.
type GraphQLBinding struct {
	// Query is the GraphQL document holding exactly one named query or mutation.
	Query string `json:"query"`
	// OperationName is that operation's name, sent as operationName.
	OperationName string `json:"operation_name"`
	// ResultPath is a dotted path into the response's data naming the tool's result ("issueCreate"); empty means
	// all of data.
	ResultPath string `json:"result_path,omitempty"`
}

// HasTag reports whether the tool carries tag.
func (t *Tool) HasTag(tag string) bool {
	for _, x := range t.Tags {
		if x == tag {
			return true
		}
	}
	return false
}

// Parameter locations of an HTTP binding.
const (
	InPath   = "path"
	InQuery  = "query"
	InHeader = "header"
	InBody   = "body"
)

// HTTPBinding maps a tool's flat arguments onto one HTTP request.
type HTTPBinding struct {
	Method string `json:"method"`
	// Path is the operation's path template, "/repos/{owner}/{repo}/issues", relative to the toolkit's base URL.
	Path string `json:"path"`
	// BaseURL, when set, replaces the toolkit's base URL for this operation: the document gives the operation a
	// server of its own ("https://uploads.github.com" for release assets). Empty means the toolkit's.
	BaseURL string `json:"base_url,omitempty"`
	// Params lists every argument that is not a body property.
	Params []HTTPParam `json:"params,omitempty"`
	// Body describes the request body, nil when the operation takes none.
	Body *HTTPBody `json:"body,omitempty"`
}

// HTTPParam is one path, query or header parameter.
type HTTPParam struct {
	// Arg is the argument's name in the tool's input schema.
	Arg string `json:"arg"`
	// Name is the parameter's name on the wire (differs from Arg only after a clash was resolved).
	Name string `json:"name"`
	// In is InPath, InQuery or InHeader.
	In       string `json:"in"`
	Required bool   `json:"required,omitempty"`
	// MultiSegment marks a path parameter whose value may span several segments ("src/main.go", a branch
	// "feature/x"): its "/" are kept, each segment escaped (OpenAPI extension x-multi-segment).
	MultiSegment bool `json:"multi_segment,omitempty"`
	// Explode is false for query arrays that are sent comma-separated (OpenAPI style form, explode false).
	Explode *bool `json:"explode,omitempty"`
}

// HTTPBody describes how arguments become the request body.
type HTTPBody struct {
	// ContentType is application/json, application/x-www-form-urlencoded or multipart/form-data.
	ContentType string `json:"content_type"`
	Required    bool   `json:"required,omitempty"`
	// Props maps argument names to body property names when the body is an object whose properties are
	// top-level arguments.
	Props map[string]string `json:"props,omitempty"`
	// Arg is the single argument that carries the whole body when it is not a flattened object.
	Arg string `json:"arg,omitempty"`
}

// Call is one tool invocation.
type Call struct {
	Tool      *Tool
	Arguments map[string]any
	// Account selects a connected account by id or alias; empty means the default one.
	Account string
}

// Result is what a service answered.
type Result struct {
	// Data is the decoded response: a JSON value, or a string for non-JSON bodies.
	Data any
	// Status is the HTTP status, 0 for other sources.
	Status int
}

// Executor runs tool calls against a toolkit's service.
type Executor interface {
	Execute(ctx context.Context, call Call) (Result, error)
}
