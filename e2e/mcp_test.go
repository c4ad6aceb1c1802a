package e2e

// The go-sdk client over stdio (mcp.CommandTransport), the way an MCP host launches toolmux.

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func ptr[T any](v T) *T { return &v }

// inventorySlugs are the tools testdata/inventory.yaml becomes.
var inventorySlugs = []string{
	"INVENTORY_CREATE_ITEM", "INVENTORY_GET_BROKEN", "INVENTORY_GET_DELAYED", "INVENTORY_GET_ITEM",
	"INVENTORY_GET_REPORT", "INVENTORY_LIST_ITEMS",
}

func TestMCPClient(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 90*time.Second)
	api := newInventoryAPI(t)
	h := newHarness(t)
	h.writeConfig(inventoryConfig(t, api, ""))

	var progressMu sync.Mutex
	var progress []*mcp.ProgressNotificationParams
	progressSeen := make(chan struct{}, 64)
	s := h.serve(ctx, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			progressMu.Lock()
			progress = append(progress, req.Params)
			progressMu.Unlock()
			progressSeen <- struct{}{}
		},
	}, "--session", "mcp-client")

	t.Run("initialize", func(t *testing.T) {
		init := s.cs.InitializeResult()
		if init == nil || init.ServerInfo == nil || init.ServerInfo.Name != "toolmux" {
			t.Fatalf("server info = %+v, want name toolmux", init)
		}
		if !strings.Contains(init.Instructions, searchTools) || !strings.Contains(init.Instructions, multiExecute) {
			t.Errorf("instructions do not name the meta tools: %q", init.Instructions)
		}
	})

	t.Run("tools/list has the three meta tools with annotations", func(t *testing.T) {
		res, err := s.cs.ListTools(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]*mcp.Tool{}
		for _, tool := range res.Tools {
			got[tool.Name] = tool
		}
		want := map[string]struct {
			annotations mcp.ToolAnnotations
			required    string
		}{
			searchTools:       {mcp.ToolAnnotations{Title: "Search tools", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)}, "queries"},
			getToolSchemas:    {mcp.ToolAnnotations{Title: "Get tool schemas", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)}, "tool_slugs"},
			multiExecute:      {mcp.ToolAnnotations{Title: "Execute tools", DestructiveHint: ptr(true), OpenWorldHint: ptr(true)}, "tools"},
			workbenchTool:     {mcp.ToolAnnotations{Title: "Python workbench", DestructiveHint: ptr(true), OpenWorldHint: ptr(true)}, "code_to_execute"},
			bashTool:          {mcp.ToolAnnotations{Title: "Bash in the workbench", DestructiveHint: ptr(true), OpenWorldHint: ptr(false)}, "command"},
			manageConnections: {mcp.ToolAnnotations{Title: "Manage connections", OpenWorldHint: ptr(false)}, "toolkits"},
		}
		if len(got) != len(want) {
			t.Errorf("tools/list returned %d tools, want exactly the %d meta tools: %v", len(got), len(want), keys(got))
		}
		for name, w := range want {
			tool := got[name]
			if tool == nil {
				t.Errorf("tools/list lacks %s", name)
				continue
			}
			if tool.Annotations == nil {
				t.Errorf("%s has no annotations", name)
			} else if diff := cmp.Diff(w.annotations, *tool.Annotations); diff != "" {
				t.Errorf("%s annotations (-want +got):\n%s", name, diff)
			}
			if tool.Description == "" {
				t.Errorf("%s has no description", name)
			}
			schema := decode[struct {
				Type     string         `json:"type"`
				Required []string       `json:"required"`
				Props    map[string]any `json:"properties"`
			}](t, mustJSON(t, tool.InputSchema))
			if schema.Type != "object" || !slices.Contains(schema.Required, w.required) {
				t.Errorf("%s input schema: type %q, required %v; want an object requiring %q", name, schema.Type, schema.Required, w.required)
			}
		}
	})

	t.Run("search finds the inventory tool", func(t *testing.T) {
		env := s.callTool(ctx, t, searchTools, map[string]any{
			"queries": []map[string]any{{"use_case": "add a new item to the inventory"}},
		}, nil)
		if !env.Successful {
			t.Fatalf("search failed: %s", env.errorText())
		}
		d := decode[struct {
			Results []struct {
				Index   int      `json:"index"`
				UseCase string   `json:"use_case"`
				Primary []string `json:"primary_tool_slugs"`
				Related []string `json:"related_tool_slugs"`
			} `json:"results"`
			ToolSchemas map[string]json.RawMessage `json:"tool_schemas"`
			Session     sessionInfo                `json:"session"`
		}](t, env.Data)
		if len(d.Results) != 1 {
			t.Fatalf("%d results for 1 query", len(d.Results))
		}
		r := d.Results[0]
		if !slices.Contains(append(r.Primary, r.Related...), "INVENTORY_CREATE_ITEM") {
			t.Errorf("search for adding an inventory item returned %v + %v, want INVENTORY_CREATE_ITEM among them", r.Primary, r.Related)
		}
		if d.Session.ID != "mcp-client" {
			t.Errorf("session.id = %q, want mcp-client", d.Session.ID)
		}
	})

	t.Run("get schemas, with an unknown slug", func(t *testing.T) {
		env := s.callTool(ctx, t, getToolSchemas, map[string]any{
			"tool_slugs": []string{"INVENTORY_CREATE_ITEM", "INVENTORY_CREAT_ITEM"},
			"include":    []string{"input_schema", "output_schema"},
		}, nil)
		if !env.Successful {
			t.Fatalf("schemas failed: %s", env.errorText())
		}
		d := decode[struct {
			ToolSchemas map[string]struct {
				Toolkit       string `json:"toolkit"`
				ToolSlug      string `json:"tool_slug"`
				Description   string `json:"description"`
				HasFullSchema bool   `json:"hasFullSchema"`
				InputSchema   struct {
					Required   []string                   `json:"required"`
					Properties map[string]json.RawMessage `json:"properties"`
				} `json:"input_schema"`
				OutputSchema json.RawMessage `json:"output_schema"`
			} `json:"tool_schemas"`
			NotFound    []string            `json:"not_found"`
			Suggestions map[string][]string `json:"suggestions"`
		}](t, env.Data)
		ts, ok := d.ToolSchemas["INVENTORY_CREATE_ITEM"]
		if !ok {
			t.Fatalf("no schema for INVENTORY_CREATE_ITEM: %s", env.Data)
		}
		if ts.Toolkit != "inventory" || !ts.HasFullSchema || ts.Description == "" {
			t.Errorf("schema entry = %+v, want toolkit inventory, a description and hasFullSchema", ts)
		}
		if diff := cmp.Diff([]string{"name"}, ts.InputSchema.Required); diff != "" {
			t.Errorf("input_schema.required (-want +got):\n%s", diff)
		}
		for _, p := range []string{"name", "quantity"} {
			if _, ok := ts.InputSchema.Properties[p]; !ok {
				t.Errorf("input_schema lacks property %q", p)
			}
		}
		if len(ts.OutputSchema) == 0 || string(ts.OutputSchema) == "null" {
			t.Errorf("output_schema missing although requested")
		}
		if diff := cmp.Diff([]string{"INVENTORY_CREAT_ITEM"}, d.NotFound); diff != "" {
			t.Errorf("not_found (-want +got):\n%s", diff)
		}
		if !slices.Contains(d.Suggestions["INVENTORY_CREAT_ITEM"], "INVENTORY_CREATE_ITEM") {
			t.Errorf("suggestions for the typo = %v, want INVENTORY_CREATE_ITEM among them", d.Suggestions["INVENTORY_CREAT_ITEM"])
		}
	})

	t.Run("multi-execute", func(t *testing.T) {
		d := s.execute(ctx, t, nil,
			call{"INVENTORY_CREATE_ITEM", map[string]any{"name": "sprocket", "quantity": 5}},
			call{"INVENTORY_GET_ITEM", map[string]any{"item_id": "42"}},
			call{"INVENTORY_LIST_ITEMS", map[string]any{"limit": 2}},
		)
		for _, r := range d.Results {
			if !r.Response.Successful {
				t.Errorf("%s failed: %s", r.ToolSlug, r.Response.errorText())
			}
		}
		created := decode[map[string]any](t, d.Results[0].Response.Data)
		if created["name"] != "sprocket" || created["quantity"] != float64(5) {
			t.Errorf("created item = %v, want name sprocket, quantity 5", created)
		}
		if diff := cmp.Diff([]map[string]any{{"name": "sprocket", "quantity": float64(5)}}, api.createdBodies()); diff != "" {
			t.Errorf("body the API received (-want +got):\n%s", diff)
		}
		if item := decode[map[string]any](t, d.Results[1].Response.Data); item["id"] != "42" {
			t.Errorf("GET_ITEM data = %v, want id 42", item)
		}
		if list := decode[[]any](t, d.Results[2].Response.Data); len(list) != 2 {
			t.Errorf("LIST_ITEMS with limit 2 returned %d items", len(list))
		}
		if d.Session.ID != "mcp-client" {
			t.Errorf("session.id = %q, want mcp-client", d.Session.ID)
		}
	})

	t.Run("progress notifications", func(t *testing.T) {
		const token = "e2e-progress-1"
		env := s.callTool(ctx, t, multiExecute, map[string]any{"tools": []call{
			{"INVENTORY_GET_DELAYED", map[string]any{"ms": 10}},
			{"INVENTORY_GET_DELAYED", map[string]any{"ms": 150}},
			{"INVENTORY_GET_DELAYED", map[string]any{"ms": 300}},
		}}, token)
		if !env.Successful {
			t.Fatalf("multi-execute failed: %s", env.errorText())
		}
		deadline := time.After(5 * time.Second)
		for n := 0; n < 3; {
			select {
			case <-progressSeen:
				n++
			case <-deadline:
				t.Fatalf("%d progress notifications after 5s, want 3", n)
			}
		}
		progressMu.Lock()
		defer progressMu.Unlock()
		var values []float64
		for _, p := range progress {
			if p.ProgressToken != token {
				t.Errorf("progress token = %v, want %q", p.ProgressToken, token)
			}
			if p.Total != 3 {
				t.Errorf("progress total = %v, want 3", p.Total)
			}
			if !strings.Contains(p.Message, "INVENTORY_GET_DELAYED") {
				t.Errorf("progress message %q does not name the tool", p.Message)
			}
			values = append(values, p.Progress)
		}
		slices.Sort(values) // the client may run notification handlers concurrently
		if diff := cmp.Diff([]float64{1, 2, 3}, values); diff != "" {
			t.Errorf("progress values (-want +got):\n%s", diff)
		}
	})

	t.Run("memory round trip", func(t *testing.T) {
		d := s.execute(ctx, t, map[string]any{"memory": map[string][]string{"inventory": {"the warehouse code is W-17"}}},
			call{"INVENTORY_LIST_ITEMS", map[string]any{}})
		if !d.Results[0].Response.Successful {
			t.Fatalf("LIST_ITEMS failed: %s", d.Results[0].Response.errorText())
		}
		if got := searchMemory(ctx, t, s); !slices.Contains(got["inventory"], "the warehouse code is W-17") {
			t.Errorf("search memory = %v, want the remembered fact", got)
		}
	})

	t.Run("memory survives a restart", func(t *testing.T) {
		s.close(t)
		again := h.serve(ctx, nil, "--session", "mcp-client")
		if got := searchMemory(ctx, t, again); !slices.Contains(got["inventory"], "the warehouse code is W-17") {
			t.Errorf("search memory after resuming the session = %v, want the remembered fact", got)
		}
		other := h.serve(ctx, nil, "--session", "someone-else")
		if got := searchMemory(ctx, t, other); len(got["inventory"]) != 0 {
			t.Errorf("another session sees this session's memory: %v", got)
		}
	})
}

func searchMemory(ctx context.Context, t *testing.T, s *serving) map[string][]string {
	t.Helper()
	env := s.callTool(ctx, t, searchTools, map[string]any{"queries": []map[string]any{{"use_case": "list inventory items"}}}, nil)
	if !env.Successful {
		t.Fatalf("search failed: %s", env.errorText())
	}
	return decode[struct {
		Memory map[string][]string `json:"memory"`
	}](t, env.Data).Memory
}

func TestMCPNoMeta(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 60*time.Second)
	api := newInventoryAPI(t)
	h := newHarness(t)
	h.writeConfig(inventoryConfig(t, api, ""))
	s := h.serve(ctx, nil, "--no-meta", "--toolkits", "inventory")

	if diff := cmp.Diff(inventorySlugs, s.toolNames(ctx, t)); diff != "" {
		t.Errorf("tools/list with --no-meta --toolkits inventory (-want +got):\n%s", diff)
	}
	res, err := s.cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range res.Tools {
		a := tool.Annotations
		if a == nil {
			t.Errorf("%s has no annotations", tool.Name)
			continue
		}
		wantReadOnly := tool.Name != "INVENTORY_CREATE_ITEM"
		if a.ReadOnlyHint != wantReadOnly || a.OpenWorldHint == nil || !*a.OpenWorldHint {
			t.Errorf("%s annotations = %+v, want readOnlyHint %v and openWorldHint true", tool.Name, *a, wantReadOnly)
		}
	}
	env := s.callTool(ctx, t, "INVENTORY_GET_ITEM", map[string]any{"item_id": "42"}, nil)
	if !env.Successful {
		t.Fatalf("INVENTORY_GET_ITEM failed: %s", env.errorText())
	}
	if item := decode[map[string]any](t, env.Data); item["name"] != "widget" {
		t.Errorf("INVENTORY_GET_ITEM data = %v, want the widget", item)
	}
	env = s.callTool(ctx, t, "INVENTORY_GET_ITEM", map[string]any{"item_id": "7"}, nil)
	if env.Successful || !strings.Contains(env.errorText(), "404") {
		t.Errorf("INVENTORY_GET_ITEM of a missing item: successful %v, error %q; want a 404 error", env.Successful, env.errorText())
	}
	// Direct access stays inside the filter: a GitHub tool is neither listed nor callable.
	if _, err := s.cs.CallTool(ctx, &mcp.CallToolParams{Name: "GITHUB_GET_REPO", Arguments: map[string]any{"owner": "o", "repo": "r"}}); err == nil {
		t.Errorf("GITHUB_GET_REPO is callable although --toolkits inventory filters it out")
	}
}

func TestMCPExpose(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 60*time.Second)
	api := newInventoryAPI(t)
	h := newHarness(t)
	h.writeConfig(inventoryConfig(t, api, ""))
	s := h.serve(ctx, nil, "--expose", "INVENTORY_LIST_ITEMS,INVENTORY_GET_ITEM")

	want := []string{getToolSchemas, multiExecute, searchTools, workbenchTool, bashTool, manageConnections, "INVENTORY_GET_ITEM", "INVENTORY_LIST_ITEMS"}
	slices.Sort(want)
	if diff := cmp.Diff(want, s.toolNames(ctx, t)); diff != "" {
		t.Errorf("tools/list with --expose (-want +got):\n%s", diff)
	}
	env := s.callTool(ctx, t, "INVENTORY_LIST_ITEMS", map[string]any{"limit": 1}, nil)
	if !env.Successful {
		t.Fatalf("exposed INVENTORY_LIST_ITEMS failed: %s", env.errorText())
	}
	if list := decode[[]any](t, env.Data); len(list) != 1 {
		t.Errorf("exposed INVENTORY_LIST_ITEMS with limit 1 returned %d items", len(list))
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
