package e2e

// This file builds the binary once (TestMain) and holds the harness every test uses: an isolated home, config and
// state directory per test, the command line runner, the go-sdk MCP client over stdio, and a fake API server.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

var (
	// repoRoot is the module root (the directory of go.mod).
	repoRoot string
	// toolmuxBin is the binary built by TestMain.
	toolmuxBin string
)

// Meta tool names under the default prefix.
const (
	searchTools    = "COMPOSIO_SEARCH_TOOLS"
	getToolSchemas = "COMPOSIO_GET_TOOL_SCHEMAS"
	multiExecute   = "COMPOSIO_MULTI_EXECUTE_TOOL"
)

// prebuilt tests a given binary instead of building one.
var prebuilt = flag.String("e2e.bin", "", "test this toolmux binary instead of building one from the repository")

// e2eParallel is how many tests run at once unless -test.parallel says otherwise: the tests mostly wait on child
// processes, so GOMAXPROCS (the default) would leave a small machine idle.
const e2eParallel = 8

func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", strconv.Itoa(max(e2eParallel, runtime.GOMAXPROCS(0))))
	}
	dir, err := os.MkdirTemp("", "toolmux-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	code := 1
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
	} else {
		code = m.Run()
	}
	stopPrism()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// declareSources opens every source file the binary is built from, once, from inside a test (opens in TestMain
// before m.Run are not logged). The binary is built by a child `go build`, which go test's result cache cannot
// see; files a test opens are part of the cache key, so a change to any of them reruns these tests instead of
// replaying a stale pass. Every test reaches it through newHarness.
var declareOnce sync.Once

func declareSources(root string) {
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata", "e2e", "bench":
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".mod", ".sum", ".toml", ".json", ".py", ".sql", ".html", ".txt", ".yaml":
			if f, err := os.Open(path); err == nil {
				f.Close()
			}
		}
		return nil
	})
}

// build finds the module root with `go env GOMOD` and builds toolmux into dir.
func build(dir string) error {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return errors.New("go env GOMOD: not inside a module; run the tests from the toolmux repository")
	}
	repoRoot = filepath.Dir(gomod)
	if *prebuilt != "" {
		abs, err := filepath.Abs(*prebuilt)
		if err != nil {
			return err
		}
		toolmuxBin = abs
		return nil
	}
	toolmuxBin = filepath.Join(dir, "toolmux")
	if runtime.GOOS == "windows" {
		toolmuxBin += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", toolmuxBin, ".")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

// requireComponent skips the test when an external component is missing, unless CI is set: then it fails.
func requireComponent(t *testing.T, what, fix string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing and CI is set: %s", what, fix)
	}
	t.Skipf("%s is missing (%s); skipping", what, fix)
}

// nodeBin returns test-tools/node_modules/.bin/NAME, skipping (or failing under CI) when node or it is missing.
func nodeBin(t *testing.T, name string) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		requireComponent(t, "node", "install node 20 or later")
	}
	p := filepath.Join(repoRoot, "test-tools", "node_modules", ".bin", name)
	if _, err := os.Stat(p); err != nil {
		requireComponent(t, "test-tools/node_modules/.bin/"+name, "run `npm ci` in test-tools")
	}
	return p
}

// harness is one isolated toolmux installation: its own home, XDG directories, state directory and config.
type harness struct {
	t        *testing.T
	dir      string
	home     string
	stateDir string
	config   string // --config; "" passes none
	user     string
	env      []string
}

func newHarness(t *testing.T) *harness {
	declareOnce.Do(func() { declareSources(repoRoot) })
	t.Helper()
	dir := t.TempDir()
	h := &harness{t: t, dir: dir, home: filepath.Join(dir, "home"), stateDir: filepath.Join(dir, "state"), user: "e2e"}
	for _, d := range []string{h.home, filepath.Join(h.home, ".config"), filepath.Join(h.home, ".local", "state"), filepath.Join(h.home, ".cache")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "HOME" || strings.HasPrefix(name, "XDG_") || strings.HasPrefix(name, "TOOLMUX_") || name == "GITHUB_TOKEN" {
			continue
		}
		h.env = append(h.env, kv)
	}
	h.env = append(h.env,
		"HOME="+h.home,
		"XDG_CONFIG_HOME="+filepath.Join(h.home, ".config"),
		"XDG_STATE_HOME="+filepath.Join(h.home, ".local", "state"),
		"XDG_CACHE_HOME="+filepath.Join(h.home, ".cache"),
	)
	return h
}

// writeConfig writes the config file and makes the harness pass it with --config.
func (h *harness) writeConfig(text string) {
	h.t.Helper()
	h.config = filepath.Join(h.dir, "config.toml")
	if err := os.WriteFile(h.config, []byte(text), 0o600); err != nil {
		h.t.Fatal(err)
	}
}

// globals are the flags every command gets: this harness's state dir, config and user.
func (h *harness) globals() []string {
	g := []string{"--state-dir", h.stateDir, "--user", h.user}
	if h.config != "" {
		g = append(g, "--config", h.config)
	}
	return g
}

// command builds `toolmux ARGS GLOBALS` in this harness's environment.
func (h *harness) command(args ...string) *exec.Cmd {
	cmd := exec.Command(toolmuxBin, append(slices.Clone(args), h.globals()...)...)
	cmd.Env = h.env
	cmd.Dir = h.dir
	return cmd
}

// result is a finished command.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs a toolmux command to completion with stdin, under a deadline.
func (h *harness) run(stdin string, args ...string) result {
	h.t.Helper()
	return runCmd(h.t, h.command(args...), stdin, 3*time.Minute)
}

func runCmd(t *testing.T, cmd *exec.Cmd, stdin string, timeout time.Duration) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%s %s did not finish within %s\nstdout:\n%s\nstderr:\n%s", filepath.Base(cmd.Path), strings.Join(cmd.Args[1:], " "), timeout, stdout.String(), stderr.String())
	}
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatalf("run %s: %v", cmd.Path, err)
	}
	return r
}

// mustRun runs a command that must succeed.
func (h *harness) mustRun(stdin string, args ...string) result {
	h.t.Helper()
	r := h.run(stdin, args...)
	if r.code != 0 {
		h.t.Fatalf("toolmux %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// syncBuffer collects a child's stderr while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serving is a `toolmux serve` process with a connected go-sdk client.
type serving struct {
	cs     *mcp.ClientSession
	stderr *syncBuffer
}

// serve starts `toolmux serve ARGS` and connects the go-sdk client to it over stdio. The process is stopped when the
// test ends (or earlier with close); its stderr is logged if the test failed.
func (h *harness) serve(ctx context.Context, opts *mcp.ClientOptions, args ...string) *serving {
	h.t.Helper()
	cmd := h.command(append([]string{"serve"}, args...)...)
	s := &serving{stderr: &syncBuffer{}}
	cmd.Stderr = s.stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "toolmux-e2e", Version: "1.0.0"}, opts)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd, TerminateDuration: 5 * time.Second}, nil)
	if err != nil {
		h.t.Fatalf("connect to toolmux serve: %v\nstderr:\n%s", err, s.stderr)
	}
	s.cs = cs
	h.t.Cleanup(func() {
		_ = cs.Close()
		if h.t.Failed() {
			h.t.Logf("toolmux serve %s stderr:\n%s", strings.Join(args, " "), s.stderr)
		}
	})
	return s
}

// close ends the session and waits for the process to exit.
func (s *serving) close(t *testing.T) {
	t.Helper()
	if err := s.cs.Close(); err != nil {
		t.Errorf("close the MCP session: %v", err)
	}
}

// envelope is every toolmux result: {"successful", "data", "error"}.
type envelope struct {
	Successful bool            `json:"successful"`
	Data       json.RawMessage `json:"data"`
	Error      *string         `json:"error"`
}

func (e envelope) errorText() string {
	if e.Error == nil {
		return ""
	}
	return *e.Error
}

// callTool calls a tool and checks the result's shape: the envelope as structuredContent, the same JSON as the
// one text content, and isError agreeing with successful.
func (s *serving) callTool(ctx context.Context, t *testing.T, name string, args any, progressToken any) envelope {
	t.Helper()
	params := &mcp.CallToolParams{Name: name, Arguments: args}
	if progressToken != nil {
		params.SetProgressToken(progressToken)
	}
	res, err := s.cs.CallTool(ctx, params)
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	return checkEnvelope(t, name, res)
}

func checkEnvelope(t *testing.T, name string, res *mcp.CallToolResult) envelope {
	t.Helper()
	if res.StructuredContent == nil {
		t.Fatalf("%s: no structuredContent in the result", name)
	}
	structured, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var env envelope
	if err := json.Unmarshal(structured, &env); err != nil {
		t.Fatalf("%s: structuredContent is not the envelope: %v\n%s", name, err, structured)
	}
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(structured, &keys)
	for _, k := range []string{"successful", "data", "error"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("%s: structuredContent has no %q key: %s", name, k, structured)
		}
	}
	if len(res.Content) != 1 {
		t.Errorf("%s: %d content items, want 1 text item with the envelope", name, len(res.Content))
	} else if text, ok := res.Content[0].(*mcp.TextContent); !ok {
		t.Errorf("%s: content is %T, want text", name, res.Content[0])
	} else {
		var fromText, fromStructured any
		if err := json.Unmarshal([]byte(text.Text), &fromText); err != nil {
			t.Errorf("%s: text content is not JSON: %v\n%s", name, err, text.Text)
		}
		_ = json.Unmarshal(structured, &fromStructured)
		if diff := cmp.Diff(fromStructured, fromText); diff != "" {
			t.Errorf("%s: text content differs from structuredContent (-structured +text):\n%s", name, diff)
		}
	}
	if res.IsError == env.Successful {
		t.Errorf("%s: isError = %v but successful = %v", name, res.IsError, env.Successful)
	}
	if !env.Successful && env.errorText() == "" {
		t.Errorf("%s: failed without an error message: %s", name, structured)
	}
	if env.Successful && env.Error != nil {
		t.Errorf("%s: successful with error %q", name, *env.Error)
	}
	return env
}

// decode unmarshals raw into a new T, failing the test if it does not fit.
func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, raw)
	}
	return v
}

// call is one tool call of a multi-execute.
type call struct {
	Slug string         `json:"tool_slug"`
	Args map[string]any `json:"arguments"`
}

type sessionInfo struct {
	ID           string `json:"id"`
	Instructions string `json:"instructions"`
}

type execResult struct {
	Index    int      `json:"index"`
	ToolSlug string   `json:"tool_slug"`
	Response envelope `json:"response"`
	FilePath string   `json:"file_path"`
}

type execData struct {
	Results    []execResult `json:"results"`
	ErrorCount int          `json:"error_count"`
	Session    sessionInfo  `json:"session"`
}

// execute runs COMPOSIO_MULTI_EXECUTE_TOOL, which itself must succeed, and checks the results' order.
func (s *serving) execute(ctx context.Context, t *testing.T, extra map[string]any, calls ...call) execData {
	t.Helper()
	args := map[string]any{"tools": calls}
	for k, v := range extra {
		args[k] = v
	}
	env := s.callTool(ctx, t, multiExecute, args, nil)
	if !env.Successful {
		t.Fatalf("%s failed as a whole: %s", multiExecute, env.errorText())
	}
	d := decode[execData](t, env.Data)
	if len(d.Results) != len(calls) {
		t.Fatalf("%d results for %d calls: %s", len(d.Results), len(calls), env.Data)
	}
	failed := 0
	for i, r := range d.Results {
		if r.Index != i || r.ToolSlug != calls[i].Slug {
			t.Errorf("result %d is {index %d, %s}, want {index %d, %s}", i, r.Index, r.ToolSlug, i, calls[i].Slug)
		}
		if !r.Response.Successful {
			failed++
		}
	}
	if d.ErrorCount != failed {
		t.Errorf("error_count = %d, but %d results failed", d.ErrorCount, failed)
	}
	if d.Session.ID == "" {
		t.Errorf("result has no session block: %s", env.Data)
	}
	return d
}

// workbenchFiles is where a session's files directory appears to the workbench, and so in file_path.
const workbenchFiles = "/mnt/files/"

// responseData returns a successful call's data: inline, or, for a response offloaded to the session's files
// directory, the file's content after checking the inline preview is its beginning.
func (h *harness) responseData(t *testing.T, session string, r execResult) json.RawMessage {
	t.Helper()
	if r.FilePath == "" {
		return r.Response.Data
	}
	rel, ok := strings.CutPrefix(r.FilePath, workbenchFiles+"outputs/")
	if !ok {
		t.Fatalf("%s: file_path %q is not under %soutputs/", r.ToolSlug, r.FilePath, workbenchFiles)
	}
	data, err := os.ReadFile(filepath.Join(h.stateDir, "sessions", h.user, session, "files", "outputs", rel))
	if err != nil {
		t.Fatalf("%s: the offloaded response is not in the session's files dir: %v", r.ToolSlug, err)
	}
	preview := decode[struct {
		Preview string `json:"preview"`
	}](t, r.Response.Data).Preview
	if preview == "" || !strings.HasPrefix(string(data), strings.TrimSuffix(preview, "…")) {
		t.Errorf("%s: the inline preview is not the beginning of %s", r.ToolSlug, r.FilePath)
	}
	return data
}

// toolNames lists every tool, following pagination.
func (s *serving) toolNames(ctx context.Context, t *testing.T) []string {
	t.Helper()
	var names []string
	for tool, err := range s.cs.Tools(ctx, nil) {
		if err != nil {
			t.Fatalf("tools/list: %v", err)
		}
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

// inventoryAPI is a fake of the API described in testdata/inventory.yaml, served under /api.
type inventoryAPI struct {
	*httptest.Server
	calls   atomic.Int64
	mu      sync.Mutex
	created []map[string]any
	auth    []string // the Authorization header of every request
}

func newInventoryAPI(t *testing.T) *inventoryAPI {
	t.Helper()
	api := &inventoryAPI{}
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /api/items", func(w http.ResponseWriter, r *http.Request) {
		items := []map[string]any{{"id": "42", "name": "widget", "quantity": 3}, {"id": "43", "name": "gadget", "quantity": 0}, {"id": "44", "name": "gizmo", "quantity": 7}}
		if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n < len(items) {
			items = items[:n]
		}
		reply(w, http.StatusOK, items)
	})
	mux.HandleFunc("POST /api/items", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.Header.Get("Content-Type") != "application/json" {
			reply(w, http.StatusBadRequest, map[string]any{"message": "send a JSON object"})
			return
		}
		api.mu.Lock()
		api.created = append(api.created, body)
		id := strconv.Itoa(100 + len(api.created))
		api.mu.Unlock()
		reply(w, http.StatusCreated, map[string]any{"id": id, "name": body["name"], "quantity": body["quantity"]})
	})
	mux.HandleFunc("GET /api/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		if id := r.PathValue("id"); id != "42" {
			reply(w, http.StatusNotFound, map[string]any{"message": "no item " + id})
			return
		}
		reply(w, http.StatusOK, map[string]any{"id": "42", "name": "widget", "quantity": 3})
	})
	mux.HandleFunc("GET /api/delayed", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		reply(w, http.StatusOK, map[string]any{"slept_ms": ms})
	})
	mux.HandleFunc("GET /api/report", func(w http.ResponseWriter, r *http.Request) {
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		reply(w, http.StatusOK, map[string]any{"report": strings.Repeat("r", size)})
	})
	mux.HandleFunc("GET /api/broken", func(w http.ResponseWriter, r *http.Request) {
		// A careless server echoes the request's credentials in its error; toolmux must not pass them on.
		msg := "database on fire"
		if a := r.Header.Get("Authorization"); a != "" {
			msg += "; request had Authorization: " + a
		}
		reply(w, http.StatusInternalServerError, map[string]any{"message": msg})
	})
	api.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.calls.Add(1)
		api.mu.Lock()
		api.auth = append(api.auth, r.Header.Get("Authorization"))
		api.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(api.Close)
	return api
}

// authorizations returns the Authorization header of every request so far.
func (api *inventoryAPI) authorizations() []string {
	api.mu.Lock()
	defer api.mu.Unlock()
	return slices.Clone(api.auth)
}

// createdBodies returns the bodies POST /api/items received.
func (api *inventoryAPI) createdBodies() []map[string]any {
	api.mu.Lock()
	defer api.mu.Unlock()
	return slices.Clone(api.created)
}

// testdata returns the absolute path of a file in testdata/.
func testdata(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// inventoryConfig is a config declaring the inventory toolkit against api, with extra TOML appended. Limits are
// small so the bad-input tests can reach them: 4 KiB responses, 1 second per call.
func inventoryConfig(t *testing.T, api *inventoryAPI, extra string) string {
	t.Helper()
	return fmt.Sprintf(`log_level = "debug"

[execution]
concurrency = 8
timeout_seconds = 1
max_response_bytes = 4096
offload_threshold_chars = 20000

[[toolkits]]
slug = "inventory"
type = "openapi"
spec = %s
base_url = %s
%s`, tomlString(testdata(t, "inventory.yaml")), tomlString(api.URL+"/api"), extra)
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	b, _ := json.Marshal(s) // JSON string escapes are valid TOML basic-string escapes
	return string(b)
}

// withTimeout is a context for one test's MCP traffic.
func withTimeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// readLines sends each line of r (without its newline) to the returned channel until EOF.
func readLines(r io.Reader) <-chan string {
	ch := make(chan string, 64)
	go func() {
		defer close(ch)
		br := bufio.NewReaderSize(r, 64<<10)
		for {
			line, err := br.ReadString('\n')
			if line = strings.TrimRight(line, "\r\n"); line != "" {
				ch <- line
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}
