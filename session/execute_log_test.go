package session

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

// TestExecutionLogCompleteAfterClose runs 1,000 calls at once (20 concurrent multi-executes of 50) and checks that
// each is in the execution log once the session is closed, as another process reading the file would see it: the
// log is written in the background, and Close must wait for it.
func TestExecutionLogCompleteAfterClose(t *testing.T) {
	f := newFixture(t, "")
	s := f.open(t, "many", tools.Filter{})
	ctx := context.Background()
	const batches, perBatch = 20, MaxCalls
	var wg sync.WaitGroup
	for b := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			calls := make([]ExecCall, perBatch)
			for i := range calls {
				calls[i] = ExecCall{ToolSlug: "PETSTORE_GETPET", Arguments: map[string]any{"petId": fmt.Sprintf("%d-%d", b, i)}}
			}
			out, err := s.Execute(ctx, ExecRequest{Calls: calls}, nil)
			if err != nil {
				t.Error(err)
				return
			}
			if out.ErrorCount != 0 {
				t.Errorf("batch %d: %d calls failed, first: %s", b, out.ErrorCount, firstError(out))
			}
		}()
	}
	wg.Wait()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// A second handle shares no queue with f.db: it sees only rows already written.
	other, err := store.Open(ctx, f.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	execs, err := other.ListExecutions(ctx, store.ExecutionFilter{UserID: "alice", SessionID: "many"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range execs {
		if e.Status != store.StatusOK || e.ToolSlug != "PETSTORE_GETPET" {
			t.Errorf("logged %s with status %s (%s)", e.ToolSlug, e.Status, e.Error)
		}
		seen[string(e.Arguments)] = true
	}
	if len(execs) != batches*perBatch || len(seen) != batches*perBatch {
		t.Errorf("the log has %d rows (%d distinct arguments) after Close, want %d", len(execs), len(seen), batches*perBatch)
	}
}

// TestExecutionLogReadableAtOnce: in the same process the log shows a call as soon as Execute returns, without
// closing the session.
func TestExecutionLogReadableAtOnce(t *testing.T) {
	f := newFixture(t, "")
	s := f.open(t, "now", tools.Filter{})
	defer s.Close(context.Background())
	ctx := context.Background()
	for i := range 3 {
		if _, err := s.Execute(ctx, ExecRequest{Calls: []ExecCall{{ToolSlug: "PETSTORE_GETPET", Arguments: map[string]any{"petId": "7"}}}}, nil); err != nil {
			t.Fatal(err)
		}
		execs, err := f.db.ListExecutions(ctx, store.ExecutionFilter{UserID: "alice", SessionID: "now"})
		if err != nil {
			t.Fatal(err)
		}
		if len(execs) != i+1 || string(execs[0].Arguments) != `{"petId":"7"}` {
			t.Fatalf("after call %d the log has %d rows (newest %s), want %d", i+1, len(execs), execs[0].Arguments, i+1)
		}
	}
}

func firstError(out *ExecOutput) string {
	for _, r := range out.Results {
		if !r.Response.Successful {
			return r.Response.errorText()
		}
	}
	return ""
}
