package e2e

// Upstream MCP servers through the built binary: the real server-filesystem and server-memory declared as mcp
// toolkits, searched and executed by an MCP client, called from the workbench, and stopped with toolmux.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestUpstreamMCPServers(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 180*time.Second)
	fsBin, memBin, evBin := nodeBin(t, "mcp-server-filesystem"), nodeBin(t, "mcp-server-memory"), nodeBin(t, "mcp-server-everything")
	files, err := filepath.EvalSymlinks(t.TempDir()) // the server compares real paths
	if err != nil {
		t.Fatal(err)
	}
	memFile := filepath.Join(t.TempDir(), "memory.jsonl")
	h := newHarness(t)
	h.writeConfig(fmt.Sprintf(`
[[toolkits]]
slug = "fs"
type = "mcp"
command = %s
args = [%s]

[[toolkits]]
slug = "mem"
type = "mcp"
command = %s
env = { MEMORY_FILE_PATH = %s }

[[toolkits]]
slug = "everything"
type = "mcp"
command = %s
args = ["stdio"]

# Broken: exits at once. It is reported, and the others work.
[[toolkits]]
slug = "broken"
type = "mcp"
command = "/bin/sh"
args = ["-c", "exit 3"]
`, tomlString(fsBin), tomlString(files), tomlString(memBin), tomlString(memFile), tomlString(evBin)))

	// The first load lists the upstreams' tools (starting them once) and caches the lists in the state.
	list := h.mustRun("", "toolkits", "list", "--json")
	for _, want := range []string{`"slug": "fs"`, `"slug": "mem"`} {
		if !strings.Contains(strings.ReplaceAll(list.stdout, `":"`, `": "`), want) {
			t.Fatalf("toolkits list lacks %s:\n%s", want, list)
		}
	}

	var mu sync.Mutex
	var progress []string
	s := h.serve(ctx, &mcp.ClientOptions{ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
		mu.Lock()
		progress = append(progress, req.Params.Message)
		mu.Unlock()
	}}, "--session", "upstreams")

	env := s.callTool(ctx, t, searchTools, map[string]any{
		"queries":  []map[string]any{{"use_case": "write text to a file"}, {"use_case": "create entities in the knowledge graph memory"}},
		"toolkits": []string{"fs", "mem"},
	}, nil)
	if !env.Successful {
		t.Fatalf("search failed: %s", env.errorText())
	}
	found := decode[struct {
		Results []struct {
			Primary []string `json:"primary_tool_slugs"`
			Related []string `json:"related_tool_slugs"`
		} `json:"results"`
	}](t, env.Data)
	for i, want := range []string{"FS_WRITE_FILE", "MEM_CREATE_ENTITIES"} {
		if r := found.Results[i]; !slices.Contains(append(r.Primary, r.Related...), want) {
			t.Errorf("search %d returned %v + %v, want %s", i, r.Primary, r.Related, want)
		}
	}

	notes := filepath.Join(files, "notes.txt")
	args := map[string]any{"tools": []call{
		{"FS_WRITE_FILE", map[string]any{"path": notes, "content": "hello from toolmux"}},
		{"MEM_CREATE_ENTITIES", map[string]any{"entities": []map[string]any{{"name": "toolmux", "entityType": "project", "observations": []string{"absorbs MCP servers"}}}}},
	}}
	env = s.callTool(ctx, t, multiExecute, args, "progress-1")
	d := decode[execData](t, env.Data)
	if !env.Successful || d.ErrorCount != 0 {
		t.Fatalf("writes failed: %s", env.Data)
	}
	if data, err := os.ReadFile(notes); err != nil || string(data) != "hello from toolmux" {
		t.Fatalf("file written through the upstream: %q, %v", data, err)
	}
	d = s.execute(ctx, t, nil,
		call{"FS_READ_TEXT_FILE", map[string]any{"path": notes}},
		call{"MEM_READ_GRAPH", map[string]any{}},
		call{"FS_READ_TEXT_FILE", map[string]any{"path": "/etc/passwd"}},
	)
	for i, want := range []string{"hello from toolmux", "absorbs MCP servers"} {
		r := d.Results[i]
		if !r.Response.Successful || !strings.Contains(string(r.Response.Data), want) {
			t.Errorf("%s: %s (%s), want %q in it", r.ToolSlug, r.Response.Data, r.Response.errorText(), want)
		}
	}
	if r := d.Results[2]; r.Response.Successful || !strings.Contains(r.Response.errorText(), "upstream fs") {
		t.Errorf("read outside the allowed directory: %+v, want the upstream's refusal", r.Response)
	}
	if data, err := os.ReadFile(memFile); err != nil || !strings.Contains(string(data), "absorbs MCP servers") {
		t.Errorf("memory file %s: %q, %v", memFile, data, err)
	}
	mu.Lock()
	if len(progress) < 2 {
		t.Errorf("progress notifications of the multi-execute: %q", progress)
	}
	progress = nil
	mu.Unlock()

	// The upstream's own progress notifications reach the client during the multi-execute.
	env = s.callTool(ctx, t, multiExecute, map[string]any{"tools": []call{
		{"EVERYTHING_TRIGGER_LONG_RUNNING_OPERATION", map[string]any{"duration": 2, "steps": 4}},
	}}, "progress-2")
	if !env.Successful || decode[execData](t, env.Data).ErrorCount != 0 {
		t.Fatalf("long-running operation: %s", env.Data)
	}
	mu.Lock()
	forwarded := 0
	for _, p := range progress {
		if strings.HasPrefix(p, "EVERYTHING_TRIGGER_LONG_RUNNING_OPERATION: ") {
			forwarded++
		}
	}
	if forwarded < 2 {
		t.Errorf("progress notifications %q, want the upstream's steps forwarded", progress)
	}
	mu.Unlock()

	// From the workbench, the same upstream tool through run_composio_tool.
	wb := s.runPython(ctx, t, fmt.Sprintf("import json\ndata, err = run_composio_tool(\"FS_READ_TEXT_FILE\", {\"path\": %q})\n(json.dumps(data), err)", notes))
	if !strings.Contains(wb.Results, "hello from toolmux") || wb.Error != "" {
		t.Errorf("workbench call of the upstream: %+v", wb)
	}

	s.close(t)
	// Closing toolmux stops the upstreams with their process groups.
	if left := procsWithArg(t, files); len(left) > 0 {
		t.Errorf("processes of the filesystem upstream remain after toolmux exited: %v", left)
	}

	// doctor shows each upstream's state and the broken one's last error.
	doc := h.run("", "doctor")
	lines := map[string]string{}
	for _, l := range strings.Split(doc.stdout, "\n") {
		for _, slug := range []string{"fs", "mem", "everything", "broken"} {
			if strings.Contains(l, "upstream "+slug+" ") {
				lines[slug] = l
			}
		}
	}
	for slug, want := range map[string][]string{
		"fs":         {"ok", "running", "tools cached"},
		"everything": {"ok", "running"},
		"mem":        {"ok", "running"},
		"broken":     {"FAIL", "not loaded", "last error", "start upstream broken"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[slug], w) {
				t.Errorf("doctor line of upstream %s = %q, want %q in it\n%s", slug, lines[slug], w, doc)
			}
		}
	}
	if left := procsWithArg(t, files); len(left) > 0 {
		t.Errorf("processes of the filesystem upstream remain after doctor: %v", left)
	}
}

// procsWithArg lists the processes whose command line has arg, from /proc.
func procsWithArg(t *testing.T, arg string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var out []string
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(cmdline) == 0 {
			continue
		}
		if slices.Contains(strings.Split(string(cmdline), "\x00"), arg) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return out
}
