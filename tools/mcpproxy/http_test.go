package mcpproxy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/tools"
)

type echoIn struct {
	Message string `json:"message" jsonschema:"the message to echo"`
}

type echoOut struct {
	Echo string `json:"echo"`
}

// httpUpstream serves a real go-sdk MCP server over streamable HTTP; requests without the bearer token are refused.
func httpUpstream(t *testing.T, token string) (*httptest.Server, *mcp.Server) {
	t.Helper()
	srv := mcp.NewServer(&mcp.Implementation{Name: "remote", Version: "1.0.0"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "echo", Description: "Echo a message back"}, func(ctx context.Context, req *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, echoOut, error) {
		return nil, echoOut{Echo: in.Message}, nil
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, srv
}

func TestHTTPUpstream(t *testing.T) {
	ts, srv := httpUpstream(t, "s3cret")
	ctx := ctxT(t)

	t.Run("missing variable", func(t *testing.T) {
		c := New(Config{Toolkit: "remote", URL: ts.URL, Headers: map[string]string{"Authorization": "env:TOOLMUX_TEST_NO_SUCH_VAR"}})
		defer c.Close()
		_, err := c.List(ctx)
		if err == nil || !strings.Contains(err.Error(), "TOOLMUX_TEST_NO_SUCH_VAR") || !strings.Contains(err.Error(), "header Authorization") {
			t.Fatalf("err = %v, want one naming the variable and the header", err)
		}
		if c.Starts() != 0 {
			t.Fatal("a start was attempted without the header")
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		c := New(Config{Toolkit: "remote", URL: ts.URL, Headers: map[string]string{"Authorization": "Bearer nope"}, StartTimeout: 5 * time.Second})
		defer c.Close()
		if _, err := c.List(ctx); err == nil || !strings.Contains(err.Error(), "start upstream remote ("+ts.URL+")") {
			t.Fatalf("err = %v, want a start error naming the URL", err)
		}
	})

	t.Setenv("TOOLMUX_TEST_MCP_AUTH", "Bearer s3cret")
	var mu sync.Mutex
	var lists []*tools.Toolkit
	listed := make(chan struct{}, 10)
	c := New(Config{
		Toolkit: "remote", URL: ts.URL, Headers: map[string]string{"Authorization": "env:TOOLMUX_TEST_MCP_AUTH"},
		OnTools: func(tk *tools.Toolkit) {
			mu.Lock()
			lists = append(lists, tk)
			mu.Unlock()
			listed <- struct{}{}
		},
	})
	defer c.Close()
	tk, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	<-listed
	echo := findTool(t, tk, "REMOTE_ECHO")
	if tk.Version != "1.0.0" || !strings.Contains(string(echo.OutputSchema), `"echo"`) {
		t.Fatalf("toolkit = %+v, echo = %+v", tk, echo)
	}
	res, err := c.Execute(ctx, tools.Call{Tool: echo, Arguments: map[string]any{"message": "over http"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustJSON(t, res.Data); got != `{"echo":"over http"}` {
		t.Fatalf("result = %s", got)
	}

	// A tool added on the server arrives as notifications/tools/list_changed; the list is read again.
	mcp.AddTool(srv, &mcp.Tool{Name: "shout", Description: "Echo a message in capitals"}, func(ctx context.Context, req *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, echoOut, error) {
		return nil, echoOut{Echo: strings.ToUpper(in.Message)}, nil
	})
	select {
	case <-listed:
	case <-ctx.Done():
		t.Fatal("the tool list was not read again after tools/list_changed")
	}
	mu.Lock()
	last := lists[len(lists)-1]
	mu.Unlock()
	findTool(t, last, "REMOTE_SHOUT")
	if got, _ := c.List(ctx); len(got.Tools) != 2 {
		t.Fatalf("List after the refresh has %d tools, want 2", len(got.Tools))
	}
}

// TestCachedListRefreshedOnNewVersion: a client given a cached list starts nothing for List; its first call starts
// the upstream, and a server version other than the cached list's makes it read the list again.
func TestCachedListRefreshedOnNewVersion(t *testing.T) {
	ts, _ := httpUpstream(t, "tok")
	ctx := ctxT(t)
	echo := &tools.Tool{Slug: "REMOTE_ECHO", Toolkit: "remote", Name: "echo", InputSchema: []byte(`{"type":"object"}`)}
	for _, tc := range []struct {
		version string
		refresh bool
	}{{"0.9.0", true}, {"1.0.0", false}} {
		t.Run(tc.version, func(t *testing.T) {
			listed := make(chan *tools.Toolkit, 1)
			c := New(Config{
				Toolkit: "remote", URL: ts.URL, Headers: map[string]string{"Authorization": "Bearer tok"},
				Cached: &tools.Toolkit{Slug: "remote", Source: tools.SourceMCP, Version: tc.version, Tools: []*tools.Tool{echo}},
				OnTools: func(tk *tools.Toolkit) {
					select {
					case listed <- tk:
					default:
					}
				},
			})
			defer c.Close()
			if tk, err := c.List(ctx); err != nil || len(tk.Tools) != 1 || c.Starts() != 0 {
				t.Fatalf("List = %v, %v with %d starts; want the cached list and no start", tk, err, c.Starts())
			}
			if _, err := c.Execute(ctx, tools.Call{Tool: echo, Arguments: map[string]any{"message": "x"}}); err != nil {
				t.Fatal(err)
			}
			if c.Starts() != 1 {
				t.Fatalf("starts = %d after the first call, want 1", c.Starts())
			}
			if !tc.refresh {
				return // nothing to wait for: no refresh is the absence of an event
			}
			select {
			case tk := <-listed:
				if tk.Version != "1.0.0" {
					t.Fatalf("refreshed list has version %q", tk.Version)
				}
			case <-ctx.Done():
				t.Fatal("the list was not read again after the server's version changed")
			}
		})
	}
}

// TestHTTPUpstreamSessionEnded: a remote server that restarted answers the old session with 404. The spec has the
// client start a new session; the call that met the 404 is sent again on it and succeeds, with no backoff. A server
// that ends every session gets one retry, and an error saying it has no such session.
func TestHTTPUpstreamSessionEnded(t *testing.T) {
	newHandler := func() http.Handler {
		srv := mcp.NewServer(&mcp.Implementation{Name: "remote", Version: "1.0.0"}, nil)
		mcp.AddTool(srv, &mcp.Tool{Name: "echo", Description: "Echo a message back"}, func(ctx context.Context, req *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, echoOut, error) {
			return nil, echoOut{Echo: in.Message}, nil
		})
		return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	}
	var mu sync.Mutex
	handler := newHandler()
	forgetAll := false // every request naming a session gets 404, as from a server that keeps no sessions
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h, forget := handler, forgetAll
		mu.Unlock()
		if forget && r.Header.Get("Mcp-Session-Id") != "" {
			http.Error(w, "session not found", http.StatusNotFound)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer ts.Close()
	ctx := ctxT(t)
	var states []string
	c := New(Config{Toolkit: "remote", URL: ts.URL, OnState: func(state string, _ error) {
		mu.Lock()
		states = append(states, state)
		mu.Unlock()
	}})
	defer c.Close()
	tk, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	echo := findTool(t, tk, "REMOTE_ECHO")
	call := func(msg string) (tools.Result, error) {
		return c.Execute(ctx, tools.Call{Tool: echo, Arguments: map[string]any{"message": msg}})
	}
	if _, err := call("before"); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	handler = newHandler() // the server restarted: it knows no session
	mu.Unlock()
	res, err := call("after restart")
	if err != nil {
		t.Fatalf("the call after the server restarted failed: %v", err)
	}
	if got := mustJSON(t, res.Data); got != `{"echo":"after restart"}` {
		t.Fatalf("result = %s", got)
	}
	if st := c.Status(); st.State != StateRunning || st.Starts != 2 || st.LastError != nil {
		t.Fatalf("status = %+v, want running after a second start and no error", st)
	}
	mu.Lock()
	if slices.Contains(states, StateFailed) {
		t.Errorf("states = %v: a session the server ended is no failure", states)
	}
	forgetAll = true
	mu.Unlock()
	_, err = call("never")
	if err == nil || !strings.Contains(err.Error(), mcp.ErrSessionMissing.Error()) {
		t.Fatalf("err = %v, want one saying the server has no such session", err)
	}
	if st := c.Status(); st.Starts != 3 {
		t.Fatalf("starts = %d, want exactly one retry (3 in all)", st.Starts)
	}
}
