package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/session"
)

// TestUpstreamToolListChangeRelisted: an upstream MCP server that adds a tool the session exposes directly makes
// toolmux list it and send the client notifications/tools/list_changed; the client then calls it.
func TestUpstreamToolListChangeRelisted(t *testing.T) {
	up := mcp.NewServer(&mcp.Implementation{Name: "remote", Version: "1.0.0"}, nil)
	type in struct {
		Text string `json:"text"`
	}
	mcp.AddTool(up, &mcp.Tool{Name: "echo", Description: "Echo a text back"}, func(ctx context.Context, req *mcp.CallToolRequest, in in) (*mcp.CallToolResult, map[string]string, error) {
		return nil, map[string]string{"text": in.Text}, nil
	})
	ts := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return up }, nil))
	t.Cleanup(ts.Close) // after the session's cleanup has closed the upstream client's streams

	sess := newSession(t, func(c *config.Config) {
		c.Toolkits = append(c.Toolkits, config.Toolkit{Slug: "remote", Type: "mcp", URL: ts.URL})
	}, session.Options{Expose: []string{"REMOTE_ECHO", "REMOTE_SHOUT"}})
	t.Cleanup(func() { // stop the upstream client, so the HTTP server can close
		if cat, err := sess.Catalog(context.Background()); err == nil {
			cat.Close()
		}
	})
	srv, err := New(context.Background(), Options{Session: sess, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	listChanged := 0
	changed := make(chan struct{}, 10)
	cs := connectClient(t, srv, &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
			mu.Lock()
			listChanged++
			mu.Unlock()
			changed <- struct{}{}
		},
	}, nil)
	names := toolNames(t, cs)
	if _, ok := names["REMOTE_ECHO"]; !ok {
		t.Fatalf("REMOTE_ECHO not listed: %v", names)
	}
	if _, ok := names["REMOTE_SHOUT"]; ok {
		t.Fatal("REMOTE_SHOUT listed before the upstream has it")
	}

	mcp.AddTool(up, &mcp.Tool{Name: "shout", Description: "Repeat a text in capital letters"}, func(ctx context.Context, req *mcp.CallToolRequest, in in) (*mcp.CallToolResult, map[string]string, error) {
		return nil, map[string]string{"text": strings.ToUpper(in.Text)}, nil
	})
	waitFor(t, changed, "notifications/tools/list_changed after the upstream added an exposed tool")
	if _, ok := toolNames(t, cs)["REMOTE_SHOUT"]; !ok {
		t.Fatal("REMOTE_SHOUT is not listed after the upstream added it")
	}
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "REMOTE_SHOUT", Arguments: map[string]any{"text": "hi"}})
	if err != nil || res.IsError {
		t.Fatalf("REMOTE_SHOUT: %v %v", err, res)
	}
	if text := res.Content[0].(*mcp.TextContent).Text; !strings.Contains(text, `"HI"`) {
		t.Fatalf("REMOTE_SHOUT result: %s", text)
	}

	up.RemoveTools("shout")
	waitFor(t, changed, "notifications/tools/list_changed after the upstream removed an exposed tool")
	if _, ok := toolNames(t, cs)["REMOTE_SHOUT"]; ok {
		t.Fatal("REMOTE_SHOUT is still listed after the upstream removed it")
	}
	mu.Lock()
	defer mu.Unlock()
	if listChanged != 2 {
		t.Errorf("notifications/tools/list_changed sent %d times, want 2 (one per change)", listChanged)
	}
}
