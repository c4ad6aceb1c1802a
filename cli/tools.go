package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/toolmux/toolmux/session"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

func newToolsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "tools", Short: "List, search, inspect and execute toolkit tools (direct access, no session)"}
	var asJSON bool
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON")

	var toolkit string
	list := &cobra.Command{
		Use:   "list",
		Short: "List tools",
		Args:  cobra.NoArgs,
		RunE: g.withCatalog(func(cmd *cobra.Command, _ []string, e *env, cat *session.Catalog) error {
			if toolkit != "" && cat.Toolkit(toolkit) == nil {
				return usageError("no toolkit %q; see `toolmux toolkits list`", toolkit)
			}
			var out []*tools.Tool
			for _, t := range cat.Tools() {
				if toolkit == "" || strings.EqualFold(t.Toolkit, toolkit) {
					out = append(out, t)
				}
			}
			if asJSON {
				rows := make([]map[string]any, len(out))
				for i, t := range out {
					rows[i] = map[string]any{"slug": t.Slug, "toolkit": t.Toolkit, "name": t.Name, "tags": t.Tags}
				}
				return printJSON(g.io.Out, rows)
			}
			tb := newTable(g.io.Out, "SLUG", "NAME")
			for _, t := range out {
				tb.row(t.Slug, t.Name)
			}
			return tb.flush()
		}),
	}
	list.Flags().StringVar(&toolkit, "toolkit", "", "only this toolkit")

	var limit int
	var searchKit string
	search := &cobra.Command{
		Use:   "search QUERY",
		Short: "Search tools with the engine COMPOSIO_SEARCH_TOOLS uses",
		Long: "Search tools with the engine COMPOSIO_SEARCH_TOOLS uses: words of the query (any form: \"delete\", " +
			"\"get rid of\"), synonyms (PR, ticket, repo), the app it names, and the kind of operation it asks for. " +
			"When the query names no app, the toolkits you have connected come first among near matches.",
		Args: cobra.MinimumNArgs(1),
		PreRunE: func(*cobra.Command, []string) error {
			if limit < 1 || limit > 100 {
				return usageError("-n must be between 1 and 100, got %d", limit)
			}
			return nil
		},
		RunE: g.withCatalog(func(cmd *cobra.Command, args []string, e *env, cat *session.Catalog) error {
			var allow func(*tools.Tool) bool
			if searchKit != "" {
				if cat.Toolkit(searchKit) == nil {
					return usageError("no toolkit %q; see `toolmux toolkits list`", searchKit)
				}
				allow = func(t *tools.Tool) bool { return strings.EqualFold(t.Toolkit, searchKit) }
			}
			// As for the agent: a query that names no app prefers the toolkits the user has connected.
			prefer, _ := e.auth.Connected(cmd.Context(), e.user) // unknown (nil): no preference
			hits := cat.Index().SearchPreferring(strings.Join(args, " "), allow, prefer, limit)
			if asJSON {
				rows := make([]map[string]any, len(hits))
				for i, h := range hits {
					rows[i] = map[string]any{"slug": h.Tool.Slug, "toolkit": h.Tool.Toolkit, "score": h.Score, "name": h.Tool.Name}
				}
				return printJSON(g.io.Out, rows)
			}
			if len(hits) == 0 {
				fmt.Fprintln(g.io.Err, "no tool matched; name the app and the action, e.g. \"list open pull requests in GitHub\"")
				return nil
			}
			tb := newTable(g.io.Out, "SLUG", "SCORE", "NAME")
			for _, h := range hits {
				tb.row(h.Tool.Slug, fmt.Sprintf("%.2f", h.Score), session.Brief(h.Tool.Name, 80))
			}
			return tb.flush()
		}),
	}
	search.Flags().IntVarP(&limit, "limit", "n", 10, "how many results (1-100)")
	search.Flags().StringVar(&searchKit, "toolkit", "", "only this toolkit")

	schema := &cobra.Command{
		Use:   "schema SLUG",
		Short: "Show a tool's description, schemas and annotations",
		Args:  cobra.ExactArgs(1),
		RunE: g.withCatalog(func(cmd *cobra.Command, args []string, e *env, cat *session.Catalog) error {
			t := cat.Tool(args[0])
			if t == nil {
				return unknownTool(cat, args[0])
			}
			if asJSON {
				return printJSON(g.io.Out, t)
			}
			fmt.Fprintf(g.io.Out, "%s  (%s)\n%s\n\nTags: %s\n", t.Slug, t.Toolkit, t.Description, strings.Join(t.Tags, ", "))
			if t.HTTP != nil {
				fmt.Fprintf(g.io.Out, "HTTP: %s %s\n", t.HTTP.Method, t.HTTP.Path)
			}
			var buf bytes.Buffer
			_ = json.Indent(&buf, t.InputSchema, "", "  ")
			fmt.Fprintf(g.io.Out, "\nInput schema:\n%s\n", buf.String())
			for _, p := range t.Pitfalls {
				fmt.Fprintf(g.io.Out, "Pitfall: %s\n", p)
			}
			return nil
		}),
	}

	var argsFlag string
	exec := &cobra.Command{
		Use:   "exec SLUG",
		Short: "Execute one tool: --args '{\"owner\":\"octo\"}', --args @file.json, or --args - (stdin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			raw, err := readArgsSource(argsFlag, g.io.In)
			if err != nil {
				return usageError("--args: %v", err)
			}
			var callArgs map[string]any
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if err := dec.Decode(&callArgs); err != nil {
				return usageError("--args must be a JSON object, like '{\"owner\":\"octocat\"}': %v", err)
			}
			e, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer e.close()
			cat, err := e.catalog(ctx)
			if err != nil {
				return err
			}
			start := time.Now()
			res, tool, err := cat.Run(ctx, args[0], callArgs, tools.Filter{}, time.Duration(e.cfg.Execution.TimeoutSeconds)*time.Second)
			if tool == nil && err != nil {
				return &ExitCodeError{ExitUsage, err} // an unknown slug, like `tools schema`
			}
			text, _ := json.Marshal(res.Data)
			session.RecordExecution(ctx, e.db, e.log, store.Execution{
				UserID: e.user, ToolSlug: tool.Slug, Toolkit: tool.Toolkit, StartedAt: start, Duration: time.Since(start),
			}, callArgs, err, len(text))
			if err != nil {
				if asJSON {
					msg := err.Error()
					_ = printJSON(g.io.Out, session.Response{Data: map[string]any{}, Error: &msg})
				}
				return &ExitCodeError{ExitToolCall, err}
			}
			if asJSON {
				return printJSON(g.io.Out, session.Response{Successful: true, Data: res.Data})
			}
			return printJSON(g.io.Out, res.Data)
		},
	}
	exec.Flags().StringVar(&argsFlag, "args", "", "arguments: JSON, @file, or - for stdin (default {})")

	cmd.AddCommand(list, search, schema, exec)
	return cmd
}

func unknownTool(cat *session.Catalog, slug string) error {
	msg := fmt.Sprintf("no tool %q", slug)
	if sug := cat.Suggest(slug, nil, 3); len(sug) > 0 {
		msg += "; did you mean " + strings.Join(sug, ", ") + "?"
	}
	return usageError("%s (find tools with `toolmux tools search WORDS`)", msg)
}
