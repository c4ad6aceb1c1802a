package e2e

// The MCP Inspector CLI (@modelcontextprotocol/inspector, pinned in test-tools) as a second, independent client.

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// inspect runs `mcp-inspector --cli --format json -q ARGS -- toolmux serve ...` and returns its result object.
func inspect(t *testing.T, h *harness, inspector string, args ...string) json.RawMessage {
	t.Helper()
	argv := append([]string{"--cli", "--format", "json", "-q", "--connect-timeout", "30000"}, args...)
	argv = append(argv, "--", toolmuxBin, "serve", "--session", "inspector")
	argv = append(argv, h.globals()...)
	cmd := exec.Command(inspector, argv...)
	cmd.Env = h.env
	cmd.Dir = h.dir
	r := runCmd(t, cmd, "", 90*time.Second)
	if r.code != 0 {
		t.Fatalf("mcp-inspector %s: %s", strings.Join(args, " "), r)
	}
	out := decode[struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}](t, []byte(r.stdout))
	if len(out.Error) > 0 || len(out.Result) == 0 {
		t.Fatalf("mcp-inspector %s: no result: %s", strings.Join(args, " "), r)
	}
	return out.Result
}

// inspectorEnvelope checks a tools/call result printed by the Inspector and returns the envelope.
func inspectorEnvelope(t *testing.T, raw json.RawMessage) envelope {
	t.Helper()
	res := decode[struct {
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
		StructuredContent json.RawMessage `json:"structuredContent"`
		IsError           bool            `json:"isError"`
	}](t, raw)
	env := decode[envelope](t, res.StructuredContent)
	if len(res.Content) != 1 || res.Content[0].Type != "text" {
		t.Fatalf("content = %+v, want one text item", res.Content)
	}
	var fromText, fromStructured any
	if err := json.Unmarshal([]byte(res.Content[0].Text), &fromText); err != nil {
		t.Fatalf("text content is not JSON: %v", err)
	}
	_ = json.Unmarshal(res.StructuredContent, &fromStructured)
	if diff := cmp.Diff(fromStructured, fromText); diff != "" {
		t.Errorf("text differs from structuredContent (-structured +text):\n%s", diff)
	}
	if res.IsError == env.Successful {
		t.Errorf("isError = %v, successful = %v", res.IsError, env.Successful)
	}
	return env
}

func TestInspectorCLI(t *testing.T) {
	t.Parallel()
	inspector := nodeBin(t, "mcp-inspector")
	api := newInventoryAPI(t)
	h := newHarness(t)
	h.writeConfig(inventoryConfig(t, api, ""))

	t.Run("tools/list", func(t *testing.T) {
		res := decode[struct {
			Tools []struct {
				Name        string          `json:"name"`
				InputSchema json.RawMessage `json:"inputSchema"`
				Annotations map[string]any  `json:"annotations"`
			} `json:"tools"`
		}](t, inspect(t, h, inspector, "--method", "tools/list"))
		var names []string
		for _, tool := range res.Tools {
			names = append(names, tool.Name)
			if len(tool.InputSchema) == 0 || tool.Annotations == nil {
				t.Errorf("%s lacks an input schema or annotations", tool.Name)
			}
		}
		slices.Sort(names)
		if diff := cmp.Diff([]string{getToolSchemas, manageConnections, multiExecute, bashTool, workbenchTool, searchTools}, names); diff != "" {
			t.Errorf("tools (-want +got):\n%s", diff)
		}
	})

	t.Run("tools/call get schemas", func(t *testing.T) {
		env := inspectorEnvelope(t, inspect(t, h, inspector, "--method", "tools/call", "--tool-name", getToolSchemas,
			"--tool-arg", `tool_slugs=["INVENTORY_GET_ITEM","INVENTORY_GETITEM"]`))
		if !env.Successful {
			t.Fatalf("schemas failed: %s", env.errorText())
		}
		d := decode[struct {
			ToolSchemas map[string]struct {
				InputSchema struct {
					Required []string `json:"required"`
				} `json:"input_schema"`
			} `json:"tool_schemas"`
			NotFound    []string            `json:"not_found"`
			Suggestions map[string][]string `json:"suggestions"`
		}](t, env.Data)
		if got := d.ToolSchemas["INVENTORY_GET_ITEM"].InputSchema.Required; !slices.Equal(got, []string{"item_id"}) {
			t.Errorf("INVENTORY_GET_ITEM required = %v, want [item_id]", got)
		}
		if !slices.Equal(d.NotFound, []string{"INVENTORY_GETITEM"}) || !slices.Contains(d.Suggestions["INVENTORY_GETITEM"], "INVENTORY_GET_ITEM") {
			t.Errorf("not_found %v, suggestions %v; want the typo with INVENTORY_GET_ITEM suggested", d.NotFound, d.Suggestions)
		}
	})

	t.Run("tools/call multi-execute", func(t *testing.T) {
		args := `{"tools":[{"tool_slug":"INVENTORY_CREATE_ITEM","arguments":{"name":"from-inspector","quantity":1}},` +
			`{"tool_slug":"INVENTORY_GET_ITEM","arguments":{"item_id":"42"}}]}`
		env := inspectorEnvelope(t, inspect(t, h, inspector, "--method", "tools/call", "--tool-name", multiExecute, "--tool-args-json", args))
		if !env.Successful {
			t.Fatalf("multi-execute failed: %s", env.errorText())
		}
		d := decode[execData](t, env.Data)
		if len(d.Results) != 2 || d.ErrorCount != 0 {
			t.Fatalf("results %+v, error_count %d; want 2 successes", d.Results, d.ErrorCount)
		}
		if d.Session.ID != "inspector" {
			t.Errorf("session.id = %q, want inspector", d.Session.ID)
		}
		bodies := api.createdBodies()
		if len(bodies) != 1 || bodies[0]["name"] != "from-inspector" {
			t.Errorf("the API received %v, want one item named from-inspector", bodies)
		}
	})
}
