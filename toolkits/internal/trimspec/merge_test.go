package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// supplement is a supplementary document for the acme fixture: one new operation, one replacing the source's
// GET /widgets, and a schema of its own.
const supplement = `{
  "openapi": "3.0.3",
  "info": {"title": "acme supplement", "version": "1"},
  "paths": {
    "/widgets/{id}/archive": {"post": {"operationId": "widgets/archive", "responses": {"200": {"description": "ok",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/archived"}}}}}}},
    "/widgets": {"get": {"operationId": "widgets/list", "parameters": [{"name": "cursor", "in": "query", "schema": {"type": "string"}}],
      "responses": {"200": {"description": "ok"}}}}
  },
  "components": {"schemas": {"archived": {"type": "object", "properties": {"archived": {"type": "boolean"}}}}}
}`

func TestMerge(t *testing.T) {
	doc := readDoc(t, "testdata/source.json")
	extra, err := decode([]byte(supplement))
	if err != nil {
		t.Fatal(err)
	}
	if err := merge(doc, extra); err != nil {
		t.Fatalf("merge: %v", err)
	}
	paths := doc["paths"].(map[string]any)
	if op, _ := paths["/widgets/{id}/archive"].(map[string]any)["post"].(map[string]any); op["operationId"] != "widgets/archive" {
		t.Errorf("the supplement's new operation was not added: %v", paths["/widgets/{id}/archive"])
	}
	widgets := paths["/widgets"].(map[string]any)
	if list, _ := widgets["get"].(map[string]any); len(asSlice(list["parameters"])) != 1 {
		t.Errorf("the supplement's GET /widgets did not replace the source's: %v", list)
	}
	if widgets["post"] == nil {
		t.Errorf("merging GET /widgets dropped the source's POST /widgets")
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	if schemas["archived"] == nil || schemas["widget"] == nil {
		t.Errorf("components after merge: %v", schemas)
	}
}

func TestMergeErrors(t *testing.T) {
	tests := []struct {
		name, extra string
		want        []string
	}{
		{
			name:  "not openapi 3",
			extra: `{"swagger": "2.0", "paths": {}}`,
			want:  []string{"supplementary document", "OpenAPI 3.x"},
		},
		{
			name:  "same path, other parameter names",
			extra: `{"openapi": "3.0.3", "paths": {"/widgets/{widget_id}": {"get": {"operationId": "x"}}}}`,
			want:  []string{"/widgets/{widget_id}", "matches the source document's /widgets/{id}"},
		},
		{
			name:  "path-level keys",
			extra: `{"openapi": "3.0.3", "paths": {"/things": {"parameters": [], "get": {"operationId": "x"}}}}`,
			want:  []string{"only operations can be supplemented", `"parameters"`},
		},
		{
			name:  "conflicting component",
			extra: `{"openapi": "3.0.3", "paths": {}, "components": {"schemas": {"widget": {"type": "string"}}}}`,
			want:  []string{"#/components/schemas/widget", "differs from the source document's"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra, err := decode([]byte(tt.extra))
			if err != nil {
				t.Fatal(err)
			}
			err = merge(readDoc(t, "testdata/source.json"), extra)
			if err == nil {
				t.Fatal("merge succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestRunWithExtra generates a toolkit whose manifest names source.extra: its operations are offered like the
// source's, and a missing supplement is an error naming it.
func TestRunWithExtra(t *testing.T) {
	dir := fakeRepo(t)
	mfile := filepath.Join(dir, "acme", "manifest.toml")
	raw, err := os.ReadFile(mfile)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(raw), `package = "fixture"`, `package = "fixture"`+"\nextra = \"toolkits/acme/supplement.json\"", 1) +
		"\n[[tools]]\noperation_id = \"widgets/archive\"\nslug = \"ACME_ARCHIVE_WIDGET\"\ndescription = \"Archive a widget.\"\n"
	if err := os.WriteFile(mfile, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}

	if err := run(dir, t.TempDir(), nil, io.Discard); err == nil || !strings.Contains(err.Error(), "source.extra") {
		t.Fatalf("run without the supplement file: error %v, want one naming source.extra", err)
	}

	if err := os.WriteFile(filepath.Join(dir, "acme", "supplement.json"), []byte(supplement), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := run(dir, out, nil, io.Discard); err != nil {
		t.Fatalf("run: %v", err)
	}
	doc := readDoc(t, filepath.Join(out, "acme", "openapi.json"))
	paths := doc["paths"].(map[string]any)
	archive, _ := paths["/widgets/{id}/archive"].(map[string]any)["post"].(map[string]any)
	if archive["description"] != "Archive a widget." {
		t.Errorf("the supplement's operation is missing or lacks the manifest's description: %v", archive)
	}
	if schemas, _ := doc["components"].(map[string]any)["schemas"].(map[string]any); schemas["archived"] == nil {
		t.Errorf("the supplement's schema did not survive the trim: %v", doc["components"])
	}
	if list, _ := paths["/widgets"].(map[string]any)["get"].(map[string]any); len(asSlice(list["parameters"])) != 1 {
		t.Errorf("GET /widgets is not the supplement's: %v", list)
	}
}
