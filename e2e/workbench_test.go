package e2e

// The workbench through the built binary: a persistent Python kernel and bash in the bubblewrap sandbox, call-backs
// into the session, and offloaded responses read from code.

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

const (
	workbenchTool = "COMPOSIO_REMOTE_WORKBENCH"
	bashTool      = "COMPOSIO_REMOTE_BASH_TOOL"
)

type workbenchData struct {
	Results string `json:"results"`
	Stderr  string `json:"stderr"`
	Error   string `json:"error"`
}

// runPython calls the workbench; it skips where the sandbox cannot run (and fails under CI, which installs it).
func (s *serving) runPython(ctx context.Context, t *testing.T, code string) workbenchData {
	t.Helper()
	env := s.callTool(ctx, t, workbenchTool, map[string]any{"code_to_execute": code}, nil)
	if !env.Successful {
		if strings.Contains(env.errorText(), "workbench is unavailable") && os.Getenv("CI") == "" {
			t.Skip(env.errorText())
		}
		t.Fatalf("workbench call failed: %s", env.errorText())
	}
	return decode[workbenchData](t, env.Data)
}

func TestWorkbench(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 120*time.Second)
	api := newInventoryAPI(t)
	h := newHarness(t)
	h.writeConfig(fmt.Sprintf(`log_level = "debug"

[execution]
max_response_bytes = 10485760

[[toolkits]]
slug = "inventory"
type = "openapi"
spec = %s
base_url = %s
`, tomlString(testdata(t, "inventory.yaml")), tomlString(api.URL+"/api")))
	s := h.serve(ctx, nil, "--session", "wb")

	if d := s.runPython(ctx, t, "counter = 41"); d.Error != "" {
		t.Fatalf("define: %+v", d)
	}
	if d := s.runPython(ctx, t, "counter += 1\ncounter"); d.Results != "42" {
		t.Errorf("state across calls: %+v", d)
	}

	// A 5 MB response is offloaded; the workbench loads it with json, filters rows and calls a tool per row.
	big := s.execute(ctx, t, nil, call{"INVENTORY_GET_REPORT", map[string]any{"size": 5_000_000}})
	items := s.execute(ctx, t, map[string]any{"sync_response_to_workbench": true}, call{"INVENTORY_LIST_ITEMS", map[string]any{}})
	bigPath, itemsPath := big.Results[0].FilePath, items.Results[0].FilePath
	if !strings.HasPrefix(bigPath, "/mnt/files/outputs/") || !strings.HasPrefix(itemsPath, "/mnt/files/outputs/") {
		t.Fatalf("offloaded paths %q, %q", bigPath, itemsPath)
	}
	d := s.runPython(ctx, t, fmt.Sprintf(`
import json
from concurrent.futures import ThreadPoolExecutor
report = json.load(open(%q))
rows = [r for r in json.load(open(%q)) if r["quantity"] > 0]
def fetch(row):
    data, err = run_composio_tool("INVENTORY_GET_ITEM", {"item_id": row["id"]})
    return row["id"], (data or {}).get("name"), "404" in (err or "")
with ThreadPoolExecutor(20) as ex:
    got = sorted(ex.map(fetch, rows * 10))
(len(report["report"]), got[0], got[-1], len(got))`, bigPath, itemsPath))
	if d.Results != "(5000000, ('42', 'widget', False), ('44', None, True), 20)" || d.Error != "" {
		t.Errorf("bulk work from the workbench: %+v", d)
	}

	env := s.callTool(ctx, t, bashTool, map[string]any{"command": "ls outputs | wc -l; id -u"}, nil)
	bash := decode[struct {
		Stdout   string `json:"stdout"`
		ExitCode int    `json:"exit_code"`
	}](t, env.Data)
	if !env.Successful || bash.ExitCode != 0 || !strings.HasPrefix(bash.Stdout, "2\n") || strings.HasSuffix(bash.Stdout, "\n0\n") {
		t.Errorf("bash: %+v (%s)", bash, env.errorText())
	}
	// Escapes through the binary: the state DB, the config and toolmux's environment stay out of reach.
	env = s.callTool(ctx, t, bashTool, map[string]any{"command": fmt.Sprintf(
		"cat %s/state.db >/dev/null 2>&1 && echo READ_DB; cat %s >/dev/null 2>&1 && echo READ_CONFIG; env | grep -c XDG_STATE_HOME",
		h.stateDir, h.config)}, nil)
	escape := decode[struct {
		Stdout string `json:"stdout"`
	}](t, env.Data)
	if escape.Stdout != "0\n" {
		t.Errorf("sandbox escape through the binary: stdout %q (want only the count 0)", escape.Stdout)
	}
	s.close(t)

	// The call-backs went through the session: they are in its execution log.
	logs := decode[[]map[string]any](t, []byte(h.mustRun("", "logs", "--session", "wb", "--tool", "INVENTORY_GET_ITEM", "--json", "-n", "100").stdout))
	if len(logs) != 20 {
		t.Errorf("execution log has %d INVENTORY_GET_ITEM calls, want the 20 made from the workbench", len(logs))
	}
}
