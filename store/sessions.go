package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Session is a named, resumable session of one user. Its name is unique per user.
type Session struct {
	ID         string
	UserID     string
	CreatedAt  time.Time
	LastUsedAt time.Time
	// Config is the session's configuration as the session package wrote it (filter, exposed tools, auth view);
	// nil when none was stored.
	Config json.RawMessage
}

// EnsureSession creates the session (userID, id) or, when it exists, marks it used now. A non-nil config replaces
// the stored one; a nil config keeps it. created reports whether the session was new.
func (db *DB) EnsureSession(ctx context.Context, userID, id string, config json.RawMessage) (s Session, created bool, err error) {
	if err := checkSessionKey(userID, id); err != nil {
		return Session{}, false, fmt.Errorf("ensure session: %w", err)
	}
	if config != nil && !json.Valid(config) {
		return Session{}, false, fmt.Errorf("ensure session %q of user %q: config is not valid JSON", id, userID)
	}
	now := millis(db.now())
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO sessions (user_id, id, created_at, last_used_at, config) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT (user_id, id) DO NOTHING`,
			userID, id, now, now, nullJSON(config))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		created = n == 1
		row := tx.QueryRowContext(ctx,
			`UPDATE sessions SET last_used_at = ?, config = coalesce(?, config) WHERE user_id = ? AND id = ?
			 RETURNING `+sessionColumns,
			now, nullJSON(config), userID, id)
		s, err = scanSession(row)
		return err
	})
	if err != nil {
		return Session{}, false, fmt.Errorf("ensure session %q of user %q: %w", id, userID, err)
	}
	return s, created, nil
}

// GetSession returns the session (userID, id), or an error wrapping ErrNotFound.
func (db *DB) GetSession(ctx context.Context, userID, id string) (Session, error) {
	row := db.sql.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = ? AND id = ?`, userID, id)
	s, err := scanSession(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("get session %q of user %q: %w", id, userID, ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("get session %q of user %q: %w", id, userID, err)
	}
	return s, nil
}

// ListSessions returns the sessions of userID, or of every user when userID is "", most recently used first.
func (db *DB) ListSessions(ctx context.Context, userID string) ([]Session, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT `+sessionColumns+` FROM sessions WHERE ? = '' OR user_id = ?
		 ORDER BY last_used_at DESC, user_id, id`, userID, userID)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return out, nil
}

// DeleteSession deletes the session (userID, id) with its executions and memory, or returns an error wrapping
// ErrNotFound.
func (db *DB) DeleteSession(ctx context.Context, userID, id string) error {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id = ?`, userID, id)
	if err != nil {
		return fmt.Errorf("delete session %q of user %q: %w", id, userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete session %q of user %q: %w", id, userID, err)
	}
	if n == 0 {
		return fmt.Errorf("delete session %q of user %q: %w", id, userID, ErrNotFound)
	}
	return nil
}

const sessionColumns = `user_id, id, created_at, last_used_at, config`

type scanner interface{ Scan(dest ...any) error }

func scanSession(r scanner) (Session, error) {
	var s Session
	var created, used int64
	var config sql.NullString
	if err := r.Scan(&s.UserID, &s.ID, &created, &used, &config); err != nil {
		return Session{}, err
	}
	s.CreatedAt, s.LastUsedAt, s.Config = fromMillis(created), fromMillis(used), rawJSON(config)
	return s, nil
}

func checkSessionKey(userID, id string) error {
	if userID == "" {
		return errors.New("user id is empty")
	}
	if id == "" {
		return errors.New("session id is empty")
	}
	return nil
}
