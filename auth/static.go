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
	"strings"
	"sync"

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

// Static holds the config's credentials. "env:NAME" references are resolved when it is built: that costs nothing
// and the environment does not change while toolmux runs. "keyring:NAME" references are read from the secret store
// on the first call that needs them, never before, so that a command that calls no tool (search, list, status) never
// opens the store: on Linux that is a D-Bus round trip that can wait KeychainTimeout for a locked or hung keyring.
type Static struct {
	store SecretStore
	creds map[string]*credential
}

type credential struct {
	cfg config.Auth
	// field names the config key holding the secret reference, for messages.
	field string

	mu   sync.Mutex
	auth openapi.StaticAuth // complete once pending is ""
	// pending is a keyring:NAME reference not yet read from the secret store.
	pending string
	// err is why the secret could not be resolved. For an env: reference it is final; for a keyring: one it is the
	// last attempt's failure, and the next call tries again (after `toolmux secrets set NAME`, no restart is needed).
	err error
}

// NewStatic resolves every [auth.*] entry of the config whose references are environment variables. A reference to
// an unset variable is not an error here: the toolkit reports FAILED and its calls say which variable to set.
func NewStatic(entries map[string]config.Auth) *Static { return NewStaticWith(entries, nil) }

// NewStaticWith is NewStatic that also resolves keyring:NAME references from store, on their first use.
func NewStaticWith(entries map[string]config.Auth, store SecretStore) *Static {
	s := &Static{store: store, creds: map[string]*credential{}}
	for slug, a := range entries {
		if a.Scheme == tools.SchemeOAuth2 {
			continue // an OAuth client for connected accounts (Manager), not a static credential
		}
		c := &credential{cfg: a, auth: openapi.StaticAuth{Scheme: tools.AuthScheme{Scheme: a.Scheme, In: a.In, Name: a.Name}}}
		ref := ""
		switch a.Scheme {
		case tools.SchemeBearerToken, tools.SchemeAPIKey:
			ref, c.field = a.Token, "token"
		case tools.SchemeBasic:
			ref, c.field = a.Password, "password"
		}
		switch {
		case c.field == "":
		case strings.HasPrefix(ref, "keyring:") && ValidSecretName(strings.TrimPrefix(ref, "keyring:")):
			c.pending = ref
		default:
			v, err := ResolveRef(context.Background(), nil, ref) // env:NAME, or a config mistake ResolveRef explains
			c.setSecret(v, err)
		}
		s.creds[slug] = c
	}
	return s
}

// setSecret records a resolution's outcome; c.mu is held or c is not shared yet.
func (c *credential) setSecret(v string, err error) {
	if err != nil {
		c.err = err
		return
	}
	redact.Known.Add(v)
	c.pending, c.err = "", nil
	if c.cfg.Scheme == tools.SchemeBasic {
		v = c.cfg.Username + ":" + v
	}
	c.auth.Secret = v
}

// resolved returns c's credential, reading a pending keyring: reference from store first.
func (c *credential) resolved(ctx context.Context, store SecretStore) (openapi.StaticAuth, error) {
	c.mu.Lock()
	a, ref, err := c.auth, c.pending, c.err
	c.mu.Unlock()
	if ref == "" {
		return a, err
	}
	// The lock is not held across the store call: it can block until KeychainTimeout, and two calls resolving at
	// once get the same answer.
	v, err := ResolveRef(ctx, store, ref)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == ref {
		c.setSecret(v, err)
	}
	if err != nil {
		return c.auth, err
	}
	return c.auth, c.err
}

// resolve reads toolkit's pending keyring: reference now, so that Status reports what a call would meet.
func (s *Static) resolve(ctx context.Context, toolkit string) {
	if c, ok := s.creds[toolkit]; ok {
		_, _ = c.resolved(ctx, s.store)
	}
}

// ForToolkits fills API key placement (header or query and its name) from each toolkit's declared scheme when the
// config left it empty.
func (s *Static) ForToolkits(kits []*tools.Toolkit) {
	for _, tk := range kits {
		c, ok := s.creds[tk.Slug]
		if !ok {
			continue
		}
		c.mu.Lock()
		if c.auth.Scheme.Scheme == tools.SchemeAPIKey && c.auth.Scheme.Name == "" {
			for _, sch := range tk.AuthSchemes {
				if sch.Scheme == tools.SchemeAPIKey {
					c.auth.Scheme.In, c.auth.Scheme.Name = sch.In, sch.Name
					break
				}
			}
		}
		c.mu.Unlock()
	}
}

// Authorize adds the toolkit's configured credentials to req. A toolkit without configured credentials is called
// without any: public endpoints work, and a 401 tells the agent how to add them.
func (s *Static) Authorize(ctx context.Context, toolkit, account string, req *http.Request) error {
	c, ok := s.creds[toolkit]
	if !ok {
		return nil
	}
	a, err := c.resolved(ctx, s.store)
	if err != nil {
		return c.describe(toolkit, err)
	}
	return a.Authorize(ctx, toolkit, account, req)
}

// describe wraps the reason c's secret could not be resolved with the config key and the fix.
func (c *credential) describe(toolkit string, err error) error {
	if strings.HasPrefix(c.refOf(), "keyring:") {
		// ResolveRef's error names the reference and the command that stores it; the next call reads it again.
		return fmt.Errorf("credentials for %s ([auth.%s] %s): %w", toolkit, toolkit, c.field, err)
	}
	return fmt.Errorf("credentials for %s: %w; set it and restart toolmux", toolkit, err)
}

// refOf returns the secret reference c was configured with.
func (c *credential) refOf() string {
	if c.field == "password" {
		return c.cfg.Password
	}
	return c.cfg.Token
}

// Connected returns the toolkits whose credentials the config holds ([auth.SLUG] other than NO_AUTH).
func (s *Static) Connected(context.Context, string) (map[string]bool, error) {
	set := map[string]bool{}
	for slug, c := range s.creds {
		if c.cfg.Scheme != tools.SchemeNoAuth {
			set[slug] = true
		}
	}
	return set, nil
}

// Status says whether tk's calls will carry credentials.
func (s *Static) Status(ctx context.Context, user string, tk *tools.Toolkit) (active bool, status, message string) {
	if c, ok := s.creds[tk.Slug]; ok {
		c.mu.Lock()
		pending, err := c.pending, c.err
		c.mu.Unlock()
		switch {
		case err != nil:
			return false, StatusFailed, c.describe(tk.Slug, err).Error()
		case c.cfg.Scheme == tools.SchemeNoAuth:
			return true, StatusActive, "no credentials needed (auth." + tk.Slug + " scheme NO_AUTH)"
		case pending != "":
			// Not read yet: a status check does not open the secret store. The first call reads it, and a missing
			// secret then fails that call and this status with the command that stores it.
			return true, StatusActive, fmt.Sprintf("%s from the config (auth.%s; its %s %s is read from the secret store on the first call)", c.cfg.Scheme, tk.Slug, c.field, pending)
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
