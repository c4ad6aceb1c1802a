package session

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/toolmux/toolmux/auth"
	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

// BenchmarkOpenAPIGetPet compares one OpenAPI call (petstore's getPet against a local server) through a session's
// Execute with the same call on the toolkit's HTTP executor alone: the difference is the session's own cost
// (validation, execution log, result handling).
func BenchmarkOpenAPIGetPet(b *testing.B) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"name":"rex","tags":["a","b"],"owner":{"name":"ann","since":2020}}`, r.PathValue("id"))
	}))
	defer ts.Close()
	dir := b.TempDir()
	spec, err := filepath.Abs(filepath.Join("testdata", "petstore.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.Setenv("TOOLMUX_TEST_PET_KEY", "pet-secret-123")
	cfg, err := config.Parse(fmt.Appendf(nil, `
[builtin]
disable = ["github"]

[[toolkits]]
slug = "petstore"
type = "openapi"
spec = %q
base_url = %q

[auth.petstore]
scheme = "API_KEY"
token = "env:TOOLMUX_TEST_PET_KEY"
`, spec, ts.URL+"/v1"), filepath.Join(dir, "config.toml"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	static := auth.NewStatic(cfg.Auth)
	cat, err := LoadCatalog(ctx, CatalogOptions{Config: cfg, DB: db, StateDir: dir, Auth: static})
	if err != nil {
		b.Fatal(err)
	}
	defer cat.Close()
	s, err := Open(ctx, db, ReadyCatalog(cat), Options{Name: "bench", UserID: "alice", StateDir: dir, Execution: cfg.Execution, Connections: static})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx)
	args := map[string]any{"petId": "42"}
	b.Run("session", func(b *testing.B) {
		for b.Loop() {
			out, err := s.Execute(ctx, ExecRequest{Calls: []ExecCall{{ToolSlug: "PETSTORE_GETPET", Arguments: args}}}, nil)
			if err != nil || out.ErrorCount != 0 {
				b.Fatal(err, out.Results[0].Response.errorText())
			}
		}
	})
	b.Run("executor", func(b *testing.B) {
		tool := cat.Tool("PETSTORE_GETPET")
		ex := cat.Executor("petstore")
		for b.Loop() {
			if _, err := ex.Execute(ctx, tools.Call{Tool: tool, Arguments: args}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMCPEchoWarm compares server-everything's echo through a session's Execute (validation, execution log,
// result handling) with the same call on the upstream client alone. Both paths are warmed up first (node compiles
// the echo handler during the first few hundred calls, which otherwise lands on whichever side runs first), the
// upstream measured first, then the session: their ratio is the session's overhead on an upstream call.
func BenchmarkMCPEchoWarm(b *testing.B) {
	bin, err := filepath.Abs(filepath.Join("..", "test-tools", "node_modules", ".bin", "mcp-server-everything"))
	if err != nil {
		b.Fatal(err)
	}
	node, lookErr := exec.LookPath("node")
	if _, statErr := os.Stat(bin); statErr != nil || lookErr != nil {
		b.Skip("node or server-everything missing (run npm ci in test-tools)")
	}
	dir := b.TempDir()
	cfg, err := config.Parse(fmt.Appendf(nil, "[builtin]\ndisable = [\"github\"]\n\n[[toolkits]]\nslug = \"everything\"\ntype = \"mcp\"\ncommand = %q\nargs = [%q, \"stdio\"]\n", node, bin), filepath.Join(dir, "config.toml"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	cat, err := LoadCatalog(ctx, CatalogOptions{Config: cfg, DB: db, StateDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer cat.Close()
	s, err := Open(ctx, db, ReadyCatalog(cat), Options{Name: "bench", UserID: "alice", StateDir: dir, Execution: cfg.Execution})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx)
	args := map[string]any{"message": "x"}
	tool := cat.Tool("EVERYTHING_ECHO")
	viaUpstream := func(b *testing.B) {
		if _, err := cat.Upstream("everything").Execute(ctx, tools.Call{Tool: tool, Arguments: args}); err != nil {
			b.Fatal(err)
		}
	}
	viaSession := func(b *testing.B) {
		out, err := s.Execute(ctx, ExecRequest{Calls: []ExecCall{{ToolSlug: "EVERYTHING_ECHO", Arguments: args}}}, nil)
		if err != nil || out.ErrorCount != 0 {
			b.Fatal(err, out)
		}
	}
	for range 500 {
		viaUpstream(b)
		viaSession(b)
	}
	b.Run("upstream", func(b *testing.B) {
		for b.Loop() {
			viaUpstream(b)
		}
	})
	b.Run("session", func(b *testing.B) {
		for b.Loop() {
			viaSession(b)
		}
	})
}
