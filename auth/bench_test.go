package auth

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"

	"github.com/toolmux/toolmux/auth/authtest"
	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/tools"
)

// BenchmarkAuthorizeWarm is the per-call overhead of credential lookup on a tool execution with warm caches (the
// account list and the secret already loaded): the goal is well under 1 ms.
func BenchmarkAuthorizeWarm(b *testing.B) {
	f := newManagerFixtureB(b)
	m := NewManager(ManagerOptions{DB: f.db, Secrets: f.secrets, User: "alice", Config: &config.Config{}})
	m.ForToolkits([]*tools.Toolkit{{Slug: "github"}})
	if _, err := m.ConnectSecret(b.Context(), "github", "work", tools.SchemeBearerToken, "", "ghp_bench"); err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "https://api.example.com/x", nil)
	if err := m.Authorize(b.Context(), "github", "", req); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		req.Header.Del("Authorization")
		if err := m.Authorize(b.Context(), "github", "", req); err != nil {
			b.Fatal(err)
		}
	}
}

func newManagerFixtureB(b *testing.B) *managerFixture {
	state := b.TempDir()
	db, err := openDB(b, state)
	if err != nil {
		b.Fatal(err)
	}
	st, err := OpenSecrets(b.Context(), StoreFile, state)
	if err != nil {
		b.Fatal(err)
	}
	return &managerFixture{db: db, secrets: st, state: state}
}

// BenchmarkKeychainGet is one read from the OS keychain. It needs a reachable keychain and writes one item, so it
// runs only with TOOLMUX_BENCH_KEYRING=1, e.g. against a throwaway gnome-keyring:
//
//	HOME=$(mktemp -d) dbus-run-session -- sh -c 'echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null;
//	  TOOLMUX_BENCH_KEYRING=1 go test ./auth -run NONE -bench KeychainGet'
func BenchmarkKeychainGet(b *testing.B) {
	if os.Getenv("TOOLMUX_BENCH_KEYRING") == "" {
		b.Skip("set TOOLMUX_BENCH_KEYRING=1 under a keychain (see the doc comment)")
	}
	k := &Keychain{Service: KeychainService + "-bench"}
	key := fmt.Sprintf("ca_bench%d", os.Getpid())
	if err := k.Set(b.Context(), key, "bench-secret"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = k.Delete(b.Context(), key) })
	for b.Loop() {
		if _, err := k.Get(b.Context(), key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthCodeCallback is the time from the OAuth callback reaching toolmux to the account being ACTIVE: the
// code exchange with the (local) token endpoint, the secret write and the metadata update.
func BenchmarkAuthCodeCallback(b *testing.B) {
	srv := authtest.NewOAuthServer(b)
	f := newManagerFixtureB(b)
	cfg := &config.Config{Auth: map[string]config.Auth{"demo": {Scheme: "OAUTH2", ClientID: srv.ClientID,
		AuthURL: srv.URL + "/authorize", TokenURL: srv.URL + "/token"}}}
	m := NewManager(ManagerOptions{DB: f.db, Secrets: f.secrets, User: "alice", Config: cfg})
	m.ForToolkits([]*tools.Toolkit{{Slug: "demo", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeOAuth2}}}})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		_, authURL, err := m.BeginAuthCode(b.Context(), "demo", "", "http://127.0.0.1:1/callback")
		if err != nil {
			b.Fatal(err)
		}
		resp, err := noRedirect.Get(authURL)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		b.StartTimer()
		if _, err := m.CompleteAuthCode(b.Context(), loc.Query().Get("state"), loc.Query().Get("code"), "", ""); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
	}
}
