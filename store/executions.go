package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Execution statuses.
const (
	StatusOK    = "ok"
	StatusError = "error"
)

// Execution is one tool call in the execution log.
type Execution struct {
	ID int64
	// SessionID is "" for a call made without a session (the CLI's direct access).
	SessionID string
	UserID    string
	ToolSlug  string
	Toolkit   string
	Account   string
	StartedAt time.Time
	Duration  time.Duration // stored in milliseconds
	Status    string        // StatusOK or StatusError
	Error     string
	// Arguments are the call's arguments, already redacted by the caller; nil when none were stored.
	Arguments     json.RawMessage
	ResponseBytes int
}

// ExecutionFilter selects executions; a zero field matches everything.
type ExecutionFilter struct {
	UserID    string
	SessionID string // matches sessions of that name of every user unless UserID is set too
	ToolSlug  string
	Limit     int // at most this many, newest first; 0 or less means no limit
}

// RecordExecution appends e to the log and returns its id, once it is written. e.ID is ignored; a zero StartedAt
// means now. A SessionID naming a session that does not exist is an error wrapping ErrNotFound. LogExecution is the
// same without waiting for the write.
func (db *DB) RecordExecution(ctx context.Context, e Execution) (int64, error) {
	if err := db.checkExecution(&e); err != nil {
		return 0, err
	}
	return db.insertExecution(ctx, db.execInsert, e)
}

// checkExecution refuses a row the log must not hold and fills in a zero StartedAt.
func (db *DB) checkExecution(e *Execution) error {
	if e.ToolSlug == "" {
		return fmt.Errorf("record execution: tool slug is empty")
	}
	if e.Status != StatusOK && e.Status != StatusError {
		return fmt.Errorf("record execution of %s: status %q is neither %q nor %q", e.ToolSlug, e.Status, StatusOK, StatusError)
	}
	if e.Arguments != nil && !json.Valid(e.Arguments) {
		return fmt.Errorf("record execution of %s: arguments are not valid JSON", e.ToolSlug)
	}
	if e.StartedAt.IsZero() {
		e.StartedAt = db.now()
	}
	return nil
}

const insertExecutionSQL = `INSERT INTO executions (session_id, user_id, tool_slug, toolkit, account, started_at, duration_ms,
                        status, error, arguments, response_bytes)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// execInsert runs insertExecutionSQL on the pool; a prepared statement's ExecContext is the other runner. (Exec with
// LastInsertId, not INSERT … RETURNING: RETURNING made each insert about a quarter slower.)
func (db *DB) execInsert(ctx context.Context, args ...any) (sql.Result, error) {
	return db.sql.ExecContext(ctx, insertExecutionSQL, args...)
}

// insertExecution writes a checked row with run, which executes insertExecutionSQL.
func (db *DB) insertExecution(ctx context.Context, run func(ctx context.Context, args ...any) (sql.Result, error), e Execution) (int64, error) {
	res, err := run(ctx, nullString(e.SessionID), e.UserID, e.ToolSlug, e.Toolkit, e.Account, millis(e.StartedAt),
		e.Duration.Milliseconds(), e.Status, e.Error, nullJSON(e.Arguments), e.ResponseBytes)
	var id int64
	if err == nil {
		id, err = res.LastInsertId()
	}
	if isForeignKeyError(err) {
		return 0, fmt.Errorf("record execution of %s: session %q of user %q: %w", e.ToolSlug, e.SessionID, e.UserID, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("record execution of %s: %w", e.ToolSlug, err)
	}
	return id, nil
}

// ListExecutions returns the executions f selects, newest first, including every row this process queued with
// LogExecution before the call.
func (db *DB) ListExecutions(ctx context.Context, f ExecutionFilter) ([]Execution, error) {
	if err := db.FlushExecutions(ctx); err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	q, args := executionQuery(f)
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	defer rows.Close()
	var out []Execution
	for rows.Next() {
		var e Execution
		var session, arguments sql.NullString
		var started, durationMS int64
		if err := rows.Scan(&e.ID, &session, &e.UserID, &e.ToolSlug, &e.Toolkit, &e.Account, &started, &durationMS,
			&e.Status, &e.Error, &arguments, &e.ResponseBytes); err != nil {
			return nil, fmt.Errorf("list executions: %w", err)
		}
		e.SessionID, e.StartedAt, e.Arguments = session.String, fromMillis(started), rawJSON(arguments)
		e.Duration = time.Duration(durationMS) * time.Millisecond
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	return out, nil
}

// executionQuery builds ListExecutions' query. Every filter combination is served by an index in newest-first
// order (see migrations/0001_init.sql), so a LIMIT reads only the rows it returns.
func executionQuery(f ExecutionFilter) (string, []any) {
	var where []string
	var args []any
	if f.UserID != "" {
		where, args = append(where, "user_id = ?"), append(args, f.UserID)
	}
	if f.SessionID != "" {
		where, args = append(where, "session_id = ?"), append(args, f.SessionID)
	}
	if f.ToolSlug != "" {
		where, args = append(where, "tool_slug = ?"), append(args, f.ToolSlug)
	}
	q := `SELECT id, session_id, user_id, tool_slug, toolkit, account, started_at, duration_ms, status, error,
	             arguments, response_bytes
	      FROM executions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY started_at DESC, id DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return q, args
}

// pruneBatch bounds how many rows one DELETE removes, so pruning a large log never holds the write lock long
// enough to stall another process.
const pruneBatch = 5000

// PruneExecutions deletes the executions that started before olderThan and returns how many it deleted.
func (db *DB) PruneExecutions(ctx context.Context, olderThan time.Time) (int64, error) {
	var total int64
	for {
		res, err := db.sql.ExecContext(ctx,
			`DELETE FROM executions WHERE id IN (SELECT id FROM executions WHERE started_at < ? LIMIT ?)`,
			millis(olderThan), pruneBatch)
		if err != nil {
			return total, fmt.Errorf("prune executions: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("prune executions: %w", err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
