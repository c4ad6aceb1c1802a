package session

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/toolmux/toolmux/auth"
	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

// githubUserAPI answers GitHub's GET /user for one token, like the real API: 401 for any other.
func githubUserAPI(t *testing.T, token, login string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet || r.URL.Path != "/user" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Not Found"}`)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"Bad credentials"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"login": login, "id": 583231, "type": "User"})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// labelFixture opens a session over the built-in GitHub toolkit pointed at api, with an auth Manager.
func labelFixture(t *testing.T, api string) (*Session, *auth.Manager, *store.DB) {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(fmt.Sprintf("[builtin.base_url]\ngithub = %q\n", api)), filepath.Join(dir, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	secrets, err := auth.OpenSecrets(ctx, auth.StoreFile, dir)
	if err != nil {
		t.Fatal(err)
	}
	m := auth.NewManager(auth.ManagerOptions{DB: db, Secrets: secrets, User: "alice", Config: cfg})
	cat, err := LoadCatalog(ctx, CatalogOptions{Config: cfg, DB: db, StateDir: dir, Auth: m})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	s, err := Open(ctx, db, ReadyCatalog(cat), Options{Name: "label", UserID: "alice", StateDir: dir, Execution: cfg.Execution, Connections: m})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s, m, db
}

func TestConnectedAccountGetsWhoAmILabel(t *testing.T) {
	api, calls := githubUserAPI(t, "ghp_valid", "octocat")
	s, m, db := labelFixture(t, api.URL)
	ctx := context.Background()
	cat, err := s.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var gh *tools.Toolkit
	for _, tk := range cat.Toolkits() {
		if tk.Slug == "github" {
			gh = tk
		}
	}
	if gh == nil || gh.WhoAmI == nil {
		t.Fatalf("the built-in github toolkit has no whoami call: %+v", gh)
	}

	tests := []struct {
		name, alias, token, wantLabel string
	}{
		{"valid token gets the login", "work", "ghp_valid", "octocat"},
		{"rejected token stays connected without a label", "broken", "ghp_wrong", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := calls.Load()
			acct, err := m.ConnectSecret(ctx, "github", tt.alias, tools.SchemeBearerToken, "", tt.token)
			if err != nil {
				t.Fatal(err)
			}
			if calls.Load() != before+1 {
				t.Errorf("the API got %d calls, want one GET /user", calls.Load()-before)
			}
			if acct.Status != store.AccountActive || acct.Label != tt.wantLabel {
				t.Errorf("returned account: status %s label %q, want ACTIVE %q", acct.Status, acct.Label, tt.wantLabel)
			}
			stored, err := db.ConnectedAccount(ctx, acct.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Label != tt.wantLabel {
				t.Errorf("stored label %q, want %q", stored.Label, tt.wantLabel)
			}
		})
	}
	// The valid account was connected first; the broken one is now the most recent, so select the valid one by
	// alias for the status message.
	list, err := m.Accounts(ctx, "github")
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, a := range list {
		labels = append(labels, a.Alias+"="+a.Label)
	}
	if len(labels) != 2 || labels[1] != "work=octocat" {
		t.Errorf("accounts: %v, want the work account labelled octocat", labels)
	}
}

func TestLookupPath(t *testing.T) {
	data := map[string]any{
		"login": "octocat",
		"user":  map[string]any{"name": "Mona", "id": json.Number("42"), "empty": ""},
		"ctrl":  "bad\x1b[31mname",
		"list":  []any{"x"},
	}
	tests := []struct{ path, want string }{
		{"login", "octocat"},
		{"user.name", "Mona"},
		{"user.id", "42"},
		{"user.empty", ""},
		{"user.missing", ""},
		{"login.deeper", ""},
		{"list", ""},
		{"ctrl", "bad[31mname"},
	}
	for _, tt := range tests {
		if got := lookupPath(data, tt.path); got != tt.want {
			t.Errorf("lookupPath(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// TestSearchPrefersConnectedToolkits: once the user has connected GitHub, "create an issue" (no app named) puts
// GitHub's tool first; before, another tracker's came first.
func TestSearchPrefersConnectedToolkits(t *testing.T) {
	api, _ := githubUserAPI(t, "ghp_valid", "octocat")
	s, m, _ := labelFixture(t, api.URL)
	ctx := context.Background()
	rank := func() int {
		t.Helper()
		res, err := s.Search(ctx, SearchRequest{Queries: []SearchQuery{{UseCase: "create an issue"}}})
		if err != nil {
			t.Fatal(err)
		}
		return slices.Index(res.Results[0].PrimaryToolSlugs, "GITHUB_CREATE_ISSUE") + 1
	}
	before := rank()
	if before == 1 {
		t.Fatal("GITHUB_CREATE_ISSUE is already first with nothing connected: the test's premise no longer holds")
	}
	if _, err := m.ConnectSecret(ctx, "github", "", tools.SchemeBearerToken, "", "ghp_valid"); err != nil {
		t.Fatal(err)
	}
	if after := rank(); after != 1 {
		t.Fatalf("GITHUB_CREATE_ISSUE ranks %d with GitHub connected (%d before), want 1", after, before)
	}
}
