package auth

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/redact"
	"github.com/toolmux/toolmux/tools"
)

func TestStatic(t *testing.T) {
	t.Setenv("TOOLMUX_TEST_TOKEN", "tok-123456")
	t.Setenv("TOOLMUX_TEST_KEY", "key-123456")
	t.Setenv("TOOLMUX_TEST_PASS", "pass-123456")
	s := NewStatic(map[string]config.Auth{
		"github":  {Scheme: "BEARER_TOKEN", Token: "env:TOOLMUX_TEST_TOKEN"},
		"petshop": {Scheme: "API_KEY", Token: "env:TOOLMUX_TEST_KEY"},
		"jira":    {Scheme: "BASIC", Username: "me", Password: "env:TOOLMUX_TEST_PASS"},
		"broken":  {Scheme: "BEARER_TOKEN", Token: "env:TOOLMUX_TEST_UNSET"},
		"open":    {Scheme: "NO_AUTH"},
	})
	s.ForToolkits([]*tools.Toolkit{{Slug: "petshop", AuthSchemes: []tools.AuthScheme{{Scheme: "API_KEY", In: "query", Name: "api_key"}}}})
	ctx := context.Background()
	tests := []struct {
		toolkit string
		check   func(r *http.Request) string
		wantErr string
	}{
		{"github", func(r *http.Request) string { return r.Header.Get("Authorization") }, ""},
		{"petshop", func(r *http.Request) string { return r.URL.Query().Get("api_key") }, ""},
		{"jira", func(r *http.Request) string { u, p, _ := r.BasicAuth(); return u + ":" + p }, ""},
		{"broken", nil, "TOOLMUX_TEST_UNSET is not set"},
		{"open", func(r *http.Request) string { return r.Header.Get("Authorization") }, ""},
		{"unconfigured", func(r *http.Request) string { return r.Header.Get("Authorization") }, ""},
	}
	want := map[string]string{"github": "Bearer tok-123456", "petshop": "key-123456", "jira": "me:pass-123456", "open": "", "unconfigured": ""}
	for _, tt := range tests {
		t.Run(tt.toolkit, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "https://api.example.com/x", nil)
			err := s.Authorize(ctx, tt.toolkit, "", req)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.check(req); got != want[tt.toolkit] {
				t.Errorf("credential = %q, want %q", got, want[tt.toolkit])
			}
		})
	}
	if got := redact.Known.String("token tok-123456 and pass-123456"); strings.Contains(got, "tok-123456") || strings.Contains(got, "pass-123456") {
		t.Errorf("resolved secrets must be registered for redaction: %q", got)
	}
}

func TestStaticStatus(t *testing.T) {
	t.Setenv("TOOLMUX_TEST_TOKEN", "tok-123456")
	s := NewStatic(map[string]config.Auth{
		"github": {Scheme: "BEARER_TOKEN", Token: "env:TOOLMUX_TEST_TOKEN"},
		"broken": {Scheme: "BEARER_TOKEN", Token: "env:TOOLMUX_TEST_UNSET"},
	})
	tests := []struct {
		tk         *tools.Toolkit
		active     bool
		status     string
		msgContain string
	}{
		{&tools.Toolkit{Slug: "github"}, true, StatusActive, "BEARER_TOKEN from the config"},
		{&tools.Toolkit{Slug: "broken"}, false, StatusFailed, "TOOLMUX_TEST_UNSET"},
		{&tools.Toolkit{Slug: "hn", AuthSchemes: []tools.AuthScheme{{Scheme: "NO_AUTH"}}}, true, StatusActive, "no credentials needed"},
		{&tools.Toolkit{Slug: "slack", AuthSchemes: []tools.AuthScheme{{Scheme: "OAUTH2"}}}, false, StatusNotConnected, `[auth.slack] with scheme = "BEARER_TOKEN"`},
		{&tools.Toolkit{Slug: "stripe", AuthSchemes: []tools.AuthScheme{{Scheme: "BASIC"}}}, false, StatusNotConnected, `scheme = "BASIC" and username`},
	}
	for _, tt := range tests {
		active, status, msg := s.Status(context.Background(), "u", tt.tk)
		if active != tt.active || status != tt.status || !strings.Contains(msg, tt.msgContain) {
			t.Errorf("%s: Status = %v %s %q, want %v %s containing %q", tt.tk.Slug, active, status, msg, tt.active, tt.status, tt.msgContain)
		}
		if strings.Contains(msg, "tok-123456") {
			t.Errorf("%s: status message leaks the token", tt.tk.Slug)
		}
	}
}
