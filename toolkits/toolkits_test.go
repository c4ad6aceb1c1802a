package toolkits

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/toolmux/toolmux/toolkits/internal/manifest"
	"github.com/toolmux/toolmux/tools"
)

var update = flag.Bool("update", false, "rewrite testdata/<toolkit>.golden.json from the current toolkits")

// embeddedManifest re-reads a toolkit's manifest straight from the embedded tree: the independent record of what
// Load must produce.
func embeddedManifest(t testing.TB, slug string) *manifest.Manifest {
	t.Helper()
	file := path.Join(slug, manifest.FileName)
	raw, err := fs.ReadFile(files, file)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(file, raw)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBuiltin(t *testing.T) {
	defs, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin: %v", err)
	}
	var slugs, hashes []string
	for _, d := range defs {
		slugs = append(slugs, d.Slug)
		hashes = append(hashes, d.Hash)
	}
	if !slices.Contains(slugs, "github") {
		t.Errorf("built-in toolkits %v lack github, the toolkit served with no config", slugs)
	}
	if !slices.IsSorted(slugs) || len(slices.Compact(slices.Clone(slugs))) != len(slugs) {
		t.Errorf("toolkit slugs %v are not sorted and unique", slugs)
	}
	slices.Sort(hashes)
	if len(slices.Compact(slices.Clone(hashes))) != len(hashes) || slices.Contains(hashes, "") {
		t.Errorf("definition hashes %v are empty or repeated", hashes)
	}

	dirs, err := fs.Glob(files, "*/"+manifest.FileName)
	if err != nil {
		t.Fatal(err)
	}
	var wantSlugs []string
	for _, f := range dirs {
		wantSlugs = append(wantSlugs, path.Dir(f))
	}
	if diff := cmp.Diff(wantSlugs, slugs); diff != "" {
		t.Errorf("Builtin slugs differ from the embedded directories (-want +got):\n%s", diff)
	}

	// Each call hands out its own values: a caller editing one must not change what the next caller sees.
	defs[0].Categories = append(defs[0].Categories[:0], "edited")
	defs[0].DefaultHeaders["X-Edited"] = "1"
	for k := range defs[0].Options.Include {
		delete(defs[0].Options.Include, k)
		break
	}
	again, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	m := embeddedManifest(t, again[0].Slug)
	if diff := cmp.Diff(m.Categories, again[0].Categories); diff != "" {
		t.Errorf("a caller's edit leaked into the next Builtin call (-want +got):\n%s", diff)
	}
	if _, leaked := again[0].DefaultHeaders["X-Edited"]; leaked || len(again[0].Options.Include) != len(m.Tools) {
		t.Errorf("a caller's edit of headers or overrides leaked into the next Builtin call")
	}
}

func TestDefinitionFromManifest(t *testing.T) {
	defs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		t.Run(d.Slug, func(t *testing.T) {
			m := embeddedManifest(t, d.Slug)
			if d.Name != m.Name || d.Description != m.Description || d.BaseURL != m.BaseURL {
				t.Errorf("definition identity %q/%q/%q differs from the manifest's %q/%q/%q",
					d.Name, d.Description, d.BaseURL, m.Name, m.Description, m.BaseURL)
			}
			if d.Kind == manifest.KindGraphQL {
				return // no document, no importer options: graphql_test.go checks these toolkits
			}
			if d.SpecFile != d.Slug+"/"+manifest.SpecFileName || len(d.Spec) == 0 {
				t.Errorf("SpecFile %q (%d bytes); want %s/%s with content", d.SpecFile, len(d.Spec), d.Slug, manifest.SpecFileName)
			}
			if d.Options.Slug != d.Slug || d.Options.BaseURL != m.BaseURL || d.Options.Name != m.Name {
				t.Errorf("importer options %+v do not carry the manifest's slug, name and base URL", d.Options)
			}
			if diff := cmp.Diff(m.Headers, d.DefaultHeaders); diff != "" {
				t.Errorf("DefaultHeaders differ from the manifest (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(m.ToolsAuthSchemes(), d.AuthSchemes); diff != "" {
				t.Errorf("AuthSchemes differ from the manifest (-want +got):\n%s", diff)
			}
			if len(d.Options.Include) != len(m.Tools) {
				t.Fatalf("%d overrides for %d manifest tools", len(d.Options.Include), len(m.Tools))
			}
			for _, mt := range m.Tools {
				o, ok := d.Options.Include[mt.OperationID]
				if !ok {
					t.Errorf("no override for %s", mt.OperationID)
					continue
				}
				if o.Slug != mt.Slug || o.Description != mt.Description || o.Important != mt.Important || o.Name != mt.Name ||
					!slices.Equal(o.Pitfalls, mt.Pitfalls) {
					t.Errorf("override for %s = %+v does not match the manifest entry %+v", mt.OperationID, o, mt)
				}
			}
		})
	}
}

func TestGitHubAuth(t *testing.T) {
	defs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	gh := find(t, defs, "github")
	want := []tools.AuthScheme{
		{Scheme: tools.SchemeBearerToken},
		{
			Scheme:           tools.SchemeOAuth2,
			AuthorizationURL: "https://github.com/login/oauth/authorize",
			TokenURL:         "https://github.com/login/oauth/access_token",
			DeviceURL:        "https://github.com/login/device/code",
			Scopes:           []string{"repo", "read:org", "read:user"},
		},
	}
	if diff := cmp.Diff(want, gh.AuthSchemes); diff != "" {
		t.Errorf("GitHub auth schemes (-want +got):\n%s", diff)
	}
	wantHeaders := map[string]string{"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
	if diff := cmp.Diff(wantHeaders, gh.DefaultHeaders); diff != "" {
		t.Errorf("GitHub default headers (-want +got):\n%s", diff)
	}
	if gh.BaseURL != "https://api.github.com" {
		t.Errorf("GitHub base URL = %q", gh.BaseURL)
	}
}

// Google hands out a refresh token only for access_type=offline, and again on a reconnect only with prompt=consent;
// without them a Google connection dies with its first access token, an hour later. The parameters ride in the
// manifest's authorization URL, as Jira's audience and Notion's owner do.
func TestGoogleAuthorizationAsksForARefreshToken(t *testing.T) {
	defs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"gmail", "googlecalendar", "googledrive"} {
		var oauth *tools.AuthScheme
		for _, s := range find(t, defs, slug).AuthSchemes {
			if s.Scheme == tools.SchemeOAuth2 {
				oauth = &s
			}
		}
		if oauth == nil {
			t.Errorf("%s: no OAUTH2 scheme", slug)
			continue
		}
		oc := oauth2.Config{ClientID: "id", Scopes: oauth.Scopes, Endpoint: oauth2.Endpoint{AuthURL: oauth.AuthorizationURL}}
		u, err := url.Parse(oc.AuthCodeURL("state", oauth2.S256ChallengeOption("verifier")))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if u.Host != "accounts.google.com" || q.Get("access_type") != "offline" || q.Get("prompt") != "consent" || q.Get("state") != "state" {
			t.Errorf("%s: authorization request %s lacks access_type=offline and prompt=consent beside its own parameters", slug, u)
		}
	}
}

// TestCommaScopeProviders checks that the toolkits whose providers take "scope=read,write" say so: with the
// OAuth 2.0 default of spaces, Slack and Linear would not grant the scopes asked for.
func TestCommaScopeProviders(t *testing.T) {
	defs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"slack", "linear"} {
		for _, s := range find(t, defs, slug).AuthSchemes {
			if s.Scheme == tools.SchemeOAuth2 && s.ScopeSeparator != "," {
				t.Errorf("%s: scope_separator = %q, want \",\"", slug, s.ScopeSeparator)
			}
		}
	}
}

func find(t testing.TB, defs []Definition, slug string) Definition {
	t.Helper()
	for _, d := range defs {
		if d.Slug == slug {
			return d
		}
	}
	t.Fatalf("no built-in toolkit %q", slug)
	return Definition{}
}

func TestLoad(t *testing.T) {
	defs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		t.Run(d.Slug, func(t *testing.T) {
			tk, warnings, err := d.load(context.Background())
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if len(warnings) > 0 {
				t.Errorf("curated toolkit imports with %d warnings (fix the manifest or the trim): %v", len(warnings), warnings)
			}
			m := embeddedManifest(t, d.Slug)

			if tk.Slug != m.Slug || tk.Name != m.Name || tk.Description != m.Description || tk.BaseURL != m.BaseURL {
				t.Errorf("toolkit identity %q %q %q %q differs from the manifest", tk.Slug, tk.Name, tk.Description, tk.BaseURL)
			}
			if want := map[bool]tools.Source{false: tools.SourceOpenAPI, true: tools.SourceGraphQL}[m.IsGraphQL()]; tk.Source != want {
				t.Errorf("toolkit source = %q, want %q", tk.Source, want)
			}
			if diff := cmp.Diff(m.Categories, tk.Categories); diff != "" {
				t.Errorf("categories (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(m.ToolsAuthSchemes(), tk.AuthSchemes); diff != "" {
				t.Errorf("auth schemes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(m.Headers, tk.DefaultHeaders); diff != "" {
				t.Errorf("default headers (-want +got):\n%s", diff)
			}

			var got, want []string
			for _, tool := range tk.Tools {
				got = append(got, tool.Slug)
			}
			for _, mt := range m.Tools {
				want = append(want, mt.Slug)
			}
			slices.Sort(got)
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("tool slugs differ from the manifest's (-want +got):\n%s", diff)
			}
			if len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Errorf("duplicate tool slugs in %v", got)
			}

			bySlug := map[string]manifest.Tool{}
			for _, mt := range m.Tools {
				bySlug[mt.Slug] = mt
			}
			for _, tool := range tk.Tools {
				t.Run(tool.Slug, func(t *testing.T) { checkTool(t, tk, tool, bySlug[tool.Slug]) })
			}
		})
	}
}

func checkTool(t *testing.T, tk *tools.Toolkit, tool *tools.Tool, mt manifest.Tool) {
	if tool.Toolkit != tk.Slug {
		t.Errorf("Toolkit = %q, want %q", tool.Toolkit, tk.Slug)
	}
	if tool.Description != mt.Description {
		t.Errorf("Description = %q, want the manifest's %q", tool.Description, mt.Description)
	}
	if strings.TrimSpace(tool.Name) == "" || (mt.Name != "" && tool.Name != mt.Name) {
		t.Errorf("Name = %q, want non-empty and equal to the manifest's %q when set", tool.Name, mt.Name)
	}
	if tool.Important != mt.Important || tool.HasTag(tools.TagImportant) != mt.Important {
		t.Errorf("Important = %v, tagged %v; the manifest says %v", tool.Important, tool.HasTag(tools.TagImportant), mt.Important)
	}
	if diff := cmp.Diff(mt.Pitfalls, tool.Pitfalls); diff != "" {
		t.Errorf("Pitfalls (-want +got):\n%s", diff)
	}

	var schema struct {
		Type       string                     `json:"type"`
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if err := json.Unmarshal(tool.InputSchema, &schema); err != nil {
		t.Fatalf("input schema is not a JSON object: %v\n%s", err, tool.InputSchema)
	}
	if schema.Type != "object" {
		t.Errorf("input schema type = %q, want object", schema.Type)
	}
	for _, r := range schema.Required {
		if _, ok := schema.Properties[r]; !ok {
			t.Errorf("input schema requires %q, which is not a property", r)
		}
	}

	if tool.GraphQL != nil {
		checkGraphQLTool(t, tool, mt)
		return
	}
	if tool.HTTP == nil {
		t.Fatal("no HTTP binding")
	}
	for _, p := range tool.HTTP.Params {
		if _, ok := schema.Properties[p.Arg]; !ok {
			t.Errorf("%s parameter %q has no input schema property", p.In, p.Arg)
		}
		if p.In == tools.InPath && !slices.Contains(schema.Required, p.Arg) {
			t.Errorf("path parameter %q is not required in the input schema", p.Arg)
		}
	}

	a := tool.Annotations
	var want tools.Annotations
	switch tool.HTTP.Method {
	case "GET", "HEAD":
		want = tools.Annotations{ReadOnly: true, Idempotent: true, OpenWorld: true}
	case "DELETE":
		want = tools.Annotations{Destructive: true, OpenWorld: true}
	case "PUT":
		want = tools.Annotations{Idempotent: true, OpenWorld: true}
	case "POST", "PATCH":
		want = tools.Annotations{OpenWorld: true}
	default:
		t.Fatalf("unexpected HTTP method %q", tool.HTTP.Method)
	}
	// DELETE is idempotent in HTTP terms; accept an importer that says so, but nothing else may differ.
	if tool.HTTP.Method == "DELETE" {
		want.Idempotent = a.Idempotent
	}
	// The manifest's read_only / destructive overrides replace what the method says (APIs that read or delete
	// with POST); a read-only tool is idempotent.
	if mt.ReadOnly != nil {
		want.ReadOnly = *mt.ReadOnly
		if *mt.ReadOnly {
			want.Idempotent = true
		}
	}
	if mt.Destructive != nil {
		want.Destructive = *mt.Destructive
	}
	if a != want {
		t.Errorf("%s annotations = %+v, want %+v", tool.HTTP.Method, a, want)
	}
	for tag, on := range map[string]bool{
		tools.TagReadOnly: a.ReadOnly, tools.TagDestructive: a.Destructive,
		tools.TagIdempotent: a.Idempotent, tools.TagOpenWorld: a.OpenWorld,
	} {
		if tool.HasTag(tag) != on {
			t.Errorf("tag %s present = %v, but the annotation says %v", tag, tool.HasTag(tag), on)
		}
	}
}

// snapshot is what the golden file records of each tool: what an agent sees, so a change shows up in review.
type snapshot struct {
	Slug        string            `json:"slug"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Important   bool              `json:"important,omitempty"`
	Pitfalls    []string          `json:"pitfalls,omitempty"`
	Annotations tools.Annotations `json:"annotations"`
	InputSchema any               `json:"input_schema"`
}

func TestGolden(t *testing.T) {
	defs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		t.Run(d.Slug, func(t *testing.T) {
			tk, err := d.Load(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var snaps []snapshot
			for _, tool := range tk.Tools {
				var schema any
				if err := json.Unmarshal(tool.InputSchema, &schema); err != nil {
					t.Fatalf("%s input schema: %v", tool.Slug, err)
				}
				snaps = append(snaps, snapshot{
					Slug: tool.Slug, Name: tool.Name, Description: tool.Description, Important: tool.Important,
					Pitfalls: tool.Pitfalls, Annotations: tool.Annotations, InputSchema: schema,
				})
			}
			slices.SortFunc(snaps, func(a, b snapshot) int { return strings.Compare(a.Slug, b.Slug) })
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(snaps); err != nil {
				t.Fatal(err)
			}

			file := filepath.Join("testdata", d.Slug+".golden.json")
			if *update {
				if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run `go test ./toolkits -run TestGolden -update` to create it)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s differs from the loaded toolkit; if the change is intended run `go test ./toolkits -run TestGolden -update` and review the diff (-want +got):\n%s", file, diff)
			}
		})
	}
}

func TestParseEmbeddedErrors(t *testing.T) {
	raw, err := fs.ReadFile(files, "github/manifest.toml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		fsys fstest.MapFS
		want []string
	}{
		{
			name: "no toolkits",
			fsys: fstest.MapFS{},
			want: []string{"no curated toolkits embedded"},
		},
		{
			name: "spec not generated",
			fsys: fstest.MapFS{"github/manifest.toml": {Data: raw}},
			want: []string{"toolkit github has no github/openapi.json", "go generate ./toolkits"},
		},
		{
			name: "directory differs from slug",
			fsys: fstest.MapFS{"gh/manifest.toml": {Data: raw}, "gh/openapi.json": {Data: []byte("{}")}},
			want: []string{`slug "github" differs from its directory "gh"`},
		},
		{
			name: "invalid manifest",
			fsys: fstest.MapFS{"github/manifest.toml": {Data: append([]byte("bogus = 1\n"), raw...)}},
			want: []string{"github/manifest.toml", `line 1: unknown key "bogus"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(tt.fsys)
			if err == nil {
				t.Fatal("parse accepted a broken tree")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// BenchmarkLoadGitHub measures importing the embedded GitHub toolkit, which every `toolmux serve` start pays when
// the compiled catalog cache misses.
func BenchmarkLoadGitHub(b *testing.B) {
	defs, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	gh := find(b, defs, "github")
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(gh.Spec)))
	for b.Loop() {
		if _, err := gh.Load(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseManifests measures what Builtin costs on its first call: parsing every embedded manifest.
func BenchmarkParseManifests(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parse(files); err != nil {
			b.Fatal(err)
		}
	}
}
