package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// httpServing is a `toolmux serve --http` process.
type httpServing struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncBuffer
	done   chan error
}

var servingURL = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/mcp)`)

// serveHTTP starts `toolmux serve --http 127.0.0.1:0 ARGS` and waits for the URL it logs.
func (h *harness) serveHTTP(t *testing.T, args ...string) *httpServing {
	t.Helper()
	cmd := h.command(append([]string{"serve", "--http", "127.0.0.1:0"}, args...)...)
	s := &httpServing{cmd: cmd, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("toolmux serve --http stderr:\n%s", s.stderr)
		}
	})
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := servingURL.FindStringSubmatch(s.stderr.String()); m != nil {
			s.url = m[1]
			return s
		}
		select {
		case err := <-s.done:
			t.Fatalf("toolmux serve --http exited (%v):\n%s", err, s.stderr)
		default:
		}
	}
	t.Fatalf("toolmux serve --http logged no URL:\n%s", s.stderr)
	return nil
}

// bearer adds the token to every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func TestHTTPMode(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 2*time.Minute)
	api := newInventoryAPI(t)
	h := newHarness(t)
	h.writeConfig(inventoryConfig(t, api, "[secrets]\nstore = \"file\"\n"))
	token := strings.TrimSpace(h.mustRun("", "users", "add", "carol").stdout)
	if !strings.HasPrefix(token, "tmx_") || strings.Contains(token, "\n") {
		t.Fatalf("users add printed %q, want one token line", token)
	}
	if list := h.mustRun("", "users", "list").stdout; !strings.Contains(list, "carol") || strings.Contains(list, token) {
		t.Errorf("users list:\n%s", list)
	}
	srv := h.serveHTTP(t)

	t.Run("client with a token searches and executes", func(t *testing.T) {
		client := mcp.NewClient(&mcp.Implementation{Name: "toolmux-e2e-http", Version: "1.0.0"}, nil)
		cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: srv.url, HTTPClient: &http.Client{Transport: bearer{token}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()
		s := &serving{cs: cs, stderr: srv.stderr}
		env := s.callTool(ctx, t, searchTools, map[string]any{"queries": []map[string]any{{"use_case": "add a new item to the inventory"}}}, nil)
		if !env.Successful || !strings.Contains(string(env.Data), "INVENTORY_CREATE_ITEM") {
			t.Fatalf("search: %+v %s", env, env.Data)
		}
		env = s.callTool(ctx, t, multiExecute, map[string]any{
			"tools": []map[string]any{
				{"tool_slug": "INVENTORY_CREATE_ITEM", "arguments": map[string]any{"name": "sprocket", "quantity": 2}},
				{"tool_slug": "INVENTORY_GET_ITEM", "arguments": map[string]any{"item_id": "42"}},
			},
			"sync_response_to_workbench": false,
		}, nil)
		if !env.Successful || !strings.Contains(string(env.Data), "sprocket") || !strings.Contains(string(env.Data), "widget") {
			t.Fatalf("multi-execute: %+v %s", env, env.Data)
		}
		if got := api.createdBodies(); len(got) != 1 || got[0]["name"] != "sprocket" {
			t.Errorf("the API received %v", got)
		}
		asCarol := *h
		asCarol.user = "carol"
		logs := asCarol.mustRun("", "logs", "--json").stdout
		var execs []map[string]any
		if err := json.Unmarshal([]byte(logs), &execs); err != nil || len(execs) != 2 || execs[0]["user_id"] != "carol" {
			t.Errorf("carol's log after the calls (%v):\n%s", err, logs)
		}
	})

	raw := func(t *testing.T, hdr map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.url, strings.NewReader(
			`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`))
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
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	t.Run("no token is 401", func(t *testing.T) {
		resp, body := raw(t, nil)
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("status %d, WWW-Authenticate %q: %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
		}
	})
	t.Run("removed user is 401", func(t *testing.T) {
		other := strings.TrimSpace(h.mustRun("", "users", "add", "dave").stdout)
		h.mustRun("", "users", "remove", "dave")
		if resp, body := raw(t, map[string]string{"Authorization": "Bearer " + other}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status %d: %s", resp.StatusCode, body)
		}
	})
	t.Run("wrong Host is 403", func(t *testing.T) {
		resp, body := raw(t, map[string]string{"Authorization": "Bearer " + token, "Host": "attacker.example:80"})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("status %d: %s", resp.StatusCode, body)
		}
	})

	// SIGTERM stops the server cleanly.
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-srv.done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, srv.stderr)
		}
		srv.done <- err // for the cleanup
	case <-time.After(30 * time.Second):
		t.Errorf("still running 30s after SIGTERM:\n%s", srv.stderr)
	}
}

func TestHTTPModeRefusesRemoteBind(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"non-loopback without --allow-remote", []string{"--http", "0.0.0.0:0"}, "--allow-remote"},
		{"--allow-remote without TLS", []string{"--http", "0.0.0.0:0", "--allow-remote"}, "--tls-cert FILE and --tls-key FILE"},
		{"--no-auth beyond loopback", []string{"--http", "0.0.0.0:0", "--allow-remote", "--tls-cert", "c", "--tls-key", "k", "--no-auth"}, "--no-auth"},
		{"TLS flag without --http", []string{"--tls-cert", "c"}, "only applies with --http"},
		{"--session with --http", []string{"--http", "127.0.0.1:0", "--session", "x"}, "Toolmux-Session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.run("", append([]string{"serve"}, tt.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("want exit 2 naming %q; got %s", tt.want, r)
			}
		})
	}
}
