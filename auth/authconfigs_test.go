package auth

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

func ptrTo[T any](v T) *T { return &v }

func TestAuthConfigsOverlayTheConfigFile(t *testing.T) {
	f := newManagerFixture(t)
	gh := &tools.Toolkit{Slug: "github", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeOAuth2,
		AuthorizationURL: "https://github.com/login/oauth/authorize", TokenURL: "https://github.com/login/oauth/access_token", Scopes: []string{"repo"}}}}
	cfg := &config.Config{Auth: map[string]config.Auth{
		"github": {Scheme: tools.SchemeOAuth2, ClientID: "file-client", ClientSecret: "env:GH_FILE_SECRET", Scopes: []string{"read:user"}},
	}}
	m := f.manager(t, cfg, gh)
	ctx := t.Context()
	t.Setenv("GH_FILE_SECRET", "file-secret-value")

	oc, err := m.OAuthConfig(t.Context(), "github", "")
	if err != nil || oc.ClientID != "file-client" || oc.ClientSecret != "file-secret-value" {
		t.Fatalf("config file only: %+v, %v", oc, err)
	}

	bad := []struct {
		name string
		ch   AuthConfigChange
		want string
	}{
		{"plain secret as reference", AuthConfigChange{ClientSecretRef: ptrTo("s3cr3t")}, "env:NAME"},
		{"relative endpoint", AuthConfigChange{TokenURL: ptrTo("/token")}, "absolute"},
		{"secret both ways", AuthConfigChange{ClientSecret: ptrTo("x"), ClientSecretRef: ptrTo("env:X")}, "not both"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := m.SetAuthConfig(ctx, "github", tt.ch); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want one naming %q", err, tt.want)
			}
		})
	}

	// The stored client id and a keychain secret override the file; the file's scopes stay.
	if _, err := m.SetAuthConfig(ctx, "github", AuthConfigChange{ClientID: ptrTo("state-client"), ClientSecret: ptrTo("state-secret-value\n")}); err != nil {
		t.Fatal(err)
	}
	oc, err = m.OAuthConfig(t.Context(), "github", "")
	if err != nil || oc.ClientID != "state-client" || oc.ClientSecret != "state-secret-value" || strings.Join(oc.Scopes, " ") != "read:user" {
		t.Fatalf("overlay: %+v, %v", oc, err)
	}
	// A later set keeps what it does not name.
	if _, err := m.SetAuthConfig(ctx, "github", AuthConfigChange{Scopes: &[]string{"repo", " read:org "}, TokenURL: ptrTo("https://ghe.example/token")}); err != nil {
		t.Fatal(err)
	}
	oc, err = m.OAuthConfig(t.Context(), "github", "")
	if err != nil || oc.ClientID != "state-client" || strings.Join(oc.Scopes, " ") != "repo read:org" || oc.Endpoint.TokenURL != "https://ghe.example/token" ||
		oc.Endpoint.AuthURL != "https://github.com/login/oauth/authorize" {
		t.Fatalf("second set: %+v, %v", oc, err)
	}
	// A toolkit only the state configures.
	if _, err := m.SetAuthConfig(ctx, "slack", AuthConfigChange{ClientID: ptrTo("slack-client"), ClientSecretRef: ptrTo("env:SLACK_SECRET")}); err != nil {
		t.Fatal(err)
	}
	infos, err := m.AuthConfigs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range infos {
		got = append(got, c.Toolkit+":"+c.Source+":"+c.ClientID+":"+c.ClientSecretRef)
	}
	if strings.Join(got, " ") != "github:state+config:state-client:keyring slack:state:slack-client:env:SLACK_SECRET" {
		t.Fatalf("list: %v", got)
	}
	assertNoSecretInFile(t, filepath.Join(f.state, "state.db"), "state-secret-value")
	assertNoSecretInFile(t, filepath.Join(f.state, "state.db-wal"), "state-secret-value")

	// Removing it deletes the stored client secret; the config file applies again.
	if err := m.RemoveAuthConfig(ctx, "github"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.secrets.Get(ctx, clientSecretKey("github")); !errors.Is(err, ErrSecretNotFound) {
		t.Fatalf("client secret after remove: %v", err)
	}
	if oc, err = m.OAuthConfig(t.Context(), "github", ""); err != nil || oc.ClientID != "file-client" {
		t.Fatalf("after remove: %+v, %v", oc, err)
	}
	if err := m.RemoveAuthConfig(ctx, "github"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second remove: %v", err)
	}
}
