package auth

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/toolmux/toolmux/auth/authtest"
	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/tools"
)

// TestKeyringReferenceReadOnFirstCall: a keyring: reference of [auth.*] is read on the first call, a missing secret
// fails that call (and the status) with the reference and the command that stores it, and once stored it is used
// on the next call without rebuilding anything.
func TestKeyringReferenceReadOnFirstCall(t *testing.T) {
	tests := []struct {
		name, toolkit, field string
		auth                 config.Auth
		header               func(r *http.Request) string
		want                 string
	}{
		{"api key", "pets", "token", config.Auth{Scheme: tools.SchemeAPIKey, Token: "keyring:PETS_LAZY_KEY", In: "header", Name: "X-Key"},
			func(r *http.Request) string { return r.Header.Get("X-Key") }, "pk-lazy-1"},
		{"basic", "jira", "password", config.Auth{Scheme: tools.SchemeBasic, Username: "me", Password: "keyring:JIRA_LAZY_PASS"},
			func(r *http.Request) string { u, p, _ := r.BasicAuth(); return u + ":" + p }, "me:pw-lazy-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			st := &FileStore{Path: filepath.Join(t.TempDir(), "secrets.json")}
			s := NewStaticWith(map[string]config.Auth{tt.toolkit: tt.auth}, st)
			tk := &tools.Toolkit{Slug: tt.toolkit}
			ref := tt.auth.Token + tt.auth.Password
			name := strings.TrimPrefix(ref, "keyring:")

			active, status, msg := s.Status(ctx, "u", tk)
			if !active || status != StatusActive || !strings.Contains(msg, ref) || !strings.Contains(msg, "first call") {
				t.Fatalf("status before any call = %v %s %q; want ACTIVE, naming %s as read on the first call", active, status, msg, ref)
			}

			req := httptest.NewRequest(http.MethodGet, "https://api.example.com/x", nil)
			err := s.Authorize(ctx, tt.toolkit, "", req)
			for _, w := range []string{`"` + ref + `"`, "toolmux secrets set " + name, "[auth." + tt.toolkit + "] " + tt.field} {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Fatalf("call without the secret stored: %v; want it to name %s", err, w)
				}
			}
			if strings.Contains(err.Error(), "restart") {
				t.Errorf("call without the secret stored: %v; storing it is enough, no restart", err)
			}
			if active, status, msg := s.Status(ctx, "u", tk); active || status != StatusFailed || !strings.Contains(msg, "toolmux secrets set "+name) {
				t.Fatalf("status after the failed call = %v %s %q; want FAILED with the command that stores it", active, status, msg)
			}

			secret := strings.TrimPrefix(tt.want, "me:")
			if err := SetNamedSecret(ctx, st, name, secret); err != nil {
				t.Fatal(err)
			}
			req = httptest.NewRequest(http.MethodGet, "https://api.example.com/x", nil)
			if err := s.Authorize(ctx, tt.toolkit, "", req); err != nil {
				t.Fatalf("call after storing the secret: %v", err)
			}
			if got := tt.header(req); got != tt.want {
				t.Fatalf("credential = %q, want %q", got, tt.want)
			}
			if active, status, msg := s.Status(ctx, "u", tk); !active || status != StatusActive || strings.Contains(msg, "first call") {
				t.Fatalf("status after the call = %v %s %q; want ACTIVE, read", active, status, msg)
			}
		})
	}
}

// TestManagerLeavesSecretStoreClosed builds a Manager over a keychain on a hung D-Bus with keyring: references in
// [auth.*] (a static token and an OAuth client secret): nothing that needs no secret (status, auth configs, accounts,
// the endpoints of a connect link) connects to the bus; the call that needs the token does, and its error names the
// reference and the fix.
func TestManagerLeavesSecretStoreClosed(t *testing.T) {
	bus := authtest.NewHungBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Addr)
	f := newManagerFixture(t)
	cfg := &config.Config{Auth: map[string]config.Auth{
		"github": {Scheme: tools.SchemeBearerToken, Token: "keyring:GH_LAZY_TOKEN"},
		"demo": {Scheme: tools.SchemeOAuth2, ClientID: "client-1", ClientSecret: "keyring:DEMO_CLIENT_SECRET",
			AuthURL: "https://auth.example/authorize", TokenURL: "https://auth.example/token"},
	}}
	github := &tools.Toolkit{Slug: "github", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeBearerToken}}}
	demo := &tools.Toolkit{Slug: "demo", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeOAuth2}}}
	m := NewManager(ManagerOptions{DB: f.db, Secrets: NewLazySecrets(StoreKeyring, f.state), User: "alice", Config: cfg})
	m.ForToolkits([]*tools.Toolkit{github, demo})
	ctx := t.Context()

	if active, status, msg := m.Status(ctx, "alice", github); !active || status != StatusActive || !strings.Contains(msg, "keyring:GH_LAZY_TOKEN") {
		t.Errorf("github status = %v %s %q; want ACTIVE naming the reference", active, status, msg)
	}
	if _, status, _ := m.Status(ctx, "alice", demo); status != StatusNotConnected {
		t.Errorf("demo status = %s; want NOT_CONNECTED", status)
	}
	if list, err := m.AuthConfigs(ctx); err != nil || len(list) != 1 || list[0].ClientSecretRef != "keyring:DEMO_CLIENT_SECRET" {
		t.Errorf("auth configs = %+v, %v", list, err)
	}
	if _, err := m.Accounts(ctx, ""); err != nil {
		t.Error(err)
	}
	if got := m.linkScheme(ctx, demo); got != tools.SchemeOAuth2 {
		t.Errorf("link scheme = %s; want OAUTH2 (the client secret is read when the link is made, not to pick it)", got)
	}
	if n := bus.Connections(); n != 0 {
		t.Fatalf("%d connections to the session bus before any secret was needed; want none", n)
	}

	// The call that needs the token opens the store: the keychain does not answer, and the error says which
	// reference was being read and what to do.
	err := m.Authorize(ctx, "github", "", httptest.NewRequest(http.MethodGet, "https://api.github.com/user", nil))
	for _, w := range []string{`"keyring:GH_LAZY_TOKEN"`, "[auth.github] token", `secrets.store = "auto"`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Fatalf("call with an unreachable keychain: %v; want it to name %s", err, w)
		}
	}
	if bus.Connections() == 0 {
		t.Fatal("the call that needs the token did not try the keychain")
	}
	if active, status, msg := m.Status(ctx, "alice", github); active || status != StatusFailed || !strings.Contains(msg, "keyring:GH_LAZY_TOKEN") {
		t.Errorf("github status after the call = %v %s %q; want FAILED naming the reference", active, status, msg)
	}
	if _, err := m.OAuthConfig(ctx, "demo", ""); err == nil || !strings.Contains(err.Error(), "keyring:DEMO_CLIENT_SECRET") {
		t.Errorf("OAuth client with an unreachable keychain: %v; want the reference named", err)
	}
}
