package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// catalogTouchEvery is how stale last_used_at may get before a read updates it. Reading the cache is on the start
// path, so most reads are reads only; last_used_at is accurate to this much, which is plenty for pruning by age.
const catalogTouchEvery = 24 * time.Hour

// CachedCatalog returns the compiled catalog stored under key, or an error wrapping ErrNotFound. It updates the
// entry's last-use time only when that is more than a day old, so a start does not wait for the write lock.
func (db *DB) CachedCatalog(ctx context.Context, key string) ([]byte, error) {
	var data []byte
	var used int64
	err := db.sql.QueryRowContext(ctx, `SELECT data, last_used_at FROM catalog_cache WHERE key = ?`, key).Scan(&data, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("cached catalog %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("cached catalog %s: %w", key, err)
	}
	now := db.now()
	if now.Sub(fromMillis(used)) > catalogTouchEvery {
		if _, err := db.sql.ExecContext(ctx, `UPDATE catalog_cache SET last_used_at = ? WHERE key = ?`, millis(now), key); err != nil {
			return nil, fmt.Errorf("cached catalog %s: mark used: %w", key, err)
		}
	}
	return data, nil
}

// PutCachedCatalog stores data under key, replacing what was there.
func (db *DB) PutCachedCatalog(ctx context.Context, key string, data []byte) error {
	if key == "" {
		return fmt.Errorf("cache catalog: key is empty")
	}
	if data == nil {
		data = []byte{}
	}
	now := millis(db.now())
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO catalog_cache (key, data, created_at, last_used_at) VALUES (?, ?, ?, ?)
		 ON CONFLICT (key) DO UPDATE SET data = excluded.data, created_at = excluded.created_at,
		                                 last_used_at = excluded.last_used_at`,
		key, data, now, now)
	if err != nil {
		return fmt.Errorf("cache catalog %s: %w", key, err)
	}
	return nil
}

// PruneCatalogCache deletes the entries not used since unusedSince and returns how many it deleted. Keys are content
// hashes, so an entry whose sources changed is simply never read again; pruning by age removes it without the
// caller having to know every current key. last_used_at is accurate to a day (see CachedCatalog), so unusedSince
// should be at least a few days back.
func (db *DB) PruneCatalogCache(ctx context.Context, unusedSince time.Time) (int64, error) {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM catalog_cache WHERE last_used_at < ?`, millis(unusedSince))
	if err != nil {
		return 0, fmt.Errorf("prune catalog cache: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune catalog cache: %w", err)
	}
	return n, nil
}
