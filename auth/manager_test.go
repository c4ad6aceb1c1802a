package auth

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/toolmux/toolmux/auth/authtest"
	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

type managerFixture struct {
	db      *store.DB
	secrets SecretStore
	state   string
}

func newManagerFixture(t *testing.T) *managerFixture {
	t.Helper()
	state := t.TempDir()
	db, err := store.Open(t.Context(), filepath.Join(state, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := OpenSecrets(t.Context(), StoreFile, state)
	if err != nil {
		t.Fatal(err)
	}
	return &managerFixture{db: db, secrets: st, state: state}
}

func (f *managerFixture) manager(t *testing.T, cfg *config.Config, kits ...*tools.Toolkit) *Manager {
	t.Helper()
	if cfg == nil {
		cfg = &config.Config{}
	}
	m := NewManager(ManagerOptions{DB: f.db, Secrets: f.secrets, User: "alice", Config: cfg})
	m.ForToolkits(kits)
	return m
}

// authHeaders records what an API received.
type authHeaders struct {
	mu   sync.Mutex
	seen []string
}

func (h *authHeaders) last() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.seen) == 0 {
		return ""
	}
	return h.seen[len(h.seen)-1]
}

// request builds an API request and runs Authorize on it, returning the Authorization header or the key parameter.
func authorize(t *testing.T, m *Manager, toolkit, account string) (string, error) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "https://api.example.com/x", nil)
	err := m.Authorize(t.Context(), toolkit, account, req)
	if v := req.Header.Get("Authorization"); v != "" {
		return v, err
	}
	if v := req.Header.Get("X-Api-Key"); v != "" {
		return "X-Api-Key " + v, err
	}
	return req.URL.RawQuery, err
}

func TestManagerSelectionAndFallback(t *testing.T) {
	f := newManagerFixture(t)
	t.Setenv("STATIC_TOKEN", "static-token-value")
	cfg := &config.Config{
		Auth:              map[string]config.Auth{"github": {Scheme: "BEARER_TOKEN", Token: "env:STATIC_TOKEN"}},
		ConnectedAccounts: map[string]string{"petstore": "spare"},
	}
	pet := &tools.Toolkit{Slug: "petstore", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeAPIKey, In: "header", Name: "X-Api-Key"}}}
	gh := &tools.Toolkit{Slug: "github", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeBearerToken}}}
	m := f.manager(t, cfg, pet, gh)
	ctx := t.Context()

	// No account: the static config credential.
	if got, err := authorize(t, m, "github", ""); err != nil || got != "Bearer static-token-value" {
		t.Fatalf("static fallback = %q, %v", got, err)
	}
	if active, status, msg := m.Status(ctx, "alice", gh); !active || status != StatusActive || !strings.Contains(msg, "config") {
		t.Fatalf("static status = %v %s %q", active, status, msg)
	}

	// Connected accounts win over the config, newest ACTIVE first.
	work, err := m.ConnectSecret(ctx, "github", "work", tools.SchemeBearerToken, "", "ghp_work-secret\n")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := authorize(t, m, "github", ""); got != "Bearer ghp_work-secret" {
		t.Fatalf("one account: %q", got)
	}
	if _, err := m.ConnectSecret(ctx, "github", "home", tools.SchemeBearerToken, "", "ghp_home-secret"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, toolkit, account, want, wantErr string
	}{
		{name: "newest active", toolkit: "github", want: "Bearer ghp_home-secret"},
		{name: "by alias", toolkit: "github", account: "work", want: "Bearer ghp_work-secret"},
		{name: "by id", toolkit: "github", account: work.ID, want: "Bearer ghp_work-secret"},
		{name: "unknown alias", toolkit: "github", account: "nope", wantErr: "toolmux connect github --alias nope"},
		{name: "config override names a missing alias", toolkit: "petstore", wantErr: `no petstore account "spare"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := authorize(t, m, tt.toolkit, tt.account)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v; want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}

	// The override applies once the alias exists; API keys go where the toolkit declares.
	if _, err := m.ConnectSecret(ctx, "petstore", "spare", tools.SchemeAPIKey, "", "pet-key-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ConnectSecret(ctx, "petstore", "newer", tools.SchemeAPIKey, "", "pet-key-2"); err != nil {
		t.Fatal(err)
	}
	if got, err := authorize(t, m, "petstore", ""); err != nil || got != "X-Api-Key pet-key-1" {
		t.Fatalf("override: %q, %v; want the spare key in X-Api-Key", got, err)
	}
	if active, status, msg := m.Status(ctx, "alice", pet); !active || status != StatusActive || !strings.Contains(msg, "spare") {
		t.Fatalf("override status = %v %s %q", active, status, msg)
	}

	// Removing accounts falls back to the config again.
	list, err := m.Accounts(ctx, "github")
	if err != nil || len(list) != 2 {
		t.Fatalf("accounts = %v, %v", list, err)
	}
	for _, a := range list {
		if err := m.Remove(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.secrets.Get(ctx, a.ID); err == nil {
			t.Fatalf("secret of %s survived Remove", a.ID)
		}
	}
	if got, _ := authorize(t, m, "github", ""); got != "Bearer static-token-value" {
		t.Fatalf("after remove: %q", got)
	}

	// Secrets never reach SQLite.
	assertNoSecretIn(t, f.state, "static-token-value") // never written anywhere
	for _, path := range []string{"state.db", "state.db-wal"} {
		assertNoSecretInFile(t, filepath.Join(f.state, path), "ghp_work-secret", "ghp_home-secret", "pet-key-1", "pet-key-2")
	}
}

func TestManagerStatusWithoutCredentials(t *testing.T) {
	f := newManagerFixture(t)
	m := f.manager(t, nil)
	tk := &tools.Toolkit{Slug: "slack", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeOAuth2}}}
	active, status, msg := m.Status(t.Context(), "alice", tk)
	if active || status != StatusNotConnected || !strings.Contains(msg, "toolmux connect slack") {
		t.Fatalf("status = %v %s %q; want NOT_CONNECTED naming toolmux connect", active, status, msg)
	}
}

// seedOAuthAccount stores an ACTIVE OAuth2 account whose access token has expired.
func seedOAuthAccount(t *testing.T, f *managerFixture, m *Manager) store.ConnectedAccount {
	t.Helper()
	acct, err := f.db.CreateConnectedAccount(t.Context(), store.ConnectedAccount{UserID: "alice", Toolkit: "demo", AuthScheme: tools.SchemeOAuth2, Status: store.AccountActive})
	if err != nil {
		t.Fatal(err)
	}
	tok := &oauth2.Token{AccessToken: "access-old", RefreshToken: "refresh-first", TokenType: "Bearer", Expiry: time.Now().Add(-time.Hour)}
	if err := m.putSecret(t.Context(), acct.ID, payload{Scheme: tools.SchemeOAuth2, Token: tok}); err != nil {
		t.Fatal(err)
	}
	return acct
}

func TestManagerOAuthRefresh(t *testing.T) {
	srv := authtest.NewOAuthServer(t)
	f := newManagerFixture(t)
	cfg := &config.Config{Auth: map[string]config.Auth{"demo": {Scheme: "OAUTH2", ClientID: "client-1", TokenURL: srv.URL + "/token"}}}
	demo := &tools.Toolkit{Slug: "demo", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeOAuth2}}}
	m := f.manager(t, cfg, demo)
	ctx := t.Context()
	acct := seedOAuthAccount(t, f, m)

	// An expired token is refreshed on use, and the refreshed token is saved.
	got, err := authorize(t, m, "demo", "")
	if err != nil || got != "Bearer access-refreshed-1" {
		t.Fatalf("authorize = %q, %v; want the refreshed token", got, err)
	}
	raw, err := f.secrets.Get(ctx, acct.ID)
	if err != nil || !strings.Contains(raw, "access-refreshed-1") || !strings.Contains(raw, "refresh-next") {
		t.Fatalf("saved secret does not hold the refreshed token (err %v)", err)
	}
	saved, err := f.db.ConnectedAccount(ctx, acct.ID)
	if err != nil || saved.ExpiresAt.Before(time.Now().Add(30*time.Minute)) {
		t.Fatalf("expiry not saved: %v, %v", saved.ExpiresAt, err)
	}
	// A warm call does not refresh again.
	if got, _ := authorize(t, m, "demo", ""); got != "Bearer access-refreshed-1" {
		t.Fatalf("warm call = %q", got)
	}

	// A forced refresh that the server refuses marks the account EXPIRED, and every later call says how to reconnect.
	srv.RefuseRefresh(true)
	if _, err := m.Refresh(ctx, acct.ID); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("refused refresh: %v", err)
	}
	after, _ := f.db.ConnectedAccount(ctx, acct.ID)
	if after.Status != store.AccountExpired {
		t.Fatalf("status after failed refresh = %s; want EXPIRED", after.Status)
	}
	for range 2 {
		_, err := authorize(t, m, "demo", "")
		if err == nil || !strings.Contains(err.Error(), "EXPIRED") || !strings.Contains(err.Error(), "toolmux connect demo") {
			t.Fatalf("call after expiry: %v; want EXPIRED and how to reconnect", err)
		}
	}
	if active, status, msg := m.Status(ctx, "alice", demo); active || status != StatusExpired || !strings.Contains(msg, "reconnect") {
		t.Fatalf("status = %v %s %q", active, status, msg)
	}
	assertNoSecretInFile(t, filepath.Join(f.state, "state.db"), "access-refreshed-1", "refresh-next", "refresh-first")
	assertNoSecretInFile(t, filepath.Join(f.state, "state.db-wal"), "access-refreshed-1", "refresh-next", "refresh-first")
}

// assertNoSecretInFile fails when the file (if it exists) contains one of the secrets.
func assertNoSecretInFile(t *testing.T, path string, secrets ...string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("%s contains a secret", path)
		}
	}
}

func openDB(tb testing.TB, state string) (*store.DB, error) {
	db, err := store.Open(context.Background(), filepath.Join(state, "state.db"))
	if err == nil {
		tb.Cleanup(func() { db.Close() })
	}
	return db, err
}

// TestConnected: the toolkits the search prefers are those with an ACTIVE account or credentials in the config,
// not NO_AUTH ones; a new or removed account shows at once.
func TestConnected(t *testing.T) {
	t.Setenv("TM_TEST_GH_TOKEN", "ghp-test")
	f := newManagerFixture(t)
	cfg := &config.Config{Auth: map[string]config.Auth{
		"github": {Scheme: "BEARER_TOKEN", Token: "env:TM_TEST_GH_TOKEN"},
		"hn":     {Scheme: "NO_AUTH"},
	}}
	pet := &tools.Toolkit{Slug: "petstore", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeAPIKey, In: "header", Name: "X-Api-Key"}}}
	m := f.manager(t, cfg, pet)
	ctx := t.Context()
	check := func(want ...string) {
		t.Helper()
		set, err := m.Connected(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for slug, ok := range set {
			if ok {
				got = append(got, slug)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("connected %v, want %v", got, want)
		}
	}
	check("github")
	acct, err := m.ConnectSecret(ctx, "petstore", "", tools.SchemeAPIKey, "", "pet-key")
	if err != nil {
		t.Fatal(err)
	}
	check("github", "petstore")
	if err := m.Remove(ctx, acct.ID); err != nil {
		t.Fatal(err)
	}
	check("github")
	if set, err := m.Connected(ctx, "bob"); err != nil || !set["github"] || len(set) != 1 {
		t.Fatalf("another user: %v, %v; want the config's credentials only", set, err)
	}
}
