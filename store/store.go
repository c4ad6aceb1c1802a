// Package store keeps toolmux's local state in one SQLite file (modernc.org/sqlite, pure Go): sessions, the
// execution log, session memory, the compiled-catalog cache and imported toolkits.
//
// It is the lowest package of toolmux and imports nothing from it; packages above hand it plain values. Queries for
// a new domain (the auth tables, for one) go in a file of their own here, next to a new migration.
//
// Several toolmux processes (two MCP clients at once, a CLI command next to a server) share one file. Every pooled
// connection runs with journal_mode=WAL, busy_timeout=10000, foreign_keys=ON and synchronous=NORMAL, and every
// transaction starts with BEGIN IMMEDIATE, so a writer takes the write lock up front and waits for it under the
// busy timeout instead of failing with "database is locked" when its read snapshot went stale. Writes are single
// statements or short transactions; pruning deletes in batches.
//
// Schema changes are embedded, numbered migrations (migrations/NNNN_name.sql, numbered from 0001 without gaps)
// tracked by PRAGMA user_version: the schema version is the number of migrations. Open applies the missing ones in
// one transaction and refuses a file whose schema is newer than the binary (SchemaTooNewError). A migration runs
// inside that transaction with foreign keys on, so a table rebuild must use PRAGMA defer_foreign_keys and SQLite's
// documented rebuild procedure. Released migrations are never edited.
//
// Times are stored as unix milliseconds and returned in UTC with millisecond precision. Rows that name a session
// (executions, memory) are deleted with it. The catalog cache is pruned by age of last use (PruneCatalogCache).
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is returned (wrapped) when a looked-up or deleted row does not exist, and when a row refers to a
// session that does not exist.
var ErrNotFound = errors.New("not found")

// SchemaTooNewError is returned by Open when the file was migrated by a newer toolmux than this binary.
type SchemaTooNewError struct {
	Path  string // the database file
	Found int    // the file's schema version (PRAGMA user_version)
	Known int    // the newest schema version this binary knows
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("%s was written by a newer toolmux (schema %d, this binary knows %d); upgrade toolmux or use another --state-dir",
		e.Path, e.Found, e.Known)
}

// DB is an open state database. It is safe for concurrent use by several goroutines and, through SQLite's locking,
// by several processes.
type DB struct {
	sql  *sql.DB
	path string
	// now is the clock; tests replace it.
	now func() time.Time
	// execLog writes LogExecution's rows in the background (execlog.go).
	execLog execLog
	// ready is closed once the schema is up to date, or failed to be with readyErr (OpenInBackground).
	ready    chan struct{}
	readyErr error
}

// busyTimeout is how long a statement waits for another connection's lock before it fails.
const busyTimeout = 10 * time.Second

// Open opens the state database at path, creating the parent directory (0700) and the file (0600) when missing, and
// brings its schema up to date. An existing file readable by others is narrowed to 0600.
func Open(ctx context.Context, path string) (*DB, error) {
	db, err := OpenInBackground(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := db.Ready(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenInBackground is Open, except that the schema is brought up to date in the background: it returns once the
// file exists, and every query waits for the migration and fails with its error, if any (Ready reports it). The
// stdio server opens its state this way, so that the MCP handshake never waits for the disk: a new state file takes
// about 5 ms to create and migrate, an existing one about 1 ms to open.
func OpenInBackground(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: create state directory: %w", abs, err)
	}
	if err := createFile(abs); err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	db := &DB{path: abs, now: time.Now, ready: make(chan struct{})}
	db.sql = sql.OpenDB(connector{dsn: dsn(abs), migrated: db})
	go func() {
		defer close(db.ready)
		db.readyErr = migrateFile(ctx, abs)
	}()
	return db, nil
}

// Ready waits until the schema is up to date and returns the error that stopped it, if any.
func (db *DB) Ready(ctx context.Context) error {
	select {
	case <-db.ready:
		return db.readyErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// migrateFile brings the schema of the file at abs up to date over a pool of its own, closed after.
func migrateFile(ctx context.Context, abs string) error {
	m := &DB{sql: sql.OpenDB(connector{dsn: dsn(abs)}), path: abs, now: time.Now}
	defer m.sql.Close()
	if err := m.migrateRetrying(ctx); err != nil {
		var tooNew *SchemaTooNewError
		if errors.As(err, &tooNew) {
			return err
		}
		if isDamaged(err) {
			return fmt.Errorf("open store %s: %w; the file is not a toolmux state database or is damaged: move it aside to "+
				"start a new one (its sessions, execution log and connected accounts are lost; reconnect with `toolmux connect`), "+
				"or pass --state-dir to use another directory", abs, err)
		}
		return fmt.Errorf("open store %s: %w", abs, err)
	}
	return nil
}

// connector opens SQLite connections to dsn; with migrated set, only once that database's schema is up to date.
type connector struct {
	dsn      string
	migrated *DB
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	if c.migrated != nil {
		if err := c.migrated.Ready(ctx); err != nil {
			return nil, err
		}
	}
	return c.Driver().Open(c.dsn)
}

func (c connector) Driver() driver.Driver { return &sqlite.Driver{} }

// migrateRetrying runs migrate, retrying while SQLite reports the database busy. While a new file is still in
// rollback-journal mode, two processes converting it to WAL at once can deadlock on their locks, and SQLite then
// fails one of them at once instead of calling the busy handler; retrying resolves that, and once the file is in WAL
// mode (the first conversion is permanent) the retry never triggers.
func (db *DB) migrateRetrying(ctx context.Context) error {
	deadline := time.Now().Add(busyTimeout)
	wait := 2 * time.Millisecond
	for {
		err := db.migrate(ctx)
		if !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait + time.Duration(rand.Int64N(int64(wait)))):
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// createFile makes sure path exists with mode 0600, so SQLite (which gives its -wal and -shm files the database
// file's mode) never creates anything more open.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat database file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("restrict database file to its owner (chmod 600 %s): %w", path, err)
		}
	}
	return nil
}

// dsn builds the driver's data source name for an absolute path. The pragmas are DSN parameters so that every
// connection the pool opens gets them, busy_timeout first; _txlock makes BeginTx issue BEGIN IMMEDIATE.
func dsn(abs string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path: file:///C:/...
	}
	// The URI form escapes '?', '#' and '%' in file names; SQLite decodes them. url.URL renders "file:///abs".
	u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
	return u.String()
}

// Close writes the execution rows still queued, then closes the database. The last connection to close
// checkpoints the WAL.
func (db *DB) Close() error {
	<-db.ready             // a migration in progress ends first
	db.closeExecutionLog() // queued execution rows are written first
	if err := db.sql.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", db.path, err)
	}
	return nil
}

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// inTx runs fn in a BEGIN IMMEDIATE transaction and commits when fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// millis converts a time to the stored form; the zero time is stored as 0.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMillis converts a stored time back; 0 is the zero time.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// isForeignKeyError reports whether err is SQLite refusing a row whose parent row does not exist.
func isForeignKeyError(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// isBusy reports whether err is SQLite's SQLITE_BUSY, with any extended code.
// isDamaged reports SQLite's "not a database" and "database disk image is malformed".
func isDamaged(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code() & 0xff
	return code == sqlite3.SQLITE_NOTADB || code == sqlite3.SQLITE_CORRUPT
}

func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// nullString stores "" as NULL.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// nullJSON stores an empty message as NULL.
func nullJSON(m []byte) sql.NullString { return sql.NullString{String: string(m), Valid: len(m) > 0} }

// rawJSON returns a stored JSON column, nil for NULL.
func rawJSON(s sql.NullString) []byte {
	if !s.Valid {
		return nil
	}
	return []byte(s.String)
}
