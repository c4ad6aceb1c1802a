package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The multi-process test re-executes the test binary; TestMain sends a process with workerEnv set to runWorker.
const (
	workerEnv       = "TOOLMUX_STORE_TEST_WORKER" // the worker's index
	workerDBEnv     = "TOOLMUX_STORE_TEST_DB"     // the state file
	workerRoundsEnv = "TOOLMUX_STORE_TEST_ROUNDS"
)

const mpUser = "u"

// TestMultiProcess has several OS processes open one state file that does not exist yet (so they race to create
// and migrate it) and write to it at the same time from two goroutines each, then checks that every row arrived
// and that no process saw "database is locked".
func TestMultiProcess(t *testing.T) {
	const procs, rounds = 4, 200
	dir := t.TempDir()
	path := filepath.Join(dir, "state", "state.db")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	type worker struct {
		cmd    *exec.Cmd
		stderr bytes.Buffer
	}
	workers := make([]*worker, procs)
	for i := range workers {
		w := &worker{cmd: exec.CommandContext(ctx, os.Args[0], "-test.run=^$")}
		w.cmd.Env = append(os.Environ(),
			workerEnv+"="+strconv.Itoa(i), workerDBEnv+"="+path, workerRoundsEnv+"="+strconv.Itoa(rounds),
			"TOOLMUX_STORE_TEST_BARRIER="+filepath.Join(dir, "go"))
		w.cmd.Stderr = &w.stderr
		w.cmd.Stdout = &w.stderr
		if err := w.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		workers[i] = w
	}
	// Release the workers together once every process is up, so their Opens and writes overlap.
	for i := range procs {
		waitForFile(t, ctx, filepath.Join(dir, "ready-"+strconv.Itoa(i)))
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, w := range workers {
		err := w.cmd.Wait()
		out := w.stderr.String()
		if err != nil {
			t.Errorf("worker %d: %v\n%s", i, err, out)
		}
		for _, bad := range []string{"database is locked", "SQLITE_BUSY"} {
			if strings.Contains(out, bad) {
				t.Errorf("worker %d reported %q:\n%s", i, bad, out)
			}
		}
	}
	if t.Failed() {
		return
	}

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := pragmaInt(t, db, "user_version"); got != SchemaVersion() {
		t.Errorf("user_version = %d, want %d", got, SchemaVersion())
	}
	var check string
	if err := db.sql.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v; want ok", check, err)
	}

	sessions, err := db.ListSessions(ctx, mpUser)
	if err != nil {
		t.Fatal(err)
	}
	var gotSessions []string
	wantSessions := []string{"shared"}
	for _, s := range sessions {
		gotSessions = append(gotSessions, s.ID)
	}
	wantShared := map[string][]string{"common": {"same for everyone"}}
	var facts []string
	for r := range rounds {
		facts = append(facts, "fact "+strconv.Itoa(r))
	}
	for i := range procs {
		wantSessions = append(wantSessions, workerSession(i))
		wantShared[workerSession(i)] = facts

		execs, err := db.ListExecutions(ctx, ExecutionFilter{UserID: mpUser, ToolSlug: workerTool(i)})
		if err != nil {
			t.Fatal(err)
		}
		var withSession, without int
		seen := map[string]bool{}
		for _, e := range execs {
			switch e.SessionID {
			case "shared":
				withSession++
				seen[string(e.Arguments)] = true
			case "":
				without++
			}
		}
		if withSession != rounds || without != rounds || len(seen) != rounds {
			t.Errorf("worker %d: %d executions in the shared session (%d distinct), %d without a session; want %d each",
				i, withSession, len(seen), without, rounds)
		}
		mem, err := db.Memory(ctx, mpUser, workerSession(i))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string][]string{"k": facts}, mem); diff != "" {
			t.Errorf("memory of %s (-want +got):\n%s", workerSession(i), diff)
		}
	}
	if diff := cmp.Diff(wantSessions, gotSessions, sortStrings); diff != "" {
		t.Errorf("sessions (-want +got):\n%s", diff)
	}
	mem, err := db.Memory(ctx, mpUser, "shared")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantShared, mem); diff != "" {
		t.Errorf("memory of the shared session (-want +got):\n%s", diff)
	}
	all, err := db.ListExecutions(ctx, ExecutionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2*procs*rounds {
		t.Errorf("%d executions in total, want %d", len(all), 2*procs*rounds)
	}
}

func workerSession(i int) string { return "w" + strconv.Itoa(i) }
func workerTool(i int) string    { return "TEST_WORKER_" + strconv.Itoa(i) }

func waitForFile(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", path, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// runWorker is the body of a worker process; it returns the exit code.
func runWorker() int {
	if err := work(); err != nil {
		fmt.Fprintf(os.Stderr, "worker %s: %v\n", os.Getenv(workerEnv), err)
		return 1
	}
	return 0
}

func work() error {
	i, err := strconv.Atoi(os.Getenv(workerEnv))
	if err != nil {
		return err
	}
	rounds, err := strconv.Atoi(os.Getenv(workerRoundsEnv))
	if err != nil {
		return err
	}
	path, barrier := os.Getenv(workerDBEnv), os.Getenv("TOOLMUX_STORE_TEST_BARRIER")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	if err := os.WriteFile(filepath.Join(filepath.Dir(barrier), "ready-"+strconv.Itoa(i)), nil, 0o600); err != nil {
		return err
	}
	for {
		if _, err := os.Stat(barrier); err == nil {
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("waiting for the start signal: %w", ctx.Err())
		}
		time.Sleep(time.Millisecond)
	}

	db, err := Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()

	// A reader goroutine runs alongside the writer, as a session's search runs alongside its executions.
	done := make(chan struct{})
	var wg sync.WaitGroup
	var readErr error
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := db.ListExecutions(ctx, ExecutionFilter{UserID: mpUser, SessionID: "shared", Limit: 5}); err != nil {
				readErr = err
				return
			}
			if _, err := db.Memory(ctx, mpUser, "shared"); err != nil {
				readErr = err
				return
			}
			if _, err := db.CachedCatalog(ctx, "catalog"); err != nil && !errors.Is(err, ErrNotFound) {
				readErr = err
				return
			}
		}
	})
	writeErr := writeRounds(ctx, db, i, rounds)
	close(done)
	wg.Wait()
	return errors.Join(writeErr, readErr)
}

func writeRounds(ctx context.Context, db *DB, i, rounds int) error {
	own := workerSession(i)
	for r := range rounds {
		config, _ := json.Marshal(map[string]int{"worker": i, "round": r})
		if _, _, err := db.EnsureSession(ctx, mpUser, "shared", config); err != nil {
			return err
		}
		if _, _, err := db.EnsureSession(ctx, mpUser, own, nil); err != nil {
			return err
		}
		args, _ := json.Marshal(map[string]int{"round": r})
		for _, session := range []string{"shared", ""} {
			e := Execution{SessionID: session, UserID: mpUser, ToolSlug: workerTool(i), Toolkit: "test", Status: StatusOK,
				Duration: time.Duration(r) * time.Millisecond, Arguments: args, ResponseBytes: r}
			if _, err := db.RecordExecution(ctx, e); err != nil {
				return err
			}
		}
		fact := "fact " + strconv.Itoa(r)
		if err := db.AddMemory(ctx, mpUser, "shared", map[string][]string{own: {fact}, "common": {"same for everyone"}}); err != nil {
			return err
		}
		if err := db.AddMemory(ctx, mpUser, own, map[string][]string{"k": {fact}}); err != nil {
			return err
		}
		if r%50 == 0 {
			if err := db.PutCachedCatalog(ctx, "catalog", bytes.Repeat([]byte{byte(i)}, 64<<10)); err != nil {
				return err
			}
		}
	}
	return nil
}
