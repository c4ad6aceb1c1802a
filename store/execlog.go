package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// The execution log is written off the calls' critical path: LogExecution queues a row and returns, and one
// background goroutine per DB writes the queued rows in batches, one transaction each (a commit costs several
// times one row's insert). The goroutine waits execLinger after the first row so that the rows of calls made close
// together share a transaction, and runs only while rows are queued, so an idle DB has none. Nothing is dropped:
// when the queue is full, or the DB is closing, the caller writes its row itself; a batch whose transaction fails
// is retried row by row, and a row that still fails is reported to its onError. ListExecutions, FlushExecutions and
// Close write the queued rows at once and wait for them, so a reader in the same process always sees every call
// logged before it read; another process sees a row at most execLinger plus one write after the call.

// execQueueMax bounds the rows waiting to be written; beyond it callers write synchronously.
const execQueueMax = 1024

// execBatchMax bounds the rows of one transaction, so a long queue never holds the write lock for long.
const execBatchMax = 256

// execLinger is how long the writer waits for more rows before it writes the first one.
const execLinger = 2 * time.Millisecond

// execLog is a DB's background writer of the execution log. Its zero value is ready to use.
type execLog struct {
	mu      sync.Mutex
	queue   []queuedExecution
	writing bool          // a goroutine is draining the queue
	idle    chan struct{} // closed when the draining goroutine has emptied the queue and stopped
	kick    chan struct{} // closed to end the draining goroutine's wait for more rows
	kicked  bool
	closed  bool          // the DB is closing: rows are written synchronously
	stmt    *sql.Stmt     // the prepared insert, kept across batches
	linger  time.Duration // replaces execLinger when set (tests hold the writer with it)
	// syncWrites counts rows written by their caller because the queue was full or the DB closing (tests read it).
	syncWrites int
}

type queuedExecution struct {
	e       Execution
	onError func(error)
}

// LogExecution appends e to the execution log like RecordExecution, without waiting for the write when it can: the
// row is queued and written in the background with others, in one transaction. It returns an error at once for a
// row RecordExecution would refuse (no tool slug, a bad status, invalid arguments JSON). A queued row whose write
// fails is reported to onError, which must not block for long; when the queue is full or the DB is closing, the row
// is written before LogExecution returns and a failure is returned instead. e.Arguments must not be modified after
// the call.
func (db *DB) LogExecution(ctx context.Context, e Execution, onError func(error)) error {
	if err := db.checkExecution(&e); err != nil {
		return err
	}
	l := &db.execLog
	l.mu.Lock()
	if l.closed || len(l.queue) >= execQueueMax {
		l.syncWrites++
		l.mu.Unlock()
		_, err := db.insertExecution(ctx, db.execInsert, e)
		return err
	}
	l.queue = append(l.queue, queuedExecution{e, onError})
	if !l.writing {
		l.writing, l.kicked = true, false
		l.idle, l.kick = make(chan struct{}), make(chan struct{})
		linger := execLinger
		if l.linger > 0 {
			linger = l.linger
		}
		go db.drainExecutions(linger, l.idle, l.kick)
	}
	l.mu.Unlock()
	return nil
}

// kickLocked ends the writer's wait for more rows; l.mu is held.
func (l *execLog) kickLocked() {
	if l.writing && !l.kicked {
		l.kicked = true
		close(l.kick)
	}
}

// FlushExecutions writes every row queued by LogExecution before the call and waits until they are written (or
// reported failed).
func (db *DB) FlushExecutions(ctx context.Context) error {
	l := &db.execLog
	l.mu.Lock()
	writing, idle := l.writing, l.idle
	l.kickLocked()
	l.mu.Unlock()
	if !writing {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the execution log to be written: %w", ctx.Err())
	}
}

// closeExecutionLog makes later rows synchronous, writes the queued ones and closes the prepared insert; Close
// calls it.
func (db *DB) closeExecutionLog() {
	l := &db.execLog
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	_ = db.FlushExecutions(context.Background())
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stmt != nil {
		l.stmt.Close()
		l.stmt = nil
	}
}

// drainExecutions waits up to linger for more rows (or a kick), then writes queued rows until the queue is
// empty, closes idle and returns.
func (db *DB) drainExecutions(linger time.Duration, idle, kick chan struct{}) {
	wait := time.NewTimer(linger)
	select {
	case <-wait.C:
	case <-kick:
		wait.Stop()
	}
	l := &db.execLog
	for {
		l.mu.Lock()
		if len(l.queue) == 0 {
			l.writing = false
			close(idle)
			l.mu.Unlock()
			return
		}
		batch := l.queue
		if len(batch) > execBatchMax {
			batch, l.queue = batch[:execBatchMax], batch[execBatchMax:]
		} else {
			l.queue = nil
		}
		stmt := l.stmt
		l.mu.Unlock()
		if stmt == nil {
			if s, err := db.sql.PrepareContext(context.Background(), insertExecutionSQL); err == nil {
				stmt = s
				l.mu.Lock()
				l.stmt = s
				l.mu.Unlock()
			}
		}
		db.writeExecutions(stmt, batch)
	}
}

// writeExecutions inserts batch in one transaction with stmt (nil: prepared for this batch). A row SQLite refuses
// is reported and the others are kept; when the transaction itself fails, every row is retried on its own.
func (db *DB) writeExecutions(stmt *sql.Stmt, batch []queuedExecution) {
	ctx := context.Background()
	refused := make([]error, len(batch))
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var txStmt *sql.Stmt
		if stmt != nil {
			txStmt = tx.StmtContext(ctx, stmt)
		} else {
			var err error
			if txStmt, err = tx.PrepareContext(ctx, insertExecutionSQL); err != nil {
				return fmt.Errorf("prepare: %w", err)
			}
		}
		defer txStmt.Close()
		for i, q := range batch {
			_, refused[i] = db.insertExecution(ctx, txStmt.ExecContext, q.e)
		}
		return nil
	})
	if err != nil {
		for i, q := range batch {
			_, refused[i] = db.insertExecution(ctx, db.execInsert, q.e)
		}
	}
	for i, q := range batch {
		if refused[i] != nil && q.onError != nil {
			q.onError(refused[i])
		}
	}
}
