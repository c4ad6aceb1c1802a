package store

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestUpstreamTools(t *testing.T) {
	db, clk := openTest(t)
	ctx := t.Context()
	if _, err := db.UpstreamTools(ctx, "memory", "h1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("UpstreamTools on a new store: err = %v, want ErrNotFound", err)
	}
	steps := []struct {
		put  UpstreamTools
		want map[string]string // hash -> tools JSON still stored
	}{
		{UpstreamTools{Toolkit: "memory", ConfigHash: "h1", ServerVersion: "1.0", Tools: []byte(`{"tools":[1]}`)}, map[string]string{"h1": `{"tools":[1]}`}},
		{UpstreamTools{Toolkit: "memory", ConfigHash: "h1", ServerVersion: "1.1", Tools: []byte(`{"tools":[2]}`)}, map[string]string{"h1": `{"tools":[2]}`}},
		// A new declaration replaces the lists of the old one.
		{UpstreamTools{Toolkit: "memory", ConfigHash: "h2", ServerVersion: "1.1", Tools: []byte(`{"tools":[3]}`)}, map[string]string{"h2": `{"tools":[3]}`}},
	}
	for i, st := range steps {
		clk.advance(time.Minute)
		if err := db.PutUpstreamTools(ctx, st.put); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		for _, h := range []string{"h1", "h2"} {
			got, err := db.UpstreamTools(ctx, "memory", h)
			want, ok := st.want[h]
			if !ok {
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("step %d: hash %s: err = %v, want ErrNotFound", i, h, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("step %d: hash %s: %v", i, h, err)
			}
			wantU := st.put
			wantU.UpdatedAt = epoch.Add(time.Duration(i+1) * time.Minute)
			wantU.Tools = []byte(want)
			if diff := cmp.Diff(wantU, got); diff != "" {
				t.Errorf("step %d (-want +got):\n%s", i, diff)
			}
		}
	}
	for _, bad := range []UpstreamTools{
		{ConfigHash: "h", Tools: []byte(`{}`)},
		{Toolkit: "x", Tools: []byte(`{}`)},
		{Toolkit: "x", ConfigHash: "h", Tools: []byte(`not json`)},
	} {
		if err := db.PutUpstreamTools(ctx, bad); err == nil {
			t.Errorf("PutUpstreamTools(%+v) succeeded", bad)
		}
	}
}

func TestUpstreamStatus(t *testing.T) {
	db, clk := openTest(t)
	ctx := t.Context()
	if got, err := db.UpstreamStatuses(ctx); err != nil || len(got) != 0 {
		t.Fatalf("UpstreamStatuses on a new store = %v, %v", got, err)
	}
	if err := db.PutUpstreamStatus(ctx, "fs", UpstreamFailed, "start upstream fs: exit status 3"); err != nil {
		t.Fatal(err)
	}
	failedAt := epoch
	clk.advance(time.Minute)
	// Success keeps the last error so doctor can still show what went wrong.
	if err := db.PutUpstreamStatus(ctx, "fs", UpstreamRunning, ""); err != nil {
		t.Fatal(err)
	}
	if err := db.PutUpstreamStatus(ctx, "mem", UpstreamStopped, ""); err != nil {
		t.Fatal(err)
	}
	got, err := db.UpstreamStatuses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]UpstreamStatus{
		"fs":  {Toolkit: "fs", State: UpstreamRunning, LastError: "start upstream fs: exit status 3", LastErrorAt: failedAt, UpdatedAt: epoch.Add(time.Minute)},
		"mem": {Toolkit: "mem", State: UpstreamStopped, UpdatedAt: epoch.Add(time.Minute)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if err := db.PutUpstreamStatus(ctx, "fs", "sleeping", ""); err == nil {
		t.Error("an unknown state was accepted")
	}
}
