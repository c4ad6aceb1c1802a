package auth

// This file is the Manager: connected accounts (metadata in the store, secrets in the SecretStore) in front of the
// config's static credentials. Decisions:
//   - Selection: the account the call names (Call.Account, an alias or ca_ id), else the session's override
//     (config connected_accounts), else the user's most recently connected ACTIVE account on the toolkit, else the
//     static credentials from [auth.TOOLKIT].
//   - The secret payload (JSON: scheme, secret, username, OAuth token) is read from the secret store once per account
//     and kept in memory; the account list is cached for selectionTTL so a call costs no keychain or database round
//     trip when warm. Writes through this Manager drop the caches.
//   - OAuth2 tokens refresh through oauth2.TokenSource; a refreshed token is saved; a failed refresh marks the
//     account EXPIRED (never INITIATED) and the call's error says how to reconnect.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/redact"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
	"github.com/toolmux/toolmux/tools/openapi"
)

// Further connection statuses (StatusActive, StatusFailed and StatusNotConnected are in static.go).
const (
	StatusInitiated = store.AccountInitiated
	StatusExpired   = store.AccountExpired
)

// selectionTTL is how long a toolkit's account list is reused before the store is asked again (another process
// may have connected an account).
const selectionTTL = 2 * time.Second

// payload is what the secret store holds for one account.
type payload struct {
	Scheme   string        `json:"scheme"`
	Secret   string        `json:"secret,omitempty"`   // API key, bearer token or BASIC password
	Username string        `json:"username,omitempty"` // BASIC
	Token    *oauth2.Token `json:"token,omitempty"`    // OAUTH2
}

// Manager supplies credentials from connected accounts, falling back to static config credentials. It implements
// openapi.Authorizer and session.Connections. Create it with NewManager.
type Manager struct {
	db      *store.DB
	secrets SecretStore
	static  *Static
	user    string
	// overrides maps a toolkit to the alias or id its calls use (config connected_accounts).
	overrides map[string]string
	auth      map[string]config.Auth
	// prefix is the meta tools' prefix (config meta_tool_prefix), for messages naming PREFIX_MANAGE_CONNECTIONS.
	prefix string
	// connectPort is the connect server's port (config connect.port); 0 picks a free one.
	connectPort int
	log         *slog.Logger

	mu        sync.Mutex
	schemes   map[string]tools.AuthScheme // toolkit → declared schemes (API key placement, OAuth endpoints)
	oauthKits map[string][]tools.AuthScheme
	creds     map[string]*liveCred // account id → loaded credential
	lists     map[string]listEntry // toolkit → accounts
	// connected caches Connected's answer for selectionTTL; connectedAt zero means none.
	connected   map[string]bool
	connectedAt time.Time
	// client is used for OAuth token requests; nil is http.DefaultClient.
	client   *http.Client
	inflight *flows
	connect  *ConnectServer
	onActive map[int]func(store.ConnectedAccount)
	nextID   int
	labeler  func(context.Context, store.ConnectedAccount) (string, error)
}

// OnActive registers f to be called (in its own goroutine) whenever an account of this Manager turns ACTIVE, after
// its label was fetched. The returned function unregisters f.
func (m *Manager) OnActive(f func(store.ConnectedAccount)) (remove func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.onActive == nil {
		m.onActive = map[int]func(store.ConnectedAccount){}
	}
	id := m.nextID
	m.nextID++
	m.onActive[id] = f
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.onActive, id)
	}
}

func (m *Manager) notifyActive(a store.ConnectedAccount) {
	m.mu.Lock()
	fs := make([]func(store.ConnectedAccount), 0, len(m.onActive))
	for _, f := range m.onActive {
		fs = append(fs, f)
	}
	m.mu.Unlock()
	for _, f := range fs {
		go f(a)
	}
}

// labelTimeout bounds the "who am I" call made when an account turns ACTIVE.
const labelTimeout = 10 * time.Second

// SetLabeler sets the function that names an account that just turned ACTIVE or was refreshed (the toolkit's "who
// am I" call, run with the account's credentials); its answer is stored as the account's label. The session sets
// it: running a tool is above this package.
func (m *Manager) SetLabeler(f func(ctx context.Context, acct store.ConnectedAccount) (label string, err error)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.labeler = f
}

// label fetches and stores acct's label when a labeler is set. A failure is logged, never returned: the account is
// connected either way.
func (m *Manager) label(ctx context.Context, acct store.ConnectedAccount) store.ConnectedAccount {
	m.mu.Lock()
	f := m.labeler
	m.mu.Unlock()
	if f == nil {
		return acct
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), labelTimeout)
	defer cancel()
	label, err := f(ctx, acct)
	if err != nil {
		m.log.Warn("could not fetch the connected account's name", "account", acct.ID, "toolkit", acct.Toolkit, "err", redact.Known.String(err.Error()))
		return acct
	}
	if label == "" || label == acct.Label {
		return acct
	}
	acct.Label = label
	saved, err := m.db.SaveConnectedAccount(ctx, acct)
	m.invalidate(acct.Toolkit, "")
	if err != nil {
		m.log.Warn("could not save the connected account's name", "account", acct.ID, "err", err)
		return acct
	}
	return saved
}

type listEntry struct {
	accounts []store.ConnectedAccount
	at       time.Time
}

// liveCred is a loaded credential.
type liveCred struct {
	acct   store.ConnectedAccount
	static openapi.StaticAuth
	ts     oauth2.TokenSource // OAUTH2 only
	last   *oauth2.Token
}

// ManagerOptions configures NewManager.
type ManagerOptions struct {
	DB      *store.DB
	Secrets SecretStore
	// User owns the accounts this Manager uses.
	User string
	// Config supplies [auth.*] (static credentials and OAuth clients) and connected_accounts.
	Config *config.Config
	// HTTPClient makes OAuth token requests; nil is http.DefaultClient.
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// NewManager returns a Manager for opts.User.
func NewManager(opts ManagerOptions) *Manager {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := opts.Config
	if cfg == nil {
		cfg = config.Default()
	}
	return &Manager{
		db: opts.DB, secrets: opts.Secrets, static: NewStaticWith(cfg.Auth, opts.Secrets), user: opts.User,
		overrides: cfg.ConnectedAccounts, auth: cfg.Auth, log: log, client: opts.HTTPClient, prefix: cfg.MetaToolPrefix,
		connectPort: cfg.Connect.Port,
		schemes:     map[string]tools.AuthScheme{}, oauthKits: map[string][]tools.AuthScheme{},
		creds: map[string]*liveCred{}, lists: map[string]listEntry{},
	}
}

// Secrets returns the secret store (its Kind and Notice say where secrets are kept).
func (m *Manager) Secrets() SecretStore { return m.secrets }

// User returns the user whose accounts this Manager uses.
func (m *Manager) User() string { return m.user }

// ForToolkits learns each toolkit's declared auth schemes (API key placement, OAuth2 endpoints).
func (m *Manager) ForToolkits(kits []*tools.Toolkit) {
	m.static.ForToolkits(kits)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, tk := range kits {
		m.oauthKits[tk.Slug] = tk.AuthSchemes
		for _, sch := range tk.AuthSchemes {
			if sch.Scheme == tools.SchemeAPIKey {
				m.schemes[tk.Slug] = sch
			}
		}
	}
}

// invalidate drops cached state for toolkit (and the account id, if any).
func (m *Manager) invalidate(toolkit, id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.lists, toolkit)
	m.connectedAt = time.Time{}
	if id != "" {
		delete(m.creds, id)
	}
}

// Connected returns the toolkits whose calls carry the user's own credentials: those with an ACTIVE connected
// account and those with credentials in the config ([auth.SLUG] other than NO_AUTH). The tool search prefers them
// when a query names no app. The answer is cached for selectionTTL, like the account lists.
func (m *Manager) Connected(ctx context.Context, user string) (map[string]bool, error) {
	if user != "" && user != m.user {
		return m.static.Connected(ctx, user)
	}
	m.mu.Lock()
	if !m.connectedAt.IsZero() && time.Since(m.connectedAt) < selectionTTL {
		set := m.connected
		m.mu.Unlock()
		return set, nil
	}
	m.mu.Unlock()
	list, err := m.db.ConnectedAccounts(ctx, m.user, "")
	if err != nil {
		return nil, err
	}
	set, _ := m.static.Connected(ctx, user)
	for _, a := range list {
		if a.Status == store.AccountActive {
			set[a.Toolkit] = true
		}
	}
	m.mu.Lock()
	m.connected, m.connectedAt = set, time.Now()
	m.mu.Unlock()
	return set, nil
}

// accounts returns the user's accounts on toolkit, most recently connected first, cached for selectionTTL.
func (m *Manager) accounts(ctx context.Context, toolkit string) ([]store.ConnectedAccount, error) {
	m.mu.Lock()
	e, ok := m.lists[toolkit]
	m.mu.Unlock()
	if ok && time.Since(e.at) < selectionTTL {
		return e.accounts, nil
	}
	list, err := m.db.ConnectedAccounts(ctx, m.user, toolkit)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.lists[toolkit] = listEntry{accounts: list, at: time.Now()}
	m.mu.Unlock()
	return list, nil
}

// errNoAccount means no account was chosen and none is ACTIVE: the static credentials apply.
var errNoAccount = errors.New("no active connected account")

// choose picks the account for a call: by explicit name, else the override, else the newest ACTIVE one.
func (m *Manager) choose(ctx context.Context, toolkit, account string) (store.ConnectedAccount, error) {
	list, err := m.accounts(ctx, toolkit)
	if err != nil {
		return store.ConnectedAccount{}, err
	}
	name := account
	if name == "" {
		name = m.overrides[toolkit]
	}
	if name != "" {
		for _, a := range list {
			if a.ID == name || a.Alias == name {
				return a, nil
			}
		}
		return store.ConnectedAccount{}, fmt.Errorf("no %s account %q for user %s; `toolmux connections list` shows them, `toolmux connect %s --alias %s` adds it",
			toolkit, name, m.user, toolkit, name)
	}
	for _, a := range list {
		if a.Status == store.AccountActive {
			return a, nil
		}
	}
	return store.ConnectedAccount{}, errNoAccount
}

// reconnectHint tells how to reconnect an account that is not ACTIVE.
func (m *Manager) reconnectHint(a store.ConnectedAccount) string {
	alias := ""
	if a.Alias != "" {
		alias = " --alias " + a.Alias
	}
	return fmt.Sprintf("reconnect with `toolmux connect %s%s` or %s (toolkits [%q], reinitiate_all true)", a.Toolkit, alias, m.manageTool(), a.Toolkit)
}

// manageTool names the meta tool that hands out connect links.
func (m *Manager) manageTool() string {
	if m.prefix == "" {
		return "COMPOSIO_MANAGE_CONNECTIONS"
	}
	return m.prefix + "_MANAGE_CONNECTIONS"
}

func describe(a store.ConnectedAccount) string {
	s := a.ID
	if a.Alias != "" {
		s += " (" + a.Alias + ")"
	}
	return s
}

// Authorize implements openapi.Authorizer.
func (m *Manager) Authorize(ctx context.Context, toolkit, account string, req *http.Request) error {
	acct, err := m.choose(ctx, toolkit, account)
	if errors.Is(err, errNoAccount) {
		if _, ok := m.static.creds[toolkit]; !ok {
			if stale := m.latestStale(ctx, toolkit); stale != nil {
				return fmt.Errorf("the %s account %s is %s (%s); %s", toolkit, describe(*stale), stale.Status, stale.StatusReason, m.reconnectHint(*stale))
			}
		}
		return m.static.Authorize(ctx, toolkit, account, req)
	}
	if err != nil {
		return err
	}
	if acct.Status != store.AccountActive {
		return fmt.Errorf("the %s account %s is %s (%s); %s", toolkit, describe(acct), acct.Status, acct.StatusReason, m.reconnectHint(acct))
	}
	cred, err := m.credential(ctx, acct)
	if err != nil {
		return err
	}
	if cred.ts != nil {
		tok, err := cred.ts.Token()
		if err != nil {
			return m.refreshFailed(ctx, acct, err)
		}
		if err := m.saveIfRefreshed(ctx, cred, tok); err != nil {
			m.log.Warn("could not save a refreshed token", "account", acct.ID, "toolkit", toolkit, "err", err)
		}
		redact.Known.Add(tok.AccessToken)
		if tok.Type() != "Bearer" {
			req.Header.Set("Authorization", tok.Type()+" "+tok.AccessToken)
			return nil
		}
		return openapi.StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeBearerToken}, Secret: tok.AccessToken}.Authorize(ctx, toolkit, account, req)
	}
	return cred.static.Authorize(ctx, toolkit, account, req)
}

// latestStale returns the user's most recent non-ACTIVE, non-INITIATED account on toolkit, if any.
func (m *Manager) latestStale(ctx context.Context, toolkit string) *store.ConnectedAccount {
	list, err := m.accounts(ctx, toolkit)
	if err != nil {
		return nil
	}
	for _, a := range list {
		if a.Status == store.AccountExpired || a.Status == store.AccountFailed || a.Status == store.AccountRevoked {
			return &a
		}
	}
	return nil
}

// credential loads acct's secret (cached).
func (m *Manager) credential(ctx context.Context, acct store.ConnectedAccount) (*liveCred, error) {
	m.mu.Lock()
	c, ok := m.creds[acct.ID]
	m.mu.Unlock()
	if ok {
		return c, nil
	}
	raw, err := m.secrets.Get(ctx, acct.ID)
	if err != nil {
		if errors.Is(err, ErrSecretNotFound) {
			return nil, fmt.Errorf("the %s account %s has no secret in the %s store (removed outside toolmux?); %s", acct.Toolkit, describe(acct), m.secrets.Kind(), m.reconnectHint(acct))
		}
		return nil, fmt.Errorf("read the secret of %s account %s: %w", acct.Toolkit, describe(acct), err)
	}
	var p payload
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return nil, fmt.Errorf("the secret of %s account %s is not readable; %s", acct.Toolkit, describe(acct), m.reconnectHint(acct))
	}
	c = &liveCred{acct: acct}
	switch p.Scheme {
	case tools.SchemeOAuth2:
		if p.Token == nil {
			return nil, fmt.Errorf("the %s account %s holds no OAuth token; %s", acct.Toolkit, describe(acct), m.reconnectHint(acct))
		}
		oc, err := m.OAuthConfig(ctx, acct.Toolkit, "")
		if err != nil {
			return nil, err
		}
		redact.Known.Add(p.Token.AccessToken)
		redact.Known.Add(p.Token.RefreshToken)
		c.last = p.Token
		c.ts = oauth2.ReuseTokenSource(p.Token, oc.TokenSource(m.oauthContext(), p.Token))
	case tools.SchemeBasic:
		redact.Known.Add(p.Secret)
		c.static = openapi.StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeBasic}, Secret: p.Username + ":" + p.Secret}
	default:
		redact.Known.Add(p.Secret)
		sch := tools.AuthScheme{Scheme: p.Scheme}
		if p.Scheme == tools.SchemeAPIKey {
			m.mu.Lock()
			declared := m.schemes[acct.Toolkit]
			m.mu.Unlock()
			sch.In, sch.Name = declared.In, declared.Name
			if a, ok := m.auth[acct.Toolkit]; ok && a.Name != "" {
				sch.In, sch.Name = a.In, a.Name
			}
		}
		c.static = openapi.StaticAuth{Scheme: sch, Secret: p.Secret}
	}
	m.mu.Lock()
	m.creds[acct.ID] = c
	m.mu.Unlock()
	return c, nil
}

// oauthContext carries the HTTP client for token requests. It is not a request's context: a token source outlives
// the call that created it.
func (m *Manager) oauthContext() context.Context {
	if m.client == nil {
		return context.Background()
	}
	return context.WithValue(context.Background(), oauth2.HTTPClient, m.client)
}

// saveIfRefreshed stores tok when the token source refreshed it.
func (m *Manager) saveIfRefreshed(ctx context.Context, c *liveCred, tok *oauth2.Token) error {
	m.mu.Lock()
	same := c.last != nil && c.last.AccessToken == tok.AccessToken
	if !same {
		c.last = tok
	}
	m.mu.Unlock()
	if same {
		return nil
	}
	redact.Known.Add(tok.AccessToken)
	redact.Known.Add(tok.RefreshToken)
	if err := m.putSecret(ctx, c.acct.ID, payload{Scheme: tools.SchemeOAuth2, Token: tok}); err != nil {
		return err
	}
	acct, err := m.db.ConnectedAccount(ctx, c.acct.ID)
	if err != nil {
		return err
	}
	acct.ExpiresAt = tok.Expiry
	_, err = m.db.SaveConnectedAccount(ctx, acct)
	return err
}

// refreshFailed marks acct EXPIRED and returns the error the call reports.
func (m *Manager) refreshFailed(ctx context.Context, acct store.ConnectedAccount, cause error) error {
	reason := "the token could not be refreshed"
	var re *oauth2.RetrieveError
	if errors.As(cause, &re) && re.ErrorCode != "" {
		reason += ": " + re.ErrorCode
		if re.ErrorDescription != "" {
			reason += " (" + re.ErrorDescription + ")"
		}
	} else if cause != nil {
		reason += ": " + redact.Known.String(cause.Error())
	}
	acct.Status, acct.StatusReason = store.AccountExpired, reason
	if _, err := m.db.SaveConnectedAccount(ctx, acct); err != nil {
		m.log.Warn("could not mark the account expired", "account", acct.ID, "err", err)
	}
	m.invalidate(acct.Toolkit, acct.ID)
	m.log.Warn("connected account expired", "account", acct.ID, "toolkit", acct.Toolkit, "reason", reason)
	return fmt.Errorf("the %s account %s expired: %s; %s", acct.Toolkit, describe(acct), reason, m.reconnectHint(acct))
}

func (m *Manager) putSecret(ctx context.Context, id string, p payload) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := m.secrets.Set(ctx, id, string(data)); err != nil {
		return fmt.Errorf("save the secret of %s in the %s store: %w", id, m.secrets.Kind(), err)
	}
	return nil
}

// Status implements session.Connections: whether tk's calls will carry credentials, and what to do if not.
func (m *Manager) Status(ctx context.Context, user string, tk *tools.Toolkit) (active bool, status, message string) {
	if user != "" && user != m.user {
		// The Manager serves one user; another user's status is asked of a Manager for that user.
		return m.static.Status(ctx, user, tk)
	}
	acct, err := m.choose(ctx, tk.Slug, "")
	switch {
	case err == nil && acct.Status == store.AccountActive:
		msg := fmt.Sprintf("connected account %s via %s", describe(acct), acct.AuthScheme)
		if acct.Label != "" {
			msg += " as " + acct.Label
		}
		return true, StatusActive, msg
	case err == nil:
		return false, acct.Status, fmt.Sprintf("the selected account %s is %s (%s); %s", describe(acct), acct.Status, acct.StatusReason, m.reconnectHint(acct))
	case !errors.Is(err, errNoAccount):
		return false, StatusFailed, err.Error()
	}
	if _, ok := m.static.creds[tk.Slug]; ok {
		return m.static.Status(ctx, user, tk)
	}
	if stale := m.latestStale(ctx, tk.Slug); stale != nil {
		return false, stale.Status, fmt.Sprintf("the account %s is %s (%s); %s", describe(*stale), stale.Status, stale.StatusReason, m.reconnectHint(*stale))
	}
	list, _ := m.accounts(ctx, tk.Slug)
	for _, a := range list {
		if a.Status == store.AccountInitiated {
			return false, StatusInitiated, fmt.Sprintf("waiting for the user to finish connecting %s (account %s)", tk.Slug, a.ID)
		}
	}
	active, status, message = m.static.Status(ctx, user, tk)
	if !active {
		message += fmt.Sprintf("; or connect an account: `toolmux connect %s`, or %s", tk.Slug, m.manageTool())
	}
	return active, status, message
}

// ConnectSecret records an ACTIVE account for a static secret (API_KEY, BEARER_TOKEN or BASIC): the secret goes to
// the secret store first, then the metadata to the store. username is for BASIC.
func (m *Manager) ConnectSecret(ctx context.Context, toolkit, alias, scheme, username, secret string) (store.ConnectedAccount, error) {
	switch scheme {
	case tools.SchemeAPIKey, tools.SchemeBearerToken:
	case tools.SchemeBasic:
		if username == "" {
			return store.ConnectedAccount{}, fmt.Errorf("connect %s: BASIC needs a username", toolkit)
		}
	default:
		return store.ConnectedAccount{}, fmt.Errorf("connect %s: scheme %q takes no secret; use API_KEY, BEARER_TOKEN or BASIC", toolkit, scheme)
	}
	secret = strings.TrimRight(secret, "\r\n")
	if secret == "" {
		return store.ConnectedAccount{}, fmt.Errorf("connect %s: the secret is empty", toolkit)
	}
	redact.Known.Add(secret)
	acct := store.ConnectedAccount{ID: store.NewAccountID(), UserID: m.user, Toolkit: toolkit, Alias: alias, AuthScheme: scheme, Status: store.AccountActive}
	if err := m.putSecret(ctx, acct.ID, payload{Scheme: scheme, Secret: secret, Username: username}); err != nil {
		return acct, fmt.Errorf("connect %s: %w", toolkit, err)
	}
	created, err := m.db.CreateConnectedAccount(ctx, acct)
	if err != nil {
		_ = m.secrets.Delete(ctx, acct.ID)
		return acct, err
	}
	m.invalidate(toolkit, "")
	return m.activated(ctx, created, scheme, "connected"), nil
}

// completeSecret stores a secret for an INITIATED (or reconnecting) account row and marks it ACTIVE.
func (m *Manager) completeSecret(ctx context.Context, acct store.ConnectedAccount, username, secret string) (store.ConnectedAccount, error) {
	secret = strings.TrimRight(secret, "\r\n")
	if secret == "" {
		return acct, fmt.Errorf("connect %s: the secret is empty", acct.Toolkit)
	}
	if acct.AuthScheme == tools.SchemeBasic && username == "" {
		return acct, fmt.Errorf("connect %s: BASIC needs a username", acct.Toolkit)
	}
	redact.Known.Add(secret)
	if err := m.putSecret(ctx, acct.ID, payload{Scheme: acct.AuthScheme, Secret: secret, Username: username}); err != nil {
		return acct, fmt.Errorf("connect %s: %w", acct.Toolkit, err)
	}
	return m.markActive(ctx, acct, acct.AuthScheme)
}

// markActive records a connect flow's success: the account turns ACTIVE and becomes the most recently connected one
// (a zero ConnectedAt means now), the caches drop it, and it is named and announced (activated). scheme is what the
// flow connected, for the log.
func (m *Manager) markActive(ctx context.Context, acct store.ConnectedAccount, scheme string) (store.ConnectedAccount, error) {
	acct.Status, acct.StatusReason, acct.ConnectedAt = store.AccountActive, "", time.Time{}
	saved, err := m.db.SaveConnectedAccount(ctx, acct)
	m.invalidate(acct.Toolkit, acct.ID)
	if err != nil {
		return acct, err
	}
	return m.activated(ctx, saved, scheme, "connected"), nil
}

// activated is what every path that turns an account ACTIVE ends with, once the account is saved ACTIVE: a connect
// flow (stdin key, form, authorization code, device flow) and a refresh that revives an EXPIRED account. The
// toolkit's "who am I" call names the account, then OnActive listeners hear of it with its label. how is "connected"
// or "refreshed", for the log.
func (m *Manager) activated(ctx context.Context, saved store.ConnectedAccount, scheme, how string) store.ConnectedAccount {
	saved = m.label(ctx, saved)
	m.log.Info("connected account active", "account", saved.ID, "toolkit", saved.Toolkit, "scheme", scheme, "how", how, "label", saved.Label)
	m.notifyActive(saved)
	return saved
}

// Accounts lists the user's accounts on toolkit ("" for all), fresh from the store.
func (m *Manager) Accounts(ctx context.Context, toolkit string) ([]store.ConnectedAccount, error) {
	return m.db.ConnectedAccounts(ctx, m.user, toolkit)
}

// Remove deletes the account id and its secret.
func (m *Manager) Remove(ctx context.Context, id string) error {
	acct, err := m.db.ConnectedAccount(ctx, id)
	if err != nil {
		return err
	}
	if acct.UserID != m.user {
		return fmt.Errorf("connected account %s belongs to user %s, not %s; pass --user %s", id, acct.UserID, m.user, acct.UserID)
	}
	if err := m.secrets.Delete(ctx, id); err != nil {
		return fmt.Errorf("remove %s: delete its secret: %w", id, err)
	}
	if err := m.db.DeleteConnectedAccount(ctx, id); err != nil {
		return err
	}
	m.invalidate(acct.Toolkit, id)
	return nil
}

// Refresh checks the account id: an OAuth2 account gets a fresh token now (marked EXPIRED if that fails), another
// account must still have its secret. An account that ends ACTIVE is named again by the toolkit's "who am I" call,
// so its label follows a renamed login. One that was not ACTIVE (an EXPIRED OAuth2 account whose refresh token works
// again) turns ACTIVE the way a connect flow's account does (activated: named, then announced to OnActive
// listeners), but keeps its place in the selection order: a refresh is not a new connection.
func (m *Manager) Refresh(ctx context.Context, id string) (store.ConnectedAccount, error) {
	acct, err := m.db.ConnectedAccount(ctx, id)
	if err != nil {
		return acct, err
	}
	m.invalidate(acct.Toolkit, id)
	cred, err := m.credential(ctx, acct)
	if err != nil {
		return acct, err
	}
	if cred.ts == nil {
		if acct.Status != store.AccountActive {
			return acct, nil // a secret cannot be refreshed; reconnecting is what helps, and Status says so
		}
		return m.label(ctx, acct), nil
	}
	oc, err := m.OAuthConfig(ctx, acct.Toolkit, "")
	if err != nil {
		return acct, err
	}
	old := *cred.last
	old.Expiry = time.Now().Add(-time.Minute) // force the refresh
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tok, err := oc.TokenSource(m.withClient(rctx), &old).Token()
	if err != nil {
		return acct, m.refreshFailed(ctx, acct, err)
	}
	if err := m.saveIfRefreshed(ctx, cred, tok); err != nil {
		return acct, err
	}
	wasActive := acct.Status == store.AccountActive
	acct.Status, acct.StatusReason, acct.ExpiresAt = store.AccountActive, "", tok.Expiry
	saved, err := m.db.SaveConnectedAccount(ctx, acct)
	m.invalidate(acct.Toolkit, id)
	if err != nil {
		return acct, err
	}
	if wasActive {
		return m.label(ctx, saved), nil
	}
	return m.activated(ctx, saved, tools.SchemeOAuth2, "refreshed"), nil
}

// OAuthConfig builds the OAuth2 client for toolkit from its auth config (`toolmux auth-configs set` over
// [auth.TOOLKIT]: client id, secret reference, scopes, endpoint overrides) and the toolkit's declared endpoints.
// redirectURL may be empty (device flow, refresh). The client secret is resolved here, from the environment or the
// secret store: only a flow that talks to the token endpoint calls it.
func (m *Manager) OAuthConfig(ctx context.Context, toolkit, redirectURL string) (*oauth2.Config, error) {
	return m.oauthConfig(ctx, toolkit, redirectURL, true)
}

// oauthConfig is OAuthConfig; without withSecret the client secret is left empty and its reference unread, for
// callers that only need the endpoints and scopes (and must not open the secret store for them).
func (m *Manager) oauthConfig(ctx context.Context, toolkit, redirectURL string, withSecret bool) (*oauth2.Config, error) {
	a := m.authConfig(ctx, toolkit)
	m.mu.Lock()
	declared := m.oauthKits[toolkit]
	m.mu.Unlock()
	oc := &oauth2.Config{ClientID: a.ClientID, RedirectURL: redirectURL, Scopes: a.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: a.AuthURL, TokenURL: a.TokenURL, DeviceAuthURL: a.DeviceURL}}
	for _, sch := range declared {
		if sch.Scheme != tools.SchemeOAuth2 {
			continue
		}
		if oc.Endpoint.AuthURL == "" {
			oc.Endpoint.AuthURL = sch.AuthorizationURL
		}
		if oc.Endpoint.TokenURL == "" {
			oc.Endpoint.TokenURL = sch.TokenURL
		}
		if oc.Endpoint.DeviceAuthURL == "" {
			oc.Endpoint.DeviceAuthURL = sch.DeviceURL
		}
		if len(oc.Scopes) == 0 {
			oc.Scopes = sch.Scopes
		}
		if a.ScopeSeparator == "" {
			a.ScopeSeparator = sch.ScopeSeparator
		}
	}
	if sep := a.ScopeSeparator; sep != "" && sep != " " && len(oc.Scopes) > 1 {
		// oauth2 joins Scopes with spaces; a provider that wants "read,write" gets them as one. What the account
		// records is the list again (requestedScopes).
		oc.Scopes = []string{strings.Join(oc.Scopes, sep)}
	}
	if oc.ClientID == "" {
		return nil, fmt.Errorf("OAuth2 for %s needs a client id (your OAuth app's): `toolmux auth-configs set %s --client-id ID`, or [auth.%s] client_id in the config", toolkit, toolkit, toolkit)
	}
	if oc.Endpoint.TokenURL == "" {
		return nil, fmt.Errorf("OAuth2 for %s: no token endpoint; set [auth.%s] token_url", toolkit, toolkit)
	}
	switch {
	case a.ClientSecret == "" || !withSecret:
	case a.ClientSecret == "keyring":
		v, err := m.secrets.Get(ctx, clientSecretKey(toolkit))
		if err != nil {
			return nil, fmt.Errorf("OAuth2 client secret for %s (client_secret = \"keyring\"): %w", toolkit, err)
		}
		oc.ClientSecret = v
	default:
		v, err := ResolveRef(ctx, m.secrets, a.ClientSecret)
		if err != nil {
			return nil, fmt.Errorf("OAuth2 client secret for %s: %w", toolkit, err)
		}
		oc.ClientSecret = v
	}
	redact.Known.Add(oc.ClientSecret)
	return oc, nil
}

// clientSecretKey is where client_secret = "keyring" is looked up in the secret store.
func clientSecretKey(toolkit string) string { return "client:" + toolkit }

// SetClientSecret stores toolkit's OAuth client secret in the secret store, for [auth.TOOLKIT] client_secret =
// "keyring".
func (m *Manager) SetClientSecret(ctx context.Context, toolkit, secret string) error {
	secret = strings.TrimRight(secret, "\r\n")
	if secret == "" {
		return fmt.Errorf("the client secret for %s is empty", toolkit)
	}
	redact.Known.Add(secret)
	if err := m.secrets.Set(ctx, clientSecretKey(toolkit), secret); err != nil {
		return fmt.Errorf("store the client secret for %s: %w", toolkit, err)
	}
	return nil
}
