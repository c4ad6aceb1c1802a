package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
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

// managedSession opens a session over the petstore toolkit (served by petAPI, API key scheme) whose connections are
// an auth Manager with a file secret store and no configured credentials.
func managedSession(t *testing.T, o session.Options) (*session.Session, *auth.Manager) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	spec, _ := filepath.Abs(filepath.Join("..", "session", "testdata", "petstore.yaml"))
	cfg, err := config.Parse([]byte(fmt.Sprintf("[[toolkits]]\nslug=\"petstore\"\ntype=\"openapi\"\nspec=%q\nbase_url=%q\n", spec, petAPI(t))), filepath.Join(dir, "c.toml"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	secrets, err := auth.OpenSecrets(ctx, auth.StoreFile, dir)
	if err != nil {
		t.Fatal(err)
	}
	m := auth.NewManager(auth.ManagerOptions{DB: db, Secrets: secrets, User: "u", Config: cfg})
	t.Cleanup(func() { m.ConnectServer().Close() })
	future := session.LoadCatalogAsync(ctx, session.CatalogOptions{Config: cfg, DB: db, StateDir: dir, Auth: m})
	t.Cleanup(func() { _ = future.Close(context.Background()) }) // the load writes the catalog cache into dir
	o.Name, o.UserID, o.StateDir = "t", "u", dir
	o.Execution, o.Workbench, o.Connections = cfg.Execution, cfg.Workbench, m
	sess, err := session.Open(ctx, db, future, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close(context.Background()) })
	return sess, m
}

// submitKey posts an API key to a connect link the way its page does (same origin).
func submitKey(t *testing.T, link, key string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, link, strings.NewReader(url.Values{"secret": {key}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://"+req.URL.Host)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("submitting the key: status %d", resp.StatusCode)
	}
}

// manageResult calls MANAGE_CONNECTIONS for petstore and returns its petstore entry.
func manageResult(t *testing.T, cs *mcp.ClientSession) map[string]any {
	t.Helper()
	env, isError := call(t, cs, "COMPOSIO_MANAGE_CONNECTIONS", map[string]any{"toolkits": []string{"petstore"}}, nil)
	data, _ := env["data"].(map[string]any)
	if isError || data == nil {
		t.Fatalf("manage connections failed: %v", env)
	}
	r, _ := data["results"].(map[string]any)["petstore"].(map[string]any)
	if r == nil {
		t.Fatalf("no petstore entry: %v", data)
	}
	return r
}

// waitFor receives from ch or fails after a generous bound (a guard against hanging, not a timing assertion).
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s", what)
		panic("unreachable")
	}
}

func TestConnectionTurningActiveNotifiesClient(t *testing.T) {
	tests := []struct {
		name                      string
		opts                      session.Options
		listedBefore, listedAfter bool
		wantListChanged           bool
	}{
		{"exposed tools hidden until connected", session.Options{Expose: []string{"PETSTORE_LISTPETS"}, HideUnconnected: true}, false, true, true},
		{"exposed tools listed regardless", session.Options{Expose: []string{"PETSTORE_LISTPETS"}}, true, true, false},
		{"meta tools only", session.Options{}, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess, _ := managedSession(t, tt.opts)
			srv, err := New(context.Background(), Options{Session: sess, Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			logs := make(chan string, 10)
			var mu sync.Mutex
			listChanged := 0
			changed := make(chan struct{}, 10)
			cs := connectClient(t, srv, &mcp.ClientOptions{
				LoggingMessageHandler: func(_ context.Context, req *mcp.LoggingMessageRequest) {
					logs <- fmt.Sprint(req.Params.Data)
				},
				ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
					mu.Lock()
					listChanged++
					mu.Unlock()
					changed <- struct{}{}
				},
			}, nil)
			if err := cs.SetLoggingLevel(context.Background(), &mcp.SetLoggingLevelParams{Level: "info"}); err != nil {
				t.Fatal(err)
			}
			if _, listed := toolNames(t, cs)["PETSTORE_LISTPETS"]; listed != tt.listedBefore {
				t.Fatalf("PETSTORE_LISTPETS listed before connecting: %v, want %v", listed, tt.listedBefore)
			}

			r := manageResult(t, cs)
			link, _ := r["redirect_url"].(string)
			if r["status"] != auth.StatusInitiated || link == "" {
				t.Fatalf("manage: %v", r)
			}
			if _, ok := r["elicitation"]; ok {
				t.Errorf("a client without URL elicitation was elicited: %v", r)
			}
			submitKey(t, link, "pet-key-1")

			msg := waitFor(t, logs, "log message after the account turned ACTIVE")
			if !strings.Contains(msg, "petstore connected") || !strings.Contains(msg, r["connected_account_id"].(string)) {
				t.Errorf("log message %q does not name the toolkit and account", msg)
			}
			if tt.wantListChanged {
				waitFor(t, changed, "notifications/tools/list_changed")
			}
			if _, listed := toolNames(t, cs)["PETSTORE_LISTPETS"]; listed != tt.listedAfter {
				t.Errorf("PETSTORE_LISTPETS listed after connecting: %v, want %v", listed, tt.listedAfter)
			}
			if r := manageResult(t, cs); r["status"] != auth.StatusActive {
				t.Errorf("after connecting: %v", r)
			}
			// Any list_changed was sent before tools/list answered above; none may be sent without a change.
			mu.Lock()
			n := listChanged
			mu.Unlock()
			if want := map[bool]int{true: 1, false: 0}[tt.wantListChanged]; n != want {
				t.Errorf("%d tools/list_changed notifications, want %d", n, want)
			}
		})
	}
}

func TestManageConnectionsOffersURLElicitation(t *testing.T) {
	urlMode := &mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapabilities{URL: &mcp.URLElicitationCapabilities{}}}
	tests := []struct {
		name     string
		protocol string // "" is the SDK's latest: elicitations travel as a multi round-trip result
		answer   string
	}{
		{"accepted, latest protocol", "", "accept"},
		{"accepted, 2025-11-25 (elicitation/create request)", "2025-11-25", "accept"},
		{"declined", "", "decline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess, _ := managedSession(t, session.Options{})
			srv, err := New(context.Background(), Options{Session: sess, Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			elicited := make(chan *mcp.ElicitParams, 5)
			completed := make(chan string, 5)
			cs := connectClient(t, srv, &mcp.ClientOptions{
				Capabilities: urlMode,
				ElicitationHandler: func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
					elicited <- req.Params
					return &mcp.ElicitResult{Action: tt.answer}, nil
				},
				ElicitationCompleteHandler: func(_ context.Context, req *mcp.ElicitationCompleteNotificationRequest) {
					completed <- req.Params.ElicitationID
				},
			}, &mcp.ClientSessionOptions{ProtocolVersion: tt.protocol})

			r := manageResult(t, cs)
			p := waitFor(t, elicited, "elicitation request")
			link, _ := r["redirect_url"].(string)
			if p.Mode != "url" || p.URL != link || link == "" || p.ElicitationID == "" || !strings.Contains(p.Message, "petstore") {
				t.Fatalf("elicitation %+v for result %v", p, r)
			}
			if len(elicited) != 0 {
				t.Errorf("the link was offered %d more times", len(elicited))
			}
			if r["elicitation"] != tt.answer || r["status"] != auth.StatusInitiated || !strings.Contains(r["instructions"].(string), map[string]string{"accept": "chose to open it", "decline": `"decline"`}[tt.answer]) {
				t.Fatalf("result %v", r)
			}
			if tt.answer != "accept" {
				return
			}
			submitKey(t, link, "pet-key-2")
			if id := waitFor(t, completed, "notifications/elicitation/complete"); id != p.ElicitationID {
				t.Errorf("elicitation/complete for %q, want %q", id, p.ElicitationID)
			}
		})
	}
}
