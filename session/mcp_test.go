package session

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/toolmux/toolmux/auth"
	"github.com/toolmux/toolmux/tools"
)

// TestMCPUpstreamToolkit declares the real @modelcontextprotocol/server-everything as an mcp toolkit and searches
// and executes its tools through a session next to the OpenAPI petstore.
func TestMCPUpstreamToolkit(t *testing.T) {
	bin, err := filepath.Abs(filepath.Join("..", "test-tools", "node_modules", ".bin", "mcp-server-everything"))
	if err != nil {
		t.Fatal(err)
	}
	node, lookErr := exec.LookPath("node")
	if _, statErr := os.Stat(bin); statErr != nil || lookErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node or %s is missing and CI is set: run npm ci in test-tools", bin)
		}
		t.Skipf("node or %s is missing (run npm ci in test-tools); skipping", bin)
	}
	f := newFixture(t, fmt.Sprintf(`
[[toolkits]]
slug = "everything"
type = "mcp"
command = %q
args = [%q, "stdio"]
env = { TOOLMUX_TEST_UPSTREAM = "set-by-config" }
`, node, bin))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	static := auth.NewStatic(f.cfg.Auth)
	cat, err := LoadCatalog(ctx, CatalogOptions{Config: f.cfg, DB: f.db, StateDir: f.stateDir, Auth: static})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cat.Close() })
	if len(cat.Problems) > 0 {
		t.Fatalf("catalog problems: %v", cat.Problems)
	}
	if tk := cat.Toolkit("everything"); tk == nil || tk.Source != tools.SourceMCP {
		t.Fatalf("everything toolkit = %+v", tk)
	}
	s, err := Open(ctx, f.db, ReadyCatalog(cat), Options{
		Name: "mcp", UserID: "alice", StateDir: f.stateDir, Execution: f.cfg.Execution, Connections: static,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.WithoutCancel(ctx))

	found, err := s.Search(ctx, SearchRequest{Queries: []SearchQuery{{UseCase: "echo back a message"}}, Toolkits: []string{"everything"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := found.Results[0].PrimaryToolSlugs; !slices.Contains(got, "EVERYTHING_ECHO") {
		t.Fatalf("search for echo found %v", got)
	}

	out, err := s.Execute(ctx, ExecRequest{Calls: []ExecCall{
		{ToolSlug: "EVERYTHING_ECHO", Arguments: map[string]any{"message": "through toolmux"}},
		{ToolSlug: "EVERYTHING_GET_STRUCTURED_CONTENT", Arguments: map[string]any{"location": "New York"}},
		{ToolSlug: "EVERYTHING_GET_ENV"},
		{ToolSlug: "PETSTORE_LISTPETS", Arguments: map[string]any{"limit": 1.0}},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"through toolmux", `"temperature":33`, "set-by-config", ""} {
		r := out.Results[i]
		if !r.Response.Successful {
			t.Fatalf("call %d (%s) failed: %s", i, r.ToolSlug, deref(r.Response.Error))
		}
		data, _ := json.Marshal(r.Response.Data)
		if !strings.Contains(string(data), want) {
			t.Errorf("call %d (%s) = %s, want %s in it", i, r.ToolSlug, data, want)
		}
	}
	// The environment is explicit: a variable of toolmux's own that is not passed through stays out.
	data, _ := json.Marshal(out.Results[2].Response.Data)
	if strings.Contains(string(data), "TOOLMUX_TEST_PET_KEY") {
		t.Errorf("upstream inherited toolmux's environment: %s", data)
	}
}

// TestMCPUpstreamBrokenIsAProblem: an upstream that cannot start is reported in Problems; the other toolkits load.
func TestMCPUpstreamBrokenIsAProblem(t *testing.T) {
	f := newFixture(t, fmt.Sprintf(`
[[toolkits]]
slug = "broken"
type = "mcp"
command = %q
`, filepath.Join(t.TempDir(), "no-such-server")))
	cat, err := LoadCatalog(context.Background(), CatalogOptions{Config: f.cfg, DB: f.db, StateDir: f.stateDir})
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	if len(cat.Problems) != 1 || !strings.Contains(cat.Problems[0], `toolkit "broken"`) || !strings.Contains(cat.Problems[0], "start upstream") {
		t.Fatalf("problems = %v, want the broken upstream", cat.Problems)
	}
	if cat.Toolkit("petstore") == nil || cat.Executor("broken") != nil {
		t.Fatal("the broken upstream took the catalog down or kept an executor")
	}
}
