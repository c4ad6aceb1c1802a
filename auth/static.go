// Package auth supplies credentials to tool calls and reports whether a toolkit can be called, through two seams:
// an Authorizer for requests (openapi.Authorizer) and Status for search results (session.Connections).
//
//   - Static (this file): credentials from the config ([auth.TOOLKIT], secrets as env:NAME references).
//   - Manager (manager.go): connected accounts in front of Static: metadata in the store, secrets in a SecretStore
//     (secrets.go: the OS keychain, or an announced 0600 file), OAuth2 flows (oauth.go), the local connect server
//     (connectserver.go) and the logic of MANAGE_CONNECTIONS (manage.go).
//
// It depends on config, store, tools, tools/openapi (for applying a scheme to a request) and redact; never on
// session or server.
package auth

import (
	"context"
	"fmt"
	"net/http"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/redact"
	"github.com/toolmux/toolmux/tools"
	"github.com/toolmux/toolmux/tools/openapi"
)

// Connection statuses, as Composio names them; NOT_CONNECTED means nothing is configured.
const (
	StatusActive       = "ACTIVE"
	StatusFailed       = "FAILED"
	StatusNotConnected = "NOT_CONNECTED"
)

// Static holds the config's credentials, resolved once at start.
type Static struct {
	creds map[string]credential
}

type credential struct {
	cfg  config.Auth
	auth openapi.StaticAuth
	err  error // why the secret could not be resolved
}

// NewStatic resolves every [auth.*] entry of the config whose references are environment variables. A reference to
// an unset variable is not an error here: the toolkit reports FAILED and its calls say which variable to set.
func NewStatic(entries map[string]config.Auth) *Static { return NewStaticWith(entries, nil) }

// NewStaticWith is NewStatic that also resolves keyring:NAME references from store.
func NewStaticWith(entries map[string]config.Auth, store SecretStore) *Static {
	resolve := func(ref string) (string, error) { return ResolveRef(context.Background(), store, ref) }
	s := &Static{creds: map[string]credential{}}
	for slug, a := range entries {
		if a.Scheme == tools.SchemeOAuth2 {
			continue // an OAuth client for connected accounts (Manager), not a static credential
		}
		c := credential{cfg: a}
		scheme := tools.AuthScheme{Scheme: a.Scheme, In: a.In, Name: a.Name}
		switch a.Scheme {
		case tools.SchemeBearerToken, tools.SchemeAPIKey:
			secret, err := resolve(a.Token)
			c.auth, c.err = openapi.StaticAuth{Scheme: scheme, Secret: secret}, err
			redact.Known.Add(secret)
		case tools.SchemeBasic:
			pass, err := resolve(a.Password)
			c.auth, c.err = openapi.StaticAuth{Scheme: scheme, Secret: a.Username + ":" + pass}, err
			redact.Known.Add(pass)
		default:
			c.auth = openapi.StaticAuth{Scheme: scheme}
		}
		s.creds[slug] = c
	}
	return s
}

// ForToolkits fills API key placement (header or query and its name) from each toolkit's declared scheme when the
// config left it empty.
func (s *Static) ForToolkits(kits []*tools.Toolkit) {
	for _, tk := range kits {
		c, ok := s.creds[tk.Slug]
		if !ok || c.auth.Scheme.Scheme != tools.SchemeAPIKey || c.auth.Scheme.Name != "" {
			continue
		}
		for _, sch := range tk.AuthSchemes {
			if sch.Scheme == tools.SchemeAPIKey {
				c.auth.Scheme.In, c.auth.Scheme.Name = sch.In, sch.Name
				s.creds[tk.Slug] = c
				break
			}
		}
	}
}

// Authorize adds the toolkit's configured credentials to req. A toolkit without configured credentials is called
// without any: public endpoints work, and a 401 tells the agent how to add them.
func (s *Static) Authorize(ctx context.Context, toolkit, account string, req *http.Request) error {
	c, ok := s.creds[toolkit]
	if !ok {
		return nil
	}
	if c.err != nil {
		return fmt.Errorf("credentials for %s: %w; set it and restart toolmux", toolkit, c.err)
	}
	return c.auth.Authorize(ctx, toolkit, account, req)
}

// Status says whether tk's calls will carry credentials.
func (s *Static) Status(ctx context.Context, user string, tk *tools.Toolkit) (active bool, status, message string) {
	if c, ok := s.creds[tk.Slug]; ok {
		if c.err != nil {
			return false, StatusFailed, fmt.Sprintf("%v; set it and restart toolmux", c.err)
		}
		if c.cfg.Scheme == tools.SchemeNoAuth {
			return true, StatusActive, "no credentials needed (auth." + tk.Slug + " scheme NO_AUTH)"
		}
		return true, StatusActive, fmt.Sprintf("%s from the config (auth.%s)", c.cfg.Scheme, tk.Slug)
	}
	if needsNoAuth(tk) {
		return true, StatusActive, "no credentials needed"
	}
	scheme := suggestedScheme(tk)
	secret := `token = "env:VARIABLE"`
	if scheme == tools.SchemeBasic {
		secret = `username = "NAME" and password = "env:VARIABLE"`
	}
	return false, StatusNotConnected, fmt.Sprintf("no credentials for %s: add [auth.%s] with scheme = %q and %s to the config (toolmux config path shows where); public endpoints work without",
		tk.Slug, tk.Slug, scheme, secret)
}

func needsNoAuth(tk *tools.Toolkit) bool {
	if len(tk.AuthSchemes) == 0 {
		return false
	}
	for _, sch := range tk.AuthSchemes {
		if sch.Scheme != tools.SchemeNoAuth {
			return false
		}
	}
	return true
}

func suggestedScheme(tk *tools.Toolkit) string {
	for _, sch := range tk.AuthSchemes {
		switch sch.Scheme {
		case tools.SchemeBearerToken, tools.SchemeAPIKey, tools.SchemeBasic:
			return sch.Scheme
		case tools.SchemeOAuth2:
			// A personal or bot token is sent like an OAuth access token.
			return tools.SchemeBearerToken
		}
	}
	return tools.SchemeBearerToken
}
