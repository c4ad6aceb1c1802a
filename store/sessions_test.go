package store

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEnsureSession(t *testing.T) {
	db, clk := openTest(t)
	ctx := t.Context()

	type step struct {
		name        string
		user, id    string
		config      json.RawMessage
		wantCreated bool
		want        Session
	}
	created := epoch
	later := epoch.Add(time.Minute)
	steps := []step{
		{
			name: "create", user: "alice", id: "default", config: json.RawMessage(`{"toolkits":["github"]}`),
			wantCreated: true,
			want:        Session{ID: "default", UserID: "alice", CreatedAt: created, LastUsedAt: created, Config: json.RawMessage(`{"toolkits":["github"]}`)},
		},
		{
			name: "touch keeps config when nil", user: "alice", id: "default",
			want: Session{ID: "default", UserID: "alice", CreatedAt: created, LastUsedAt: later, Config: json.RawMessage(`{"toolkits":["github"]}`)},
		},
		{
			name: "touch replaces config", user: "alice", id: "default", config: json.RawMessage(`{"toolkits":["slack"]}`),
			want: Session{ID: "default", UserID: "alice", CreatedAt: created, LastUsedAt: later.Add(time.Minute), Config: json.RawMessage(`{"toolkits":["slack"]}`)},
		},
		{
			name: "same name other user is another session", user: "bob", id: "default",
			wantCreated: true,
			want:        Session{ID: "default", UserID: "bob", CreatedAt: later.Add(2 * time.Minute), LastUsedAt: later.Add(2 * time.Minute)},
		},
	}
	for i, s := range steps {
		if i > 0 {
			clk.advance(time.Minute)
		}
		got, gotCreated, err := db.EnsureSession(ctx, s.user, s.id, s.config)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if gotCreated != s.wantCreated {
			t.Errorf("%s: created = %v, want %v", s.name, gotCreated, s.wantCreated)
		}
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("%s: session (-want +got):\n%s", s.name, diff)
		}
		stored, err := db.GetSession(ctx, s.user, s.id)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff(s.want, stored); diff != "" {
			t.Errorf("%s: stored session (-want +got):\n%s", s.name, diff)
		}
	}
}

func TestEnsureSessionRejects(t *testing.T) {
	db, _ := openTest(t)
	tests := []struct {
		name, user, id string
		config         json.RawMessage
	}{
		{name: "empty user", id: "s"},
		{name: "empty id", user: "u"},
		{name: "invalid config", user: "u", id: "s", config: json.RawMessage(`{"unterminated`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := db.EnsureSession(t.Context(), tt.user, tt.id, tt.config); err == nil {
				t.Error("EnsureSession succeeded, want an error")
			}
		})
	}
	if got, err := db.ListSessions(t.Context(), ""); err != nil || len(got) != 0 {
		t.Errorf("after rejected calls ListSessions = %v, %v; want none", got, err)
	}
}

func TestListSessions(t *testing.T) {
	db, clk := openTest(t)
	ctx := t.Context()
	for _, k := range [][2]string{{"alice", "a1"}, {"bob", "b1"}, {"alice", "a2"}} {
		if _, _, err := db.EnsureSession(ctx, k[0], k[1], nil); err != nil {
			t.Fatal(err)
		}
		clk.advance(time.Second)
	}
	// Using a1 again moves it to the front.
	if _, _, err := db.EnsureSession(ctx, "alice", "a1", nil); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		user string
		want []string // user/id, most recently used first
	}{
		{user: "", want: []string{"alice/a1", "alice/a2", "bob/b1"}},
		{user: "alice", want: []string{"alice/a1", "alice/a2"}},
		{user: "bob", want: []string{"bob/b1"}},
		{user: "carol", want: nil},
	}
	for _, tt := range tests {
		t.Run("user="+tt.user, func(t *testing.T) {
			ss, err := db.ListSessions(ctx, tt.user)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range ss {
				got = append(got, s.UserID+"/"+s.ID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("sessions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGetSessionNotFound(t *testing.T) {
	db, _ := openTest(t)
	if _, _, err := db.EnsureSession(t.Context(), "alice", "s", nil); err != nil {
		t.Fatal(err)
	}
	for _, k := range [][2]string{{"alice", "other"}, {"bob", "s"}} {
		if _, err := db.GetSession(t.Context(), k[0], k[1]); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetSession(%q, %q): err = %v, want ErrNotFound", k[0], k[1], err)
		}
	}
}

func TestDeleteSessionCascades(t *testing.T) {
	db, _ := openTest(t)
	ctx := t.Context()
	for _, user := range []string{"alice", "bob"} {
		if _, _, err := db.EnsureSession(ctx, user, "s", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RecordExecution(ctx, Execution{UserID: user, SessionID: "s", ToolSlug: "X_Y", Status: StatusOK}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddMemory(ctx, user, "s", map[string][]string{"k": {"f"}}); err != nil {
			t.Fatal(err)
		}
	}
	// An execution without a session survives any session delete.
	if _, err := db.RecordExecution(ctx, Execution{UserID: "alice", ToolSlug: "X_Y", Status: StatusOK}); err != nil {
		t.Fatal(err)
	}

	if err := db.DeleteSession(ctx, "alice", "s"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSession(ctx, "alice", "s"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second DeleteSession: err = %v, want ErrNotFound", err)
	}

	execs, err := db.ListExecutions(ctx, ExecutionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range execs {
		got = append(got, e.UserID+"/"+e.SessionID)
	}
	if diff := cmp.Diff([]string{"alice/", "bob/s"}, got, sortStrings); diff != "" {
		t.Errorf("executions left (-want +got):\n%s", diff)
	}
	for user, want := range map[string]map[string][]string{"alice": {}, "bob": {"k": {"f"}}} {
		mem, err := db.Memory(ctx, user, "s")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, mem); diff != "" {
			t.Errorf("memory of %s/s (-want +got):\n%s", user, diff)
		}
	}
}
