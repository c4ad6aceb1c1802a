package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// UpstreamTools is the cached tool list of one upstream MCP server under one declaration.
type UpstreamTools struct {
	Toolkit string
	// ConfigHash identifies the declaration the list was read under.
	ConfigHash string
	// ServerVersion is the serverInfo.version the upstream reported when it was listed.
	ServerVersion string
	// Tools is the toolkit as JSON.
	Tools     []byte
	UpdatedAt time.Time
}

// UpstreamTools returns the cached tool list of toolkit under configHash, or an error wrapping ErrNotFound.
func (db *DB) UpstreamTools(ctx context.Context, toolkit, configHash string) (UpstreamTools, error) {
	u := UpstreamTools{Toolkit: toolkit, ConfigHash: configHash}
	var tools string
	var updated int64
	err := db.sql.QueryRowContext(ctx,
		`SELECT server_version, tools, updated_at FROM upstream_tools WHERE toolkit = ? AND config_hash = ?`,
		toolkit, configHash).Scan(&u.ServerVersion, &tools, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return UpstreamTools{}, fmt.Errorf("upstream tools of %s: %w", toolkit, ErrNotFound)
	}
	if err != nil {
		return UpstreamTools{}, fmt.Errorf("upstream tools of %s: %w", toolkit, err)
	}
	u.Tools, u.UpdatedAt = []byte(tools), fromMillis(updated)
	return u, nil
}

// PutUpstreamTools stores u, replacing the list of the same toolkit and hash; lists of the toolkit under other
// hashes (an older declaration) are deleted. The store sets UpdatedAt.
func (db *DB) PutUpstreamTools(ctx context.Context, u UpstreamTools) error {
	if u.Toolkit == "" || u.ConfigHash == "" {
		return fmt.Errorf("cache upstream tools: toolkit and config hash must be set")
	}
	if !json.Valid(u.Tools) {
		return fmt.Errorf("cache upstream tools of %s: the tool list is not JSON", u.Toolkit)
	}
	now := millis(db.now())
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM upstream_tools WHERE toolkit = ? AND config_hash <> ?`, u.Toolkit, u.ConfigHash); err != nil {
			return fmt.Errorf("cache upstream tools of %s: %w", u.Toolkit, err)
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO upstream_tools (toolkit, config_hash, server_version, tools, updated_at) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT (toolkit, config_hash) DO UPDATE SET server_version = excluded.server_version,
			     tools = excluded.tools, updated_at = excluded.updated_at`,
			u.Toolkit, u.ConfigHash, u.ServerVersion, string(u.Tools), now)
		if err != nil {
			return fmt.Errorf("cache upstream tools of %s: %w", u.Toolkit, err)
		}
		return nil
	})
}

// Upstream states recorded by PutUpstreamStatus.
const (
	UpstreamRunning = "running"
	UpstreamStopped = "stopped"
	UpstreamFailed  = "failed"
)

// UpstreamStatus is the last state an upstream MCP server reached in any toolmux process.
type UpstreamStatus struct {
	Toolkit string
	// State is UpstreamRunning, UpstreamStopped or UpstreamFailed.
	State string
	// LastError is the most recent start or call failure that was the upstream's fault; it survives later success.
	LastError   string
	LastErrorAt time.Time
	UpdatedAt   time.Time
}

// PutUpstreamStatus records toolkit's state; a non-empty lastError replaces the recorded one, an empty one keeps it.
func (db *DB) PutUpstreamStatus(ctx context.Context, toolkit, state, lastError string) error {
	switch state {
	case UpstreamRunning, UpstreamStopped, UpstreamFailed:
	default:
		return fmt.Errorf("record upstream %s: state %q is not one of running, stopped, failed", toolkit, state)
	}
	if toolkit == "" {
		return fmt.Errorf("record upstream status: toolkit is empty")
	}
	now := millis(db.now())
	errAt := int64(0)
	if lastError != "" {
		errAt = now
	}
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO upstream_status (toolkit, state, last_error, last_error_at, updated_at) VALUES (?, ?, ?, ?, ?)
		 ON CONFLICT (toolkit) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
		     last_error = CASE WHEN excluded.last_error <> '' THEN excluded.last_error ELSE upstream_status.last_error END,
		     last_error_at = CASE WHEN excluded.last_error <> '' THEN excluded.last_error_at ELSE upstream_status.last_error_at END`,
		toolkit, state, lastError, errAt, now)
	if err != nil {
		return fmt.Errorf("record upstream %s: %w", toolkit, err)
	}
	return nil
}

// UpstreamStatuses returns the recorded state of every upstream, by toolkit slug.
func (db *DB) UpstreamStatuses(ctx context.Context) (map[string]UpstreamStatus, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT toolkit, state, last_error, last_error_at, updated_at FROM upstream_status`)
	if err != nil {
		return nil, fmt.Errorf("upstream statuses: %w", err)
	}
	defer rows.Close()
	out := map[string]UpstreamStatus{}
	for rows.Next() {
		var s UpstreamStatus
		var errAt, updated int64
		if err := rows.Scan(&s.Toolkit, &s.State, &s.LastError, &errAt, &updated); err != nil {
			return nil, fmt.Errorf("upstream statuses: %w", err)
		}
		if errAt != 0 {
			s.LastErrorAt = fromMillis(errAt)
		}
		s.UpdatedAt = fromMillis(updated)
		out[s.Toolkit] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("upstream statuses: %w", err)
	}
	return out, nil
}
