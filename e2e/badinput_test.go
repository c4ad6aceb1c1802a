package e2e

// Bad input end to end: broken documents at import, and bad calls in a session that must keep working.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestImportMalformedSpec(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file string
		wantCode   int    // 0 means any non-zero code
		wantText   string // in stderr besides the file name
	}{
		{"invalid YAML", "not-yaml.yaml", 0, "YAML"},
		{"dangling reference", "missing-ref.yaml", 0, "DoesNotExist"},
		{"not an API description", "not-openapi.json", 0, "OpenAPI"},
		{"missing file", "no-such-file.yaml", 2, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			path := filepath.Join(h.dir, tc.file)
			if data, err := os.ReadFile(filepath.Join("testdata", tc.file)); err == nil {
				if err := os.WriteFile(path, data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			r := h.run("", "toolkits", "import", "openapi", path, "--slug", "broken", "--base-url", "https://broken.invalid")
			if r.code == 0 || (tc.wantCode != 0 && r.code != tc.wantCode) {
				t.Errorf("import of %s: exit %d, want a non-zero exit (%d if set)", tc.file, r.code, tc.wantCode)
			}
			if !strings.Contains(r.stderr, tc.file) || !strings.Contains(r.stderr, tc.wantText) {
				t.Errorf("import of %s: the error should name the file and say %q:\n%s", tc.file, tc.wantText, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("import of %s printed to stdout: %q", tc.file, r.stdout)
			}
			// Nothing was registered: no toolkit, no copy of the document.
			list := decode[struct {
				Toolkits []struct {
					Slug string `json:"slug"`
				} `json:"toolkits"`
			}](t, []byte(h.mustRun("", "toolkits", "list", "--json").stdout))
			for _, tk := range list.Toolkits {
				if tk.Slug == "broken" {
					t.Errorf("the broken toolkit is registered after a failed import")
				}
			}
			matches, _ := filepath.Glob(filepath.Join(h.stateDir, "specs", "broken*"))
			if len(matches) > 0 {
				t.Errorf("the failed import left %v in the state dir", matches)
			}
		})
	}
}

func TestBadCallsKeepTheSessionUsable(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 90*time.Second)
	api := newInventoryAPI(t)
	h := newHarness(t)
	const token = "inv-secret-token-e2e-7f3a9c"
	h.env = append(h.env, "INVENTORY_TOKEN="+token)
	h.writeConfig(inventoryConfig(t, api, `
[auth.inventory]
scheme = "BEARER_TOKEN"
token = "env:INVENTORY_TOKEN"
`))
	s := h.serve(ctx, nil, "--session", "bad-input")
	var errorTexts []string // every error the session returned
	t.Cleanup(func() {
		for _, e := range errorTexts {
			if strings.Contains(e, token) {
				t.Errorf("a tool error carries the token: %q", e)
			}
		}
		for _, a := range api.authorizations() {
			if a != "Bearer "+token {
				t.Errorf("the API received Authorization %q, want the configured bearer token", a)
			}
		}
	})

	good := call{"INVENTORY_GET_ITEM", map[string]any{"item_id": "42"}}
	cases := []struct {
		name    string
		call    call
		want    []string // substrings of the error
		notSent bool     // refused before any request reached the API
	}{
		{"unknown slug", call{"INVENTORY_LIST_ITEM", map[string]any{}}, []string{"INVENTORY_LIST_ITEM", "INVENTORY_LIST_ITEMS"}, true},
		{"wrong argument type", call{"INVENTORY_LIST_ITEMS", map[string]any{"limit": "ten"}}, []string{"limit"}, true},
		{"argument out of range", call{"INVENTORY_LIST_ITEMS", map[string]any{"limit": 1000}}, []string{"limit"}, true},
		{"missing required field", call{"INVENTORY_CREATE_ITEM", map[string]any{"quantity": 1}}, []string{"name"}, true},
		{"unknown argument", call{"INVENTORY_GET_ITEM", map[string]any{"item_id": "42", "colour": "red"}}, []string{"colour"}, true},
		{"path traversal", call{"INVENTORY_GET_ITEM", map[string]any{"item_id": "../items"}}, []string{"item_id"}, true},
		{"response too large", call{"INVENTORY_GET_REPORT", map[string]any{"size": 10000}}, []string{"larger than 4096 bytes"}, false},
		{"API answers 500", call{"INVENTORY_GET_BROKEN", map[string]any{}}, []string{"500", "database on fire"}, false},
		{"API answers 404", call{"INVENTORY_GET_ITEM", map[string]any{"item_id": "7"}}, []string{"404", "no item 7"}, false},
		{"timeout", call{"INVENTORY_GET_DELAYED", map[string]any{"ms": 5000}}, []string{"timed out"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := api.calls.Load()
			d := s.execute(ctx, t, nil, tc.call)
			r := d.Results[0].Response
			errorTexts = append(errorTexts, r.errorText())
			if r.Successful {
				t.Fatalf("%s succeeded: %s", tc.call.Slug, r.Data)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.errorText(), w) {
					t.Errorf("error %q does not contain %q", r.errorText(), w)
				}
			}
			if sent := api.calls.Load() - before; tc.notSent && sent != 0 {
				t.Errorf("%d requests reached the API; the call should have been refused before sending", sent)
			}
			// The same session still serves a good call.
			if after := s.execute(ctx, t, nil, good); !after.Results[0].Response.Successful {
				t.Errorf("a good call after the bad one failed: %s", after.Results[0].Response.errorText())
			}
		})
	}

	t.Run("all at once", func(t *testing.T) {
		calls := []call{good}
		for _, tc := range cases {
			calls = append(calls, tc.call)
		}
		calls = append(calls, good)
		d := s.execute(ctx, t, nil, calls...)
		if !d.Results[0].Response.Successful || !d.Results[len(calls)-1].Response.Successful {
			t.Errorf("good calls next to failing ones failed: %s / %s", d.Results[0].Response.errorText(), d.Results[len(calls)-1].Response.errorText())
		}
		if d.ErrorCount != len(cases) {
			t.Errorf("error_count = %d, want %d", d.ErrorCount, len(cases))
		}
		for _, r := range d.Results {
			errorTexts = append(errorTexts, r.Response.errorText())
		}
	})

	t.Run("malformed meta tool arguments", func(t *testing.T) {
		env := s.callTool(ctx, t, multiExecute, map[string]any{"tools": "INVENTORY_GET_ITEM"}, nil)
		if env.Successful || !strings.Contains(env.errorText(), "tools") {
			t.Errorf("tools given as a string: successful %v, error %q; want an error about tools", env.Successful, env.errorText())
		}
		env = s.callTool(ctx, t, getToolSchemas, map[string]any{"tool_slugs": []string{"INVENTORY_GET_ITEM"}, "include": []string{"everything"}}, nil)
		if env.Successful || !strings.Contains(env.errorText(), "everything") {
			t.Errorf("include [everything]: successful %v, error %q; want an error naming the value", env.Successful, env.errorText())
		}
		if after := s.execute(ctx, t, nil, good); !after.Results[0].Response.Successful {
			t.Errorf("a good call after malformed meta calls failed: %s", after.Results[0].Response.errorText())
		}
	})

	t.Run("no secret in the state dir or the logs", func(t *testing.T) {
		s.close(t)
		assertSecretAbsent(t, token, h.stateDir, s.stderr.String())
	})
}
