package session

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/toolmux/toolmux/auth"
	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

// petServer is a local fake of the petstore API described in testdata/petstore.yaml.
type petServer struct {
	*httptest.Server
	calls    atomic.Int64
	mu       sync.Mutex
	lastKey  string
	slowWait atomic.Int64 // nanoseconds
}

func newPetServer(t *testing.T) *petServer {
	ps := &petServer{}
	ps.slowWait.Store(int64(2 * time.Second))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/pets", func(w http.ResponseWriter, r *http.Request) {
		ps.record(r)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `[{"id":1,"name":"rex","limit":%q}]`, r.URL.Query().Get("limit"))
	})
	mux.HandleFunc("POST /v1/pets", func(w http.ResponseWriter, r *http.Request) {
		ps.record(r)
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, `{"message":"bad json"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":7,"name":%q}`, body["name"])
	})
	mux.HandleFunc("GET /v1/pets/{id}", func(w http.ResponseWriter, r *http.Request) {
		ps.record(r)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"name":"rex"}`, r.PathValue("id"))
	})
	mux.HandleFunc("GET /v1/slow", func(w http.ResponseWriter, r *http.Request) {
		ps.record(r)
		select {
		case <-time.After(time.Duration(ps.slowWait.Load())):
		case <-r.Context().Done():
		}
		w.Write([]byte(`{}`))
	})
	mux.HandleFunc("GET /v1/big", func(w http.ResponseWriter, r *http.Request) {
		ps.record(r)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"rows":"` + strings.Repeat("x", 30000) + `"}`))
	})
	mux.HandleFunc("GET /v1/fail", func(w http.ResponseWriter, r *http.Request) {
		ps.record(r)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"message":"database on fire"}`))
	})
	ps.Server = httptest.NewServer(mux)
	t.Cleanup(ps.Close)
	return ps
}

func (ps *petServer) record(r *http.Request) {
	ps.calls.Add(1)
	ps.mu.Lock()
	ps.lastKey = r.Header.Get("X-Api-Key")
	ps.mu.Unlock()
}

type fixture struct {
	db       *store.DB
	cfg      *config.Config
	stateDir string
	pets     *petServer
}

func newFixture(t *testing.T, extraTOML string) *fixture {
	t.Helper()
	pets := newPetServer(t)
	dir := t.TempDir()
	spec, err := filepath.Abs(filepath.Join("testdata", "petstore.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOOLMUX_TEST_PET_KEY", "pet-secret-123")
	text := fmt.Sprintf(`
[execution]
timeout_seconds = 1
concurrency = 4
offload_threshold_chars = 20000

[[toolkits]]
slug = "petstore"
type = "openapi"
spec = %q
base_url = %q

[auth.petstore]
scheme = "API_KEY"
token = "env:TOOLMUX_TEST_PET_KEY"
%s`, spec, pets.URL+"/v1", extraTOML)
	cfg, err := config.Parse([]byte(text), filepath.Join(dir, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &fixture{db: db, cfg: cfg, stateDir: dir, pets: pets}
}

func (f *fixture) catalog(t *testing.T) *Catalog {
	t.Helper()
	cat, err := LoadCatalog(context.Background(), CatalogOptions{Config: f.cfg, DB: f.db, StateDir: f.stateDir, Auth: auth.NewStatic(f.cfg.Auth)})
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Problems) > 0 {
		t.Fatalf("catalog problems: %v", cat.Problems)
	}
	return cat
}

func (f *fixture) open(t *testing.T, name string, filter tools.Filter) *Session {
	t.Helper()
	static := auth.NewStatic(f.cfg.Auth)
	cat, err := LoadCatalog(context.Background(), CatalogOptions{Config: f.cfg, DB: f.db, StateDir: f.stateDir, Auth: static})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), f.db, ReadyCatalog(cat), Options{
		Name: name, UserID: "alice", Filter: filter, StateDir: f.stateDir, Execution: f.cfg.Execution, Connections: static,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCatalogIncludesBuiltinAndImported(t *testing.T) {
	f := newFixture(t, "")
	cat := f.catalog(t)
	for _, slug := range []string{"PETSTORE_LISTPETS", "PETSTORE_CREATEPET", "GITHUB_CREATE_ISSUE"} {
		if cat.Tool(slug) == nil {
			t.Errorf("catalog lacks %s", slug)
		}
	}
}

func TestCatalogCacheSkipsParsing(t *testing.T) {
	f := newFixture(t, "")
	first := f.catalog(t)
	before := compilations.Load()
	second := f.catalog(t)
	if n := compilations.Load() - before; n != 0 {
		t.Errorf("second load compiled %d toolkits; it must read every one from the cache", n)
	}
	a, _ := json.Marshal(first.Tool("PETSTORE_CREATEPET"))
	b, _ := json.Marshal(second.Tool("PETSTORE_CREATEPET"))
	if string(a) != string(b) {
		t.Errorf("cached tool differs from compiled tool:\n%s\n%s", a, b)
	}
	// A changed document is compiled again.
	spec := filepath.Join(t.TempDir(), "petstore.yaml")
	data, _ := os.ReadFile(f.cfg.Toolkits[0].Spec)
	os.WriteFile(spec, append(data, []byte("\n# changed\n")...), 0o600)
	f.cfg.Toolkits[0].Spec = spec
	before = compilations.Load()
	f.catalog(t)
	if n := compilations.Load() - before; n != 1 {
		t.Errorf("changed document: compiled %d toolkits, want 1", n)
	}
}

func TestCatalogBuiltinClash(t *testing.T) {
	f := newFixture(t, "")
	spec := f.cfg.Toolkits[0].Spec
	for _, tc := range []struct {
		replace bool
		wantErr string
	}{{false, "slug of a built-in toolkit"}, {true, ""}} {
		cfg, err := config.Parse([]byte(fmt.Sprintf("[[toolkits]]\nslug=\"github\"\ntype=\"openapi\"\nspec=%q\nbase_url=\"http://x.invalid\"\nreplace=%v\n", spec, tc.replace)), "c.toml")
		if err != nil {
			t.Fatal(err)
		}
		cat, err := LoadCatalog(context.Background(), CatalogOptions{Config: cfg, DB: f.db, StateDir: f.stateDir})
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("replace=%v: err = %v, want %q", tc.replace, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if cat.Tool("GITHUB_LISTPETS") == nil || cat.Tool("GITHUB_CREATE_ISSUE") != nil {
			t.Error("replace = true must use the imported document instead of the built-in toolkit")
		}
	}
}

func TestCatalogBrokenToolkitIsAProblemNotAFailure(t *testing.T) {
	f := newFixture(t, "")
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"openapi": "3.0.0", "paths": {"/x": {"get": {"responses": {"200": {"$ref": "https://evil.invalid/r"}}}}}}`), 0o600)
	cfg, err := config.Parse([]byte(fmt.Sprintf("[[toolkits]]\nslug=\"bad\"\ntype=\"openapi\"\nspec=%q\n[[toolkits]]\nslug=\"missing\"\ntype=\"openapi\"\nspec=\"/nonexistent/spec.json\"\n", bad)), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := LoadCatalog(context.Background(), CatalogOptions{Config: cfg, DB: f.db, StateDir: f.stateDir})
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Problems) != 2 || cat.Tool("GITHUB_CREATE_ISSUE") == nil {
		t.Errorf("problems = %v; want 2 problems and the built-in toolkit still loaded", cat.Problems)
	}
	for _, p := range cat.Problems {
		if !strings.Contains(p, `"bad"`) && !strings.Contains(p, `"missing"`) {
			t.Errorf("problem does not name its toolkit: %s", p)
		}
	}
}

func TestExecute(t *testing.T) {
	f := newFixture(t, "")
	s := f.open(t, "exec", tools.Filter{Tags: tools.List{Disable: []string{tools.TagDestructive}}})
	ctx := context.Background()
	var progressed atomic.Int64
	out, err := s.Execute(ctx, ExecRequest{Calls: []ExecCall{
		{ToolSlug: "PETSTORE_LISTPETS", Arguments: map[string]any{"limit": 3.0}},
		{ToolSlug: "PETSTORE_CREATEPET", Arguments: map[string]any{"name": "tom"}},
		{ToolSlug: "petstore_getpet", Arguments: map[string]any{"petId": "../admin"}},
		{ToolSlug: "PETSTORE_LISTPET", Arguments: nil},
		{ToolSlug: "PETSTORE_CREATEPET", Arguments: map[string]any{"name": 5.0}},
		{ToolSlug: "PETSTORE_CREATEPET", Arguments: map[string]any{}},
		{ToolSlug: "PETSTORE_FAILINGCALL"},
		{ToolSlug: "PETSTORE_SLOWCALL"},
		{ToolSlug: "PETSTORE_DELETEPET", Arguments: map[string]any{"petId": "1"}},
		{ToolSlug: "PETSTORE_BIGREPORT"},
	}, Memory: map[string][]string{"pets": {"rex is id 1"}}}, func(done, total int, msg string) { progressed.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		ok      bool
		errWant []string
	}{
		{true, nil},
		{true, nil},
		{false, []string{"petId"}},
		{false, []string{`no tool "PETSTORE_LISTPET"`, "PETSTORE_LISTPETS"}},
		{false, []string{`"name"`, "string", "nothing was sent"}},
		{false, []string{`"name"`, "required"}},
		{false, []string{"500", "database on fire"}},
		{false, []string{"timed out"}},
		{false, []string{"not available in this session", "destructiveHint"}},
		{true, nil},
	}
	if len(out.Results) != len(want) {
		t.Fatalf("got %d results", len(out.Results))
	}
	for i, w := range want {
		r := out.Results[i]
		if r.Index != i {
			t.Errorf("result %d has index %d: results must keep input order", i, r.Index)
		}
		if r.Response.Successful != w.ok {
			t.Errorf("call %d (%s): successful = %v, error %v", i, r.ToolSlug, r.Response.Successful, deref(r.Response.Error))
			continue
		}
		for _, sub := range w.errWant {
			if !strings.Contains(deref(r.Response.Error), sub) {
				t.Errorf("call %d error %q lacks %q", i, deref(r.Response.Error), sub)
			}
		}
		if r.Response.Error != nil && strings.Contains(*r.Response.Error, "pet-secret-123") {
			t.Errorf("call %d error leaks the API key", i)
		}
	}
	if out.ErrorCount != 7 {
		t.Errorf("error_count = %d, want 7", out.ErrorCount)
	}
	if progressed.Load() != int64(len(want)) {
		t.Errorf("progress called %d times, want %d", progressed.Load(), len(want))
	}
	f.pets.mu.Lock()
	lastKey := f.pets.lastKey
	f.pets.mu.Unlock()
	if lastKey != "pet-secret-123" {
		t.Errorf("API key header = %q, want the configured secret", lastKey)
	}
	// Invalid calls never reach the server: list, create, get(../ refused before sending), fail, slow, big.
	if got := f.pets.calls.Load(); got != 5 {
		t.Errorf("server saw %d requests, want 5 (invalid calls must not be sent)", got)
	}
	big := out.Results[9]
	if big.FilePath == "" || !strings.HasPrefix(big.FilePath, "/mnt/files/outputs/PETSTORE_BIGREPORT-") {
		t.Fatalf("large response not offloaded: file_path %q", big.FilePath)
	}
	data, err := os.ReadFile(filepath.Join(s.FilesDir(), "outputs", filepath.Base(big.FilePath)))
	if err != nil || len(data) < 30000 {
		t.Errorf("offloaded file: %d bytes, %v", len(data), err)
	}
	mem, err := s.Memory(ctx)
	if err != nil || len(mem["pets"]) != 1 {
		t.Errorf("memory = %v, %v", mem, err)
	}
	execs, err := f.db.ListExecutions(ctx, store.ExecutionFilter{UserID: "alice", SessionID: "exec", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	// Every call that named a real tool is logged, including refused ones.
	if len(execs) != 9 {
		t.Errorf("execution log has %d rows, want 9", len(execs))
	}
}

func TestExecuteSyncToWorkbenchAndLimits(t *testing.T) {
	f := newFixture(t, "")
	s := f.open(t, "sync", tools.Filter{})
	ctx := context.Background()
	out, err := s.Execute(ctx, ExecRequest{SyncToWorkbench: true, Calls: []ExecCall{{ToolSlug: "PETSTORE_GETPET", Arguments: map[string]any{"petId": "9"}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Results[0].FilePath == "" {
		t.Error("sync_response_to_workbench must write the response to a file")
	}
	if _, err := s.Execute(ctx, ExecRequest{}, nil); err == nil {
		t.Error("an empty call list must be refused")
	}
	calls := make([]ExecCall, MaxCalls+1)
	if _, err := s.Execute(ctx, ExecRequest{Calls: calls}, nil); err == nil {
		t.Error("more than 50 calls must be refused")
	}
}

func TestExecuteRunsConcurrently(t *testing.T) {
	f := newFixture(t, "")
	f.pets.slowWait.Store(int64(300 * time.Millisecond))
	s := f.open(t, "conc", tools.Filter{})
	calls := make([]ExecCall, 4) // concurrency is 4 in the fixture
	for i := range calls {
		calls[i] = ExecCall{ToolSlug: "PETSTORE_SLOWCALL"}
	}
	start := time.Now()
	out, err := s.Execute(context.Background(), ExecRequest{Calls: calls}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.ErrorCount != 0 {
		t.Fatalf("errors: %+v", out.Results)
	}
	// Sequential would take 1.2 s; concurrent takes about 0.3 s. The bound is loose on purpose (shared machines).
	if elapsed := time.Since(start); elapsed > 1100*time.Millisecond {
		t.Errorf("4 calls of 300 ms took %s: they did not run concurrently", elapsed)
	}
}

func TestSearchSchemasAndRestricted(t *testing.T) {
	f := newFixture(t, "")
	s := f.open(t, "search", tools.Filter{Toolkits: tools.List{Enable: []string{"petstore"}}, Tags: tools.List{Disable: []string{tools.TagDestructive}}})
	ctx := context.Background()
	if err := s.Remember(ctx, map[string][]string{"owner": {"octo"}}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Search(ctx, SearchRequest{Queries: []SearchQuery{{UseCase: "create a new pet in the petstore"}, {UseCase: "delete a pet"}, {UseCase: "open an issue on GitHub"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Results[0].PrimaryToolSlugs; len(got) == 0 || got[0] != "PETSTORE_CREATEPET" {
		t.Errorf("primary for create = %v", got)
	}
	if _, ok := res.ToolSchemas["PETSTORE_CREATEPET"]; !ok || !res.ToolSchemas["PETSTORE_CREATEPET"].HasFullSchema {
		t.Error("primary tools must come with their full schema")
	}
	for _, r := range res.Results {
		for _, slug := range append(r.PrimaryToolSlugs, r.RelatedToolSlugs...) {
			if slug == "PETSTORE_DELETEPET" || strings.HasPrefix(slug, "GITHUB_") {
				t.Errorf("filtered tool %s returned by search", slug)
			}
		}
	}
	restricted := strings.Join(res.RestrictedToolSlugs, ",")
	if !strings.Contains(restricted, "PETSTORE_DELETEPET") || !strings.Contains(restricted, "GITHUB_CREATE_ISSUE") {
		t.Errorf("restricted_tool_slugs = %v, want the filtered best hits named", res.RestrictedToolSlugs)
	}
	if len(res.Memory["owner"]) != 1 {
		t.Errorf("memory not returned by search: %v", res.Memory)
	}
	if len(res.ToolkitConnectionStatuses) != 1 || !res.ToolkitConnectionStatuses[0].HasActiveConnection {
		t.Errorf("connection statuses = %+v", res.ToolkitConnectionStatuses)
	}
	steps := strings.Join(res.Results[0].RecommendedPlanSteps, "\n")
	if !strings.Contains(steps, "PETSTORE_CREATEPET") || !strings.Contains(steps, "name") {
		t.Errorf("plan steps do not name the tool and its required argument:\n%s", steps)
	}
	if _, err := s.Search(ctx, SearchRequest{Queries: []SearchQuery{{UseCase: "x"}}, Toolkits: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "petstore") {
		t.Errorf("unknown toolkit: err = %v, want the known toolkits listed", err)
	}
	if _, err := s.Search(ctx, SearchRequest{}); err == nil {
		t.Error("zero queries must be refused")
	}

	sch, err := s.Schemas(ctx, []string{"PETSTORE_GETPET", "PETSTORE_GETPETS", "PETSTORE_DELETEPET"}, []string{"input_schema", "output_schema"})
	if err != nil {
		t.Fatal(err)
	}
	if ts := sch.ToolSchemas["PETSTORE_GETPET"]; len(ts.InputSchema) == 0 || len(ts.OutputSchema) == 0 {
		t.Errorf("schemas: %+v", ts)
	}
	if len(sch.NotFound) != 1 || sch.Suggestions["PETSTORE_GETPETS"] == nil || sch.Suggestions["PETSTORE_GETPETS"][0] != "PETSTORE_GETPET" {
		t.Errorf("not_found = %v, suggestions = %v", sch.NotFound, sch.Suggestions)
	}
	if len(sch.RestrictedToolSlugs) != 1 {
		t.Errorf("restricted = %v", sch.RestrictedToolSlugs)
	}
	if _, err := s.Schemas(ctx, []string{"X"}, []string{"everything"}); err == nil {
		t.Error("unknown include value must be refused")
	}
}

func TestSessionResumeAndEphemeral(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	s := f.open(t, "work", tools.Filter{})
	if err := s.Remember(ctx, map[string][]string{"k": {"v"}}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(s.FilesDir(), "notes.txt"), []byte("hi"), 0o600)
	s.Close(ctx)
	again := f.open(t, "work", tools.Filter{})
	mem, _ := again.Memory(ctx)
	if len(mem["k"]) != 1 {
		t.Errorf("resumed session lost its memory: %v", mem)
	}
	if _, err := os.Stat(filepath.Join(again.FilesDir(), "notes.txt")); err != nil {
		t.Errorf("resumed session lost its files: %v", err)
	}

	cat := f.catalog(t)
	eph, err := Open(ctx, f.db, ReadyCatalog(cat), Options{Ephemeral: true, UserID: "alice", StateDir: f.stateDir, Execution: f.cfg.Execution})
	if err != nil {
		t.Fatal(err)
	}
	dir := eph.FilesDir()
	if err := eph.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("ephemeral session files remain: %v", err)
	}
	if _, err := f.db.GetSession(ctx, "alice", eph.ID()); err == nil {
		t.Error("ephemeral session remains in the store")
	}
	if _, err := Open(ctx, f.db, ReadyCatalog(cat), Options{Name: "../etc", UserID: "alice", StateDir: f.stateDir}); err == nil {
		t.Error("a session name with a path must be refused")
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestHintsUseTheConfiguredPrefix(t *testing.T) {
	f := newFixture(t, "")
	f.cfg.MetaToolPrefix = "TOOLMUX"
	cat := f.catalog(t)
	_, _, err := cat.Run(context.Background(), "PETSTORE_LISTPET", nil, tools.Filter{}, time.Second)
	if err == nil || !strings.Contains(err.Error(), "TOOLMUX_SEARCH_TOOLS") || strings.Contains(err.Error(), "COMPOSIO_") {
		t.Errorf("unknown slug hint = %v, want it to name TOOLMUX_SEARCH_TOOLS", err)
	}
	_, _, err = cat.Run(context.Background(), "PETSTORE_CREATEPET", map[string]any{}, tools.Filter{}, time.Second)
	if err == nil || !strings.Contains(err.Error(), "TOOLMUX_GET_TOOL_SCHEMAS") {
		t.Errorf("invalid argument hint = %v, want it to name TOOLMUX_GET_TOOL_SCHEMAS", err)
	}
}
