package auth

// This file holds the OAuth2 flows. Decisions:
//   - Authorization code: PKCE S256 and a random state on every attempt. The verifier and state stay in this
//     process's memory (never SQLite); a state is consumed by its first callback, so a replayed or forged callback
//     fails. Attempts expire after LinkTTL.
//   - Device flow (RFC 8628; GitHub has it): the user code and verification URL are shown to the user while
//     DeviceAccessToken polls at the server's interval.
//   - The account row is created INITIATED when a flow starts; success makes it ACTIVE with its scopes and expiry,
//     an error from the provider makes it FAILED with the provider's error code.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/toolmux/toolmux/redact"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

// LinkTTL is how long a connect link, an authorization attempt or a device code stays usable.
const LinkTTL = 10 * time.Minute

// pendingAuth is an authorization-code attempt waiting for its callback.
type pendingAuth struct {
	account  store.ConnectedAccount
	verifier string
	config   *oauth2.Config
	expires  time.Time
}

// flows holds the Manager's in-flight OAuth attempts.
type flows struct {
	mu      sync.Mutex
	pending map[string]*pendingAuth // state → attempt
}

func (m *Manager) flowState() *flows {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.inflight == nil {
		m.inflight = &flows{pending: map[string]*pendingAuth{}}
	}
	return m.inflight
}

// startAccount creates (or, for an existing alias, reuses) the INITIATED account row a flow fills in.
func (m *Manager) startAccount(ctx context.Context, toolkit, alias, scheme string, scopes []string) (store.ConnectedAccount, error) {
	if alias != "" {
		list, err := m.db.ConnectedAccounts(ctx, m.user, toolkit)
		if err != nil {
			return store.ConnectedAccount{}, err
		}
		for _, a := range list {
			if a.Alias == alias {
				// Reconnecting keeps the id; the status stays as it is (EXPIRED is never set back to INITIATED)
				// until the flow succeeds or fails.
				return a, nil
			}
		}
	}
	acct, err := m.db.CreateConnectedAccount(ctx, store.ConnectedAccount{UserID: m.user, Toolkit: toolkit, Alias: alias,
		AuthScheme: scheme, Status: store.AccountInitiated, Scopes: scopeList(scopes)})
	m.invalidate(toolkit, "")
	return acct, err
}

// BeginAuthCode starts an authorization-code flow with PKCE for toolkit. redirectURL is the loopback callback
// (http://127.0.0.1:PORT/callback). It returns the account being connected and the provider URL to open.
func (m *Manager) BeginAuthCode(ctx context.Context, toolkit, alias, redirectURL string) (store.ConnectedAccount, string, error) {
	oc, err := m.OAuthConfig(ctx, toolkit, redirectURL)
	if err != nil {
		return store.ConnectedAccount{}, "", err
	}
	acct, err := m.startAccount(ctx, toolkit, alias, tools.SchemeOAuth2, oc.Scopes)
	if err != nil {
		return acct, "", err
	}
	authURL, err := m.beginAuthCodeFor(ctx, acct, redirectURL)
	return acct, authURL, err
}

// beginAuthCodeFor starts an authorization-code attempt for an account row that already exists.
func (m *Manager) beginAuthCodeFor(ctx context.Context, acct store.ConnectedAccount, redirectURL string) (string, error) {
	oc, err := m.OAuthConfig(ctx, acct.Toolkit, redirectURL)
	if err != nil {
		return "", err
	}
	if oc.Endpoint.AuthURL == "" {
		return "", fmt.Errorf("OAuth2 for %s: no authorization endpoint; set [auth.%s] auth_url, or use the device flow", acct.Toolkit, acct.Toolkit)
	}
	state, verifier := rand.Text()+rand.Text(), oauth2.GenerateVerifier()
	f := m.flowState()
	f.mu.Lock()
	now := time.Now()
	for s, p := range f.pending {
		if now.After(p.expires) {
			delete(f.pending, s)
		}
	}
	f.pending[state] = &pendingAuth{account: acct, verifier: verifier, config: oc, expires: now.Add(LinkTTL)}
	f.mu.Unlock()
	return oc.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), nil
}

// ErrUnknownState is returned (wrapped) for a callback whose state this process did not issue, or already used.
var ErrUnknownState = errors.New("unknown or already used OAuth state")

// CompleteAuthCode finishes the flow a callback belongs to: state must be one BeginAuthCode issued and not yet used;
// providerErr is the callback's error parameter (the user denied access, …). The attempt is consumed either way.
func (m *Manager) CompleteAuthCode(ctx context.Context, state, code, providerErr, providerErrDesc string) (store.ConnectedAccount, error) {
	f := m.flowState()
	f.mu.Lock()
	p, ok := f.pending[state]
	delete(f.pending, state)
	f.mu.Unlock()
	if !ok || state == "" {
		return store.ConnectedAccount{}, fmt.Errorf("OAuth callback: %w; start the connection again (the link is single-use)", ErrUnknownState)
	}
	if time.Now().After(p.expires) {
		return m.fail(ctx, p.account, "the authorization took longer than "+LinkTTL.String())
	}
	if providerErr != "" {
		reason := "the provider answered " + providerErr
		if providerErrDesc != "" {
			reason += ": " + providerErrDesc
		}
		return m.fail(ctx, p.account, reason)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tok, err := p.config.Exchange(m.withClient(ctx), code, oauth2.VerifierOption(p.verifier))
	if err != nil {
		return m.fail(ctx, p.account, "the code exchange failed: "+oauthReason(err))
	}
	return m.activate(ctx, p.account, tok, p.config.Scopes)
}

// BeginDevice starts a device flow for toolkit: the caller shows resp.UserCode and resp.VerificationURI to the user,
// then calls CompleteDevice.
func (m *Manager) BeginDevice(ctx context.Context, toolkit, alias string) (store.ConnectedAccount, *oauth2.DeviceAuthResponse, error) {
	oc, err := m.OAuthConfig(ctx, toolkit, "")
	if err != nil {
		return store.ConnectedAccount{}, nil, err
	}
	if oc.Endpoint.DeviceAuthURL == "" {
		return store.ConnectedAccount{}, nil, fmt.Errorf("OAuth2 for %s: the provider has no device flow endpoint; set [auth.%s] device_url, or use the browser flow", toolkit, toolkit)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := oc.DeviceAuth(m.withClient(ctx))
	if err != nil {
		return store.ConnectedAccount{}, nil, fmt.Errorf("OAuth2 device authorization for %s: %s", toolkit, oauthReason(err))
	}
	acct, err := m.startAccount(ctx, toolkit, alias, tools.SchemeOAuth2, oc.Scopes)
	return acct, resp, err
}

// CompleteDevice polls the token endpoint until the user approves (or denies, or the code expires) and records the
// result. ctx bounds the wait.
func (m *Manager) CompleteDevice(ctx context.Context, acct store.ConnectedAccount, resp *oauth2.DeviceAuthResponse) (store.ConnectedAccount, error) {
	oc, err := m.OAuthConfig(ctx, acct.Toolkit, "")
	if err != nil {
		return acct, err
	}
	tok, err := oc.DeviceAccessToken(m.withClient(ctx), resp)
	if err != nil {
		if ctx.Err() != nil {
			return acct, fmt.Errorf("device flow for %s: stopped waiting (%w); the user can still finish, then run `toolmux connections list`", acct.Toolkit, ctx.Err())
		}
		return m.fail(context.WithoutCancel(ctx), acct, "the device flow failed: "+oauthReason(err))
	}
	return m.activate(context.WithoutCancel(ctx), acct, tok, oc.Scopes)
}

func (m *Manager) withClient(ctx context.Context) context.Context {
	if m.client == nil {
		return ctx
	}
	return context.WithValue(ctx, oauth2.HTTPClient, m.client)
}

// oauthReason names an OAuth error without the response body (which could echo a code or token).
func oauthReason(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		s := re.ErrorCode
		if s == "" && re.Response != nil {
			s = re.Response.Status
		}
		if re.ErrorDescription != "" {
			s += " (" + re.ErrorDescription + ")"
		}
		return s
	}
	return redact.Known.String(err.Error())
}

// fail marks acct FAILED (an EXPIRED account stays EXPIRED: its old token is still the last good state) and returns
// the error to show.
func (m *Manager) fail(ctx context.Context, acct store.ConnectedAccount, reason string) (store.ConnectedAccount, error) {
	if acct.Status != store.AccountExpired && acct.Status != store.AccountActive {
		acct.Status = store.AccountFailed
	}
	acct.StatusReason = reason
	if saved, err := m.db.SaveConnectedAccount(ctx, acct); err == nil {
		acct = saved
	}
	m.invalidate(acct.Toolkit, acct.ID)
	m.log.Warn("connecting an account failed", "account", acct.ID, "toolkit", acct.Toolkit, "reason", reason)
	return acct, fmt.Errorf("connect %s: %s; try again (toolmux connect %s)", acct.Toolkit, reason, acct.Toolkit)
}

// activate saves tok as acct's secret and marks it ACTIVE.
func (m *Manager) activate(ctx context.Context, acct store.ConnectedAccount, tok *oauth2.Token, requested []string) (store.ConnectedAccount, error) {
	redact.Known.Add(tok.AccessToken)
	redact.Known.Add(tok.RefreshToken)
	if err := m.putSecret(ctx, acct.ID, payload{Scheme: tools.SchemeOAuth2, Token: tok}); err != nil {
		return m.fail(ctx, acct, err.Error())
	}
	scopes := scopeList(requested)
	if granted, ok := tok.Extra("scope").(string); ok && granted != "" {
		scopes = scopeList([]string{granted})
	}
	acct.Scopes, acct.ExpiresAt = scopes, tok.Expiry
	return m.markActive(ctx, acct, tools.SchemeOAuth2)
}

// scopeList splits scopes written with spaces or commas between them ("read write", "read,write": what a token
// response grants, or a provider's joined request) into a list; a list of single scopes is returned as it is.
func scopeList(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		out = append(out, strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })...)
	}
	return out
}
