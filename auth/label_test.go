package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/toolmux/toolmux/auth/authtest"
	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

func TestMessagesNameTheConfiguredPrefix(t *testing.T) {
	tests := []struct{ prefix, want string }{
		{"", "COMPOSIO_MANAGE_CONNECTIONS"},
		{"TOOLMUX", "TOOLMUX_MANAGE_CONNECTIONS"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			f := newManagerFixture(t)
			tk := &tools.Toolkit{Slug: "slack", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeBearerToken}}}
			m := f.manager(t, &config.Config{MetaToolPrefix: tt.prefix}, tk)
			if _, _, msg := m.Status(t.Context(), "alice", tk); !strings.Contains(msg, tt.want) {
				t.Errorf("not connected: %q lacks %s", msg, tt.want)
			}
			acct, err := m.ConnectSecret(t.Context(), "slack", "", tools.SchemeBearerToken, "", "xoxb-1")
			if err != nil {
				t.Fatal(err)
			}
			acct.Status, acct.StatusReason = store.AccountExpired, "revoked at the provider"
			if _, err := f.db.SaveConnectedAccount(t.Context(), acct); err != nil {
				t.Fatal(err)
			}
			m.invalidate("slack", acct.ID)
			err = m.Authorize(t.Context(), "slack", "", httptest.NewRequest(http.MethodGet, "https://slack.example/api", nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("expired account: %v lacks %s", err, tt.want)
			}
			if tt.prefix != "" && strings.Contains(err.Error(), "COMPOSIO") {
				t.Errorf("expired account: %v names the default prefix", err)
			}
		})
	}
}

func TestLabelerNamesActiveAccounts(t *testing.T) {
	f := newManagerFixture(t)
	m := f.manager(t, nil, &tools.Toolkit{Slug: "github", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeBearerToken}}})
	ctx := t.Context()
	heard := make(chan store.ConnectedAccount, 4)
	remove := m.OnActive(func(a store.ConnectedAccount) { heard <- a })
	m.SetLabeler(func(ctx context.Context, a store.ConnectedAccount) (string, error) {
		if a.Status != store.AccountActive {
			t.Errorf("labeler called for a %s account", a.Status)
		}
		// The labeler runs with the new account's credentials.
		req := httptest.NewRequest(http.MethodGet, "https://api.github.com/user", nil)
		if err := m.Authorize(ctx, a.Toolkit, a.ID, req); err != nil {
			return "", err
		}
		switch req.Header.Get("Authorization") {
		case "Bearer ghp_mona":
			return "mona", nil
		default:
			return "", errors.New("401 Bad credentials")
		}
	})

	acct, err := m.ConnectSecret(ctx, "github", "a", tools.SchemeBearerToken, "", "ghp_mona")
	if err != nil {
		t.Fatal(err)
	}
	if acct.Label != "mona" {
		t.Fatalf("label %q, want mona", acct.Label)
	}
	if got := <-heard; got.ID != acct.ID || got.Label != "mona" {
		t.Fatalf("OnActive heard %+v before the label was stored", got)
	}
	if _, _, msg := m.Status(ctx, "alice", &tools.Toolkit{Slug: "github"}); !strings.Contains(msg, "as mona") {
		t.Errorf("status %q does not name the account", msg)
	}

	// A failing "who am I" leaves the account connected, unnamed.
	other, err := m.ConnectSecret(ctx, "github", "b", tools.SchemeBearerToken, "", "ghp_other")
	if err != nil || other.Status != store.AccountActive || other.Label != "" {
		t.Fatalf("failed labeler: %+v, %v", other, err)
	}
	<-heard
	remove()
	if _, err := m.ConnectSecret(ctx, "github", "c", tools.SchemeBearerToken, "", "ghp_mona"); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-heard:
		t.Fatalf("a removed listener heard %s", a.ID)
	default:
	}
}

// TestRefreshRevivesExpiredAccount: a refresh that brings an EXPIRED OAuth2 account back to ACTIVE goes the way a
// connect flow's account does: the "who am I" call names it (with the refreshed token) before OnActive listeners
// hear of it. A refresh of an ACTIVE account names it again but announces nothing, and neither moves the account in
// the selection order.
func TestRefreshRevivesExpiredAccount(t *testing.T) {
	srv := authtest.NewOAuthServer(t)
	f := newManagerFixture(t)
	cfg := &config.Config{Auth: map[string]config.Auth{"demo": {Scheme: "OAUTH2", ClientID: "client-1", TokenURL: srv.URL + "/token"}}}
	m := f.manager(t, cfg, &tools.Toolkit{Slug: "demo", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeOAuth2}}})
	ctx := t.Context()
	acct := seedOAuthAccount(t, f, m)
	heard := make(chan store.ConnectedAccount, 8)
	m.OnActive(func(a store.ConnectedAccount) { heard <- a })
	var labelled []string
	m.SetLabeler(func(ctx context.Context, a store.ConnectedAccount) (string, error) {
		if a.Status != store.AccountActive {
			t.Errorf("labeler called for a %s account", a.Status)
		}
		req := httptest.NewRequest(http.MethodGet, "https://api.example.com/user", nil)
		if err := m.Authorize(ctx, a.Toolkit, a.ID, req); err != nil {
			return "", err
		}
		n, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer access-refreshed-")
		if !ok {
			return "", errors.New("401 Bad credentials")
		}
		labelled = append(labelled, a.ID)
		return "mona-" + n, nil
	})
	// heardBefore returns what OnActive listeners heard of before a ConnectSecret on another toolkit, which makes
	// sure that everything announced earlier was delivered or is on its way.
	heardBefore := func() []store.ConnectedAccount {
		t.Helper()
		marker, err := m.ConnectSecret(ctx, "marker", "", tools.SchemeBearerToken, "", "tok-marker")
		if err != nil {
			t.Fatal(err)
		}
		var got []store.ConnectedAccount
		for a := range heard {
			if a.ID == marker.ID {
				return got
			}
			got = append(got, a)
		}
		return got
	}

	srv.RefuseRefresh(true)
	if _, err := m.Refresh(ctx, acct.ID); err == nil {
		t.Fatal("a refused refresh succeeded")
	}
	expired, err := f.db.ConnectedAccount(ctx, acct.ID)
	if err != nil || expired.Status != store.AccountExpired {
		t.Fatalf("after a refused refresh: %+v, %v; want EXPIRED", expired, err)
	}
	if got := heardBefore(); len(got) != 0 || len(labelled) != 0 {
		t.Fatalf("a failed refresh announced %+v and labelled %v", got, labelled)
	}

	srv.RefuseRefresh(false)
	revived, err := m.Refresh(ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if revived.Status != store.AccountActive || revived.StatusReason != "" || revived.Label != "mona-1" {
		t.Fatalf("refresh of the EXPIRED account = %+v; want ACTIVE, labelled mona-1 by the refreshed token", revived)
	}
	if got := <-heard; got.ID != acct.ID || got.Label != "mona-1" || got.Status != store.AccountActive {
		t.Fatalf("OnActive heard %+v; want the revived account with its label", got)
	}
	stored, err := f.db.ConnectedAccount(ctx, acct.ID)
	if err != nil || stored.Label != "mona-1" || stored.Status != store.AccountActive {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	if !stored.ConnectedAt.Equal(expired.ConnectedAt) {
		t.Errorf("connected_at moved from %v to %v; a refresh is not a new connection", expired.ConnectedAt, stored.ConnectedAt)
	}

	again, err := m.Refresh(ctx, acct.ID)
	if err != nil || again.Status != store.AccountActive || again.Label != "mona-2" {
		t.Fatalf("refresh of the ACTIVE account = %+v, %v; want it named again, mona-2", again, err)
	}
	if got := heardBefore(); len(got) != 0 {
		t.Fatalf("refreshing an ACTIVE account announced %+v", got)
	}
}
