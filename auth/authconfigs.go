package auth

// This file is auth config management: OAuth clients set with `toolmux auth-configs set`, kept in the state
// (auth_configs: client id, secret reference, scopes, endpoints) with the client secret itself in the secret store.
// A stored config overrides, field by field, the config file's [auth.TOOLKIT]; fields it leaves empty come from the
// file.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

// Auth config sources, as AuthConfigInfo.Source reports them.
const (
	SourceConfig = "config"       // the config file's [auth.TOOLKIT]
	SourceState  = "state"        // `toolmux auth-configs set`
	SourceBoth   = "state+config" // a stored config over a config file entry
)

// authConfig returns toolkit's effective auth settings: the config file's, overridden by the stored config.
func (m *Manager) authConfig(ctx context.Context, toolkit string) config.Auth {
	a := m.auth[toolkit]
	if m.db == nil {
		return a
	}
	c, err := m.db.AuthConfig(ctx, toolkit)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			m.log.Warn("could not read the stored auth config", "toolkit", toolkit, "err", err)
		}
		return a
	}
	return overlay(a, c)
}

func overlay(a config.Auth, c store.AuthConfig) config.Auth {
	if a.Scheme == "" {
		a.Scheme = c.Scheme
	}
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&a.ClientID, c.ClientID}, {&a.ClientSecret, c.ClientSecretRef},
		{&a.AuthURL, c.AuthURL}, {&a.TokenURL, c.TokenURL}, {&a.DeviceURL, c.DeviceURL},
	} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	if len(c.Scopes) > 0 {
		a.Scopes = slices.Clone(c.Scopes)
	}
	return a
}

// AuthConfigInfo is one toolkit's effective OAuth client settings and where they come from. It holds no secret.
type AuthConfigInfo struct {
	Toolkit         string   `json:"toolkit"`
	Source          string   `json:"source"`
	Scheme          string   `json:"scheme,omitempty"`
	ClientID        string   `json:"client_id,omitempty"`
	ClientSecretRef string   `json:"client_secret,omitempty"`
	Scopes          []string `json:"scopes,omitempty"`
	AuthURL         string   `json:"auth_url,omitempty"`
	TokenURL        string   `json:"token_url,omitempty"`
	DeviceURL       string   `json:"device_url,omitempty"`
}

// AuthConfigs lists the effective OAuth client settings of every toolkit that has some, in the state or in the
// config file, by toolkit.
func (m *Manager) AuthConfigs(ctx context.Context) ([]AuthConfigInfo, error) {
	stored, err := m.db.AuthConfigs(ctx)
	if err != nil {
		return nil, err
	}
	byKit := map[string]store.AuthConfig{}
	for _, c := range stored {
		byKit[c.Toolkit] = c
	}
	var kits []string
	for slug, a := range m.auth {
		if a.ClientID != "" || a.ClientSecret != "" || a.AuthURL != "" || a.TokenURL != "" || a.DeviceURL != "" || a.Scheme == tools.SchemeOAuth2 {
			kits = append(kits, slug)
		}
	}
	for slug := range byKit {
		if !slices.Contains(kits, slug) {
			kits = append(kits, slug)
		}
	}
	slices.Sort(kits)
	out := make([]AuthConfigInfo, 0, len(kits))
	for _, slug := range kits {
		a, inFile := m.auth[slug]
		c, inState := byKit[slug]
		source := SourceConfig
		switch {
		case inState && inFile:
			source = SourceBoth
			a = overlay(a, c)
		case inState:
			source = SourceState
			a = overlay(a, c)
		}
		out = append(out, AuthConfigInfo{Toolkit: slug, Source: source, Scheme: a.Scheme, ClientID: a.ClientID,
			ClientSecretRef: a.ClientSecret, Scopes: a.Scopes, AuthURL: a.AuthURL, TokenURL: a.TokenURL, DeviceURL: a.DeviceURL})
	}
	return out, nil
}

// AuthConfigChange is what `toolmux auth-configs set` changes; nil fields keep their stored value.
type AuthConfigChange struct {
	ClientID *string
	// ClientSecret, when set, is stored in the secret store and the reference becomes "keyring".
	ClientSecret *string
	// ClientSecretRef is "env:NAME" or "keyring"; "" removes the reference.
	ClientSecretRef              *string
	Scopes                       *[]string
	AuthURL, TokenURL, DeviceURL *string
}

// SetAuthConfig applies ch to toolkit's stored OAuth client settings (creating them) and returns the result.
func (m *Manager) SetAuthConfig(ctx context.Context, toolkit string, ch AuthConfigChange) (store.AuthConfig, error) {
	c, err := m.db.AuthConfig(ctx, toolkit)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return c, err
	}
	c.Toolkit, c.Scheme = toolkit, tools.SchemeOAuth2
	if ch.ClientSecret != nil && ch.ClientSecretRef != nil {
		return c, fmt.Errorf("give the client secret on stdin or as a reference, not both")
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&c.ClientID, ch.ClientID)
	set(&c.ClientSecretRef, ch.ClientSecretRef)
	set(&c.AuthURL, ch.AuthURL)
	set(&c.TokenURL, ch.TokenURL)
	set(&c.DeviceURL, ch.DeviceURL)
	if ch.Scopes != nil {
		c.Scopes = nil
		for _, s := range *ch.Scopes {
			if s = strings.TrimSpace(s); s != "" {
				c.Scopes = append(c.Scopes, s)
			}
		}
	}
	if ref := c.ClientSecretRef; ref != "" && ref != "keyring" {
		if name, ok := strings.CutPrefix(ref, "env:"); !ok || name == "" {
			return c, fmt.Errorf("client secret reference %q: use env:NAME (an environment variable) or pipe the secret in with --client-secret-stdin", ref)
		}
	}
	for _, u := range []struct{ name, v string }{{"auth URL", c.AuthURL}, {"token URL", c.TokenURL}, {"device URL", c.DeviceURL}} {
		if u.v == "" {
			continue
		}
		if p, err := url.Parse(u.v); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return c, fmt.Errorf("the %s %q is not an absolute http(s) URL", u.name, u.v)
		}
	}
	if ch.ClientSecret != nil {
		if err := m.SetClientSecret(ctx, toolkit, *ch.ClientSecret); err != nil {
			return c, err
		}
		c.ClientSecretRef = "keyring"
	}
	return m.db.PutAuthConfig(ctx, c)
}

// RemoveAuthConfig deletes toolkit's stored OAuth client settings and the client secret kept for them. The config
// file's [auth.TOOLKIT] applies again.
func (m *Manager) RemoveAuthConfig(ctx context.Context, toolkit string) error {
	c, err := m.db.AuthConfig(ctx, toolkit)
	if err != nil {
		return err
	}
	if c.ClientSecretRef == "keyring" && m.auth[toolkit].ClientSecret != "keyring" {
		if err := m.secrets.Delete(ctx, clientSecretKey(toolkit)); err != nil && !errors.Is(err, ErrSecretNotFound) {
			return fmt.Errorf("remove the %s client secret from the %s store: %w", toolkit, m.secrets.Kind(), err)
		}
	}
	return m.db.DeleteAuthConfig(ctx, toolkit)
}
