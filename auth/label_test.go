package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
