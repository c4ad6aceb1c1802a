package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/toolmux/toolmux/store"
)

func newLogsCmd(g *globals) *cobra.Command {
	var f store.ExecutionFilter
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "logs",
		Short: "Show the execution log: tool calls with status, duration and (redacted) arguments",
		Args:  cobra.NoArgs,
		RunE: g.withEnv(func(cmd *cobra.Command, _ []string, e *env) error {
			f.UserID = e.user
			execs, err := e.db.ListExecutions(cmd.Context(), f)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(g.io.Out, executionsJSON(execs))
			}
			return printExecutions(g, execs)
		}),
	}
	cmd.Flags().StringVar(&f.SessionID, "session", "", "only this session")
	cmd.Flags().StringVar(&f.ToolSlug, "tool", "", "only this tool slug")
	cmd.Flags().IntVarP(&f.Limit, "limit", "n", 20, "how many, newest first")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printExecutions(g *globals, execs []store.Execution) error {
	tb := newTable(g.io.Out, "TIME", "SESSION", "TOOL", "STATUS", "MS", "BYTES", "ERROR")
	for _, x := range execs {
		sess := x.SessionID
		if sess == "" {
			sess = "(cli)"
		}
		tb.row(x.StartedAt.Local().Format(time.DateTime), sess, x.ToolSlug, x.Status, fmt.Sprint(x.Duration.Milliseconds()), fmt.Sprint(x.ResponseBytes), x.Error)
	}
	return tb.flush()
}

// pruneExecutions drops execution-log rows older than the retention.
func pruneExecutions(ctx context.Context, e *env, days int) {
	n, err := e.db.PruneExecutions(ctx, time.Now().AddDate(0, 0, -days))
	if err != nil {
		e.log.Warn("pruning the execution log", "err", err)
	} else if n > 0 {
		e.log.Debug("execution log pruned", "rows", n)
	}
}
