package manifest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolmux/toolmux/tools"
)

const valid = `
slug = "acme"
name = "Acme"
description = "Acme's API."
categories = ["testing"]
base_url = "https://api.acme.test"

[source]
spec = "test-tools/node_modules/acme/openapi.json"
package = "acme@1.0.0"

[headers]
Accept = "application/json"

[[auth_schemes]]
scheme = "API_KEY"
in = "header"
name = "X-Api-Key"

[[auth_schemes]]
scheme = "OAUTH2"
authorization_url = "https://acme.test/authorize"
token_url = "https://acme.test/token"
scopes = ["read"]

[[tools]]
operation_id = "widgets/list"
slug = "ACME_LIST_WIDGETS"
description = "List widgets."
important = true
pitfalls = ["Paginated."]

[[tools]]
operation_id = "widgets/get"
slug = "ACME_GET_WIDGET"
name = "Get one widget"
description = "Get a widget."
`

func TestParseValid(t *testing.T) {
	m, err := Parse("acme/manifest.toml", []byte(valid))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := &Manifest{
		Slug:        "acme",
		Name:        "Acme",
		Description: "Acme's API.",
		Categories:  []string{"testing"},
		BaseURL:     "https://api.acme.test",
		Source:      Source{Spec: "test-tools/node_modules/acme/openapi.json", Package: "acme@1.0.0"},
		Headers:     map[string]string{"Accept": "application/json"},
		AuthSchemes: []AuthScheme{
			{Scheme: "API_KEY", In: "header", Name: "X-Api-Key"},
			{Scheme: "OAUTH2", AuthorizationURL: "https://acme.test/authorize", TokenURL: "https://acme.test/token", Scopes: []string{"read"}},
		},
		Tools: []Tool{
			{OperationID: "widgets/list", Slug: "ACME_LIST_WIDGETS", Description: "List widgets.", Important: true, Pitfalls: []string{"Paginated."}},
			{OperationID: "widgets/get", Slug: "ACME_GET_WIDGET", Name: "Get one widget", Description: "Get a widget."},
		},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}

	if got, ok := m.Operation("widgets/get"); !ok || got.Slug != "ACME_GET_WIDGET" {
		t.Errorf("Operation(widgets/get) = %+v, %v; want ACME_GET_WIDGET, true", got, ok)
	}
	if _, ok := m.Operation("widgets/delete"); ok {
		t.Errorf("Operation(widgets/delete) found an operation the manifest does not list")
	}

	wantSchemes := []tools.AuthScheme{
		{Scheme: tools.SchemeAPIKey, In: "header", Name: "X-Api-Key"},
		{Scheme: tools.SchemeOAuth2, AuthorizationURL: "https://acme.test/authorize", TokenURL: "https://acme.test/token", Scopes: []string{"read"}},
	}
	if diff := cmp.Diff(wantSchemes, m.ToolsAuthSchemes()); diff != "" {
		t.Errorf("ToolsAuthSchemes mismatch (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		// edit turns the valid manifest into a broken one.
		edit func(string) string
		// want are substrings the error must contain.
		want []string
	}{
		{
			name: "unknown top-level key names key and line",
			edit: func(s string) string {
				return strings.Replace(s, `name = "Acme"`, `name = "Acme"`+"\nbase_uri = \"x\"", 1)
			},
			want: []string{`unknown key "base_uri"`, "line 4"},
		},
		{
			name: "unknown tool key",
			edit: func(s string) string { return strings.Replace(s, `important = true`, `importent = true`, 1) },
			want: []string{`unknown key "tools.importent"`},
		},
		{
			name: "syntax error names the line",
			edit: func(s string) string { return strings.Replace(s, `name = "Acme"`, `name = "Acme`, 1) },
			want: []string{"line 3"},
		},
		{
			name: "bad toolkit slug",
			edit: func(s string) string { return strings.Replace(s, `slug = "acme"`, `slug = "Acme"`, 1) },
			want: []string{`slug "Acme" must be lower case`},
		},
		{
			name: "missing description",
			edit: func(s string) string { return strings.Replace(s, `description = "Acme's API."`, ``, 1) },
			want: []string{"description is empty"},
		},
		{
			name: "plain http base url",
			edit: func(s string) string { return strings.Replace(s, `https://api.acme.test`, `http://api.acme.test`, 1) },
			want: []string{"base_url", "absolute https URL"},
		},
		{
			name: "absolute source spec",
			edit: func(s string) string {
				return strings.Replace(s, `spec = "test-tools`, `spec = "/opt/specs/test-tools`, 1)
			},
			want: []string{"source.spec", "relative to the repository root"},
		},
		{
			name: "source spec escaping the repository",
			edit: func(s string) string { return strings.Replace(s, `spec = "test-tools`, `spec = "../test-tools`, 1) },
			want: []string{"source.spec", "stay inside it"},
		},
		{
			name: "source extra escaping the repository",
			edit: func(s string) string {
				return strings.Replace(s, `package = "acme@1.0.0"`, `package = "acme@1.0.0"`+"\nextra = \"../supplement.json\"", 1)
			},
			want: []string{"source.extra", "stay inside it"},
		},
		{
			name: "header value with newline",
			edit: func(s string) string {
				return strings.Replace(s, `Accept = "application/json"`, `Accept = "application/json\r\nX-Evil: 1"`, 1)
			},
			want: []string{"headers.Accept: value contains CR or LF"},
		},
		{
			name: "unknown auth scheme",
			edit: func(s string) string { return strings.Replace(s, `scheme = "API_KEY"`, `scheme = "APIKEY"`, 1) },
			want: []string{"auth_schemes[0] (APIKEY): unknown scheme"},
		},
		{
			name: "api key without placement",
			edit: func(s string) string { return strings.Replace(s, `in = "header"`, `in = "cookie"`, 1) },
			want: []string{`in must be "header" or "query"`},
		},
		{
			name: "oauth2 without token url",
			edit: func(s string) string { return strings.Replace(s, `token_url = "https://acme.test/token"`, ``, 1) },
			want: []string{"auth_schemes[1] (OAUTH2): token_url"},
		},
		{
			name: "scopes on a non-oauth scheme",
			edit: func(s string) string {
				return strings.Replace(s, `name = "X-Api-Key"`, `name = "X-Api-Key"`+"\nscopes = [\"x\"]", 1)
			},
			want: []string{"belong only to scheme OAUTH2"},
		},
		{
			name: "scope separator other than comma or space",
			edit: func(s string) string {
				return strings.Replace(s, `token_url = "https://acme.test/token"`, `token_url = "https://acme.test/token"`+"\nscope_separator = \";\"", 1)
			},
			want: []string{`auth_schemes[1] (OAUTH2): scope_separator ";" must be ","`},
		},
		{
			name: "tool slug without toolkit prefix",
			edit: func(s string) string { return strings.Replace(s, `ACME_GET_WIDGET`, `WIDGET_GET`, 1) },
			want: []string{`slug "WIDGET_GET" must start with "ACME_"`},
		},
		{
			name: "tool slug not upper snake",
			edit: func(s string) string { return strings.Replace(s, `ACME_GET_WIDGET`, `ACME_getWidget`, 1) },
			want: []string{"must be upper snake case"},
		},
		{
			name: "duplicate operation and slug",
			edit: func(s string) string {
				s = strings.Replace(s, `operation_id = "widgets/get"`, `operation_id = "widgets/list"`, 1)
				return strings.Replace(s, `ACME_GET_WIDGET`, `ACME_LIST_WIDGETS`, 1)
			},
			want: []string{"operation_id also listed at tools[0]", `slug "ACME_LIST_WIDGETS" also used by tools[0]`},
		},
		{
			name: "tool without description",
			edit: func(s string) string { return strings.Replace(s, `description = "Get a widget."`, ``, 1) },
			want: []string{"tools[1] (widgets/get): description is empty"},
		},
		{
			name: "empty pitfall",
			edit: func(s string) string { return strings.Replace(s, `["Paginated."]`, `[" "]`, 1) },
			want: []string{"pitfalls[0] is empty"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.edit(valid)
			if doc == valid {
				t.Fatal("edit changed nothing; the test case no longer matches the fixture")
			}
			_, err := Parse("acme/manifest.toml", []byte(doc))
			if err == nil {
				t.Fatal("Parse accepted a broken manifest")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), "acme/manifest.toml") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestParseNoToolsNoAuth(t *testing.T) {
	doc := `slug = "bare"
name = "Bare"
description = "Nothing."
base_url = "https://bare.test"
[source]
spec = "x.json"
`
	_, err := Parse("bare/manifest.toml", []byte(doc))
	if err == nil {
		t.Fatal("Parse accepted a manifest without tools and auth schemes")
	}
	for _, w := range []string{"auth_schemes is empty", "no [[tools]]"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}
