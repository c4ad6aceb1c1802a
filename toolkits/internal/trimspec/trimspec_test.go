package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolmux/toolmux/toolkits/internal/manifest"
)

func readManifest(t *testing.T, file string) *manifest.Manifest {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(file, raw)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func readDoc(t *testing.T, file string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// plain decodes JSON the ordinary way, so documents compare by value whatever their key order.
func plain(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decode %.80s: %v", data, err)
	}
	return v
}

func TestTrim(t *testing.T) {
	m := readManifest(t, "testdata/acme/manifest.toml")
	doc := readDoc(t, "testdata/source.json")

	got, err := trim(doc, m)
	if err != nil {
		t.Fatalf("trim: %v", err)
	}
	data, err := encode(got)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/want.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plain(t, want), plain(t, data)); diff != "" {
		t.Errorf("trimmed document mismatch (-want +got):\n%s", diff)
	}
}

func TestTrimErrors(t *testing.T) {
	tests := []struct {
		name string
		// edit breaks the fixture document or manifest.
		edit func(doc map[string]any, m *manifest.Manifest)
		want []string
	}{
		{
			name: "operations missing from the document are all named",
			edit: func(_ map[string]any, m *manifest.Manifest) {
				m.Tools = append(m.Tools,
					manifest.Tool{OperationID: "widgets/frobnicate", Slug: "ACME_FROBNICATE", Description: "x"},
					manifest.Tool{OperationID: "nope/nothing", Slug: "ACME_NOTHING", Description: "x"})
			},
			want: []string{"missing from the source document", "widgets/frobnicate", "nope/nothing"},
		},
		{
			name: "swagger 2 source",
			edit: func(doc map[string]any, _ *manifest.Manifest) {
				delete(doc, "openapi")
				doc["swagger"] = "2.0"
			},
			want: []string{"trimspec reads OpenAPI 3.x documents"},
		},
		{
			name: "remote reference",
			edit: func(doc map[string]any, _ *manifest.Manifest) {
				schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
				schemas["user"] = map[string]any{"$ref": "https://evil.test/user.json"}
			},
			want: []string{`"https://evil.test/user.json" is not a local #/components/<kind>/<name> reference`},
		},
		{
			name: "dangling reference",
			edit: func(doc map[string]any, _ *manifest.Manifest) {
				schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
				delete(schemas, "user")
			},
			want: []string{`reference "#/components/schemas/user" points at nothing`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := readManifest(t, "testdata/acme/manifest.toml")
			doc := readDoc(t, "testdata/source.json")
			tt.edit(doc, m)
			_, err := trim(doc, m)
			if err == nil {
				t.Fatal("trim accepted a broken input")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestEncodeIsCompactAndUnescaped(t *testing.T) {
	got, err := encode(map[string]any{"q": "stars:>100 & <b>", "a": []any{json.Number("1.50")}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":[1.50],"q":"stars:>100 & <b>"}` + "\n"; string(got) != want {
		t.Errorf("encode = %q, want %q", got, want)
	}
}

// fakeRepo lays out a repository with the acme fixture toolkit and returns its toolkits directory.
func fakeRepo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	copyFile(t, "testdata/source.json", filepath.Join(root, "source.json"))
	copyFile(t, "testdata/acme/manifest.toml", filepath.Join(root, "toolkits", "acme", "manifest.toml"))
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.test/fake\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "toolkits")
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRun(t *testing.T) {
	dir := fakeRepo(t)

	var log bytes.Buffer
	if err := run(dir, "", nil, &log); err != nil {
		t.Fatalf("run: %v", err)
	}
	first, err := os.ReadFile(filepath.Join(dir, "acme", "openapi.json"))
	if err != nil {
		t.Fatalf("run wrote no openapi.json: %v", err)
	}
	want, err := os.ReadFile("testdata/want.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plain(t, want), plain(t, first)); diff != "" {
		t.Errorf("generated document mismatch (-want +got):\n%s", diff)
	}
	if bytes.Count(first, []byte("\n")) != 1 {
		t.Errorf("output is not compact: %d lines", bytes.Count(first, []byte("\n")))
	}
	if !strings.Contains(log.String(), "3 operations") {
		t.Errorf("log %q does not report the operation count", log.String())
	}

	out := t.TempDir()
	if err := run(dir, out, []string{"acme"}, io.Discard); err != nil {
		t.Fatalf("run into %s: %v", out, err)
	}
	second, err := os.ReadFile(filepath.Join(out, "acme", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Errorf("two runs over the same input wrote different bytes")
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		only  []string
		want  []string
	}{
		{
			name: "unknown toolkit named",
			only: []string{"nope"},
			want: []string{`no toolkit "nope"`},
		},
		{
			name: "source spec missing",
			setup: func(t *testing.T, dir string) {
				if err := os.Remove(filepath.Join(dir, "..", "source.json")); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"toolkit acme", "source spec", "is missing", "npm ci"},
		},
		{
			name: "slug differs from directory",
			setup: func(t *testing.T, dir string) {
				if err := os.Rename(filepath.Join(dir, "acme"), filepath.Join(dir, "widgets")); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{`manifest slug "acme" differs from its directory "widgets"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fakeRepo(t)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			err := run(dir, t.TempDir(), tt.only, io.Discard)
			if err == nil {
				t.Fatal("run succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestCommittedSpecsFresh regenerates every curated toolkit's openapi.json from its pinned upstream document and
// compares it with the committed one, so a manifest edit without `go generate ./toolkits` fails here.
func TestCommittedSpecsFresh(t *testing.T) {
	const toolkitsDir = "../.."
	root, err := repoRoot(toolkitsDir)
	if err != nil {
		t.Fatal(err)
	}
	names, err := toolkitDirs(toolkitsDir)
	if err != nil {
		t.Fatal(err)
	}
	var graphQL []string
	for _, name := range names {
		m := readManifest(t, filepath.Join(toolkitsDir, name, manifest.FileName))
		if m.IsGraphQL() {
			graphQL = append(graphQL, name) // nothing generated
			continue
		}
		src := filepath.Join(root, filepath.FromSlash(m.Source.Spec))
		if _, err := os.Stat(src); errors.Is(err, os.ErrNotExist) {
			msg := "upstream spec " + src + " of toolkit " + name + " is not installed; run `npm ci` in test-tools"
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}

	out := t.TempDir()
	if err := run(toolkitsDir, out, nil, io.Discard); err != nil {
		t.Fatalf("regenerate: %v", err)
	}
	for _, name := range names {
		if slices.Contains(graphQL, name) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			committed, err := os.ReadFile(filepath.Join(toolkitsDir, name, manifest.SpecFileName))
			if err != nil {
				t.Fatalf("%v (run `go generate ./toolkits`)", err)
			}
			fresh, err := os.ReadFile(filepath.Join(out, name, manifest.SpecFileName))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(committed, fresh) {
				t.Errorf("toolkits/%s/%s is stale (%d bytes committed, %d regenerated); run `go generate ./toolkits` and commit the result",
					name, manifest.SpecFileName, len(committed), len(fresh))
			}
		})
	}
}

func TestKeepParametersDropsByNameThroughRefs(t *testing.T) {
	doc := map[string]any{"components": map[string]any{"parameters": map[string]any{
		"alt":   map[string]any{"name": "alt", "in": "query"},
		"limit": map[string]any{"name": "limit", "in": "query"},
	}}}
	params := []any{
		map[string]any{"name": "token", "in": "header"},
		map[string]any{"$ref": "#/components/parameters/alt"},
		map[string]any{"$ref": "#/components/parameters/limit"},
		map[string]any{"name": "channel", "in": "query"},
	}
	kept := keepParameters(params, doc, []string{"token", "alt"})
	var names []string
	for _, p := range kept {
		pm := p.(map[string]any)
		if ref, ok := pm["$ref"].(string); ok {
			names = append(names, ref)
		} else {
			names = append(names, pm["name"].(string))
		}
	}
	want := []string{"#/components/parameters/limit", "channel"}
	if !slices.Equal(names, want) {
		t.Fatalf("kept %v, want %v", names, want)
	}
}

func TestDropBodyFieldsFromFormBodies(t *testing.T) {
	form := func() map[string]any {
		return map[string]any{
			"type":       "object",
			"required":   []any{"token", "channel"},
			"properties": map[string]any{"token": map[string]any{"type": "string"}, "channel": map[string]any{"type": "string"}},
		}
	}
	op := map[string]any{"requestBody": map[string]any{"content": map[string]any{
		"application/x-www-form-urlencoded": map[string]any{"schema": form()},
		"multipart/form-data":               map[string]any{"schema": form()},
		"application/json":                  map[string]any{"schema": form()},
	}}}
	dropBodyFields(op, []string{"token"})
	content := op["requestBody"].(map[string]any)["content"].(map[string]any)
	for mt, wantToken := range map[string]bool{"application/x-www-form-urlencoded": false, "multipart/form-data": false, "application/json": true} {
		s := content[mt].(map[string]any)["schema"].(map[string]any)
		_, has := s["properties"].(map[string]any)["token"]
		if has != wantToken {
			t.Errorf("%s: token property present = %v, want %v", mt, has, wantToken)
		}
		if req := asSlice(s["required"]); slices.Contains(req, any("token")) != wantToken || !slices.Contains(req, any("channel")) {
			t.Errorf("%s: required = %v", mt, req)
		}
	}
}

func TestKeepParametersDropsNamelessParameters(t *testing.T) {
	params := []any{
		map[string]any{"name": "", "in": "header"},
		map[string]any{"name": "id", "in": "path"},
	}
	kept := keepParameters(params, map[string]any{}, nil)
	if len(kept) != 1 || kept[0].(map[string]any)["name"] != "id" {
		t.Fatalf("kept %v, want only the id parameter", kept)
	}
}

func TestTrimDropsRequestBodiesOfGet(t *testing.T) {
	body := map[string]any{"content": map[string]any{"application/x-www-form-urlencoded": map[string]any{
		"schema": map[string]any{"type": "object", "properties": map[string]any{}},
	}}}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "t", "version": "1"},
		"paths": map[string]any{"/v1/comments": map[string]any{
			"get":  map[string]any{"operationId": "listComments", "requestBody": body, "responses": map[string]any{"200": map[string]any{"description": "ok"}}},
			"post": map[string]any{"operationId": "createComment", "requestBody": body, "responses": map[string]any{"200": map[string]any{"description": "ok"}}},
		}},
	}
	m := &manifest.Manifest{Slug: "acme", Tools: []manifest.Tool{
		{OperationID: "listComments", Slug: "ACME_LIST_COMMENTS", Description: "List."},
		{OperationID: "createComment", Slug: "ACME_CREATE_COMMENT", Description: "Create."},
	}}
	out, err := trim(doc, m)
	if err != nil {
		t.Fatal(err)
	}
	item := out["paths"].(map[string]any)["/v1/comments"].(map[string]any)
	if _, ok := item["get"].(map[string]any)["requestBody"]; ok {
		t.Errorf("the GET operation kept its request body")
	}
	if _, ok := item["post"].(map[string]any)["requestBody"]; !ok {
		t.Errorf("the POST operation lost its request body")
	}
}
