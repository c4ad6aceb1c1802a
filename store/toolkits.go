package store

import (
	"context"
	"fmt"
	"time"
)

// Imported toolkit kinds.
const (
	KindOpenAPI = "openapi"
)

// ImportedToolkit records a toolkit the user imported from a spec file.
type ImportedToolkit struct {
	Slug     string
	Kind     string // KindOpenAPI
	SpecFile string // where the imported copy of the spec lives
	BaseURL  string // "" keeps the spec's own server URL
	// ReplaceBuiltin lets the toolkit take the slug of a built-in toolkit.
	ReplaceBuiltin bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// PutImportedToolkit creates or replaces the imported toolkit t.Slug. The store sets the times: CreatedAt is kept
// across replacements, UpdatedAt is now.
func (db *DB) PutImportedToolkit(ctx context.Context, t ImportedToolkit) error {
	if t.Slug == "" {
		return fmt.Errorf("save imported toolkit: slug is empty")
	}
	if t.Kind != KindOpenAPI {
		return fmt.Errorf("save imported toolkit %s: kind %q is not one of: %s", t.Slug, t.Kind, KindOpenAPI)
	}
	if t.SpecFile == "" {
		return fmt.Errorf("save imported toolkit %s: spec file is empty", t.Slug)
	}
	now := millis(db.now())
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO imported_toolkits (slug, kind, spec_file, base_url, replace_builtin, created_at, updated_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?)
		 ON CONFLICT (slug) DO UPDATE SET kind = excluded.kind, spec_file = excluded.spec_file,
		     base_url = excluded.base_url, replace_builtin = excluded.replace_builtin, updated_at = excluded.updated_at`,
		t.Slug, t.Kind, t.SpecFile, t.BaseURL, t.ReplaceBuiltin, now, now)
	if err != nil {
		return fmt.Errorf("save imported toolkit %s: %w", t.Slug, err)
	}
	return nil
}

// ImportedToolkits returns every imported toolkit, by slug.
func (db *DB) ImportedToolkits(ctx context.Context) ([]ImportedToolkit, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT slug, kind, spec_file, base_url, replace_builtin, created_at, updated_at
		 FROM imported_toolkits ORDER BY slug`)
	if err != nil {
		return nil, fmt.Errorf("list imported toolkits: %w", err)
	}
	defer rows.Close()
	var out []ImportedToolkit
	for rows.Next() {
		var t ImportedToolkit
		var created, updated int64
		if err := rows.Scan(&t.Slug, &t.Kind, &t.SpecFile, &t.BaseURL, &t.ReplaceBuiltin, &created, &updated); err != nil {
			return nil, fmt.Errorf("list imported toolkits: %w", err)
		}
		t.CreatedAt, t.UpdatedAt = fromMillis(created), fromMillis(updated)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list imported toolkits: %w", err)
	}
	return out, nil
}

// DeleteImportedToolkit deletes the imported toolkit slug, or returns an error wrapping ErrNotFound.
func (db *DB) DeleteImportedToolkit(ctx context.Context, slug string) error {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM imported_toolkits WHERE slug = ?`, slug)
	if err != nil {
		return fmt.Errorf("delete imported toolkit %s: %w", slug, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete imported toolkit %s: %w", slug, err)
	}
	if n == 0 {
		return fmt.Errorf("delete imported toolkit %s: %w", slug, ErrNotFound)
	}
	return nil
}
