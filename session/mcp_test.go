package session

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/auth"
	"github.com/toolmux/toolmux/tools"
	"github.com/toolmux/toolmux/tools/mcpproxy"
)

// nodeServer returns node and the path of an MCP server binary from test-tools, skipping (or failing under CI) when
// either is missing.
func nodeServer(t *testing.T, name string) (node, bin string) {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join("..", "test-tools", "node_modules", ".bin", name))
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
	return node, bin
}

// childProcs lists the processes whose parent is this test process (zombies included) and whose command name is
// one an upstream of these tests runs as (other tests of the package may have children of their own).
func childProcs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var out []string
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		comm := s[strings.IndexByte(s, '(')+1 : strings.LastIndexByte(s, ')')]
		if len(f) >= 2 && f[1] == strconv.Itoa(os.Getpid()) && slices.Contains([]string{"node", "sh", "sleep", "mcp-server-ever"}, comm) {
			out = append(out, e.Name()+" "+s[:strings.LastIndexByte(s, ')')+1])
		}
	}
	return out
}

// TestMCPUpstreamCachedToolList: the first catalog load starts the upstream to list its tools and caches them; the
// next load starts nothing, search finds the tools from the cache, and the first call starts the upstream once.
func TestMCPUpstreamCachedToolList(t *testing.T) {
	node, bin := nodeServer(t, "mcp-server-everything")
	f := newFixture(t, fmt.Sprintf(`
[[toolkits]]
slug = "everything"
type = "mcp"
command = %q
args = [%q, "stdio"]
`, node, bin))
	f.cfg.Execution.TimeoutSeconds = 60 // the first call includes the lazy start
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	upstream := func(c *Catalog) *mcpproxy.Client {
		if len(c.upstreams) != 1 {
			t.Fatalf("catalog has %d upstreams, want 1", len(c.upstreams))
		}
		return c.upstreams[0]
	}

	first := f.catalog(t)
	if n := upstream(first).Starts(); n != 1 {
		t.Fatalf("first load started the upstream %d times, want 1 (to list its tools)", n)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if kids := childProcs(t); len(kids) > 0 {
		t.Fatalf("processes %v remain after Close", kids)
	}

	second := f.catalog(t)
	t.Cleanup(func() { _ = second.Close() })
	u := upstream(second)
	if n, kids := u.Starts(), childProcs(t); n != 0 || len(kids) > 0 {
		t.Fatalf("second load started the upstream (%d starts, child processes %v); want the cached tool list", n, kids)
	}
	if st := u.Status(); st.State != mcpproxy.StateIdle || st.Tools < 10 {
		t.Fatalf("status after a cached load = %+v", st)
	}
	s, err := Open(ctx, f.db, ReadyCatalog(second), Options{Name: "cached", UserID: "alice", StateDir: f.stateDir, Execution: f.cfg.Execution})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.WithoutCancel(ctx))
	found, err := s.Search(ctx, SearchRequest{Queries: []SearchQuery{{UseCase: "echo back a message"}}, Toolkits: []string{"everything"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := found.Results[0].PrimaryToolSlugs; !slices.Contains(got, "EVERYTHING_ECHO") {
		t.Fatalf("search from the cached list found %v", got)
	}
	if n := u.Starts(); n != 0 {
		t.Fatalf("search started the upstream %d times", n)
	}
	out, err := s.Execute(ctx, ExecRequest{Calls: []ExecCall{{ToolSlug: "EVERYTHING_ECHO", Arguments: map[string]any{"message": "lazy"}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := out.Results[0]; !r.Response.Successful || !strings.Contains(fmt.Sprint(r.Response.Data), "lazy") {
		t.Fatalf("first call = %+v (%s)", r.Response, deref(r.Response.Error))
	}
	if n := u.Starts(); n != 1 {
		t.Fatalf("first call started the upstream %d times, want 1", n)
	}
	statuses, err := UpstreamStatuses(ctx, f.cfg, f.db)
	if err != nil {
		t.Fatal(err)
	}
	if len(statuses) != 1 || statuses[0].Cached < 10 || statuses[0].Recorded.State != "running" {
		t.Fatalf("upstream statuses = %+v", statuses)
	}

	// A changed declaration is a different cache entry: the next load lists again.
	f.cfg.Toolkits[1].Env = map[string]string{"CHANGED": "1"}
	third := f.catalog(t)
	defer third.Close()
	if n := upstream(third).Starts(); n != 1 {
		t.Fatalf("load after the declaration changed started the upstream %d times, want 1", n)
	}
}

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

// TestMCPUpstreamBrokenIsAProblem: an upstream that cannot start, exits at once or prints junk is reported in
// Problems; the other toolkits load, and no process of it remains.
func TestMCPUpstreamBrokenIsAProblem(t *testing.T) {
	for _, tc := range []struct {
		name, command string
		args          []string
	}{
		{"missing command", filepath.Join(t.TempDir(), "no-such-server"), nil},
		{"exits at once", "/bin/sh", []string{"-c", "exit 3"}},
		{"prints junk", "/bin/sh", []string{"-c", "echo 'this is not json-rpc'; exec sleep 30"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args, _ := json.Marshal(tc.args)
			if tc.args == nil {
				args = []byte("[]")
			}
			f := newFixture(t, fmt.Sprintf(`
[[toolkits]]
slug = "broken"
type = "mcp"
command = %q
args = %s
`, tc.command, args))
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
			if kids := childProcs(t); len(kids) > 0 {
				t.Fatalf("processes %v remain", kids)
			}
			statuses, err := UpstreamStatuses(context.Background(), f.cfg, f.db)
			if err != nil {
				t.Fatal(err)
			}
			if len(statuses) != 1 || statuses[0].Recorded.State != "failed" || !strings.Contains(statuses[0].Recorded.LastError, "start upstream broken") {
				t.Fatalf("recorded status = %+v, want the failure for doctor", statuses)
			}
		})
	}
}

// remoteAddServer is a streamable HTTP MCP server (a real go-sdk server) with one tool, add, that answers only
// requests carrying X-Api-Key: key.
func remoteAddServer(t *testing.T, key string) *httptest.Server {
	t.Helper()
	srv := mcp.NewServer(&mcp.Implementation{Name: "remote", Version: "2.0.0"}, nil)
	type in struct {
		A, B int
	}
	mcp.AddTool(srv, &mcp.Tool{Name: "add", Description: "Add two numbers"}, func(ctx context.Context, req *mcp.CallToolRequest, in in) (*mcp.CallToolResult, map[string]int, error) {
		return nil, map[string]int{"sum": in.A + in.B}, nil
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != key {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TestMCPUpstreamHTTP declares a streamable HTTP upstream (a real go-sdk server) whose header references a variable,
// and executes its tool through a session.
func TestMCPUpstreamHTTP(t *testing.T) {
	ts := remoteAddServer(t, "k-123")
	f := newFixture(t, fmt.Sprintf(`
[[toolkits]]
slug = "remote"
type = "mcp"
url = %q
headers = { X-Api-Key = "env:TOOLMUX_TEST_REMOTE_KEY" }
`, ts.URL))
	ctx := context.Background()

	// Without the variable the toolkit is a problem naming it; the rest loads.
	cat, err := LoadCatalog(ctx, CatalogOptions{Config: f.cfg, DB: f.db, StateDir: f.stateDir})
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Problems) != 1 || !strings.Contains(cat.Problems[0], "TOOLMUX_TEST_REMOTE_KEY") || cat.Toolkit("petstore") == nil {
		t.Fatalf("problems = %v, want one naming the variable", cat.Problems)
	}
	cat.Close()

	t.Setenv("TOOLMUX_TEST_REMOTE_KEY", "k-123")
	cat = f.catalog(t)
	defer cat.Close()
	checkRemoteAdd(t, f, cat, 2, 3)
}

// checkRemoteAdd calls remoteAddServer's add tool through a session over cat and checks the sum.
func checkRemoteAdd(t *testing.T, f *fixture, cat *Catalog, a, b int) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, f.db, ReadyCatalog(cat), Options{Name: "remote", UserID: "alice", StateDir: f.stateDir, Execution: f.cfg.Execution})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	out, err := s.Execute(ctx, ExecRequest{Calls: []ExecCall{{ToolSlug: "REMOTE_ADD", Arguments: map[string]any{"A": a, "B": b}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := out.Results[0]; !r.Response.Successful || fmt.Sprint(r.Response.Data) != fmt.Sprintf("map[sum:%d]", a+b) {
		t.Fatalf("REMOTE_ADD = %+v (%s)", r.Response.Data, deref(r.Response.Error))
	}
}

// TestMCPUpstreamHTTPKeyringHeader declares the header as keyring:NAME: the value comes from the secret store, and
// until it is stored the toolkit is a problem that gives the command storing it.
func TestMCPUpstreamHTTPKeyringHeader(t *testing.T) {
	ts := remoteAddServer(t, "k-keyring-9")
	f := newFixture(t, fmt.Sprintf(`
[[toolkits]]
slug = "remote"
type = "mcp"
url = %q
headers = { X-Api-Key = "keyring:REMOTE_KEY" }
`, ts.URL))
	ctx := context.Background()
	secrets := &auth.FileStore{Path: filepath.Join(t.TempDir(), "secrets.json")}

	cat, err := LoadCatalog(ctx, CatalogOptions{Config: f.cfg, DB: f.db, StateDir: f.stateDir, Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Problems) != 1 || !strings.Contains(cat.Problems[0], "toolmux secrets set REMOTE_KEY") {
		t.Fatalf("problems = %v, want one giving the command that stores the secret", cat.Problems)
	}
	cat.Close()

	if err := auth.SetNamedSecret(ctx, secrets, "REMOTE_KEY", "k-keyring-9"); err != nil {
		t.Fatal(err)
	}
	cat, err = LoadCatalog(ctx, CatalogOptions{Config: f.cfg, DB: f.db, StateDir: f.stateDir, Secrets: secrets})
	if err != nil || len(cat.Problems) != 0 {
		t.Fatalf("LoadCatalog: %v, problems %v", err, cat.Problems)
	}
	defer cat.Close()
	checkRemoteAdd(t, f, cat, 4, 5)
}

// TestMCPUpstreamToolListLive: a tool the upstream adds (it sends tools/list_changed) is searchable and callable in
// the running catalog, listeners hear of it once, and a tool it removes is gone; an unchanged list changes nothing.
func TestMCPUpstreamToolListLive(t *testing.T) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "remote", Version: "2.0.0"}, nil)
	type in struct {
		Text string `json:"text"`
	}
	mcp.AddTool(srv, &mcp.Tool{Name: "echo", Description: "Echo a text back"}, func(ctx context.Context, req *mcp.CallToolRequest, in in) (*mcp.CallToolResult, map[string]string, error) {
		return nil, map[string]string{"text": in.Text}, nil
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	ts := httptest.NewServer(h)
	defer ts.Close()
	f := newFixture(t, fmt.Sprintf("\n[[toolkits]]\nslug = \"remote\"\ntype = \"mcp\"\nurl = %q\n", ts.URL))
	ctx := context.Background()
	cat := f.catalog(t)
	defer cat.Close()
	changed := make(chan struct{}, 10)
	cancel := cat.OnChange(func() { changed <- struct{}{} })
	defer cancel()
	s, err := Open(ctx, f.db, ReadyCatalog(cat), Options{Name: "live", UserID: "alice", StateDir: f.stateDir, Execution: f.cfg.Execution})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	exec1 := func(slug string, args map[string]any) ExecResult {
		t.Helper()
		out, err := s.Execute(ctx, ExecRequest{Calls: []ExecCall{{ToolSlug: slug, Arguments: args}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return out.Results[0]
	}
	if r := exec1("REMOTE_ECHO", map[string]any{"text": "hi"}); !r.Response.Successful {
		t.Fatalf("REMOTE_ECHO: %s", deref(r.Response.Error))
	}
	before := cat.Index()
	wait := func(what string) {
		t.Helper()
		select {
		case <-changed:
		case <-time.After(20 * time.Second):
			t.Fatalf("no catalog change after %s", what)
		}
	}

	mcp.AddTool(srv, &mcp.Tool{Name: "shout", Description: "Repeat a text in capital letters"}, func(ctx context.Context, req *mcp.CallToolRequest, in in) (*mcp.CallToolResult, map[string]string, error) {
		return nil, map[string]string{"text": strings.ToUpper(in.Text)}, nil
	})
	wait("the upstream added a tool")
	if cat.Tool("REMOTE_SHOUT") == nil || cat.Toolkit("remote") == nil || len(cat.Toolkit("remote").Tools) != 2 {
		t.Fatalf("REMOTE_SHOUT is not in the catalog after tools/list_changed")
	}
	if cat.Index() == before {
		t.Fatal("the search index was not rebuilt for the new tool list")
	}
	hits := cat.Index().Search("repeat text in capital letters", nil, 3)
	if len(hits) == 0 || hits[0].Tool.Slug != "REMOTE_SHOUT" {
		t.Fatalf("search for the new tool: %v", hits)
	}
	r := exec1("REMOTE_SHOUT", map[string]any{"text": "hi"})
	if !r.Response.Successful || fmt.Sprint(r.Response.Data) != "map[text:HI]" {
		t.Fatalf("REMOTE_SHOUT = %+v (%s)", r.Response.Data, deref(r.Response.Error))
	}
	if pets := cat.Toolkit("petstore"); pets == nil || len(pets.Tools) == 0 {
		t.Fatal("the other toolkits must stay")
	}

	srv.RemoveTools("shout")
	wait("the upstream removed a tool")
	if cat.Tool("REMOTE_SHOUT") != nil {
		t.Fatal("REMOTE_SHOUT is still in the catalog after the upstream removed it")
	}
	r = exec1("REMOTE_SHOUT", map[string]any{"text": "hi"})
	if r.Response.Successful || !strings.Contains(deref(r.Response.Error), "REMOTE_SHOUT") {
		t.Fatalf("calling the removed tool: %+v", r.Response)
	}

	// The same list again (as after a restart with an unchanged server) is no change.
	tk, err := cat.Upstream("remote").List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cat.replaceToolkit(tk)
	select {
	case <-changed:
		t.Fatal("an unchanged tool list was announced as a change")
	case <-time.After(200 * time.Millisecond): // the listener runs in a goroutine: give it the chance to be wrong
	}
}
