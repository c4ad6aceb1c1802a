package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMain(m *testing.M) {
	// The multi-process test re-executes this binary as a worker; see multiprocess_test.go.
	if os.Getenv(workerEnv) != "" {
		os.Exit(runWorker())
	}
	os.Exit(m.Run())
}

// clock is a settable time source for DB.now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// openTest opens a fresh database in a temporary directory with a fake clock starting at epoch.
func openTest(t *testing.T) (*DB, *clock) {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	c := &clock{t: epoch}
	db.now = c.now
	return db, c
}

func pragmaInt(t *testing.T, db *DB, name string) int {
	t.Helper()
	var v int
	if err := db.sql.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func tableNames(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.sql.QueryContext(t.Context(),
		`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

func TestOpenMigratesAndReopens(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "nested", "state")
	path := filepath.Join(dir, "state.db")

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if got := db.Path(); got != path {
		t.Errorf("Path() = %q, want %q", got, path)
	}
	if got, want := pragmaInt(t, db, "user_version"), SchemaVersion(); got != want || want < 1 {
		t.Errorf("user_version = %d, want SchemaVersion() = %d (at least 1)", got, want)
	}
	wantTables := []string{"auth_configs", "catalog_cache", "connect_requests", "connected_accounts", "executions", "imported_toolkits", "memory", "sessions", "upstream_status", "upstream_tools", "users"}
	if diff := cmp.Diff(wantTables, tableNames(t, db)); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
	if _, _, err := db.EnsureSession(ctx, "alice", "default", nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Re-opening applies nothing and keeps the data.
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("re-open: %v", err)
	}
	defer db.Close()
	if got, want := pragmaInt(t, db, "user_version"), SchemaVersion(); got != want {
		t.Errorf("user_version after re-open = %d, want %d", got, want)
	}
	if _, err := db.GetSession(ctx, "alice", "default"); err != nil {
		t.Errorf("session lost across re-open: %v", err)
	}

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("database file mode = %o, want 600", got)
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := di.Mode().Perm(); got != 0o700 {
		t.Errorf("state directory mode = %o, want 700", got)
	}
	// SQLite gives the WAL the database file's mode.
	wi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatalf("no WAL file next to an open database: %v", err)
	}
	if got := wi.Mode().Perm(); got != 0o600 {
		t.Errorf("WAL file mode = %o, want 600", got)
	}
}

func TestOpenNarrowsFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // whatever the umask did
		t.Fatal(err)
	}
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("mode of a pre-existing 644 file after Open = %o, want 600", got)
	}
}

func TestOpenOddFileNames(t *testing.T) {
	for _, name := range []string{"with space.db", "question?mark.db", "hash#and%percent.db", "ünïcode.db"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			db, err := Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := db.EnsureSession(t.Context(), "u", "s", nil); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			// The data went to exactly the named file, not to a name SQLite parsed differently.
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			if diff := cmp.Diff([]string{name}, got); diff != "" {
				t.Errorf("files in the state directory (-want +got):\n%s", diff)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() == 0 {
				t.Errorf("%s is empty after a write", name)
			}
		})
	}
}

func TestOpenRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	db, err := Open(t.Context(), "state.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !filepath.IsAbs(db.Path()) {
		t.Errorf("Path() = %q, want an absolute path", db.Path())
	}
}

// newerSchemaFile makes a state file as a toolmux newer than this one would leave it: schema version newer.
func newerSchemaFile(t *testing.T, newer int) string {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.ExecContext(ctx, "PRAGMA user_version = "+itoa(newer)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := t.Context()
	newer := SchemaVersion() + 3
	path := newerSchemaFile(t, newer)
	_, err := Open(ctx, path)
	var tooNew *SchemaTooNewError
	if !errors.As(err, &tooNew) {
		t.Fatalf("Open of a newer schema: err = %v, want a *SchemaTooNewError", err)
	}
	if diff := cmp.Diff(&SchemaTooNewError{Path: path, Found: newer, Known: SchemaVersion()}, tooNew); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	for _, want := range []string{"newer toolmux", "schema " + itoa(newer), "this binary knows " + itoa(SchemaVersion()), "--state-dir"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestPragmasOnEveryConnection holds several pooled connections at once and checks each one got the DSN pragmas.
func TestPragmasOnEveryConnection(t *testing.T) {
	db, _ := openTest(t)
	ctx := t.Context()
	for i := range 4 {
		conn, err := db.sql.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var journal string
		var fk, busy, sync int
		if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct {
			name string
			dst  *int
		}{{"foreign_keys", &fk}, {"busy_timeout", &busy}, {"synchronous", &sync}} {
			if err := conn.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(p.dst); err != nil {
				t.Fatal(err)
			}
		}
		got := [4]any{journal, fk, busy, sync}
		want := [4]any{"wal", 1, 10000, 1} // synchronous NORMAL is 1
		if got != want {
			t.Errorf("connection %d: journal_mode, foreign_keys, busy_timeout, synchronous = %v, want %v", i, got, want)
		}
	}
}

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		fs      fstest.MapFS
		want    []int
		wantErr string
	}{
		{
			name: "ordered",
			fs:   fstest.MapFS{"m/0002_b.sql": file("B"), "m/0001_a.sql": file("A"), "m/0003_c.sql": file("C")},
			want: []int{1, 2, 3},
		},
		{name: "gap", fs: fstest.MapFS{"m/0001_a.sql": file("A"), "m/0003_c.sql": file("C")}, wantErr: "0003_c.sql: expected number 0002"},
		{name: "duplicate", fs: fstest.MapFS{"m/0001_a.sql": file("A"), "m/0001_b.sql": file("B")}, wantErr: "expected number 0002"},
		{name: "not from one", fs: fstest.MapFS{"m/0002_b.sql": file("B")}, wantErr: "expected number 0001"},
		{name: "bad name", fs: fstest.MapFS{"m/1_a.sql": file("A")}, wantErr: "name must look like"},
		{name: "stray file", fs: fstest.MapFS{"m/0001_a.sql": file("A"), "m/README": file("x")}, wantErr: "README"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := loadMigrations(tt.fs, "m")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.version)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("versions (-want +got):\n%s", diff)
			}
		})
	}

	// The embedded set is valid, so SchemaVersion is its size.
	ms, err := embeddedMigrations()
	if err != nil {
		t.Fatalf("embedded migrations: %v", err)
	}
	if len(ms) != SchemaVersion() {
		t.Errorf("SchemaVersion() = %d, want %d", SchemaVersion(), len(ms))
	}
}

// TestMigrateFromEachVersion applies the embedded migrations up to each version by hand and checks Open finishes
// the job, so a later migration is tested against every schema a user may still have.
func TestMigrateFromEachVersion(t *testing.T) {
	ms, err := embeddedMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for from := 0; from <= len(ms); from++ {
		t.Run("from "+itoa(from), func(t *testing.T) {
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "state.db")
			db, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			want := tableNames(t, db)
			db.Close()
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			for _, suffix := range []string{"-wal", "-shm"} {
				os.Remove(path + suffix)
			}

			// Build the old schema with a plain connection, as an older binary left it.
			old, err := sql.Open("sqlite", dsn(path))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms[:from] {
				if _, err := old.ExecContext(ctx, m.sql); err != nil {
					t.Fatal(err)
				}
				if _, err := old.ExecContext(ctx, "PRAGMA user_version = "+itoa(m.version)); err != nil {
					t.Fatal(err)
				}
			}
			if err := old.Close(); err != nil {
				t.Fatal(err)
			}

			db, err = Open(ctx, path)
			if err != nil {
				t.Fatalf("Open from version %d: %v", from, err)
			}
			defer db.Close()
			if got := pragmaInt(t, db, "user_version"); got != len(ms) {
				t.Errorf("user_version = %d, want %d", got, len(ms))
			}
			if diff := cmp.Diff(want, tableNames(t, db)); diff != "" {
				t.Errorf("tables (-fresh +migrated):\n%s", diff)
			}
		})
	}
}

func TestOpenCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "state.db")); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a canceled context: err = %v, want context.Canceled", err)
	}
}

// TestOpenInBackground: a store opened in the background answers its first queries once migrated, on a new file
// and on an existing one.
func TestOpenInBackground(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "state", "state.db")
	for _, round := range []string{"new file", "existing file"} {
		db, err := OpenInBackground(ctx, path)
		if err != nil {
			t.Fatalf("%s: %v", round, err)
		}
		// No Ready first: the query itself waits for the schema.
		if _, _, err := db.EnsureSession(ctx, "alice", "s1", json.RawMessage(`{}`)); err != nil {
			t.Fatalf("%s: first query: %v", round, err)
		}
		if err := db.Ready(ctx); err != nil {
			t.Fatalf("%s: Ready: %v", round, err)
		}
		var v int
		if err := db.sql.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != SchemaVersion() {
			t.Fatalf("%s: user_version %d, %v; want %d", round, v, err, SchemaVersion())
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOpenInBackgroundNewerSchema: the migration's error reaches Ready and every query, and Close still works.
func TestOpenInBackgroundNewerSchema(t *testing.T) {
	ctx := t.Context()
	db, err := OpenInBackground(ctx, newerSchemaFile(t, SchemaVersion()+1))
	if err != nil {
		t.Fatalf("OpenInBackground: %v (the schema is checked in the background)", err)
	}
	var tooNew *SchemaTooNewError
	if err := db.Ready(ctx); !errors.As(err, &tooNew) {
		t.Fatalf("Ready: %v, want a *SchemaTooNewError", err)
	}
	if _, _, err := db.EnsureSession(ctx, "alice", "s1", json.RawMessage(`{}`)); !errors.As(err, &tooNew) || !strings.Contains(err.Error(), "newer toolmux") {
		t.Fatalf("query: %v, want the SchemaTooNewError", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOpenDamagedFile: a state file that is not a SQLite database is refused with the fix, and left as it was.
func TestOpenDamagedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	junk := bytes.Repeat([]byte("not a database "), 1000)
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), path)
	if err == nil {
		t.Fatal("opened a file of junk")
	}
	for _, want := range []string{path, "not a toolmux state database or is damaged", "move it aside", "--state-dir"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, junk) {
		t.Error("the damaged file was changed")
	}
}
