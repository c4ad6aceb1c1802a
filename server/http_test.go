package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
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
)

// keyedPetAPI is the petstore API answering with the X-Api-Key the call carried, so a test sees whose account was
// used. GET /v1/pets/slow blocks until release is closed (after announcing itself on started).
func keyedPetAPI(t testing.TB, started chan<- struct{}, release <-chan struct{}) string {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/pets", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// The key itself would be redacted from the result as a secret of the call: answer with whose it is.
		fmt.Fprintf(w, `[{"id":1,"name":%q}]`, "pet of "+strings.TrimSuffix(r.Header.Get("X-Api-Key"), "-key"))
	})
	mux.HandleFunc("GET /v1/pets/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "slow" && started != nil {
			started <- struct{}{}
			<-release
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q}`, r.PathValue("id"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

type httpEnv struct {
	db     *store.DB
	h      *HTTPHandler
	url    string
	dir    string
	users  *UserAuth
	tokens map[string]string
}

// newHTTPEnv serves an HTTPHandler for the users alice and bob over httptest, with the petstore toolkit on api.
func newHTTPEnv(t *testing.T, api string, adjust func(*HTTPOptions)) *httpEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	spec, _ := filepath.Abs(filepath.Join("..", "session", "testdata", "petstore.yaml"))
	cfg, err := config.Parse([]byte(fmt.Sprintf("[[toolkits]]\nslug=\"petstore\"\ntype=\"openapi\"\nspec=%q\nbase_url=%q\n", spec, api)), filepath.Join(dir, "c.toml"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &httpEnv{db: db, dir: dir, tokens: map[string]string{}}
	for _, u := range []string{"alice", "bob"} {
		if e.tokens[u], err = db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	secrets := auth.NewLazySecrets("file", dir)
	e.users = &UserAuth{New: func(user string) *auth.Manager {
		return auth.NewManager(auth.ManagerOptions{DB: db, User: user, Config: cfg, Secrets: secrets})
	}}
	t.Cleanup(e.users.Close)
	future := session.LoadCatalogAsync(ctx, session.CatalogOptions{Config: cfg, DB: db, StateDir: dir, Auth: e.users})
	t.Cleanup(func() { _ = future.Close(context.Background()) })
	opts := HTTPOptions{
		Server: Options{Version: "test"},
		OpenSession: func(ctx context.Context, user, name string) (*session.Session, error) {
			return session.Open(ctx, db, future, session.Options{Name: name, Ephemeral: name == "", UserID: user,
				StateDir: dir, Execution: cfg.Execution, Workbench: cfg.Workbench, Connections: e.users.For(user)})
		},
		Users: db,
	}
	if adjust != nil {
		adjust(&opts)
	}
	e.h, err = NewHTTPHandler(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.h)
	t.Cleanup(func() {
		_ = e.h.Close(context.Background())
		srv.Close()
	})
	e.url = srv.URL + MCPPath
	return e
}

// headers adds fixed headers to every request.
type headers struct {
	base http.RoundTripper
	set  map[string]string
}

func (h headers) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.set {
		r.Header.Set(k, v)
	}
	return h.base.RoundTrip(r)
}

// connect opens an MCP session as user (its token) on the session named name ("" for an ephemeral one).
func (e *httpEnv) connect(t *testing.T, user, name string) *mcp.ClientSession {
	t.Helper()
	set := map[string]string{"Authorization": "Bearer " + e.tokens[user]}
	if name != "" {
		set[SessionHeader] = name
	}
	tr := &mcp.StreamableClientTransport{Endpoint: e.url, HTTPClient: &http.Client{Transport: headers{http.DefaultTransport, set}}, MaxRetries: -1}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, nil).Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// post sends one raw JSON-RPC POST.
func post(t *testing.T, url string, hdr map[string]string, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

func data(env map[string]any) map[string]any { d, _ := env["data"].(map[string]any); return d }

// TestHTTPUsersIsolated drives every meta tool as two users on sessions of the same name and checks that neither
// sees the other's accounts, memory, files or execution log.
func TestHTTPUsersIsolated(t *testing.T) {
	e := newHTTPEnv(t, keyedPetAPI(t, nil, nil), nil)
	ctx := context.Background()
	keys := map[string]string{"alice": "alice-key", "bob": "bob-key"}
	accounts := map[string]string{}
	for user, key := range keys {
		acct, err := e.users.For(user).ConnectSecret(ctx, "petstore", "", "API_KEY", "", key)
		if err != nil {
			t.Fatal(err)
		}
		accounts[user] = acct.ID
	}
	clients := map[string]*mcp.ClientSession{"alice": e.connect(t, "alice", "work"), "bob": e.connect(t, "bob", "work")}

	for user, cs := range clients {
		other := map[string]string{"alice": "bob", "bob": "alice"}[user]
		t.Run(user, func(t *testing.T) {
			env, isErr := call(t, cs, "COMPOSIO_SEARCH_TOOLS", map[string]any{"queries": []any{map[string]any{"use_case": "list pets"}}}, nil)
			if isErr || data(env)["session"].(map[string]any)["id"] != "work" {
				t.Fatalf("search: %v", env)
			}
			if mem := data(env)["memory"]; mem != nil && len(mem.(map[string]any)) != 0 {
				t.Errorf("fresh session of %s has memory %v", user, mem)
			}
			env, isErr = call(t, cs, "COMPOSIO_GET_TOOL_SCHEMAS", map[string]any{"tool_slugs": []any{"PETSTORE_LISTPETS"}}, nil)
			if _, ok := data(env)["tool_schemas"].(map[string]any)["PETSTORE_LISTPETS"]; isErr || !ok {
				t.Errorf("schemas: %v", env)
			}
			env, isErr = call(t, cs, "COMPOSIO_MANAGE_CONNECTIONS", map[string]any{"toolkits": []any{"petstore"}}, nil)
			raw, _ := json.Marshal(env)
			if isErr || !strings.Contains(string(raw), accounts[user]) || strings.Contains(string(raw), accounts[other]) {
				t.Errorf("manage connections as %s: want own account %s and not %s: %s", user, accounts[user], accounts[other], raw)
			}
			env, isErr = call(t, cs, "COMPOSIO_MULTI_EXECUTE_TOOL", map[string]any{
				"tools":                      []any{map[string]any{"tool_slug": "PETSTORE_LISTPETS", "arguments": map[string]any{}}},
				"sync_response_to_workbench": false,
				"memory":                     map[string]any{"owner": []any{"fact of " + user}},
			}, nil)
			raw, _ = json.Marshal(env)
			if isErr || !strings.Contains(string(raw), "pet of "+user) || strings.Contains(string(raw), "pet of "+other) {
				t.Errorf("multi-execute as %s must use %s's key only: %s", user, user, raw)
			}
			env, _ = call(t, cs, "COMPOSIO_SEARCH_TOOLS", map[string]any{"queries": []any{map[string]any{"use_case": "list pets"}}}, nil)
			raw, _ = json.Marshal(data(env)["memory"])
			if !strings.Contains(string(raw), "fact of "+user) || strings.Contains(string(raw), "fact of "+other) {
				t.Errorf("memory of %s: %s", user, raw)
			}
		})
	}

	// The execution log: each user's calls under their own id only.
	for user := range keys {
		execs, err := e.db.ListExecutions(ctx, store.ExecutionFilter{UserID: user})
		if err != nil {
			t.Fatal(err)
		}
		if len(execs) != 1 || execs[0].SessionID != "work" || execs[0].ToolSlug != "PETSTORE_LISTPETS" {
			t.Errorf("log of %s: %+v", user, execs)
		}
	}

	// Workbench files: what alice writes, bob's bash and python cannot see.
	if err := newSession(t, nil, session.Options{}).WorkbenchAvailable(ctx); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the workbench must work under CI: %v", err)
		}
		t.Skipf("workbench unavailable here, files not checked: %v", err)
	}
	env, isErr := call(t, clients["alice"], "COMPOSIO_REMOTE_BASH_TOOL", map[string]any{"command": "echo secret > alice.txt && ls"}, nil)
	if isErr {
		t.Fatalf("alice's bash: %v", env)
	}
	if d := data(env); !strings.Contains(fmt.Sprint(d["stdout"]), "alice.txt") {
		t.Fatalf("alice's bash: %v", env)
	}
	env, isErr = call(t, clients["bob"], "COMPOSIO_REMOTE_BASH_TOOL", map[string]any{"command": "ls -A; cat alice.txt 2>&1 || true"}, nil)
	if d := data(env); isErr || strings.Contains(fmt.Sprint(d["stdout"]), "secret") || strings.Contains(fmt.Sprint(d["stdout"]), "alice.txt\n") {
		t.Errorf("bob sees alice's file: %v", env)
	}
	env, isErr = call(t, clients["bob"], "COMPOSIO_REMOTE_WORKBENCH", map[string]any{"code_to_execute": "import os\nsorted(os.listdir('.'))"}, nil)
	if isErr || strings.Contains(fmt.Sprint(data(env)["results"]), "alice.txt") {
		t.Errorf("bob's python sees alice's file: %v", env)
	}
	env, isErr = call(t, clients["bob"], "COMPOSIO_REMOTE_WORKBENCH", map[string]any{"code_to_execute": "data, err = run_composio_tool('PETSTORE_LISTPETS', {})\ndata[0]['name'] if err is None else err"}, nil)
	if got := fmt.Sprint(data(env)["results"]); isErr || got != "'pet of bob'" {
		t.Errorf("run_composio_tool from bob's workbench used %s, want bob-key: %v", got, env)
	}
}

func TestHTTPSessionHijackRefused(t *testing.T) {
	e := newHTTPEnv(t, keyedPetAPI(t, nil, nil), nil)
	resp := post(t, e.url, map[string]string{"Authorization": "Bearer " + e.tokens["alice"]}, initializeBody)
	id := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("initialize as alice: %d, session %q", resp.StatusCode, id)
	}
	io.Copy(io.Discard, resp.Body)
	resp = post(t, e.url, map[string]string{"Authorization": "Bearer " + e.tokens["bob"], "Mcp-Session-Id": id},
		`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bob on alice's MCP session: status %d, want 403", resp.StatusCode)
	}
}

func TestHTTPRefusals(t *testing.T) {
	e := newHTTPEnv(t, keyedPetAPI(t, nil, nil), func(o *HTTPOptions) {
		o.MaxBodyBytes = 1 << 10
		o.AllowedOrigins = []string{"https://app.example.com"}
	})
	alice := "Bearer " + e.tokens["alice"]
	tests := []struct {
		name   string
		hdr    map[string]string
		body   string
		status int
		check  func(*http.Response) error
	}{
		{name: "no token", hdr: map[string]string{}, status: 401, check: func(r *http.Response) error {
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer ") {
				return fmt.Errorf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
			}
			return nil
		}},
		{name: "wrong token", hdr: map[string]string{"Authorization": "Bearer " + store.TokenPrefix + "nope"}, status: 401},
		{name: "basic auth", hdr: map[string]string{"Authorization": "Basic YWxpY2U6eA=="}, status: 401},
		{name: "token hash instead of token", hdr: map[string]string{"Authorization": "Bearer " + store.HashToken(e.tokens["alice"])}, status: 401},
		{name: "rebinding Host", hdr: map[string]string{"Authorization": alice, "Host": "evil.example.com"}, status: 403},
		{name: "rebinding Host with port", hdr: map[string]string{"Authorization": alice, "Host": "evil.example.com:8931"}, status: 403},
		{name: "foreign Origin", hdr: map[string]string{"Authorization": alice, "Origin": "http://evil.example.com"}, status: 403},
		{name: "null Origin", hdr: map[string]string{"Authorization": alice, "Origin": "null"}, status: 403},
		{name: "foreign Origin without token is 403 first", hdr: map[string]string{"Origin": "http://evil.example.com"}, status: 403},
		{name: "loopback Origin", hdr: map[string]string{"Authorization": alice, "Origin": "http://localhost:3000"}, status: 200},
		{name: "allowed Origin", hdr: map[string]string{"Authorization": alice, "Origin": "https://app.example.com"}, status: 200},
		{name: "localhost Host", hdr: map[string]string{"Authorization": alice, "Host": "localhost:1234"}, status: 200},
		{name: "body over the limit", hdr: map[string]string{"Authorization": alice}, body: `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"` + strings.Repeat("x", 2<<10) + `"}}`, status: 413},
		{name: "bad session name", hdr: map[string]string{"Authorization": alice, SessionHeader: "../etc"}, status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if body == "" {
				body = initializeBody
			}
			resp := post(t, e.url, tt.hdr, body)
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, b, tt.status)
			}
			if tt.check != nil {
				if err := tt.check(resp); err != nil {
					t.Error(err)
				}
			}
		})
	}
	resp, err := http.Get(strings.TrimSuffix(e.url, MCPPath) + "/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("another path: %d, want 404", resp.StatusCode)
	}
}

func TestHTTPRateLimit(t *testing.T) {
	// A refill rate this slow adds no token while the test runs, so the outcome does not depend on timing.
	e := newHTTPEnv(t, keyedPetAPI(t, nil, nil), func(o *HTTPOptions) { o.RateLimit, o.RateBurst = 0.001, 2 })
	for i, want := range []int{200, 200, 429} {
		resp := post(t, e.url, map[string]string{"Authorization": "Bearer " + e.tokens["alice"]}, initializeBody)
		if resp.StatusCode != want {
			t.Fatalf("request %d as alice: %d, want %d", i+1, resp.StatusCode, want)
		}
		if want == 429 && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	// Bob has a bucket of his own.
	if resp := post(t, e.url, map[string]string{"Authorization": "Bearer " + e.tokens["bob"]}, initializeBody); resp.StatusCode != 200 {
		t.Errorf("bob after alice's limit: %d, want 200", resp.StatusCode)
	}
}

func TestHTTPFailedAuthLimited(t *testing.T) {
	e := newHTTPEnv(t, keyedPetAPI(t, nil, nil), nil)
	// A refill rate this slow adds no token while the test runs, so the outcome does not depend on timing.
	const burst = 3
	e.h.failures = newRateLimits(0.001, burst)
	wrong := map[string]string{"Authorization": "Bearer " + store.TokenPrefix + "wrong"}
	for i := range burst {
		if resp := post(t, e.url, wrong, initializeBody); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong token %d: %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp := post(t, e.url, wrong, initializeBody)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("wrong token after %d failures: %d (Retry-After %q), want 429 with Retry-After", burst, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Another address is not limited.
	if wait, ok := e.h.failures.peek("192.0.2.7", time.Now()); !ok {
		t.Errorf("an address without failures is limited for %v", wait)
	}
}

func TestRateLimitsBucket(t *testing.T) {
	l := newRateLimits(2, 3) // 2/s, burst 3
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at       time.Duration
		ok       bool
		wantWait time.Duration
	}{
		{0, true, 0}, {0, true, 0}, {0, true, 0},
		{0, false, 500 * time.Millisecond},
		{250 * time.Millisecond, false, 250 * time.Millisecond},
		{500 * time.Millisecond, true, 0},
		{10 * time.Second, true, 0}, {10 * time.Second, true, 0}, {10 * time.Second, true, 0}, // refilled to the burst, no more
		{10 * time.Second, false, 500 * time.Millisecond},
	}
	for i, s := range steps {
		wait, ok := l.take("u", t0.Add(s.at))
		if ok != s.ok || wait != s.wantWait {
			t.Errorf("step %d at %v: ok %v wait %v; want %v %v", i, s.at, ok, wait, s.ok, s.wantWait)
		}
	}
}

func TestHTTPResumeAndEphemeral(t *testing.T) {
	e := newHTTPEnv(t, keyedPetAPI(t, nil, nil), nil)
	ctx := context.Background()
	cs := e.connect(t, "alice", "project-x")
	call(t, cs, "COMPOSIO_MULTI_EXECUTE_TOOL", map[string]any{
		"tools": []any{map[string]any{"tool_slug": "PETSTORE_LISTPETS", "arguments": map[string]any{}}}, "sync_response_to_workbench": false,
		"memory": map[string]any{"plan": []any{"ship on friday"}}}, nil)
	// Two MCP sessions on one named session share it; it stays open until the last one closes.
	cs2 := e.connect(t, "alice", "project-x")
	cs.Close()
	env, _ := call(t, cs2, "COMPOSIO_SEARCH_TOOLS", map[string]any{"queries": []any{map[string]any{"use_case": "list pets"}}}, nil)
	if raw, _ := json.Marshal(data(env)["memory"]); !strings.Contains(string(raw), "ship on friday") {
		t.Errorf("second connection to project-x: memory %s", raw)
	}
	cs2.Close()
	waitUntil(t, "sessions to close", func() bool { return e.h.Sessions() == 0 })
	// A new connection resumes the stored session.
	cs3 := e.connect(t, "alice", "project-x")
	env, _ = call(t, cs3, "COMPOSIO_SEARCH_TOOLS", map[string]any{"queries": []any{map[string]any{"use_case": "list pets"}}}, nil)
	if raw, _ := json.Marshal(data(env)["memory"]); !strings.Contains(string(raw), "ship on friday") {
		t.Errorf("resumed project-x: memory %s", raw)
	}
	// ?session= names the session too.
	resp := post(t, e.url+"?session=from-query", map[string]string{"Authorization": "Bearer " + e.tokens["alice"]}, initializeBody)
	if got := resp.Header.Get(SessionHeader); got != "from-query" {
		t.Errorf("?session=from-query: %s = %q", SessionHeader, got)
	}

	// Without a name the session is ephemeral: gone from the store when the MCP session ends.
	cs4 := e.connect(t, "bob", "")
	env, _ = call(t, cs4, "COMPOSIO_SEARCH_TOOLS", map[string]any{"queries": []any{map[string]any{"use_case": "list pets"}}}, nil)
	id := data(env)["session"].(map[string]any)["id"].(string)
	if !strings.HasPrefix(id, "ephemeral-") {
		t.Fatalf("unnamed session id %q", id)
	}
	cs4.Close()
	waitUntil(t, "the ephemeral session to be deleted", func() bool {
		_, err := e.db.GetSession(ctx, "bob", id)
		_, statErr := os.Stat(session.FilesDir(e.dir, "bob", id))
		return errors.Is(err, store.ErrNotFound) && os.IsNotExist(statErr)
	})
}

func TestHTTPIdleTimeout(t *testing.T) {
	e := newHTTPEnv(t, keyedPetAPI(t, nil, nil), func(o *HTTPOptions) { o.SessionTimeout = 50 * time.Millisecond })
	resp := post(t, e.url, map[string]string{"Authorization": "Bearer " + e.tokens["alice"], SessionHeader: "idle"}, initializeBody)
	if resp.StatusCode != http.StatusOK || resp.Header.Get(SessionHeader) != "idle" {
		t.Fatalf("initialize: %d", resp.StatusCode)
	}
	io.Copy(io.Discard, resp.Body)
	// No request follows: the session times out, and the named session it held is released and closed.
	waitUntil(t, "the idle session to close", func() bool {
		e.h.mu.Lock()
		defer e.h.mu.Unlock()
		return len(e.h.live) == 0 && len(e.h.open) == 0
	})
}

func TestHTTPNoAuth(t *testing.T) {
	e := newHTTPEnv(t, keyedPetAPI(t, nil, nil), func(o *HTTPOptions) { o.NoAuth, o.NoAuthUser, o.Users = true, "solo", nil })
	resp := post(t, e.url, nil, initializeBody)
	if resp.StatusCode != 200 {
		t.Fatalf("no-auth initialize: %d", resp.StatusCode)
	}
	if _, err := NewHTTPHandler(HTTPOptions{OpenSession: func(context.Context, string, string) (*session.Session, error) { return nil, nil }}); err == nil {
		t.Error("a handler without users and without NoAuth was accepted")
	}
}

// TestHTTPGracefulShutdown cancels the server while a call is in flight: the call completes, then the server stops.
func TestHTTPGracefulShutdown(t *testing.T) {
	started, release := make(chan struct{}, 1), make(chan struct{})
	e := newHTTPEnv(t, keyedPetAPI(t, started, release), nil)
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	served := make(chan error, 1)
	go func() {
		served <- ListenAndServe(ctx, e.h, ListenOptions{Addr: "127.0.0.1:0", ShutdownGrace: time.Minute, Ready: func(a net.Addr) { addr <- a }})
	}()
	e.url = "http://" + (<-addr).String() + MCPPath
	// Without the standalone SSE stream, the only stream is the in-flight call's, whose answer must arrive.
	tr := &mcp.StreamableClientTransport{Endpoint: e.url, DisableStandaloneSSE: true, MaxRetries: -1,
		HTTPClient: &http.Client{Transport: headers{http.DefaultTransport, map[string]string{"Authorization": "Bearer " + e.tokens["alice"]}}}}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, nil).Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	var env map[string]any
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "COMPOSIO_MULTI_EXECUTE_TOOL", Arguments: map[string]any{
			"tools": []any{map[string]any{"tool_slug": "PETSTORE_GETPET", "arguments": map[string]any{"petId": "slow"}}}, "sync_response_to_workbench": false}})
		if err != nil {
			env = map[string]any{"protocol error": err.Error()}
			return
		}
		raw, _ := json.Marshal(res.StructuredContent)
		json.Unmarshal(raw, &env)
	}()
	<-started
	cancel()
	// New calls are refused while the old one runs.
	waitUntil(t, "shutdown to begin", func() bool {
		e.h.stateMu.Lock()
		defer e.h.stateMu.Unlock()
		return e.h.closing
	})
	close(release)
	wg.Wait()
	if raw, _ := json.Marshal(env); env["successful"] != true || !strings.Contains(string(raw), `"slow"`) {
		t.Errorf("in-flight call during shutdown: %s", raw)
	}
	if err := <-served; err != nil {
		t.Errorf("ListenAndServe: %v", err)
	}
	if n := e.h.Sessions(); n != 0 {
		t.Errorf("%d sessions open after shutdown", n)
	}
}

func TestCheckListen(t *testing.T) {
	tests := []struct {
		addr             string
		allowRemote      bool
		cert, key        string
		noAuth           bool
		wantRemote       bool
		wantErrSubstring string
	}{
		{addr: "127.0.0.1:8931"},
		{addr: "localhost:0"},
		{addr: "[::1]:8931"},
		{addr: "127.0.0.1:8931", noAuth: true},
		{addr: "0.0.0.0:8931", wantRemote: true, wantErrSubstring: "--allow-remote"},
		{addr: ":8931", wantRemote: true, wantErrSubstring: "every interface"},
		{addr: "192.0.2.1:8931", allowRemote: true, wantRemote: true, wantErrSubstring: "--tls-cert FILE and --tls-key FILE"},
		{addr: "0.0.0.0:8931", allowRemote: true, cert: "c.pem", key: "k.pem", wantRemote: true},
		{addr: "0.0.0.0:8931", allowRemote: true, cert: "c.pem", key: "k.pem", noAuth: true, wantRemote: true, wantErrSubstring: "--no-auth"},
		{addr: "127.0.0.1:8931", cert: "c.pem", wantErrSubstring: "go together"},
		{addr: "8931", wantErrSubstring: "HOST:PORT"},
	}
	for _, tt := range tests {
		remote, err := CheckListen(tt.addr, tt.allowRemote, tt.cert, tt.key, tt.noAuth)
		if remote != tt.wantRemote || (err == nil) != (tt.wantErrSubstring == "") || err != nil && !strings.Contains(err.Error(), tt.wantErrSubstring) {
			t.Errorf("CheckListen(%q, remote=%v, cert=%q, key=%q, noAuth=%v) = %v, %v; want %v, error with %q",
				tt.addr, tt.allowRemote, tt.cert, tt.key, tt.noAuth, remote, err, tt.wantRemote, tt.wantErrSubstring)
		}
	}
}

// FuzzCheckOrigin feeds arbitrary Host and Origin headers: only loopback or allowed ones pass.
func FuzzCheckOrigin(f *testing.F) {
	for _, s := range [][2]string{{"127.0.0.1:80", ""}, {"evil.com", "http://evil.com"}, {"localhost", "http://localhost.evil.com"}, {"[::1]:9", "null"}} {
		f.Add(s[0], s[1])
	}
	h := &HTTPHandler{opts: HTTPOptions{AllowedOrigins: []string{"https://ok.example"}}}
	f.Fuzz(func(t *testing.T, host, origin string) {
		r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		r.Host = host
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if h.checkOrigin(r) != nil {
			return
		}
		hostOnly := host
		if hh, _, err := net.SplitHostPort(host); err == nil {
			hostOnly = hh
		}
		if !isLoopbackHost(hostOnly) {
			t.Fatalf("Host %q passed", host)
		}
		if origin != "" && origin != "https://ok.example" && !strings.Contains(origin, "localhost") && !strings.Contains(origin, "127.") && !strings.Contains(origin, "::1") {
			t.Fatalf("Origin %q passed", origin)
		}
	})
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestHTTPTLS serves with --tls-cert/--tls-key (a self-signed certificate for 127.0.0.1) and connects over HTTPS.
func TestHTTPTLS(t *testing.T) {
	e := newHTTPEnv(t, keyedPetAPI(t, nil, nil), nil)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "toolmux test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(t.TempDir(), "cert.pem"), filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	served := make(chan error, 1)
	go func() {
		served <- ListenAndServe(ctx, e.h, ListenOptions{Addr: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile, Ready: func(a net.Addr) { addr <- a }})
	}()
	hostport := (<-addr).String()
	pool := x509.NewCertPool()
	pool.AddCert(must(x509.ParseCertificate(der)))
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	e.url = "https://" + hostport + MCPPath
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, nil).Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint: e.url, MaxRetries: -1,
		HTTPClient: &http.Client{Transport: headers{tr, map[string]string{"Authorization": "Bearer " + e.tokens["alice"]}}}}, nil)
	if err != nil {
		t.Fatalf("connect over TLS: %v", err)
	}
	env, isErr := call(t, cs, "COMPOSIO_GET_TOOL_SCHEMAS", map[string]any{"tool_slugs": []any{"PETSTORE_LISTPETS"}}, nil)
	if isErr {
		t.Errorf("schemas over TLS: %v", env)
	}
	cs.Close()
	// Plain HTTP to the TLS port gets no MCP answer.
	if resp, err := http.Post("http://"+hostport+MCPPath, "application/json", strings.NewReader(initializeBody)); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP was served on the TLS port")
		}
	}
	cancel()
	if err := <-served; err != nil {
		t.Error(err)
	}
	if err := ListenAndServe(context.Background(), e.h, ListenOptions{Addr: "127.0.0.1:0", TLSCert: keyFile, TLSKey: certFile}); err == nil ||
		!strings.Contains(err.Error(), "--tls-cert") {
		t.Errorf("swapped certificate and key: %v, want an error naming --tls-cert", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
