package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/auth"
	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/session"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

func petAPI(t testing.TB) string {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/pets", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[{"id":1,"name":"rex"}]`))
	})
	mux.HandleFunc("POST /v1/pets", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"id":7,"name":"tom"}`))
	})
	mux.HandleFunc("GET /v1/pets/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q}`, r.PathValue("id"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

type serverOpts struct {
	prefix string
	noMeta bool
	filter tools.Filter
	expose []string
}

// newSession opens a fresh session (own state dir) whose catalog holds the petstore toolkit served by petAPI.
// adjust may change the config before the session opens; o's state, execution, workbench and connection fields
// are filled in.
func newSession(t testing.TB, adjust func(*config.Config), o session.Options) *session.Session {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	spec, _ := filepath.Abs(filepath.Join("..", "session", "testdata", "petstore.yaml"))
	cfg, err := config.Parse([]byte(fmt.Sprintf("[[toolkits]]\nslug=\"petstore\"\ntype=\"openapi\"\nspec=%q\nbase_url=%q\n", spec, petAPI(t))), filepath.Join(dir, "c.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if adjust != nil {
		adjust(cfg)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	static := auth.NewStatic(cfg.Auth)
	future := session.LoadCatalogAsync(ctx, session.CatalogOptions{Config: cfg, DB: db, StateDir: dir, Auth: static})
	t.Cleanup(func() { _ = future.Close(context.Background()) }) // the load writes the catalog cache into dir
	o.Name, o.UserID, o.StateDir = "t", "u", dir
	o.Execution, o.Workbench, o.Connections = cfg.Execution, cfg.Workbench, static
	sess, err := session.Open(ctx, db, future, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close(context.Background()) })
	return sess
}

// connectClient serves srv to a go-sdk client over in-memory transports.
func connectClient(t testing.TB, srv *mcp.Server, copts *mcp.ClientOptions, copt *mcp.ClientSessionOptions) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, copts).Connect(ctx, ct, copt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// connect starts a server for a fresh session and connects a go-sdk client over in-memory transports.
func connect(t *testing.T, o serverOpts) *mcp.ClientSession {
	t.Helper()
	sess := newSession(t, nil, session.Options{Filter: o.filter, Expose: o.expose})
	srv, err := New(context.Background(), Options{Session: sess, Prefix: o.prefix, NoMeta: o.noMeta, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return connectClient(t, srv, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			progressMu.Lock()
			progressSeen = append(progressSeen, req.Params.Message)
			progressMu.Unlock()
		},
	}, nil)
}

var (
	progressMu   sync.Mutex
	progressSeen []string
)

func toolNames(t *testing.T, cs *mcp.ClientSession) map[string]*mcp.Tool {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*mcp.Tool{}
	for _, tool := range res.Tools {
		out[tool.Name] = tool
	}
	return out
}

func call(t *testing.T, cs *mcp.ClientSession, name string, args any, progressToken any) (map[string]any, bool) {
	t.Helper()
	params := &mcp.CallToolParams{Name: name, Arguments: args}
	if progressToken != nil {
		params.SetProgressToken(progressToken)
	}
	res, err := cs.CallTool(context.Background(), params)
	if err != nil {
		t.Fatalf("%s: protocol error %v", name, err)
	}
	raw, _ := json.Marshal(res.StructuredContent)
	var env map[string]any
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("%s: structured content %s: %v", name, raw, err)
	}
	text := res.Content[0].(*mcp.TextContent).Text
	var fromText map[string]any
	if err := json.Unmarshal([]byte(text), &fromText); err != nil {
		t.Errorf("%s: text content is not the JSON envelope: %v", name, err)
	}
	if _, ok := env["successful"]; !ok {
		t.Errorf("%s: result lacks the envelope: %s", name, raw)
	}
	return env, res.IsError
}

func TestMetaToolsListed(t *testing.T) {
	cs := connect(t, serverOpts{})
	tools := toolNames(t, cs)
	for _, name := range []string{"COMPOSIO_SEARCH_TOOLS", "COMPOSIO_GET_TOOL_SCHEMAS", "COMPOSIO_MULTI_EXECUTE_TOOL", "COMPOSIO_REMOTE_WORKBENCH", "COMPOSIO_REMOTE_BASH_TOOL"} {
		tool, ok := tools[name]
		if !ok {
			t.Errorf("%s not listed", name)
			continue
		}
		if tool.Annotations == nil || tool.Description == "" {
			t.Errorf("%s lacks annotations or description", name)
		}
	}
	if len(tools) != 5 {
		t.Errorf("listed %d tools, want only the 5 meta tools by default", len(tools))
	}
	if !tools["COMPOSIO_SEARCH_TOOLS"].Annotations.ReadOnlyHint {
		t.Error("search must be read-only")
	}
}

func TestPrefix(t *testing.T) {
	tools := toolNames(t, connect(t, serverOpts{prefix: "TOOLMUX"}))
	if _, ok := tools["TOOLMUX_SEARCH_TOOLS"]; !ok || len(tools) != 5 {
		t.Errorf("tools = %v", tools)
	}
}

func TestNoMetaAndExpose(t *testing.T) {
	direct := toolNames(t, connect(t, serverOpts{noMeta: true, filter: tools.Filter{Toolkits: tools.List{Enable: []string{"petstore"}}, Tags: tools.List{Enable: []string{tools.TagReadOnly}}}}))
	if _, ok := direct["COMPOSIO_SEARCH_TOOLS"]; ok {
		t.Error("--no-meta must not list meta tools")
	}
	if _, ok := direct["PETSTORE_LISTPETS"]; !ok {
		t.Errorf("--no-meta must list the filtered toolkit tools: %v", direct)
	}
	if _, ok := direct["PETSTORE_CREATEPET"]; ok {
		t.Error("a tool outside the tag filter was listed")
	}
	if tool := direct["PETSTORE_LISTPETS"]; tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
		t.Error("toolkit tools must carry their annotations")
	}

	cs := connect(t, serverOpts{expose: []string{"PETSTORE_GETPET", "PETSTORE_NOPE"}})
	listed := toolNames(t, cs)
	if _, ok := listed["PETSTORE_GETPET"]; !ok || len(listed) != 6 {
		t.Errorf("exposed tools = %v, want 5 meta tools + PETSTORE_GETPET", listed)
	}
	env, isErr := call(t, cs, "PETSTORE_GETPET", map[string]any{"petId": "42"}, nil)
	if isErr || env["successful"] != true {
		t.Fatalf("direct call failed: %v", env)
	}
	if got := env["data"].(map[string]any)["id"]; got != "42" {
		t.Errorf("direct call data = %v", env["data"])
	}
	env, isErr = call(t, cs, "PETSTORE_GETPET", map[string]any{}, nil)
	if !isErr || !strings.Contains(env["error"].(string), "petId") {
		t.Errorf("missing argument: isError=%v env=%v", isErr, env)
	}
}

func TestSearchSchemasExecute(t *testing.T) {
	cs := connect(t, serverOpts{})
	env, isErr := call(t, cs, "COMPOSIO_SEARCH_TOOLS", map[string]any{
		"queries": []any{map[string]any{"use_case": "create a pet"}},
		"session": map[string]any{"generate_id": true},
	}, nil)
	if isErr {
		t.Fatalf("search failed: %v", env)
	}
	data := env["data"].(map[string]any)
	results := data["results"].([]any)
	primary := results[0].(map[string]any)["primary_tool_slugs"].([]any)
	if len(primary) == 0 || primary[0] != "PETSTORE_CREATEPET" {
		t.Errorf("primary = %v", primary)
	}
	if data["session"].(map[string]any)["id"] != "t" {
		t.Errorf("session block = %v", data["session"])
	}
	for _, key := range []string{"toolkit_connection_statuses", "tool_schemas", "restricted_tool_slugs", "memory"} {
		if _, ok := data[key]; !ok {
			t.Errorf("search data lacks %q", key)
		}
	}

	env, _ = call(t, cs, "COMPOSIO_GET_TOOL_SCHEMAS", map[string]any{"tool_slugs": []any{"PETSTORE_CREATEPET", "PETSTORE_CREATE_PETS"}}, nil)
	data = env["data"].(map[string]any)
	if _, ok := data["tool_schemas"].(map[string]any)["PETSTORE_CREATEPET"]; !ok {
		t.Errorf("schemas = %v", data)
	}
	if nf := data["not_found"].([]any); len(nf) != 1 {
		t.Errorf("not_found = %v", nf)
	}
	if sug := data["suggestions"].(map[string]any)["PETSTORE_CREATE_PETS"].([]any); len(sug) == 0 || sug[0] != "PETSTORE_CREATEPET" {
		t.Errorf("suggestions = %v", sug)
	}

	progressMu.Lock()
	progressSeen = nil
	progressMu.Unlock()
	env, isErr = call(t, cs, "COMPOSIO_MULTI_EXECUTE_TOOL", map[string]any{
		"tools": []any{
			map[string]any{"tool_slug": "PETSTORE_CREATEPET", "arguments": map[string]any{"name": "tom"}},
			map[string]any{"tool_slug": "PETSTORE_LISTPETS", "arguments": map[string]any{}},
			map[string]any{"tool_slug": "PETSTORE_GETPET", "arguments": map[string]any{"petId": 5}},
		},
		"sync_response_to_workbench": false,
		"memory":                     map[string]any{"pets": []any{"tom has id 7"}},
	}, "tok-1")
	if isErr {
		t.Fatalf("multi execute failed: %v", env)
	}
	data = env["data"].(map[string]any)
	res := data["results"].([]any)
	if len(res) != 3 || data["error_count"].(float64) != 1 {
		t.Fatalf("results = %v", data)
	}
	if r := res[2].(map[string]any)["response"].(map[string]any); r["successful"] != false || !strings.Contains(r["error"].(string), "petId") {
		t.Errorf("wrong-type argument: %v", r)
	}
	// Notifications are handled by the client asynchronously: give the last one a moment to arrive.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		progressMu.Lock()
		n := len(progressSeen)
		progressMu.Unlock()
		if n >= 3 {
			break
		}
	}
	progressMu.Lock()
	if len(progressSeen) != 3 {
		t.Errorf("progress notifications = %v, want 3", progressSeen)
	}
	progressMu.Unlock()

	env, isErr = call(t, cs, "COMPOSIO_SEARCH_TOOLS", map[string]any{"queries": []any{map[string]any{"use_case": "list pets"}}}, nil)
	if mem := env["data"].(map[string]any)["memory"].(map[string]any); len(mem["pets"].([]any)) != 1 {
		t.Errorf("memory from multi-execute not returned by search: %v", mem)
	}

	env, isErr = call(t, cs, "COMPOSIO_MULTI_EXECUTE_TOOL", map[string]any{"tools": []any{}}, nil)
	if !isErr || env["error"] == nil {
		t.Errorf("empty tools: isError=%v env=%v", isErr, env)
	}
}

// TestOnFirstToolsList: the hook runs once, after the first tools/list, not at the handshake.
func TestOnFirstToolsList(t *testing.T) {
	sess := newSession(t, nil, session.Options{})
	called := make(chan struct{}, 4)
	srv, err := New(context.Background(), Options{Session: sess, Version: "test", OnFirstToolsList: func() { called <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	cs := connectClient(t, srv, nil, nil)
	if err := cs.Ping(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-called:
		t.Fatal("ran before any tools/list")
	default:
	}
	for range 3 {
		toolNames(t, cs)
	}
	select {
	case <-called:
	case <-time.After(10 * time.Second):
		t.Fatal("did not run after tools/list")
	}
	// A second run would have been started by the time the third list was answered; give it a moment to show.
	if err := cs.Ping(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-called:
		t.Fatal("ran twice")
	case <-time.After(50 * time.Millisecond):
	}
}
