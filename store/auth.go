package store

// This file holds the auth tables' queries: connected accounts and connect requests (migration 0002). They carry
// metadata only; secrets live in the auth package's secret store under the account id.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Connected account statuses.
const (
	AccountInitiated = "INITIATED"
	AccountActive    = "ACTIVE"
	AccountExpired   = "EXPIRED"
	AccountFailed    = "FAILED"
	AccountInactive  = "INACTIVE"
	AccountRevoked   = "REVOKED"
)

// ErrConnectRequestUsed and ErrConnectRequestExpired are returned (wrapped) by UseConnectRequest.
var (
	ErrConnectRequestUsed    = errors.New("this connect link was already used")
	ErrConnectRequestExpired = errors.New("this connect link has expired")
)

// ConnectedAccount is one user's account on one toolkit.
type ConnectedAccount struct {
	ID         string // ca_…, set by CreateConnectedAccount
	UserID     string
	Toolkit    string
	Alias      string // optional, unique per user and toolkit
	AuthScheme string // OAUTH2, API_KEY, BEARER_TOKEN, BASIC, NO_AUTH
	Status     string // Account*
	// StatusReason says why the account is not ACTIVE (a failed refresh, an OAuth error).
	StatusReason string
	Label        string // the account's own name at the provider (a GitHub login)
	Scopes       []string
	ExpiresAt    time.Time // zero: no known expiry
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ConnectedAt  time.Time // when it last became ACTIVE; zero if never
}

// NewAccountID returns a fresh unguessable connected account id.
func NewAccountID() string {
	return "ca_" + strings.ToLower(rand.Text()[:20])
}

const accountColumns = `id, user_id, toolkit, alias, auth_scheme, status, status_reason, label, scopes, expires_at,
	created_at, updated_at, connected_at`

func scanAccount(row interface{ Scan(...any) error }) (ConnectedAccount, error) {
	var a ConnectedAccount
	var scopes string
	var expires, created, updated, connected int64
	err := row.Scan(&a.ID, &a.UserID, &a.Toolkit, &a.Alias, &a.AuthScheme, &a.Status, &a.StatusReason, &a.Label,
		&scopes, &expires, &created, &updated, &connected)
	if err != nil {
		return a, err
	}
	if scopes != "" {
		a.Scopes = strings.Split(scopes, " ")
	}
	a.ExpiresAt, a.CreatedAt, a.UpdatedAt, a.ConnectedAt = fromMillis(expires), fromMillis(created), fromMillis(updated), fromMillis(connected)
	return a, nil
}

// CreateConnectedAccount inserts a; an empty ID gets a fresh one. It returns the stored account.
func (db *DB) CreateConnectedAccount(ctx context.Context, a ConnectedAccount) (ConnectedAccount, error) {
	if a.ID == "" {
		a.ID = NewAccountID()
	}
	if a.UserID == "" || a.Toolkit == "" {
		return a, fmt.Errorf("create connected account: user and toolkit are required")
	}
	now := db.now().UTC().Truncate(time.Millisecond)
	a.CreatedAt, a.UpdatedAt = now, now
	if a.Status == AccountActive && a.ConnectedAt.IsZero() {
		a.ConnectedAt = now
	}
	_, err := db.sql.ExecContext(ctx, `INSERT INTO connected_accounts (`+accountColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.UserID, a.Toolkit, a.Alias, a.AuthScheme, a.Status, a.StatusReason, a.Label, strings.Join(a.Scopes, " "),
		millis(a.ExpiresAt), millis(now), millis(now), millis(a.ConnectedAt))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") && a.Alias != "" {
			return a, fmt.Errorf("create connected account: %s already has an account with alias %q; pick another alias or remove that account (toolmux connections remove ID)", a.Toolkit, a.Alias)
		}
		return a, fmt.Errorf("create connected account: %w", err)
	}
	return a, nil
}

// SaveConnectedAccount writes a's mutable fields (alias, status, reason, label, scopes, expiry, connected time).
// An account turning ACTIVE with a zero ConnectedAt gets now.
func (db *DB) SaveConnectedAccount(ctx context.Context, a ConnectedAccount) (ConnectedAccount, error) {
	now := db.now().UTC().Truncate(time.Millisecond)
	if a.Status == AccountActive && a.ConnectedAt.IsZero() {
		a.ConnectedAt = now
	}
	a.UpdatedAt = now
	res, err := db.sql.ExecContext(ctx, `UPDATE connected_accounts SET alias = ?, status = ?, status_reason = ?, label = ?,
		scopes = ?, expires_at = ?, updated_at = ?, connected_at = ? WHERE id = ?`,
		a.Alias, a.Status, a.StatusReason, a.Label, strings.Join(a.Scopes, " "), millis(a.ExpiresAt), millis(now),
		millis(a.ConnectedAt), a.ID)
	if err != nil {
		return a, fmt.Errorf("save connected account %s: %w", a.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return a, fmt.Errorf("save connected account %s: %w", a.ID, ErrNotFound)
	}
	return a, nil
}

// ConnectedAccount returns the account id, or an error wrapping ErrNotFound.
func (db *DB) ConnectedAccount(ctx context.Context, id string) (ConnectedAccount, error) {
	a, err := scanAccount(db.sql.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM connected_accounts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("connected account %s: %w (toolmux connections list shows the ids)", id, ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("connected account %s: %w", id, err)
	}
	return a, nil
}

// ConnectedAccounts returns user's accounts on toolkit ("" for every toolkit), the most recently connected first
// (never-connected ones last, newest first; ties go to the later insert).
func (db *DB) ConnectedAccounts(ctx context.Context, user, toolkit string) ([]ConnectedAccount, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+accountColumns+` FROM connected_accounts
		WHERE user_id = ? AND (? = '' OR toolkit = ?) ORDER BY toolkit, connected_at DESC, created_at DESC, rowid DESC`,
		user, toolkit, toolkit)
	if err != nil {
		return nil, fmt.Errorf("list connected accounts: %w", err)
	}
	defer rows.Close()
	var out []ConnectedAccount
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("list connected accounts: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list connected accounts: %w", err)
	}
	return out, nil
}

// DeleteConnectedAccount deletes the account id (and its connect requests), or returns an error wrapping
// ErrNotFound.
func (db *DB) DeleteConnectedAccount(ctx context.Context, id string) error {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM connected_accounts WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete connected account %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete connected account %s: %w", id, ErrNotFound)
	}
	return nil
}

// CreateConnectRequest records a connect link for accountID; tokenHash is a hash of the link token, never the token.
func (db *DB) CreateConnectRequest(ctx context.Context, tokenHash, accountID, flow string, expires time.Time) error {
	_, err := db.sql.ExecContext(ctx, `INSERT INTO connect_requests (token_hash, account_id, flow, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?)`, tokenHash, accountID, flow, millis(db.now()), millis(expires))
	if err != nil {
		return fmt.Errorf("create connect request for %s: %w", accountID, err)
	}
	return nil
}

// ConnectRequest is a connect link as the store knows it (by the hash of its token).
type ConnectRequest struct {
	TokenHash, AccountID, Flow string
	CreatedAt, ExpiresAt       time.Time
	UsedAt                     time.Time // zero while unused
}

// ConnectRequest returns the connect request tokenHash without using it, or an error wrapping ErrNotFound.
func (db *DB) ConnectRequest(ctx context.Context, tokenHash string) (ConnectRequest, error) {
	r := ConnectRequest{TokenHash: tokenHash}
	var created, expires, used int64
	err := db.sql.QueryRowContext(ctx, `SELECT account_id, flow, created_at, expires_at, used_at FROM connect_requests
		WHERE token_hash = ?`, tokenHash).Scan(&r.AccountID, &r.Flow, &created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("connect link: %w", ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("connect link: %w", err)
	}
	r.CreatedAt, r.ExpiresAt, r.UsedAt = fromMillis(created), fromMillis(expires), fromMillis(used)
	return r, nil
}

// UseConnectRequest marks the request tokenHash used and returns its account id and flow. A link works once and
// before it expires: otherwise the error wraps ErrNotFound, ErrConnectRequestUsed or ErrConnectRequestExpired.
func (db *DB) UseConnectRequest(ctx context.Context, tokenHash string) (accountID, flow string, err error) {
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var expires, used int64
		err := tx.QueryRowContext(ctx, `SELECT account_id, flow, expires_at, used_at FROM connect_requests WHERE token_hash = ?`,
			tokenHash).Scan(&accountID, &flow, &expires, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("connect link: %w", ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("connect link: %w", err)
		}
		now := millis(db.now())
		switch {
		case used != 0:
			return ErrConnectRequestUsed
		case now >= expires:
			return ErrConnectRequestExpired
		}
		_, err = tx.ExecContext(ctx, `UPDATE connect_requests SET used_at = ? WHERE token_hash = ?`, now, tokenHash)
		return err
	})
	return accountID, flow, err
}

// AuthConfig is an OAuth client set with `toolmux auth-configs set`: it overrides and adds to the config file's
// [auth.TOOLKIT] client settings. ClientSecretRef is a reference ("env:NAME" or "keyring"), never the secret.
type AuthConfig struct {
	Toolkit         string
	Scheme          string // OAUTH2
	ClientID        string
	ClientSecretRef string
	Scopes          []string
	// Endpoint overrides; empty uses the toolkit's declared ones.
	AuthURL, TokenURL, DeviceURL string
	CreatedAt, UpdatedAt         time.Time
}

type authEndpoints struct {
	AuthURL   string `json:"auth_url,omitempty"`
	TokenURL  string `json:"token_url,omitempty"`
	DeviceURL string `json:"device_url,omitempty"`
}

const authConfigColumns = `toolkit, scheme, client_id, client_secret_ref, scopes, endpoints, created_at, updated_at`

func scanAuthConfig(row interface{ Scan(...any) error }) (AuthConfig, error) {
	var c AuthConfig
	var scopes string
	var endpoints sql.NullString
	var created, updated int64
	if err := row.Scan(&c.Toolkit, &c.Scheme, &c.ClientID, &c.ClientSecretRef, &scopes, &endpoints, &created, &updated); err != nil {
		return c, err
	}
	if scopes != "" {
		c.Scopes = strings.Split(scopes, " ")
	}
	if endpoints.Valid && endpoints.String != "" {
		var e authEndpoints
		if err := json.Unmarshal([]byte(endpoints.String), &e); err != nil {
			return c, fmt.Errorf("auth config %s: endpoints: %w", c.Toolkit, err)
		}
		c.AuthURL, c.TokenURL, c.DeviceURL = e.AuthURL, e.TokenURL, e.DeviceURL
	}
	c.CreatedAt, c.UpdatedAt = fromMillis(created), fromMillis(updated)
	return c, nil
}

// PutAuthConfig creates or replaces the auth config of c.Toolkit and returns it as stored.
func (db *DB) PutAuthConfig(ctx context.Context, c AuthConfig) (AuthConfig, error) {
	if c.Toolkit == "" || c.Scheme == "" {
		return c, fmt.Errorf("save auth config: toolkit and scheme are required")
	}
	var endpoints any // NULL when there is no override
	if c.AuthURL != "" || c.TokenURL != "" || c.DeviceURL != "" {
		data, err := json.Marshal(authEndpoints{c.AuthURL, c.TokenURL, c.DeviceURL})
		if err != nil {
			return c, err
		}
		endpoints = string(data)
	}
	now := millis(db.now())
	_, err := db.sql.ExecContext(ctx, `INSERT INTO auth_configs (`+authConfigColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (toolkit) DO UPDATE SET scheme = excluded.scheme, client_id = excluded.client_id,
			client_secret_ref = excluded.client_secret_ref, scopes = excluded.scopes, endpoints = excluded.endpoints,
			updated_at = excluded.updated_at`,
		c.Toolkit, c.Scheme, c.ClientID, c.ClientSecretRef, strings.Join(c.Scopes, " "), endpoints, now, now)
	if err != nil {
		return c, fmt.Errorf("save auth config %s: %w", c.Toolkit, err)
	}
	return db.AuthConfig(ctx, c.Toolkit)
}

// AuthConfig returns toolkit's stored auth config, or an error wrapping ErrNotFound.
func (db *DB) AuthConfig(ctx context.Context, toolkit string) (AuthConfig, error) {
	c, err := scanAuthConfig(db.sql.QueryRowContext(ctx, `SELECT `+authConfigColumns+` FROM auth_configs WHERE toolkit = ?`, toolkit))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("auth config %s: %w (toolmux auth-configs list shows them)", toolkit, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("auth config %s: %w", toolkit, err)
	}
	return c, nil
}

// AuthConfigs returns every stored auth config, by toolkit.
func (db *DB) AuthConfigs(ctx context.Context) ([]AuthConfig, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+authConfigColumns+` FROM auth_configs ORDER BY toolkit`)
	if err != nil {
		return nil, fmt.Errorf("list auth configs: %w", err)
	}
	defer rows.Close()
	var out []AuthConfig
	for rows.Next() {
		c, err := scanAuthConfig(rows)
		if err != nil {
			return nil, fmt.Errorf("list auth configs: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list auth configs: %w", err)
	}
	return out, nil
}

// DeleteAuthConfig deletes toolkit's stored auth config, or returns an error wrapping ErrNotFound.
func (db *DB) DeleteAuthConfig(ctx context.Context, toolkit string) error {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM auth_configs WHERE toolkit = ?`, toolkit)
	if err != nil {
		return fmt.Errorf("delete auth config %s: %w", toolkit, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete auth config %s: %w (toolmux auth-configs list shows them)", toolkit, ErrNotFound)
	}
	return nil
}
