package store

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// holdWriter makes db's background writer wait for a kick (Flush, Close, ListExecutions) instead of execLinger, so
// a test controls when queued rows are written.
func holdWriter(db *DB) { db.execLog.linger = time.Hour }

// reopen opens a second handle on db's file: it shares no queue with db, so it sees only rows really written.
func reopen(t *testing.T, db *DB) *DB {
	t.Helper()
	other, err := Open(t.Context(), db.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

func syncWrites(db *DB) int {
	db.execLog.mu.Lock()
	defer db.execLog.mu.Unlock()
	return db.execLog.syncWrites
}

func countExecutions(t *testing.T, db *DB, f ExecutionFilter) int {
	t.Helper()
	execs, err := db.ListExecutions(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	return len(execs)
}

func TestLogExecutionRefusesBadRowsAtOnce(t *testing.T) {
	db, _ := openTest(t)
	for _, tt := range []struct {
		name string
		e    Execution
	}{
		{"no tool slug", Execution{UserID: "u", Status: StatusOK}},
		{"bad status", Execution{UserID: "u", ToolSlug: "T", Status: "maybe"}},
		{"invalid arguments", Execution{UserID: "u", ToolSlug: "T", Status: StatusOK, Arguments: json.RawMessage(`{"a":`)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := db.LogExecution(t.Context(), tt.e, func(err error) { t.Errorf("onError(%v) for a refused row", err) }); err == nil {
				t.Error("LogExecution accepted the row")
			}
		})
	}
	if n := countExecutions(t, db, ExecutionFilter{}); n != 0 {
		t.Errorf("%d rows logged, want none", n)
	}
}

// TestLogExecutionBatchesInOrder: queued rows are written together when flushed, in the order they were queued,
// and a row SQLite refuses (its session does not exist) is reported without losing the others of its batch.
func TestLogExecutionBatchesInOrder(t *testing.T) {
	db, _ := openTest(t)
	holdWriter(db)
	ctx := t.Context()
	if _, _, err := db.EnsureSession(ctx, "alice", "s1", nil); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var failures []error
	onError := func(err error) { mu.Lock(); failures = append(failures, err); mu.Unlock() }
	slugs := []string{"A", "B", "GONE", "C"}
	for i, slug := range slugs {
		e := Execution{SessionID: "s1", UserID: "alice", ToolSlug: slug, Status: StatusOK, StartedAt: epoch.Add(time.Duration(i) * time.Second)}
		if slug == "GONE" {
			e.SessionID = "no-such-session"
		}
		if err := db.LogExecution(ctx, e, onError); err != nil {
			t.Fatal(err)
		}
	}
	other := reopen(t, db)
	if n := countExecutions(t, other, ExecutionFilter{}); n != 0 {
		t.Fatalf("another handle sees %d rows before the flush, want 0 (the writer is held)", n)
	}
	if err := db.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := other.ListExecutions(ctx, ExecutionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for i := len(got) - 1; i >= 0; i-- {
		order = append(order, got[i].ToolSlug)
		if i > 0 && got[i-1].ID <= got[i].ID {
			t.Errorf("ids %d then %d: rows not written in the order queued", got[i].ID, got[i-1].ID)
		}
	}
	if diff := cmp.Diff([]string{"A", "B", "C"}, order); diff != "" {
		t.Errorf("rows written (-want +got):\n%s", diff)
	}
	if len(failures) != 1 || !errors.Is(failures[0], ErrNotFound) {
		t.Errorf("failures reported = %v, want the one row of the missing session (ErrNotFound)", failures)
	}
	if n := syncWrites(db); n != 0 {
		t.Errorf("%d rows written synchronously, want 0", n)
	}
}

// TestLogExecutionOverflowWritesSynchronously: with the writer held and the queue full, the next rows are written
// by their callers before LogExecution returns; nothing is dropped.
func TestLogExecutionOverflowWritesSynchronously(t *testing.T) {
	db, _ := openTest(t)
	holdWriter(db)
	ctx := t.Context()
	const extra = 7
	for i := range execQueueMax + extra {
		if err := db.LogExecution(ctx, Execution{UserID: "u", ToolSlug: "T", Status: StatusOK, ResponseBytes: i}, func(err error) { t.Error(err) }); err != nil {
			t.Fatal(err)
		}
	}
	if n := syncWrites(db); n != extra {
		t.Errorf("%d rows written synchronously, want the %d beyond the queue", n, extra)
	}
	other := reopen(t, db)
	if n := countExecutions(t, other, ExecutionFilter{}); n != extra {
		t.Errorf("before the flush another handle sees %d rows, want the %d written synchronously", n, extra)
	}
	if n := countExecutions(t, db, ExecutionFilter{}); n != execQueueMax+extra {
		t.Errorf("after the flush (ListExecutions) %d rows, want %d", n, execQueueMax+extra)
	}
}

// TestCloseWritesQueuedExecutions: Close writes what is still queued, and a row logged after Close is written
// synchronously (and fails, the DB being closed) instead of being queued and lost.
func TestCloseWritesQueuedExecutions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	holdWriter(db)
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := db.LogExecution(t.Context(), Execution{UserID: "u", ToolSlug: "T", Status: StatusOK, ResponseBytes: i}, func(err error) { t.Error(err) }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.LogExecution(t.Context(), Execution{UserID: "u", ToolSlug: "T", Status: StatusOK}, func(err error) { t.Errorf("queued after Close: %v", err) }); err == nil {
		t.Error("LogExecution after Close returned no error")
	}
	again, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if n := countExecutions(t, again, ExecutionFilter{}); n != 100 {
		t.Errorf("after Close the log has %d rows, want 100", n)
	}
}

// BenchmarkLogExecution queues rows from one goroutine, waiting for the writer every 200 rows so the queue never
// overflows: the per-row cost of the background writer's batched transactions, to compare with
// BenchmarkRecordExecution/serial.
func BenchmarkLogExecution(b *testing.B) {
	db, err := Open(b.Context(), filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, _, err := db.EnsureSession(b.Context(), "u", "default", nil); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		if err := db.LogExecution(b.Context(), benchExecution(i), func(err error) { b.Error(err) }); err != nil {
			b.Fatal(err)
		}
		if i++; i%200 == 0 {
			if err := db.FlushExecutions(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := db.FlushExecutions(b.Context()); err != nil {
		b.Fatal(err)
	}
}
