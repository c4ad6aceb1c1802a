package store

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMemory(t *testing.T) {
	db, _ := openTest(t)
	ctx := t.Context()
	for _, s := range []string{"s", "other"} {
		if _, _, err := db.EnsureSession(ctx, "alice", s, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AddMemory(ctx, "alice", "other", map[string][]string{"repo": {"elsewhere"}}); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name string
		add  map[string][]string
		want map[string][]string
	}{
		{name: "nothing yet", want: map[string][]string{}},
		{
			name: "first facts",
			add:  map[string][]string{"github": {"owner is acme", "default branch is main"}, "slack": {"channel is #ops"}},
			want: map[string][]string{"github": {"owner is acme", "default branch is main"}, "slack": {"channel is #ops"}},
		},
		{
			name: "repeats are skipped, new facts go last",
			add:  map[string][]string{"github": {"default branch is main", "repo is widgets", "owner is acme", "repo is widgets"}},
			want: map[string][]string{"github": {"owner is acme", "default branch is main", "repo is widgets"}, "slack": {"channel is #ops"}},
		},
		{
			name: "the same fact under another key is another fact",
			add:  map[string][]string{"slack": {"owner is acme"}},
			want: map[string][]string{"github": {"owner is acme", "default branch is main", "repo is widgets"}, "slack": {"channel is #ops", "owner is acme"}},
		},
		{
			name: "empty call",
			add:  map[string][]string{},
			want: map[string][]string{"github": {"owner is acme", "default branch is main", "repo is widgets"}, "slack": {"channel is #ops", "owner is acme"}},
		},
	}
	for _, s := range steps {
		if err := db.AddMemory(ctx, "alice", "s", s.add); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got, err := db.Memory(ctx, "alice", "s")
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("%s: memory (-want +got):\n%s", s.name, diff)
		}
	}

	got, err := db.Memory(ctx, "alice", "other")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]string{"repo": {"elsewhere"}}, got); diff != "" {
		t.Errorf("memory of the other session (-want +got):\n%s", diff)
	}
	got, err = db.Memory(ctx, "bob", "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("memory of bob/s = %v, want empty", got)
	}
}

func TestAddMemoryRejects(t *testing.T) {
	db, _ := openTest(t)
	ctx := t.Context()
	if _, _, err := db.EnsureSession(ctx, "alice", "s", nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		user, id string
		facts    map[string][]string
		notFound bool
	}{
		{name: "empty key", user: "alice", id: "s", facts: map[string][]string{"": {"f"}}},
		{name: "empty fact", user: "alice", id: "s", facts: map[string][]string{"k": {"f", ""}}},
		{name: "empty session", user: "alice", facts: map[string][]string{"k": {"f"}}},
		{name: "unknown session", user: "alice", id: "nope", facts: map[string][]string{"k": {"f"}}, notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.AddMemory(ctx, tt.user, tt.id, tt.facts)
			if err == nil {
				t.Fatal("AddMemory succeeded, want an error")
			}
			if tt.notFound && !errors.Is(err, ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	}
	// A rejected call stores none of its facts, not even the valid ones before the bad one.
	got, err := db.Memory(ctx, "alice", "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("memory after rejected calls = %v, want empty", got)
	}
}
