package store

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkOpen opens and closes an existing, migrated state file: the cost on the cold-start path. "alone" is the
// only process using the file (Close then checkpoints the WAL); "shared" has another connection holding it open,
// as when a second MCP client starts next to a running toolmux.
func BenchmarkOpen(b *testing.B) {
	for _, shared := range []bool{false, true} {
		name := "alone"
		if shared {
			name = "shared"
		}
		b.Run(name, func(b *testing.B) {
			ctx := b.Context()
			path := filepath.Join(b.TempDir(), "state.db")
			db, err := Open(ctx, path)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := db.EnsureSession(ctx, "u", "default", nil); err != nil {
				b.Fatal(err)
			}
			if !shared {
				db.Close()
			} else {
				defer db.Close()
			}
			b.ResetTimer()
			for b.Loop() {
				db, err := Open(ctx, path)
				if err != nil {
					b.Fatal(err)
				}
				if err := db.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchExecution(i int) Execution {
	return Execution{
		SessionID: "default", UserID: "u", ToolSlug: "GITHUB_ISSUES_CREATE", Toolkit: "github", Account: "ca_1",
		StartedAt: time.Now(), Duration: 120 * time.Millisecond, Status: StatusOK,
		Arguments:     json.RawMessage(`{"owner":"acme","repo":"widgets","title":"Bug report","body":"[REDACTED]"}`),
		ResponseBytes: 1000 + i,
	}
}

// BenchmarkRecordExecution appends to the execution log of one session: "serial" from one goroutine, "parallel"
// from GOMAXPROCS goroutines at once, as a multi-execute batch does.
func BenchmarkRecordExecution(b *testing.B) {
	setup := func(b *testing.B) *DB {
		db, err := Open(b.Context(), filepath.Join(b.TempDir(), "state.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		if _, _, err := db.EnsureSession(b.Context(), "u", "default", nil); err != nil {
			b.Fatal(err)
		}
		return db
	}
	b.Run("serial", func(b *testing.B) {
		db := setup(b)
		i := 0
		for b.Loop() {
			if _, err := db.RecordExecution(b.Context(), benchExecution(i)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		db := setup(b)
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := db.RecordExecution(b.Context(), benchExecution(i)); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}

// BenchmarkCachedCatalog reads a 4 MiB compiled catalog, the other store call on the start path.
func BenchmarkCachedCatalog(b *testing.B) {
	db, err := Open(b.Context(), filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	data := bytes.Repeat([]byte("0123456789abcdef"), 4<<20/16)
	if err := db.PutCachedCatalog(b.Context(), "k", data); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := db.CachedCatalog(b.Context(), "k"); err != nil {
			b.Fatal(err)
		}
	}
}
