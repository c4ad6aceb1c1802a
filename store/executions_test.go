package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var sortStrings = cmpopts.SortSlices(func(a, b string) bool { return a < b })

func TestRecordExecutionRoundTrip(t *testing.T) {
	db, _ := openTest(t)
	ctx := t.Context()
	if _, _, err := db.EnsureSession(ctx, "alice", "s1", nil); err != nil {
		t.Fatal(err)
	}
	in := []Execution{
		{
			SessionID: "s1", UserID: "alice", ToolSlug: "GITHUB_ISSUES_CREATE", Toolkit: "github", Account: "ca_work",
			StartedAt: epoch.Add(1500 * time.Microsecond), Duration: 1234567 * time.Microsecond, Status: StatusOK,
			Arguments: json.RawMessage(`{"owner":"o","repo":"r","title":"[REDACTED]"}`), ResponseBytes: 2048,
		},
		{
			UserID: "alice", ToolSlug: "SLACK_CHAT_POST_MESSAGE", Toolkit: "slack",
			StartedAt: epoch.Add(time.Second).In(time.FixedZone("CET", 3600)), Duration: 0, Status: StatusError,
			Error: "401 Unauthorized: reconnect with `toolmux connect slack`",
		},
	}
	var ids []int64
	for _, e := range in {
		id, err := db.RecordExecution(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if ids[0] <= 0 || ids[1] <= ids[0] {
		t.Errorf("ids = %v, want increasing positive ids", ids)
	}

	got, err := db.ListExecutions(ctx, ExecutionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// Newest first; times in UTC at millisecond precision; durations in milliseconds.
	want := []Execution{in[1], in[0]}
	want[0].ID, want[1].ID = ids[1], ids[0]
	want[0].StartedAt = epoch.Add(time.Second)
	want[1].StartedAt = epoch.Add(time.Millisecond)
	want[1].Duration = 1234 * time.Millisecond
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("executions (-want +got):\n%s", diff)
	}
	if got[0].StartedAt.Location() != time.UTC {
		t.Errorf("StartedAt location = %v, want UTC", got[0].StartedAt.Location())
	}
}

func TestRecordExecutionDefaultsStartToNow(t *testing.T) {
	db, _ := openTest(t)
	if _, err := db.RecordExecution(t.Context(), Execution{UserID: "u", ToolSlug: "A_B", Status: StatusOK}); err != nil {
		t.Fatal(err)
	}
	got, err := db.ListExecutions(t.Context(), ExecutionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].StartedAt.Equal(epoch) {
		t.Errorf("executions = %+v, want one started at %v", got, epoch)
	}
}

func TestRecordExecutionRejects(t *testing.T) {
	db, _ := openTest(t)
	ctx := t.Context()
	if _, _, err := db.EnsureSession(ctx, "alice", "s", nil); err != nil {
		t.Fatal(err)
	}
	valid := Execution{UserID: "alice", SessionID: "s", ToolSlug: "A_B", Status: StatusOK}
	tests := []struct {
		name     string
		edit     func(e *Execution)
		wantErr  string
		notFound bool
	}{
		{name: "empty slug", edit: func(e *Execution) { e.ToolSlug = "" }, wantErr: "tool slug is empty"},
		{name: "unknown status", edit: func(e *Execution) { e.Status = "done" }, wantErr: `status "done"`},
		{name: "bad arguments", edit: func(e *Execution) { e.Arguments = json.RawMessage(`{`) }, wantErr: "not valid JSON"},
		{name: "unknown session", edit: func(e *Execution) { e.SessionID = "nope" }, notFound: true},
		{name: "session of another user", edit: func(e *Execution) { e.UserID = "bob" }, notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := valid
			tt.edit(&e)
			_, err := db.RecordExecution(ctx, e)
			if err == nil {
				t.Fatal("RecordExecution succeeded, want an error")
			}
			if tt.notFound && !errors.Is(err, ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
			if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	if got, err := db.ListExecutions(ctx, ExecutionFilter{}); err != nil || len(got) != 0 {
		t.Errorf("after rejected calls ListExecutions = %v, %v; want none", got, err)
	}
}

func TestListExecutionsFilter(t *testing.T) {
	db, _ := openTest(t)
	ctx := t.Context()
	for _, k := range [][2]string{{"alice", "s1"}, {"alice", "s2"}, {"bob", "s1"}} {
		if _, _, err := db.EnsureSession(ctx, k[0], k[1], nil); err != nil {
			t.Fatal(err)
		}
	}
	// name is user/session/tool/minute; recorded out of time order to check the sort.
	recs := []string{"alice/s1/A/3", "alice/s1/B/1", "alice/s2/A/2", "bob/s1/A/5", "alice//A/4", "bob/s1/B/0"}
	for _, r := range recs {
		p := strings.Split(r, "/")
		minute := time.Duration(p[3][0]-'0') * time.Minute
		e := Execution{UserID: p[0], SessionID: p[1], ToolSlug: p[2], StartedAt: epoch.Add(minute), Status: StatusOK}
		if _, err := db.RecordExecution(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		f    ExecutionFilter
		want []string
	}{
		{name: "all", f: ExecutionFilter{}, want: []string{"bob/s1/A/5", "alice//A/4", "alice/s1/A/3", "alice/s2/A/2", "alice/s1/B/1", "bob/s1/B/0"}},
		{name: "limit", f: ExecutionFilter{Limit: 2}, want: []string{"bob/s1/A/5", "alice//A/4"}},
		{name: "user", f: ExecutionFilter{UserID: "alice"}, want: []string{"alice//A/4", "alice/s1/A/3", "alice/s2/A/2", "alice/s1/B/1"}},
		{name: "user and session", f: ExecutionFilter{UserID: "alice", SessionID: "s1"}, want: []string{"alice/s1/A/3", "alice/s1/B/1"}},
		{name: "session of any user", f: ExecutionFilter{SessionID: "s1"}, want: []string{"bob/s1/A/5", "alice/s1/A/3", "alice/s1/B/1", "bob/s1/B/0"}},
		{name: "tool", f: ExecutionFilter{ToolSlug: "B"}, want: []string{"alice/s1/B/1", "bob/s1/B/0"}},
		{name: "all three with limit", f: ExecutionFilter{UserID: "bob", SessionID: "s1", ToolSlug: "A", Limit: 10}, want: []string{"bob/s1/A/5"}},
		{name: "no match", f: ExecutionFilter{ToolSlug: "C"}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			execs, err := db.ListExecutions(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range execs {
				got = append(got, e.UserID+"/"+e.SessionID+"/"+e.ToolSlug+"/"+string(rune('0'+int(e.StartedAt.Sub(epoch)/time.Minute))))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("executions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPruneExecutions(t *testing.T) {
	db, _ := openTest(t)
	ctx := t.Context()
	// More than one batch of old rows, to exercise the batching.
	old := pruneBatch + 7
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range old + 3 {
		started := epoch.Add(-time.Hour).Add(time.Duration(i) * time.Millisecond)
		if i >= old {
			started = epoch.Add(time.Duration(i) * time.Millisecond)
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO executions (user_id, tool_slug, started_at, status) VALUES ('u', 'A_B', ?, 'ok')`, millis(started)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	n, err := db.PruneExecutions(ctx, epoch)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(old) {
		t.Errorf("PruneExecutions deleted %d, want %d", n, old)
	}
	left, err := db.ListExecutions(ctx, ExecutionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 3 {
		t.Fatalf("%d executions left, want 3", len(left))
	}
	for _, e := range left {
		if e.StartedAt.Before(epoch) {
			t.Errorf("execution started %v survived pruning before %v", e.StartedAt, epoch)
		}
	}
	if n, err := db.PruneExecutions(ctx, epoch); err != nil || n != 0 {
		t.Errorf("second PruneExecutions = %d, %v; want 0, nil", n, err)
	}
}

// TestListExecutionsNeedsNoSort checks that an index yields every filter combination newest first, so `logs -n 20`
// on a long log reads 20 rows instead of sorting all of them.
func TestListExecutionsNeedsNoSort(t *testing.T) {
	db, _ := openTest(t)
	for mask := range 8 {
		f := ExecutionFilter{Limit: 20}
		if mask&1 != 0 {
			f.UserID = "u"
		}
		if mask&2 != 0 {
			f.SessionID = "s"
		}
		if mask&4 != 0 {
			f.ToolSlug = "T"
		}
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			q, args := executionQuery(f)
			rows, err := db.sql.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(plan, "; ")
			if strings.Contains(joined, "TEMP B-TREE") || !strings.Contains(joined, "INDEX") {
				t.Errorf("plan %q sorts or uses no index", joined)
			}
		})
	}
}
