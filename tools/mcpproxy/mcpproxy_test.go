package mcpproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/tools"
)

// everything returns a client for the real @modelcontextprotocol/server-everything from test-tools, skipping (or
// failing under CI) when node or the package is missing.
func everything(t testing.TB) *Client {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	bin := filepath.Join(filepath.Dir(file), "..", "..", "test-tools", "node_modules", ".bin", "mcp-server-everything")
	node, err := exec.LookPath("node")
	if _, statErr := os.Stat(bin); statErr != nil || err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node or %s is missing and CI is set: run npm ci in test-tools", bin)
		}
		t.Skipf("node or %s is missing (run npm ci in test-tools); skipping", bin)
	}
	c := New(Config{
		Toolkit: "everything",
		Command: node,
		Args:    []string{bin, "stdio"},
		Env:     []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()},
		Dir:     t.TempDir(),
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestUpperSnake(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"echo", "ECHO"},
		{"get-tiny-image", "GET_TINY_IMAGE"},
		{"getTinyImage", "GET_TINY_IMAGE"},
		{"read_file", "READ_FILE"},
		{"list  dirs/v2", "LIST_DIRS_V2"},
		{"-x-", "X"},
	} {
		if got := UpperSnake(tc.in); got != tc.want {
			t.Errorf("UpperSnake(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func findTool(t testing.TB, tk *tools.Toolkit, slug string) *tools.Tool {
	t.Helper()
	for _, tool := range tk.Tools {
		if tool.Slug == slug {
			return tool
		}
	}
	t.Fatalf("tool %s not listed", slug)
	return nil
}

func TestListConvertsTools(t *testing.T) {
	c := everything(t)
	if c.PGID() != 0 {
		t.Fatal("upstream started before first use")
	}
	tk, err := c.List(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if tk.Source != tools.SourceMCP || tk.Slug != "everything" || tk.Version == "" {
		t.Fatalf("toolkit = %+v", tk)
	}
	echo := findTool(t, tk, "EVERYTHING_ECHO")
	if echo.Name != "echo" || echo.Description == "" || !strings.Contains(string(echo.InputSchema), `"message"`) {
		t.Fatalf("echo = %+v", echo)
	}
	sc := findTool(t, tk, "EVERYTHING_GET_STRUCTURED_CONTENT")
	if !strings.Contains(string(sc.OutputSchema), `"temperature"`) {
		t.Fatalf("output schema not carried over: %s", sc.OutputSchema)
	}
	want := tools.Annotations{ReadOnly: true, Idempotent: true}
	if sc.Annotations != want || !sc.HasTag(tools.TagReadOnly) || !sc.HasTag(tools.TagIdempotent) || sc.HasTag(tools.TagOpenWorld) {
		t.Fatalf("annotations = %+v tags = %v", sc.Annotations, sc.Tags)
	}
}

func TestExecute(t *testing.T) {
	c := everything(t)
	ctx := ctxT(t)
	tk, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		slug string
		args map[string]any
		want []string
	}{
		{"EVERYTHING_ECHO", map[string]any{"message": "hello upstream"}, []string{`"type":"text"`, "hello upstream"}},
		{"EVERYTHING_GET_STRUCTURED_CONTENT", map[string]any{"location": "Chicago"}, []string{`"temperature":36`, "drizzle"}},
		{"EVERYTHING_GET_TINY_IMAGE", nil, []string{`"type":"image"`, `"mimeType":"image/png"`}},
		{"EVERYTHING_GET_ANNOTATED_MESSAGE", map[string]any{"messageType": "error", "includeImage": true},
			[]string{`"text":"Error: Operation failed"`, `"annotations":{"audience":["user","assistant"],"priority":1}`, `"type":"image"`}},
		{"EVERYTHING_GET_RESOURCE_REFERENCE", map[string]any{"resourceType": "Text", "resourceId": 2},
			[]string{`"type":"resource"`, `"uri":"demo://resource/dynamic/text/2"`, `"text":"Resource 2: This is a plaintext resource`}},
	} {
		t.Run(tc.slug, func(t *testing.T) {
			res, err := c.Execute(ctx, tools.Call{Tool: findTool(t, tk, tc.slug), Arguments: tc.args})
			if err != nil {
				t.Fatal(err)
			}
			got := mustJSON(t, res.Data)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("result %s lacks %s", got, w)
				}
			}
		})
	}
	t.Run("upstream error", func(t *testing.T) {
		_, err := c.Execute(ctx, tools.Call{Tool: findTool(t, tk, "EVERYTHING_GET_STRUCTURED_CONTENT"), Arguments: map[string]any{"location": "Atlantis"}})
		if err == nil || !strings.Contains(err.Error(), "get-structured-content") {
			t.Fatalf("err = %v, want an error naming the tool", err)
		}
	})
}

func TestCrashMidCallThenRestart(t *testing.T) {
	c := everything(t)
	ctx := ctxT(t)
	tk, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pgid := c.PGID()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Execute(ctx, tools.Call{Tool: findTool(t, tk, "EVERYTHING_TRIGGER_LONG_RUNNING_OPERATION"), Arguments: map[string]any{"duration": 30, "steps": 3}})
		errc <- err
	}()
	time.Sleep(500 * time.Millisecond) // let the call reach the upstream; any moment during the 30 s call will do
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "exited during the call") {
			t.Fatalf("err = %v, want a clear upstream-exited error", err)
		}
	case <-ctx.Done():
		t.Fatal("call hung after the upstream was killed")
	}
	// The next call comes during the backoff: a clear error saying when the upstream is restarted, no start.
	echo := tools.Call{Tool: findTool(t, tk, "EVERYTHING_ECHO"), Arguments: map[string]any{"message": "again"}}
	starts := c.Starts()
	if _, err := c.Execute(ctx, echo); err == nil || !strings.Contains(err.Error(), "restarted on a call after") {
		t.Fatalf("call during the backoff: err = %v, want one naming the restart time", err)
	}
	if st := c.Status(); st.State != StateFailed || st.LastError == nil || c.Starts() != starts {
		t.Fatalf("status during the backoff = %+v (starts %d, was %d)", st, c.Starts(), starts)
	}
	sleepCtx(ctx, time.Until(c.Status().RetryAt))
	res, err := c.Execute(ctx, echo)
	if err != nil {
		t.Fatalf("call after the backoff: %v", err)
	}
	if !strings.Contains(mustJSON(t, res.Data), "again") {
		t.Fatalf("result %v", res.Data)
	}
	if c.PGID() == pgid || c.PGID() == 0 {
		t.Fatalf("upstream not restarted: pgid %d then %d", pgid, c.PGID())
	}
	if m := groupMembers(t, pgid); len(m) > 0 {
		t.Fatalf("processes %v of the crashed upstream's group %d remain", m, pgid)
	}
}

func TestCloseLeavesNoProcess(t *testing.T) {
	c := everything(t)
	if _, err := c.List(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	pgid := c.PGID()
	if len(groupMembers(t, pgid)) == 0 {
		t.Fatalf("no process in group %d while running", pgid)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if m := groupMembers(t, pgid); len(m) > 0 {
		t.Fatalf("processes %v of group %d remain after Close", m, pgid)
	}
	if _, err := c.List(ctxT(t)); err == nil {
		t.Fatal("List after Close succeeded")
	}
}

// children lists the processes whose parent is this test process, zombies included.
func children(t *testing.T) []int {
	t.Helper()
	return procs(t, func(f []string) bool { return f[1] == strconv.Itoa(os.Getpid()) })
}

// groupMembers lists the processes of group pgid from /proc, zombies included: an unreaped child is a leak too.
func groupMembers(t *testing.T, pgid int) []int {
	t.Helper()
	return procs(t, func(f []string) bool { return f[2] == strconv.Itoa(pgid) })
}

// procs lists the processes whose /proc/PID/stat fields after the command (state ppid pgrp ...) match.
func procs(t *testing.T, match func(fields []string) bool) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		if len(f) >= 3 && match(f) {
			out = append(out, pid)
		}
	}
	return out
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStartFailures: an upstream that cannot start, exits at once, prints junk or never answers initialize gives a
// clear error, leaves no process behind, and never hangs past the start timeout.
func TestStartFailures(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, tc := range []struct {
		name, command string
		args          []string
	}{
		{"missing command", filepath.Join(t.TempDir(), "no-such-server"), nil},
		{"exits at once", sh, []string{"-c", "exit 3"}},
		{"prints junk", sh, []string{"-c", "echo 'this is not json-rpc'; sleep 30"}},
		{"never answers initialize", sh, []string{"-c", "sleep 30"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Config{Toolkit: "broken", Command: tc.command, Args: tc.args, Env: []string{"PATH=" + os.Getenv("PATH")},
				StartTimeout: time.Second, StopGrace: 200 * time.Millisecond})
			defer c.Close()
			_, err := c.List(ctxT(t))
			if err == nil || !strings.Contains(err.Error(), "start upstream broken") {
				t.Fatalf("err = %v, want a start error naming the toolkit", err)
			}
			if c.PGID() != 0 {
				t.Fatalf("a failed start left pgid %d", c.PGID())
			}
			if kids := children(t); len(kids) > 0 {
				t.Fatalf("a failed start left child processes %v (zombies included)", kids)
			}
		})
	}
}

// BenchmarkEcho compares server-everything's echo called through the proxy with the same call made directly with
// the go-sdk client on the proxy's own session: the difference is the proxy's cost per call.
func BenchmarkEcho(b *testing.B) {
	c := everything(b)
	ctx := ctxT(b)
	tk, err := c.List(ctx)
	if err != nil {
		b.Fatal(err)
	}
	echo := findTool(b, tk, "EVERYTHING_ECHO")
	b.Run("proxy", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Execute(ctx, tools.Call{Tool: echo, Arguments: map[string]any{"message": "x"}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		sess, _, _, err := c.session(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := sess.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"message": "x"}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestSlowCallBoundedByContext: a call whose context ends (the per-call timeout, or the client cancelling) returns
// the context's error instead of waiting for the upstream, the cancellation is sent on, and the upstream stays up.
func TestSlowCallBoundedByContext(t *testing.T) {
	c := everything(t)
	ctx := ctxT(t)
	tk, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err = c.Execute(short, tools.Call{Tool: findTool(t, tk, "EVERYTHING_TRIGGER_LONG_RUNNING_OPERATION"), Arguments: map[string]any{"duration": 30, "steps": 2}})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "upstream everything") {
		t.Fatalf("err = %v, want the deadline naming the upstream", err)
	}
	res, err := c.Execute(ctx, tools.Call{Tool: findTool(t, tk, "EVERYTHING_ECHO"), Arguments: map[string]any{"message": "still up"}})
	if err != nil || !strings.Contains(mustJSON(t, res.Data), "still up") {
		t.Fatalf("call after the timeout: %v, %v", res.Data, err)
	}
	if n := c.Starts(); n != 1 {
		t.Fatalf("the upstream was started %d times; a timed-out call must not restart it", n)
	}
}

// FuzzUpperSnake: any upstream tool name (untrusted) becomes a slug part of upper-case letters, digits and single
// inner underscores.
func FuzzUpperSnake(f *testing.F) {
	for _, s := range []string{"echo", "get-tiny-image", "getTinyImage", "a__b", "ÄrgerÜber", "", "--", "x1Y2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := UpperSnake(name)
		if strings.HasPrefix(got, "_") || strings.HasSuffix(got, "_") || strings.Contains(got, "__") {
			t.Fatalf("UpperSnake(%q) = %q: stray underscore", name, got)
		}
		for _, r := range got {
			if r != '_' && !unicode.IsDigit(r) && !(unicode.IsLetter(r) && unicode.ToUpper(r) == r) {
				t.Fatalf("UpperSnake(%q) = %q has %q", name, got, r)
			}
		}
	})
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// TestHungResolveBoundedByStartTimeout: a reference whose lookup never returns (a keychain that does not answer)
// fails the start after StartTimeout, naming the header, instead of holding every caller of the upstream.
func TestHungResolveBoundedByStartTimeout(t *testing.T) {
	resolving := make(chan struct{}, 1)
	c := New(Config{Toolkit: "remote", URL: "http://127.0.0.1:9/mcp", Headers: map[string]string{"X-Api-Key": "keyring:REMOTE_KEY"},
		StartTimeout: 300 * time.Millisecond,
		Resolve: func(ctx context.Context, ref string) (string, error) {
			resolving <- struct{}{}
			<-ctx.Done()
			return "", fmt.Errorf("read %s: %w", ref, ctx.Err())
		}})
	defer c.Close()
	_, err := c.List(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "header X-Api-Key") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the header's lookup ended by the start timeout", err)
	}
	select {
	case <-resolving:
	default:
		t.Fatal("the reference was never looked up")
	}
}

// TestStateRecordedBeforeWaitersReturn: a caller that waited for a start returns after OnState has recorded how
// the start ended, so what it reads next (doctor reads the recorded state) is that outcome.
func TestStateRecordedBeforeWaitersReturn(t *testing.T) {
	var recorded atomic.Value
	c := New(Config{Toolkit: "broken", Command: filepath.Join(t.TempDir(), "no-such-server"), StartTimeout: time.Second,
		OnState: func(state string, err error) {
			time.Sleep(100 * time.Millisecond) // a slow store
			recorded.Store(state)
		}})
	defer c.Close()
	if _, err := c.List(ctxT(t)); err == nil {
		t.Fatal("a missing command started")
	}
	if got, _ := recorded.Load().(string); got != StateFailed {
		t.Fatalf("when the call returned, the recorded state was %q, want %q", got, StateFailed)
	}
}
