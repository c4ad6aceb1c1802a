package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/toolmux/toolmux/auth/authtest"
)

// githubUserAPI answers GitHub's GET /user with login for the bearer token the test accepts.
func githubUserAPI(t *testing.T, login func(token string) string) *httptest.Server {
	t.Helper()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		name := login(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		switch {
		case r.URL.Path != "/user":
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"Not Found"}`)
		case name == "":
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"message":"Bad credentials"}`)
		default:
			fmt.Fprintf(w, `{"login":%q,"id":1,"type":"User"}`, name)
		}
	}))
	t.Cleanup(api.Close)
	return api
}

// TestKeyringReferenceReadOnFirstUse: with [auth.github] token = "keyring:NAME" and a keychain that never answers,
// commands that need no secret (search, listing tools, toolkits and accounts) run without touching the session bus;
// the call that needs the token fails with the reference and the fix. With a reachable store, the call says which
// command stores the secret, and works once it is stored.
func TestKeyringReferenceReadOnFirstUse(t *testing.T) {
	t.Parallel()
	const token = "ghp-e2e-lazy-secret"
	api := githubUserAPI(t, func(tok string) string {
		if tok == token {
			return "octocat-lazy"
		}
		return ""
	})
	bus := authtest.NewHungBus(t)
	h := newHarness(t)
	h.env = append(h.env, "DBUS_SESSION_BUS_ADDRESS="+bus.Addr)
	config := func(store string) string {
		return fmt.Sprintf("[builtin.base_url]\ngithub = %s\n\n[auth.github]\nscheme = \"BEARER_TOKEN\"\ntoken = \"keyring:GH_LAZY_TOKEN\"\n\n[secrets]\nstore = %q\n",
			tomlString(api.URL), store)
	}
	h.writeConfig(config("keyring"))

	for _, args := range [][]string{
		{"tools", "search", "get the authenticated github user"},
		{"tools", "list", "--toolkit", "github"},
		{"toolkits", "list"},
		{"connections", "list"},
		{"auth-configs", "list"},
	} {
		r := h.mustRun("", args...)
		if args[0] == "toolkits" && !strings.Contains(r.stdout, "ACTIVE") {
			t.Errorf("toolkits list: github is not ACTIVE (its token is read on the first call)\n%s", r)
		}
		if n := bus.Connections(); n != 0 {
			t.Fatalf("toolmux %s connected to the session bus %d times; it needs no secret\n%s", strings.Join(args, " "), n, r)
		}
	}

	r := h.run("", "tools", "exec", "GITHUB_GET_AUTHENTICATED_USER")
	if r.code == 0 || !strings.Contains(r.stderr, `"keyring:GH_LAZY_TOKEN"`) || !strings.Contains(r.stderr, `secrets.store = "auto"`) {
		t.Fatalf("a call needing the token with an unreachable keychain: %s", r)
	}
	if bus.Connections() == 0 {
		t.Fatal("the call needing the token did not try the keychain")
	}

	h.writeConfig(config("file"))
	r = h.run("", "tools", "exec", "GITHUB_GET_AUTHENTICATED_USER")
	if r.code == 0 || !strings.Contains(r.stderr, "toolmux secrets set GH_LAZY_TOKEN") {
		t.Fatalf("a call needing a token that is not stored: %s", r)
	}
	h.mustRun(token, "secrets", "set", "GH_LAZY_TOKEN")
	r = h.mustRun("", "tools", "exec", "GITHUB_GET_AUTHENTICATED_USER")
	if !strings.Contains(r.stdout, "octocat-lazy") {
		t.Fatalf("the call with the stored token: %s", r)
	}
}

// TestConnectionsRefreshRevivesAccount connects the curated GitHub toolkit with the device flow, has a refresh
// refused (the account turns EXPIRED) and then accepted: `toolmux connections refresh` brings the account back to
// ACTIVE and names it again with GitHub's "who am I" call, made with the refreshed token.
func TestConnectionsRefreshRevivesAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("the device flow polls at the server's 1 s interval")
	}
	t.Parallel()
	srv := authtest.NewOAuthServer(t)
	api := githubUserAPI(t, func(tok string) string {
		switch {
		case strings.HasPrefix(tok, "access-device-"):
			return "octocat"
		case strings.HasPrefix(tok, "access-refreshed-"):
			return "octocat-renamed"
		}
		return ""
	})
	h := newHarness(t)
	h.writeConfig(fmt.Sprintf(`[builtin.base_url]
github = %s

[auth.github]
scheme = "OAUTH2"
client_id = %s
auth_url = %s
token_url = %s
device_url = %s

[secrets]
store = "file"
`, tomlString(api.URL), tomlString(srv.ClientID), tomlString(srv.URL+"/authorize"), tomlString(srv.URL+"/token"), tomlString(srv.URL+"/device")))

	r := h.mustRun("", "connect", "github", "--device")
	if !strings.Contains(r.stdout, "connected github as octocat") {
		t.Fatalf("device flow: %s", r)
	}
	type account struct {
		ID, Status, Label string
	}
	accounts := func() []account {
		t.Helper()
		var list []account
		r := h.mustRun("", "connections", "list", "--json")
		if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 1 {
			t.Fatalf("connections list: %v\n%s", err, r)
		}
		return list
	}
	id := accounts()[0].ID

	srv.RefuseRefresh(true)
	if r := h.run("", "connections", "refresh", id); r.code == 0 || !strings.Contains(r.stderr, "invalid_grant") {
		t.Fatalf("a refused refresh: %s", r)
	}
	if a := accounts()[0]; a.Status != "EXPIRED" || a.Label != "octocat" {
		t.Fatalf("after a refused refresh: %+v; want EXPIRED", a)
	}

	srv.RefuseRefresh(false)
	r = h.mustRun("", "connections", "refresh", id)
	if !strings.Contains(r.stdout, "as octocat-renamed") || !strings.Contains(r.stdout, "ACTIVE") {
		t.Fatalf("refresh: %s", r)
	}
	if a := accounts()[0]; a.Status != "ACTIVE" || a.Label != "octocat-renamed" {
		t.Fatalf("after the refresh: %+v; want ACTIVE and named by the refreshed token", a)
	}
	if !strings.Contains(r.stderr, "connected account active") {
		t.Errorf("the refresh did not log the account turning ACTIVE:\n%s", r.stderr)
	}
}
