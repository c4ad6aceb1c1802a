package openapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v4"

	"github.com/toolmux/toolmux/tools"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// Real-world documents, relative to this package.
var (
	githubSpec = filepath.Join("..", "..", "test-tools", "node_modules", "@octokit", "openapi", "generated", "api.github.com.json")
	evalDir    = filepath.Join("..", "..", "..", "shared", "eval")
)

// skipOrFail skips a test whose external component is missing, except under CI, where it fails.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return data
}

// readExternal reads a document that lives outside the package (node_modules, the shared eval set).
func readExternal(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		skipOrFail(t, "%s missing (%v); run npm ci in test-tools", path, err)
	}
	return data
}

func mustImport(t testing.TB, file string, opts Options) (*tools.Toolkit, []Warning) {
	t.Helper()
	tk, warnings, err := Import(context.Background(), filepath.Base(file), readFile(t, file), opts)
	if err != nil {
		t.Fatalf("Import(%s): %v", file, err)
	}
	return tk, warnings
}

func toolBySlug(t testing.TB, tk *tools.Toolkit, slug string) *tools.Tool {
	t.Helper()
	for _, tl := range tk.Tools {
		if tl.Slug == slug {
			return tl
		}
	}
	var slugs []string
	for _, tl := range tk.Tools {
		slugs = append(slugs, tl.Slug)
	}
	t.Fatalf("no tool %s; have %v", slug, slugs)
	return nil
}

// TestImportGolden compares the whole toolkit and the warnings of each small document with its golden file.
// Run with -update to rewrite them after a deliberate change, and review the diff.
func TestImportGolden(t *testing.T) {
	for _, tc := range []struct{ file, slug string }{
		{"petstore.yaml", "petstore"},
		{"tasks31.json", "tasks"},
		{"swagger2.yaml", "files"},
		{"circular.yaml", "org"},
		{"clash.yaml", "clash"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			tk, warnings := mustImport(t, filepath.Join("testdata", tc.file), Options{Slug: tc.slug})
			var ws []string
			for _, w := range warnings {
				ws = append(ws, w.String())
			}
			got, err := json.MarshalIndent(struct {
				Toolkit  *tools.Toolkit `json:"toolkit"`
				Warnings []string       `json:"warnings"`
			}{tk, ws}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", strings.TrimSuffix(tc.file, filepath.Ext(tc.file))+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := readFile(t, golden)
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("toolkit differs from %s (-want +got; rerun with -update if intended):\n%s", golden, diff)
			}
		})
	}
}

// TestImportErrors checks that refusals are *ImportErrors naming the file and the construct.
func TestImportErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		file      string
		data      string // used when file is empty
		opts      Options
		construct string
		reason    string
	}{
		{name: "remote ref", file: "remote-ref.yaml", construct: "#/paths/~1repos/get/parameters/0",
			reason: `remote $ref "http://x" refused: only local references (#/...) are supported`},
		{name: "file ref", file: "file-ref.json", construct: "#/paths/~1a/get/responses/200/content/application~1json/schema",
			reason: `file $ref "common.yaml#/components/schemas/A" refused`},
		{name: "missing ref", file: "missing-ref.yaml", construct: "#/paths/~1a/get/responses/200/content/application~1json/schema",
			reason: `$ref "#/components/schemas/Nope" does not resolve`},
		{name: "malformed JSON", file: "malformed.json", construct: "document", reason: "invalid JSON: line 1 column 91: unexpected end of input"},
		{name: "not OpenAPI", file: "not-openapi.json", construct: "openapi version", reason: "neither an openapi nor a swagger field"},
		{name: "future version", file: "version4.yaml", construct: "openapi version", reason: `unsupported OpenAPI version "4.0.0"`},
		{name: "YAML alias cycle", file: "alias-cycle.yaml", construct: "#/components/schemas/A/properties/self", reason: "cycle"},
		{name: "too large", file: "petstore.yaml", opts: Options{Slug: "p", MaxBytes: 100}, construct: "document", reason: "over the limit of 100 bytes"},
		{name: "missing include", file: "petstore.yaml", opts: Options{Slug: "p", Include: map[string]Override{"listPets": {}, "nope": {}}},
			construct: "include", reason: `operationId "nope" not found`},
		{name: "duplicate override slug", file: "petstore.yaml", opts: Options{Slug: "p", Include: map[string]Override{"listPets": {Slug: "P_X"}, "createPets": {Slug: "P_X"}}},
			construct: "include", reason: "override slug P_X is set for"},
		{name: "empty", data: " \n", construct: "document", reason: "the document is empty"},
		{name: "scalar", data: "42", construct: "document", reason: "not an object"},
		{name: "swagger 1.2", data: `{"swagger": "1.2"}`, construct: "openapi version", reason: `unsupported swagger version "1.2"`},
		{name: "deep nesting", data: `{"openapi":"3.0.0","x":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + "}",
			construct: "document", reason: "nested deeper than 256 levels"},
		{name: "no slug, no title", data: `{"openapi":"3.0.0","info":{"title":"","version":"1"},"paths":{}}`, construct: "slug", reason: "pass --slug"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.data)
			name := "inline.json"
			if tc.file != "" {
				data = readFile(t, filepath.Join("testdata", tc.file))
				name = tc.file
			}
			opts := tc.opts
			if opts.Slug == "" && tc.construct != "slug" {
				opts.Slug = "t"
			}
			tk, _, err := Import(context.Background(), name, data, opts)
			if err == nil {
				t.Fatalf("Import succeeded with %d tools, want an error", len(tk.Tools))
			}
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("error is %T, want *ImportError: %v", err, err)
			}
			if ie.File != name || ie.Construct != tc.construct {
				t.Errorf("ImportError{File: %q, Construct: %q}, want {%q, %q}", ie.File, ie.Construct, name, tc.construct)
			}
			prefix := "import " + name + ": " + tc.construct + ": "
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q\nwant prefix %q and %q", err, prefix, tc.reason)
			}
		})
	}
}

func TestImportRemoteRefIsErrRemoteRef(t *testing.T) {
	_, _, err := Import(context.Background(), "r.yaml", readFile(t, "testdata/remote-ref.yaml"), Options{Slug: "r"})
	if !errors.Is(err, errRemoteRef) {
		t.Errorf("errors.Is(%v, errRemoteRef) = false", err)
	}
}

func TestImportCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := Import(ctx, "petstore.yaml", readFile(t, "testdata/petstore.yaml"), Options{Slug: "p"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Import with a cancelled context: %v, want context.Canceled", err)
	}
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Errorf("error is %T, want *ImportError", err)
	}
}

// TestImportClashes checks the argument naming rule: path > query > header > body, later ones prefixed.
func TestImportClashes(t *testing.T) {
	tk, warnings := mustImport(t, "testdata/clash.yaml", Options{Slug: "clash"})
	tl := toolBySlug(t, tk, "CLASH_ITEMS_UPDATE_3")
	wantParams := []tools.HTTPParam{
		{Arg: "id", Name: "id", In: "path", Required: true},
		{Arg: "query_id", Name: "id", In: "query"},
		{Arg: "page_size", Name: "page[size]", In: "query"},
		{Arg: "query_page_size", Name: "page_size", In: "query"},
		{Arg: "header_id", Name: "id", In: "header"},
	}
	if diff := cmp.Diff(wantParams, tl.HTTP.Params); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	wantBody := &tools.HTTPBody{ContentType: "application/x-www-form-urlencoded", Props: map[string]string{"body_id": "id", "name": "name"}}
	if diff := cmp.Diff(wantBody, tl.HTTP.Body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	var schema struct {
		Properties map[string]any `json:"properties"`
		Required   []string       `json:"required"`
	}
	if err := json.Unmarshal(tl.InputSchema, &schema); err != nil {
		t.Fatal(err)
	}
	args := slices.Sorted(maps.Keys(schema.Properties))
	if diff := cmp.Diff([]string{"body_id", "header_id", "id", "name", "page_size", "query_id", "query_page_size"}, args); diff != "" {
		t.Errorf("arguments (-want +got):\n%s", diff)
	}
	// The body is optional, so its required property is not a required argument.
	if diff := cmp.Diff([]string{"id"}, schema.Required); diff != "" {
		t.Errorf("required (-want +got):\n%s", diff)
	}

	var slugs []string
	for _, tl := range tk.Tools {
		slugs = append(slugs, tl.Slug)
	}
	// Path order: /items (GET, POST, DELETE), then /items/{id}.
	if diff := cmp.Diff([]string{"CLASH_ITEMS_UPDATE", "CLASH_ITEMS_UPDATE_2", "CLASH_DELETE_ITEMS", "CLASH_ITEMS_UPDATE_3"}, slugs); diff != "" {
		t.Errorf("slugs (-want +got):\n%s", diff)
	}
	collisions := 0
	for _, w := range warnings {
		if strings.Contains(w.Message, "is already used by") {
			collisions++
		}
	}
	if collisions != 2 {
		t.Errorf("got %d collision warnings, want 2: %v", collisions, warnings)
	}
	if tk.BaseURL != "" {
		t.Errorf("BaseURL = %q for a relative server URL, want empty", tk.BaseURL)
	}
}

// TestImportAnnotations checks annotations and tags per HTTP method.
func TestImportAnnotations(t *testing.T) {
	tk, _ := mustImport(t, "testdata/petstore.yaml", Options{Slug: "petstore"})
	for _, tc := range []struct {
		slug string
		ann  tools.Annotations
		tags []string
	}{
		{"PETSTORE_LISTPETS", tools.Annotations{ReadOnly: true, Idempotent: true, OpenWorld: true}, []string{"readOnlyHint", "idempotentHint", "openWorldHint", "pets"}},
		{"PETSTORE_CREATEPETS", tools.Annotations{OpenWorld: true}, []string{"openWorldHint", "pets"}},
		{"PETSTORE_REPLACEPET", tools.Annotations{Idempotent: true, OpenWorld: true}, []string{"idempotentHint", "openWorldHint", "pets"}},
		{"PETSTORE_DELETEPET", tools.Annotations{Destructive: true, Idempotent: true, OpenWorld: true}, []string{"destructiveHint", "idempotentHint", "openWorldHint", "pets", "deprecated"}},
		{"PETSTORE_HEAD_PETS_PETID_PHOTO", tools.Annotations{ReadOnly: true, Idempotent: true, OpenWorld: true}, []string{"readOnlyHint", "idempotentHint", "openWorldHint"}},
	} {
		t.Run(tc.slug, func(t *testing.T) {
			tl := toolBySlug(t, tk, tc.slug)
			if diff := cmp.Diff(tc.ann, tl.Annotations); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.tags, tl.Tags); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
		})
	}
}

// TestImportOptions checks overrides, the include list and the toolkit fields options set.
func TestImportOptions(t *testing.T) {
	tk, _ := mustImport(t, "testdata/petstore.yaml", Options{
		Slug:        "Pet Store",
		Name:        "Pets",
		Description: "Our pets.",
		BaseURL:     "https://pets.internal/api/",
		Include: map[string]Override{
			"listPets":  {Slug: "PETSTORE_LIST_PETS", Important: true, Pitfalls: []string{"limit is capped at 100"}},
			"deletePet": {Name: "Remove a pet", Description: "Removes a pet for good."},
		},
	})
	if tk.Slug != "pet_store" || tk.Name != "Pets" || tk.Description != "Our pets." || tk.BaseURL != "https://pets.internal/api" {
		t.Errorf("toolkit = {%q, %q, %q, %q}", tk.Slug, tk.Name, tk.Description, tk.BaseURL)
	}
	if len(tk.Tools) != 2 {
		t.Fatalf("got %d tools, want the 2 included", len(tk.Tools))
	}
	list := toolBySlug(t, tk, "PETSTORE_LIST_PETS")
	if !list.Important || !list.HasTag(tools.TagImportant) || len(list.Pitfalls) != 1 {
		t.Errorf("listPets: important %v, tags %v, pitfalls %v", list.Important, list.Tags, list.Pitfalls)
	}
	del := toolBySlug(t, tk, "PET_STORE_DELETEPET")
	if del.Name != "Remove a pet" || del.Description != "Removes a pet for good." {
		t.Errorf("deletePet: name %q, description %q", del.Name, del.Description)
	}

	// Without a slug the title names the toolkit.
	tk, _ = mustImport(t, "testdata/petstore.yaml", Options{})
	if tk.Slug != "swagger_petstore" || tk.Tools[0].Slug != "SWAGGER_PETSTORE_LISTPETS" {
		t.Errorf("derived slug %q, first tool %q", tk.Slug, tk.Tools[0].Slug)
	}
}

// TestImportOperationServer checks that an operation's own server becomes its binding's base URL, unless the caller
// set the base URL.
func TestImportOperationServer(t *testing.T) {
	tk, _ := mustImport(t, "testdata/petstore.yaml", Options{Slug: "petstore"})
	if got := toolBySlug(t, tk, "PETSTORE_PUT_PETS_PETID_PHOTO").HTTP.BaseURL; got != "https://uploads.petstore.example.com/v1" {
		t.Errorf("binding BaseURL = %q, want the operation's server", got)
	}
	if got := toolBySlug(t, tk, "PETSTORE_LISTPETS").HTTP.BaseURL; got != "" {
		t.Errorf("binding BaseURL = %q for an operation without a server of its own, want empty", got)
	}

	tk, warnings := mustImport(t, "testdata/petstore.yaml", Options{Slug: "petstore", BaseURL: "http://127.0.0.1:4010"})
	if got := toolBySlug(t, tk, "PETSTORE_PUT_PETS_PETID_PHOTO").HTTP.BaseURL; got != "" {
		t.Errorf("binding BaseURL = %q although the caller set the base URL, want empty", got)
	}
	found := false
	for _, w := range warnings {
		found = found || w.Construct == "#/paths/~1pets~1{petId}~1photo/put/servers" && strings.Contains(w.Message, "is ignored")
	}
	if !found {
		t.Errorf("no warning about the ignored operation server: %v", warnings)
	}
}

// TestImportYAMLMatchesJSON imports the same document as YAML and as JSON.
func TestImportYAMLMatchesJSON(t *testing.T) {
	data := readFile(t, "testdata/petstore.yaml")
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, _, err := Import(context.Background(), "p.yaml", data, Options{Slug: "p"})
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, _, err := Import(context.Background(), "p.json", js, Options{Slug: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromYAML, fromJSON); diff != "" {
		t.Errorf("YAML and JSON imports differ (-yaml +json):\n%s", diff)
	}
}

// TestSchemaConversion checks the OpenAPI → JSON Schema rules on single properties of a request body.
func TestSchemaConversion(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version string
		schema  string // YAML of the property "v"
		want    string // JSON of the converted property
	}{
		{"nullable", "3.0.3", `{type: string, nullable: true}`, `{"type":["string","null"]}`},
		{"nullable enum", "3.0.3", `{type: string, enum: [a], nullable: true}`, `{"enum":["a",null],"type":["string","null"]}`},
		{"exclusive bounds 3.0", "3.0.3", `{type: number, minimum: 1, exclusiveMinimum: true, maximum: 5, exclusiveMaximum: true}`,
			`{"exclusiveMaximum":5,"exclusiveMinimum":1,"type":"number"}`},
		{"exclusive bounds 3.1", "3.1.0", `{type: number, exclusiveMinimum: 1, maximum: 5}`, `{"exclusiveMinimum":1,"maximum":5,"type":"number"}`},
		{"example", "3.0.3", `{type: string, example: abc}`, `{"examples":["abc"],"type":"string"}`},
		{"large example dropped", "3.0.3", `{type: string, example: "` + strings.Repeat("x", 400) + `"}`, `{"type":"string"}`},
		{"openapi-only keywords", "3.0.3", `{type: object, discriminator: {propertyName: k}, xml: {name: v}, externalDocs: {url: "https://x"}, x-extra: 1, properties: {k: {type: string}}}`,
			`{"properties":{"k":{"type":"string"}},"type":"object"}`},
		{"readOnly left out", "3.0.3", `{type: object, required: [id, n], properties: {id: {type: string, readOnly: true}, n: {type: integer}}}`,
			`{"properties":{"n":{"type":"integer"}},"required":["n"],"type":"object"}`},
		{"allOf merged", "3.0.3", `{allOf: [{type: object, required: [a], properties: {a: {type: string}}}, {type: object, properties: {b: {type: integer}}}]}`,
			`{"properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["a"],"type":"object"}`},
		{"allOf kept", "3.0.3", `{allOf: [{type: string}, {maxLength: 3}]}`, `{"allOf":[{"type":"string"},{"maxLength":3}]}`},
		{"oneOf titles", "3.0.3", `{oneOf: [{type: string, title: Name}, {type: integer, title: Id}]}`,
			`{"oneOf":[{"title":"Name","type":"string"},{"title":"Id","type":"integer"}]}`},
		{"type list and const", "3.1.0", `{type: [string, "null"], const: x}`, `{"const":"x","type":["string","null"]}`},
		{"keywords kept", "3.0.3", `{type: array, items: {type: string, format: email, pattern: "^a"}, minItems: 1, maxItems: 3, uniqueItems: true, default: [a@b.c], description: Emails.}`,
			`{"default":["a@b.c"],"description":"Emails.","items":{"format":"email","pattern":"^a","type":"string"},"maxItems":3,"minItems":1,"type":"array","uniqueItems":true}`},
		{"additionalProperties", "3.0.3", `{type: object, additionalProperties: {type: integer}}`, `{"additionalProperties":{"type":"integer"},"type":"object"}`},
		{"boolean schema", "3.1.0", `true`, `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := "openapi: " + tc.version + "\ninfo: {title: T, version: '1'}\npaths:\n  /x:\n    post:\n      operationId: x\n" +
				"      requestBody:\n        content:\n          application/json:\n            schema:\n              type: object\n" +
				"              properties:\n                v: " + tc.schema + "\n      responses: {'204': {description: ok}}\n"
			tk, _, err := Import(context.Background(), "s.yaml", []byte(doc), Options{Slug: "s"})
			if err != nil {
				t.Fatal(err)
			}
			var in struct {
				Properties map[string]json.RawMessage `json:"properties"`
			}
			if err := json.Unmarshal(tk.Tools[0].InputSchema, &in); err != nil {
				t.Fatal(err)
			}
			if got := string(in.Properties["v"]); got != tc.want {
				t.Errorf("converted schema\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestImportRecursion checks that reference cycles are cut, in inputs and outputs.
func TestImportRecursion(t *testing.T) {
	tk, _ := mustImport(t, "testdata/circular.yaml", Options{Slug: "org"})
	person := toolBySlug(t, tk, "ORG_GETPERSON")
	if !bytes.Contains(person.OutputSchema, []byte(`(recursive Person)`)) {
		t.Errorf("output schema of getPerson does not cut the Person ↔ Company cycle: %s", person.OutputSchema)
	}
	node := toolBySlug(t, tk, "ORG_CREATENODE")
	if !bytes.Contains(node.InputSchema, []byte(`(recursive Node)`)) {
		t.Errorf("input schema of createNode does not cut the Node cycle: %s", node.InputSchema)
	}
}

func TestImportRepairs(t *testing.T) {
	for _, tc := range []struct {
		name, doc, construct string
	}{
		{"items list", `{"openapi":"3.0.0","info":{"title":"T","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok",
			"content":{"application/json":{"schema":{"type":"array","items":[{"type":"string"},{"type":"integer"}]}}}}}}}}}`,
			"#/paths/~1a/get/responses/200/content/application~1json/schema/items"},
		{"invalid keyword left out", `{"openapi":"3.0.0","info":{"title":"T","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok",
			"content":{"application/json":{"schema":{"type":"string","pattern":5}}}}}}}}}`,
			"#/paths/~1a/get/responses/200/content/application~1json/schema/pattern"},
		{"schema refers to a response", `{"openapi":"3.0.0","info":{"title":"T","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok",
			"content":{"application/json":{"schema":{"$ref":"#/components/responses/R"}}}}}}}},"components":{"responses":{"R":{"description":"r"}}}}`,
			"#/paths/~1a/get/responses/200/content/application~1json/schema"},
		{"schema refers to the whole document", `{"openapi":"3.0.0","info":{"title":"T","version":"1"},"paths":{"/a":{"post":{"requestBody":{"content":{"application/json":
			{"schema":{"$ref":"#"}}}},"responses":{"204":{"description":"ok"}}}}}}`,
			"#/paths/~1a/post/requestBody/content/application~1json/schema"},
		{"schema refers to components", `{"openapi":"3.0.0","info":{"title":"T","version":"1"},"paths":{"/a":{"post":{"requestBody":{"content":{"application/json":
			{"schema":{"$ref":"#/components"}}}},"responses":{"204":{"description":"ok"}}}}},"components":{}}`,
			"#/paths/~1a/post/requestBody/content/application~1json/schema"},
		{"discriminator mapping to files", `{"openapi":"3.0.0","info":{"title":"T","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok",
			"content":{"application/json":{"schema":{"type":"object","discriminator":{"propertyName":"t","mapping":{"a":"a.yaml#/A"}}}}}}}}}}}`,
			""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tk, warnings, err := Import(context.Background(), "r.json", []byte(tc.doc), Options{Slug: "r"})
			if err != nil {
				t.Fatal(err)
			}
			if len(tk.Tools) != 1 {
				t.Fatalf("got %d tools, want 1", len(tk.Tools))
			}
			var got []string
			for _, w := range warnings {
				if w.Construct != "servers" { // these documents name no server
					got = append(got, w.Construct)
				}
			}
			var want []string
			if tc.construct != "" {
				want = []string{tc.construct}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("warning constructs (-want +got):\n%s\nwarnings: %v", diff, warnings)
			}
		})
	}
}

func TestToolSlug(t *testing.T) {
	for _, tc := range []struct{ toolkit, opID, method, path, want string }{
		{"github", "issues/create", "POST", "/repos/{owner}/{repo}/issues", "GITHUB_ISSUES_CREATE"},
		{"github", "repos/get-content", "GET", "/x", "GITHUB_REPOS_GET_CONTENT"},
		{"slack", "chat_postMessage", "POST", "/chat.postMessage", "SLACK_CHAT_POSTMESSAGE"},
		{"stripe", "GetCustomersCustomer", "GET", "/v1/customers/{customer}", "STRIPE_GETCUSTOMERSCUSTOMER"},
		{"x", "--a..b__c--", "GET", "/", "X_A_B_C"},
		{"petstore", "", "GET", "/pets/{id}", "PETSTORE_GET_PETS_ID"},
		{"petstore", "$%", "DELETE", "/pets/{petId}/photo", "PETSTORE_DELETE_PETS_PETID_PHOTO"},
		{"my-api", "list", "GET", "/", "MY_API_LIST"},
	} {
		if got := ToolSlug(tc.toolkit, tc.opID, tc.method, tc.path); got != tc.want {
			t.Errorf("ToolSlug(%q, %q, %q, %q) = %q, want %q", tc.toolkit, tc.opID, tc.method, tc.path, got, tc.want)
		}
	}
}

func TestArgName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"owner", "owner"},
		{"X-GitHub-Api-Version", "X-GitHub-Api-Version"},
		{"_id", "_id"},
		{"page[size]", "page_size"},
		{"filter[created][gt]", "filter_created_gt"},
		{"$top", "top"},
		{"名前", "arg"},
		{strings.Repeat("a", 70), strings.Repeat("a", 64)},
	} {
		if got := argName(tc.in); got != tc.want {
			t.Errorf("argName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTruncateText(t *testing.T) {
	long := strings.Repeat("word ", 40) // 200 bytes
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"  short  ", 10, "short"},
		{"First sentence here. Second sentence is longer than the limit.", 36, "First sentence here."},
		{long, 23, "word word word word…"},
		{"ééééé", 5, "éé…"},
		{"anything", 0, ""},
	} {
		if got := truncateText(tc.in, tc.max); got != tc.want {
			t.Errorf("truncateText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// TestImportRealSpecs imports the documents the search evaluation uses and checks that every slug its queries
// expect exists: the slug rule, not search.
func TestImportRealSpecs(t *testing.T) {
	for _, tc := range []struct {
		name, file, slug, eval string
		tools                  int // 0: do not check the count
		mustHave               []string
	}{
		{"github", githubSpec, "github", "github-dev.jsonl", 1223, []string{"GITHUB_ISSUES_CREATE", "GITHUB_REPOS_GET_CONTENT"}},
		{"slack", filepath.Join(evalDir, "specs", "slack_web_openapi_v2.json"), "slack", "slack-dev.jsonl", 174, []string{"SLACK_CHAT_POSTMESSAGE"}},
		{"asana", filepath.Join(evalDir, "specs", "asana.com.json"), "asana", "asana-dev.jsonl", 167, nil},
		{"stripe", filepath.Join(evalDir, "specs", "stripe.com.json"), "stripe", "stripe-dev.jsonl", 452, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := readExternal(t, tc.file)
			tk, warnings, err := Import(context.Background(), filepath.Base(tc.file), data, Options{Slug: tc.slug})
			if err != nil {
				t.Fatal(err)
			}
			if tc.tools != 0 && len(tk.Tools) != tc.tools {
				t.Errorf("got %d tools, want %d", len(tk.Tools), tc.tools)
			}
			for _, w := range warnings {
				if strings.Contains(w.Message, "is already used by") {
					t.Errorf("slug collision: %s", w)
				}
			}
			have := map[string]bool{}
			for _, tl := range tk.Tools {
				have[tl.Slug] = true
				if len(tl.OutputSchema) > maxOutputSchema+maxOutputSchema/10 {
					t.Errorf("%s: output schema is %d bytes", tl.Slug, len(tl.OutputSchema))
				}
			}
			for _, s := range tc.mustHave {
				if !have[s] {
					t.Errorf("missing tool %s", s)
				}
			}
			for _, s := range evalSlugs(t, filepath.Join(evalDir, tc.eval)) {
				if !have[s] {
					t.Errorf("%s expects %s, which the import does not have", tc.eval, s)
				}
			}
		})
	}
}

// evalSlugs returns every slug the eval file's queries expect.
func evalSlugs(t *testing.T, path string) []string {
	t.Helper()
	data := readExternal(t, path)
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var rec struct {
			Expect []string `json:"expect"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, rec.Expect...)
	}
	if len(out) == 0 {
		t.Fatalf("%s has no expected slugs", path)
	}
	return out
}

// BenchmarkImportGitHub imports the full GitHub REST description (13 MB JSON, 1,223 operations).
func BenchmarkImportGitHub(b *testing.B) {
	data := readExternal(b, githubSpec)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		tk, _, err := Import(context.Background(), "api.github.com.json", data, Options{Slug: "github"})
		if err != nil {
			b.Fatal(err)
		}
		if len(tk.Tools) != 1223 {
			b.Fatalf("got %d tools", len(tk.Tools))
		}
	}
}

// TestImportSameSchemaEachTime checks that a schema too big for the converter's budget converts the same way on
// every import: which properties are expanded before the budget runs out goes by name, not by map order, so a
// catalog imported twice indexes and caches the same tools.
func TestImportSameSchemaEachTime(t *testing.T) {
	var props strings.Builder
	for i := range 600 {
		if i > 0 {
			props.WriteByte(',')
		}
		fmt.Fprintf(&props, `"p%03d":{"type":"object","properties":{"a":{"type":"string","description":"A of %d."},"b":{"type":"integer"}}}`, i, i)
	}
	doc := `{"openapi":"3.0.3","info":{"title":"Big","version":"1"},"paths":{"/things":{"post":{"operationId":"createThing",
"requestBody":{"content":{"application/json":{"schema":{"type":"object","properties":{"config":{"type":"object","properties":{` + props.String() + `}}}}}}},
"responses":{"200":{"description":"ok"}}}}}}`
	var first []byte
	for range 4 {
		tk, _, err := Import(context.Background(), "big.json", []byte(doc), Options{Slug: "big"})
		if err != nil {
			t.Fatalf("Import: %v", err)
		}
		schema := toolBySlug(t, tk, "BIG_CREATETHING").InputSchema
		if first == nil {
			first = schema
			continue
		}
		if !bytes.Equal(schema, first) {
			t.Fatalf("two imports of the same document give different input schemas:\n%s\n%s", first, schema)
		}
	}
	if !bytes.Contains(first, []byte(`A of 0.`)) {
		t.Errorf("the first property by name is not expanded: %.300s", first)
	}
	if bytes.Contains(first, []byte(`A of 599.`)) {
		t.Errorf("the budget did not run out before the last property; the test needs a bigger schema")
	}
}
