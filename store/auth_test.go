package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConnectedAccounts(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	db.now = func() time.Time { clock = clock.Add(time.Second); return clock }

	old, err := db.CreateConnectedAccount(ctx, ConnectedAccount{UserID: "alice", Toolkit: "github", Alias: "work", AuthScheme: "BEARER_TOKEN", Status: AccountActive})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(old.ID, "ca_") || len(old.ID) < 20 || old.ConnectedAt.IsZero() {
		t.Fatalf("created %+v; want a ca_ id and a connected time", old)
	}
	newer, err := db.CreateConnectedAccount(ctx, ConnectedAccount{UserID: "alice", Toolkit: "github", Alias: "home", AuthScheme: "OAUTH2", Status: AccountActive, Scopes: []string{"repo", "read:user"}})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := db.CreateConnectedAccount(ctx, ConnectedAccount{UserID: "alice", Toolkit: "github", AuthScheme: "OAUTH2", Status: AccountInitiated})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateConnectedAccount(ctx, ConnectedAccount{UserID: "alice", Toolkit: "github", Alias: "work", AuthScheme: "OAUTH2", Status: AccountInitiated}); err == nil || !strings.Contains(err.Error(), "alias") {
		t.Fatalf("duplicate alias: err = %v; want one naming the alias", err)
	}
	if _, err := db.CreateConnectedAccount(ctx, ConnectedAccount{UserID: "bob", Toolkit: "github", Alias: "work", AuthScheme: "OAUTH2", Status: AccountActive}); err != nil {
		t.Fatalf("another user's alias must not clash: %v", err)
	}

	list, err := db.ConnectedAccounts(ctx, "alice", "github")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range list {
		ids = append(ids, a.ID)
	}
	if want := []string{newer.ID, old.ID, pending.ID}; strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("order = %v; want most recently connected first %v", ids, want)
	}
	if got := list[0].Scopes; len(got) != 2 || got[1] != "read:user" {
		t.Fatalf("scopes = %v", got)
	}

	// The older one is reconnected: it becomes the most recent.
	old.Status, old.ConnectedAt = AccountExpired, time.Time{}
	if _, err := db.SaveConnectedAccount(ctx, old); err != nil {
		t.Fatal(err)
	}
	old.Status, old.Label = AccountActive, "octocat"
	if _, err := db.SaveConnectedAccount(ctx, old); err != nil {
		t.Fatal(err)
	}
	got, err := db.ConnectedAccounts(ctx, "alice", "github")
	if err != nil {
		t.Fatal(err)
	}
	if got[0].ID != old.ID || got[0].Label != "octocat" {
		t.Fatalf("first = %+v; want the reconnected account", got[0])
	}

	// Connect requests are single use and expire.
	if err := db.CreateConnectRequest(ctx, "h1", pending.ID, "oauth2", clock.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if id, flow, err := db.UseConnectRequest(ctx, "h1"); err != nil || id != pending.ID || flow != "oauth2" {
		t.Fatalf("first use = %s %s %v", id, flow, err)
	}
	if _, _, err := db.UseConnectRequest(ctx, "h1"); !errors.Is(err, ErrConnectRequestUsed) {
		t.Fatalf("second use: %v; want ErrConnectRequestUsed", err)
	}
	if err := db.CreateConnectRequest(ctx, "h2", pending.ID, "api_key", clock.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour)
	if _, _, err := db.UseConnectRequest(ctx, "h2"); !errors.Is(err, ErrConnectRequestExpired) {
		t.Fatalf("expired use: %v; want ErrConnectRequestExpired", err)
	}
	if _, _, err := db.UseConnectRequest(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown token: %v; want ErrNotFound", err)
	}

	if err := db.DeleteConnectedAccount(ctx, pending.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ConnectedAccount(ctx, pending.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted account: %v", err)
	}
	if err := db.DeleteConnectedAccount(ctx, pending.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
}

func TestAuthConfigs(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.AuthConfig(ctx, "github"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing config: %v", err)
	}
	tests := []struct {
		name string
		in   AuthConfig
	}{
		{"client with endpoints", AuthConfig{Toolkit: "github", Scheme: "OAUTH2", ClientID: "Iv1.abc", ClientSecretRef: "keyring",
			Scopes: []string{"repo", "read:org"}, AuthURL: "https://ghe.example/login/oauth/authorize", TokenURL: "https://ghe.example/login/oauth/access_token"}},
		{"replaced without endpoints", AuthConfig{Toolkit: "github", Scheme: "OAUTH2", ClientID: "Iv1.def", ClientSecretRef: "env:GH_SECRET"}},
		{"another toolkit", AuthConfig{Toolkit: "slack", Scheme: "OAUTH2", ClientID: "123.456", DeviceURL: "https://slack.example/device"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.PutAuthConfig(ctx, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got.CreatedAt, got.UpdatedAt = time.Time{}, time.Time{}
			if fmt.Sprint(got) != fmt.Sprint(tt.in) {
				t.Fatalf("stored %+v\nwant   %+v", got, tt.in)
			}
		})
	}
	list, err := db.AuthConfigs(ctx)
	if err != nil || len(list) != 2 || list[0].Toolkit != "github" || list[0].ClientID != "Iv1.def" || list[1].Toolkit != "slack" {
		t.Fatalf("list: %+v, %v", list, err)
	}
	if _, err := db.PutAuthConfig(ctx, AuthConfig{Toolkit: "x"}); err == nil {
		t.Fatal("a config without scheme was stored")
	}
	if err := db.DeleteAuthConfig(ctx, "github"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAuthConfig(ctx, "github"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}
