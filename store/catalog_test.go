package store

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestCatalogCache(t *testing.T) {
	db, _ := openTest(t)
	ctx := t.Context()

	if _, err := db.CachedCatalog(ctx, "sha256:aaa"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("CachedCatalog of a missing key: err = %v, want ErrNotFound", err)
	}
	big := bytes.Repeat([]byte("catalog\x00"), 1<<17) // 1 MiB with NUL bytes
	tests := []struct {
		key  string
		data []byte
	}{
		{key: "sha256:aaa", data: []byte(`{"tools":[]}`)},
		{key: "sha256:bbb", data: big},
		{key: "sha256:empty", data: nil},
		{key: "sha256:aaa", data: []byte(`{"tools":["replaced"]}`)},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if err := db.PutCachedCatalog(ctx, tt.key, tt.data); err != nil {
				t.Fatal(err)
			}
			got, err := db.CachedCatalog(ctx, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.data) {
				t.Errorf("CachedCatalog(%s) returned %d bytes, want the %d stored", tt.key, len(got), len(tt.data))
			}
		})
	}
	if err := db.PutCachedCatalog(ctx, "", []byte("x")); err == nil {
		t.Error("PutCachedCatalog with an empty key succeeded, want an error")
	}
}

func lastUsed(t *testing.T, db *DB, key string) time.Time {
	t.Helper()
	var ms int64
	if err := db.sql.QueryRowContext(t.Context(), `SELECT last_used_at FROM catalog_cache WHERE key = ?`, key).Scan(&ms); err != nil {
		t.Fatal(err)
	}
	return fromMillis(ms)
}

func TestCachedCatalogTouchesDaily(t *testing.T) {
	db, clk := openTest(t)
	ctx := t.Context()
	if err := db.PutCachedCatalog(ctx, "k", []byte("x")); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		advance time.Duration
		want    time.Time
	}{
		{advance: time.Hour, want: epoch},                                   // recent enough: a read only
		{advance: 23 * time.Hour, want: epoch},                              // exactly a day: still a read only
		{advance: time.Minute, want: epoch.Add(24*time.Hour + time.Minute)}, // over a day: touched
		{advance: time.Hour, want: epoch.Add(24*time.Hour + time.Minute)},
	}
	for i, s := range steps {
		clk.advance(s.advance)
		if _, err := db.CachedCatalog(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(t, db, "k"); !got.Equal(s.want) {
			t.Errorf("step %d: last_used_at = %v, want %v", i, got, s.want)
		}
	}
}

func TestPruneCatalogCache(t *testing.T) {
	db, clk := openTest(t)
	ctx := t.Context()
	for _, k := range []string{"old", "used", "new"} {
		if err := db.PutCachedCatalog(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
		clk.advance(48 * time.Hour)
		if k == "old" {
			clk.advance(10 * 24 * time.Hour)
		}
	}
	// "used" was written 10 days before now-ish; a read more than a day later refreshes it.
	if _, err := db.CachedCatalog(ctx, "used"); err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneCatalogCache(ctx, clk.now().Add(-7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("PruneCatalogCache deleted %d entries, want 1", n)
	}
	for k, want := range map[string]bool{"old": false, "used": true, "new": true} {
		_, err := db.CachedCatalog(ctx, k)
		if got := err == nil; got != want {
			t.Errorf("after pruning, entry %q present = %v (err %v), want %v", k, got, err, want)
		}
	}
}
