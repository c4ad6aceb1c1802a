package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/toolmux/toolmux/session"
	"github.com/toolmux/toolmux/store"
)

func newSessionsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "sessions", Short: "List, show and remove sessions"}
	var asJSON bool
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the user's sessions",
		Args:  cobra.NoArgs,
		RunE: g.withEnv(func(cmd *cobra.Command, _ []string, e *env) error {
			ss, err := e.db.ListSessions(cmd.Context(), e.user)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(g.io.Out, sessionsJSON(ss))
			}
			tb := newTable(g.io.Out, "SESSION", "USER", "CREATED", "LAST USED")
			for _, s := range ss {
				tb.row(s.ID, s.UserID, s.CreatedAt.Local().Format(time.DateTime), s.LastUsedAt.Local().Format(time.DateTime))
			}
			return tb.flush()
		}),
	}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a session: its filter, memory, files and recent calls",
		Args:  cobra.ExactArgs(1),
		RunE: g.withEnv(func(cmd *cobra.Command, args []string, e *env) error {
			ctx := cmd.Context()
			s, err := e.db.GetSession(ctx, e.user, args[0])
			if errors.Is(err, store.ErrNotFound) {
				return usageError("no session %q for user %s; see `toolmux sessions list`", args[0], e.user)
			} else if err != nil {
				return err
			}
			mem, err := e.db.Memory(ctx, e.user, s.ID)
			if err != nil {
				return err
			}
			execs, err := e.db.ListExecutions(ctx, store.ExecutionFilter{UserID: e.user, SessionID: s.ID, Limit: 10})
			if err != nil {
				return err
			}
			files := session.FilesDir(e.stateDir, e.user, s.ID)
			n := countFiles(files)
			if asJSON {
				return printJSON(g.io.Out, map[string]any{"session": sessionsJSON([]store.Session{s})[0], "memory": mem,
					"files_dir": files, "files": n, "recent_executions": executionsJSON(execs)})
			}
			fmt.Fprintf(g.io.Out, "Session %s (user %s), created %s, last used %s\nConfig: %s\nFiles: %s (%d files)\n",
				s.ID, s.UserID, s.CreatedAt.Local().Format(time.DateTime), s.LastUsedAt.Local().Format(time.DateTime), s.Config, files, n)
			fmt.Fprintln(g.io.Out, "Memory:")
			for k, facts := range mem {
				for _, f := range facts {
					fmt.Fprintf(g.io.Out, "  %s: %s\n", k, f)
				}
			}
			fmt.Fprintln(g.io.Out, "Recent calls:")
			return printExecutions(g, execs)
		}),
	}
	rm := &cobra.Command{
		Use:   "rm ID",
		Short: "Delete a session with its memory, execution log and files",
		Args:  cobra.ExactArgs(1),
		RunE: g.withEnv(func(cmd *cobra.Command, args []string, e *env) error {
			return removeSession(cmd.Context(), e, args[0], g)
		}),
	}
	cmd.AddCommand(list, show, rm)
	return cmd
}

func removeSession(ctx context.Context, e *env, id string, g *globals) error {
	err := e.db.DeleteSession(ctx, e.user, id)
	if errors.Is(err, store.ErrNotFound) {
		return usageError("no session %q for user %s; see `toolmux sessions list`", id, e.user)
	} else if err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Dir(session.FilesDir(e.stateDir, e.user, id))); err != nil {
		return fmt.Errorf("session deleted, but its files remain: %w", err)
	}
	fmt.Fprintf(g.io.Out, "removed session %s\n", id)
	return nil
}

func countFiles(dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}
