package store

// This file is the users table: who may use an HTTP server, identified by a bearer token of which only the SHA-256
// is stored. A user's name is the user_id of their sessions, logs, memory and connected accounts.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrUserExists is returned (wrapped) by CreateUser when the name is taken.
var ErrUserExists = errors.New("user exists")

// TokenPrefix starts every user token, so a leaked one is recognisable (and greppable) as a toolmux token.
const TokenPrefix = "tmx_"

// User is a user an HTTP server accepts.
type User struct {
	Name      string
	CreatedAt time.Time
	// LastSeenAt is when a request last authenticated as the user (updated at most once a minute); zero if never.
	LastSeenAt time.Time
}

// HashToken returns the stored form of a token: the hex SHA-256 of it. A token is 32 random bytes, so a fast hash is
// enough: there is nothing to brute-force.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newToken returns a fresh token: TokenPrefix and 32 random bytes, base64url without padding.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate a token: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// CreateUser adds the user name with a new token and returns the token; only its hash is stored, so this is the one
// time it can be shown. A taken name is an error wrapping ErrUserExists.
func (db *DB) CreateUser(ctx context.Context, name string) (token string, err error) {
	if name == "" {
		return "", errors.New("create user: the name is empty")
	}
	token, err = newToken()
	if err != nil {
		return "", err
	}
	_, err = db.sql.ExecContext(ctx, `INSERT INTO users (name, token_hash, created_at) VALUES (?, ?, ?)`,
		name, HashToken(token), millis(db.now()))
	if isUniqueError(err) {
		return "", fmt.Errorf("create user %q: %w (remove it first, or pick another name)", name, ErrUserExists)
	}
	if err != nil {
		return "", fmt.Errorf("create user %q: %w", name, err)
	}
	return token, nil
}

// UserByToken returns the user whose token is token; an unknown token is an error wrapping ErrNotFound.
func (db *DB) UserByToken(ctx context.Context, token string) (User, error) {
	if !strings.HasPrefix(token, TokenPrefix) {
		return User{}, fmt.Errorf("look up user by token: %w", ErrNotFound)
	}
	var u User
	var created, seen int64
	err := db.sql.QueryRowContext(ctx, `SELECT name, created_at, last_seen_at FROM users WHERE token_hash = ?`,
		HashToken(token)).Scan(&u.Name, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("look up user by token: %w", ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("look up user by token: %w", err)
	}
	u.CreatedAt, u.LastSeenAt = fromMillis(created), fromMillis(seen)
	return u, nil
}

// TouchUser records that name authenticated now.
func (db *DB) TouchUser(ctx context.Context, name string) error {
	if _, err := db.sql.ExecContext(ctx, `UPDATE users SET last_seen_at = ? WHERE name = ?`, millis(db.now()), name); err != nil {
		return fmt.Errorf("touch user %q: %w", name, err)
	}
	return nil
}

// Users lists the users by name.
func (db *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT name, created_at, last_seen_at FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var created, seen int64
		if err := rows.Scan(&u.Name, &created, &seen); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		u.CreatedAt, u.LastSeenAt = fromMillis(created), fromMillis(seen)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// RemoveUser deletes the user, so their token stops working. Their sessions, logs, memory and connected accounts stay
// (`toolmux --user NAME sessions` and `connections` still reach them). An unknown name wraps ErrNotFound.
func (db *DB) RemoveUser(ctx context.Context, name string) error {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM users WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("remove user %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("remove user %q: %w", name, ErrNotFound)
	}
	return nil
}

// isUniqueError reports whether err is SQLite refusing a row that breaks a primary key or unique constraint.
func isUniqueError(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE)
}
