package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// AddMemory stores facts, grouped by key, in the session (userID, sessionID). A fact already stored under the same
// key is skipped, so repeating a call changes nothing. Empty keys and facts are errors; a session that does not
// exist is an error wrapping ErrNotFound.
func (db *DB) AddMemory(ctx context.Context, userID, sessionID string, facts map[string][]string) error {
	if err := checkSessionKey(userID, sessionID); err != nil {
		return fmt.Errorf("add memory: %w", err)
	}
	keys := make([]string, 0, len(facts))
	for k, fs := range facts {
		if k == "" {
			return fmt.Errorf("add memory to session %q of user %q: a memory key is empty", sessionID, userID)
		}
		if slices.Contains(fs, "") {
			return fmt.Errorf("add memory to session %q of user %q: a fact under %q is empty", sessionID, userID, k)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil
	}
	// Keys in a stable order, so a call's facts get the same relative order in every run.
	slices.Sort(keys)
	now := millis(db.now())
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx,
			`INSERT INTO memory (user_id, session_id, key, fact, created_at) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT (user_id, session_id, key, fact) DO NOTHING`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, k := range keys {
			for _, f := range facts[k] {
				if _, err := stmt.ExecContext(ctx, userID, sessionID, k, f, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if isForeignKeyError(err) {
		return fmt.Errorf("add memory to session %q of user %q: %w", sessionID, userID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("add memory to session %q of user %q: %w", sessionID, userID, err)
	}
	return nil
}

// Memory returns the facts of the session (userID, sessionID) by key, each key's facts in the order they were first
// added. A session without facts, or one that does not exist, yields an empty map.
func (db *DB) Memory(ctx context.Context, userID, sessionID string) (map[string][]string, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT key, fact FROM memory WHERE user_id = ? AND session_id = ? ORDER BY id`, userID, sessionID)
	if err != nil {
		return nil, fmt.Errorf("read memory of session %q of user %q: %w", sessionID, userID, err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var k, f string
		if err := rows.Scan(&k, &f); err != nil {
			return nil, fmt.Errorf("read memory of session %q of user %q: %w", sessionID, userID, err)
		}
		out[k] = append(out[k], f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read memory of session %q of user %q: %w", sessionID, userID, err)
	}
	return out, nil
}
