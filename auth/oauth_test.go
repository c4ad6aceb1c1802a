package auth

import (
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/toolmux/toolmux/auth/authtest"
	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

func oauthManager(t *testing.T, srv *authtest.OAuthServer) (*managerFixture, *Manager) {
	f := newManagerFixture(t)
	cfg := &config.Config{Auth: map[string]config.Auth{"demo": {Scheme: "OAUTH2", ClientID: srv.ClientID, Scopes: []string{"repo"},
		AuthURL: srv.URL + "/authorize", TokenURL: srv.URL + "/token", DeviceURL: srv.URL + "/device"}}}
	m := f.manager(t, cfg, &tools.Toolkit{Slug: "demo", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeOAuth2}}})
	return f, m
}

// approve follows the provider's authorize URL like a browser whose user says yes, and returns the callback query.
func approve(t *testing.T, authURL string) url.Values {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %s", resp.Status)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc.Query()
}

func TestAuthCodeFlowWithPKCE(t *testing.T) {
	srv := authtest.NewOAuthServer(t)
	f, m := oauthManager(t, srv)
	ctx := t.Context()
	const redirect = "http://127.0.0.1:1/callback"

	acct, authURL, err := m.BeginAuthCode(ctx, "demo", "work", redirect)
	if err != nil {
		t.Fatal(err)
	}
	if acct.Status != store.AccountInitiated {
		t.Fatalf("status at start = %s", acct.Status)
	}
	u, _ := url.Parse(authURL)
	if q := u.Query(); q.Get("code_challenge_method") != "S256" || q.Get("state") == "" || q.Get("code_verifier") != "" {
		t.Fatalf("authorize URL lacks PKCE or state, or leaks the verifier: %s", authURL)
	}
	cb := approve(t, authURL)

	// Attacks first: a wrong state is refused and leaves the real attempt usable.
	if _, err := m.CompleteAuthCode(ctx, "forged-state", cb.Get("code"), "", ""); !errors.Is(err, ErrUnknownState) {
		t.Fatalf("wrong state: %v; want ErrUnknownState", err)
	}
	got, err := m.CompleteAuthCode(ctx, cb.Get("state"), cb.Get("code"), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.AccountActive || strings.Join(got.Scopes, " ") != "repo read:user" || got.ExpiresAt.IsZero() {
		t.Fatalf("after callback: %+v", got)
	}
	if _, err := m.CompleteAuthCode(ctx, cb.Get("state"), cb.Get("code"), "", ""); !errors.Is(err, ErrUnknownState) {
		t.Fatalf("replayed callback: %v; want ErrUnknownState", err)
	}
	if h, err := authorize(t, m, "demo", ""); err != nil || !strings.HasPrefix(h, "Bearer access-code-") {
		t.Fatalf("authorize with the new account: %q, %v", h, err)
	}

	// A code presented with another attempt's verifier fails PKCE at the token endpoint: FAILED, with the reason.
	_, urlA, err := m.BeginAuthCode(ctx, "demo", "a", redirect)
	if err != nil {
		t.Fatal(err)
	}
	_, urlB, err := m.BeginAuthCode(ctx, "demo", "b", redirect)
	if err != nil {
		t.Fatal(err)
	}
	cbA, cbB := approve(t, urlA), approve(t, urlB)
	failed, err := m.CompleteAuthCode(ctx, cbB.Get("state"), cbA.Get("code"), "", "")
	if err == nil || !strings.Contains(err.Error(), "invalid_grant") || failed.Status != store.AccountFailed {
		t.Fatalf("wrong verifier: %v, status %s; want invalid_grant and FAILED", err, failed.Status)
	}

	// The user denies access: FAILED with the provider's error.
	_, urlC, err := m.BeginAuthCode(ctx, "demo", "c", redirect)
	if err != nil {
		t.Fatal(err)
	}
	cbC := approve(t, urlC)
	denied, err := m.CompleteAuthCode(ctx, cbC.Get("state"), "", "access_denied", "the user said no")
	if err == nil || !strings.Contains(err.Error(), "access_denied") || denied.Status != store.AccountFailed {
		t.Fatalf("denied: %v, %s", err, denied.Status)
	}
	assertNoSecretInFile(t, filepath.Join(f.state, "state.db"), "access-code-", "refresh-")
	assertNoSecretInFile(t, filepath.Join(f.state, "state.db-wal"), "access-code-", "refresh-")
}

func TestDeviceFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("polls at the server's 1 s interval")
	}
	srv := authtest.NewOAuthServer(t)
	_, m := oauthManager(t, srv)
	ctx := t.Context()
	acct, resp, err := m.BeginDevice(ctx, "demo", "")
	if err != nil {
		t.Fatal(err)
	}
	if resp.UserCode != "WDJB-MJHT" || !strings.HasSuffix(resp.VerificationURI, "/activate") || acct.Status != store.AccountInitiated {
		t.Fatalf("device start: %+v %+v", resp, acct)
	}
	done := make(chan store.ConnectedAccount, 1)
	m.OnActive(func(a store.ConnectedAccount) { done <- a })
	got, err := m.CompleteDevice(ctx, acct, resp) // authorization_pending once, then the token
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.AccountActive {
		t.Fatalf("status = %s", got.Status)
	}
	select {
	case a := <-done:
		if a.ID != acct.ID {
			t.Fatalf("OnActive got %s", a.ID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnActive was not called")
	}
	if h, err := authorize(t, m, "demo", ""); err != nil || !strings.HasPrefix(h, "Bearer access-device-") {
		t.Fatalf("authorize: %q, %v", h, err)
	}
}

func TestOAuthClientSecretReferences(t *testing.T) {
	f := newManagerFixture(t)
	t.Setenv("DEMO_CLIENT_SECRET", "from-env-secret")
	cfg := &config.Config{Auth: map[string]config.Auth{
		"kr":  {Scheme: "OAUTH2", ClientID: "c", TokenURL: "https://example.com/token", ClientSecret: "keyring"},
		"env": {Scheme: "OAUTH2", ClientID: "c", TokenURL: "https://example.com/token", ClientSecret: "env:DEMO_CLIENT_SECRET"},
		"pub": {Scheme: "OAUTH2", ClientID: "c", TokenURL: "https://example.com/token"},
		"nid": {Scheme: "OAUTH2", TokenURL: "https://example.com/token"},
	}}
	m := f.manager(t, cfg)
	if _, err := m.OAuthConfig(t.Context(), "kr", ""); err == nil || !strings.Contains(err.Error(), "keyring") {
		t.Fatalf("missing keyring client secret: %v", err)
	}
	if err := m.SetClientSecret(t.Context(), "kr", "from-keyring-secret\n"); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ toolkit, want, wantErr string }{
		{"kr", "from-keyring-secret", ""},
		{"env", "from-env-secret", ""},
		{"pub", "", ""},
		{"nid", "", "client_id"},
	}
	for _, tt := range tests {
		oc, err := m.OAuthConfig(t.Context(), tt.toolkit, "")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v; want %q", tt.toolkit, err, tt.wantErr)
			}
			continue
		}
		if err != nil || oc.ClientSecret != tt.want {
			t.Errorf("%s: secret %q, %v; want %q", tt.toolkit, oc.ClientSecret, err, tt.want)
		}
	}
}

// TestScopeSeparator checks the scope parameter of the authorization request: joined by the separator the toolkit
// declares (Slack and Linear want "read,write"), which [auth.*] scope_separator overrides, else by spaces; the
// account records the scopes as a list either way.
func TestScopeSeparator(t *testing.T) {
	srv := authtest.NewOAuthServer(t)
	for _, tt := range []struct {
		name              string
		declared, configd string
		want              string
	}{
		{"declared comma", ",", "", "read,write"},
		{"space by default", "", "", "read write"},
		{"config overrides the toolkit", ",", " ", "read write"},
		{"config asks for commas", "", ",", "read,write"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newManagerFixture(t)
			cfg := &config.Config{Auth: map[string]config.Auth{"demo": {Scheme: "OAUTH2", ClientID: srv.ClientID,
				AuthURL: srv.URL + "/authorize", TokenURL: srv.URL + "/token", ScopeSeparator: tt.configd}}}
			m := f.manager(t, cfg, &tools.Toolkit{Slug: "demo", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeOAuth2,
				Scopes: []string{"read", "write"}, ScopeSeparator: tt.declared}}})
			acct, authURL, err := m.BeginAuthCode(t.Context(), "demo", "", "http://127.0.0.1:1/callback")
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(authURL)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Query().Get("scope"); got != tt.want {
				t.Errorf("scope = %q, want %q (%s)", got, tt.want, authURL)
			}
			if strings.Join(acct.Scopes, "|") != "read|write" {
				t.Errorf("account scopes = %q, want [read write]", acct.Scopes)
			}
		})
	}
}
