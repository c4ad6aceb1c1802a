package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/session"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/toolkits"
	"github.com/toolmux/toolmux/tools/openapi"
)

func newToolkitsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "toolkits", Short: "List, inspect, import and remove toolkits"}
	var asJSON bool
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON")

	list := &cobra.Command{
		Use:   "list",
		Short: "List toolkits: tool counts, auth schemes and your connection status",
		Args:  cobra.NoArgs,
		RunE: g.withCatalog(func(cmd *cobra.Command, _ []string, e *env, cat *session.Catalog) error {
			type row struct {
				Slug    string   `json:"slug"`
				Name    string   `json:"name"`
				Tools   int      `json:"tools"`
				BaseURL string   `json:"base_url"`
				Schemes []string `json:"auth_schemes"`
				// Auth is the connection status for the user (ACTIVE, NOT_CONNECTED, INITIATED, EXPIRED, FAILED), as
				// COMPOSIO_MANAGE_CONNECTIONS reports it; Connected says whether calls carry credentials.
				Auth      string `json:"auth"`
				Connected bool   `json:"connected"`
				Message   string `json:"status_message"`
			}
			rows := []row{}
			for _, tk := range cat.Toolkits() {
				active, status, msg := e.auth.Status(cmd.Context(), e.user, tk)
				schemes := []string{}
				for _, s := range tk.AuthSchemes {
					if !slices.Contains(schemes, s.Scheme) {
						schemes = append(schemes, s.Scheme)
					}
				}
				rows = append(rows, row{tk.Slug, tk.Name, len(tk.Tools), tk.BaseURL, schemes, status, active, msg})
			}
			if asJSON {
				return printJSON(g.io.Out, map[string]any{"user": e.user, "toolkits": rows, "problems": nonNil(cat.Problems)})
			}
			tb := newTable(g.io.Out, "SLUG", "NAME", "TOOLS", "AUTH SCHEMES", "STATUS", "BASE URL")
			needs := 0
			for _, r := range rows {
				schemes := strings.Join(r.Schemes, ",")
				if schemes == "" {
					schemes = "-"
				}
				tb.row(r.Slug, r.Name, fmt.Sprint(r.Tools), schemes, r.Auth, r.BaseURL)
				if !r.Connected {
					needs++
				}
			}
			if err := tb.flush(); err != nil {
				return err
			}
			if needs > 0 {
				fmt.Fprintf(g.io.Out, "\nStatus is for user %s. Public endpoints work without an account; connect one with `toolmux connect SLUG` (`toolmux toolkits show SLUG` says how).\n", e.user)
			}
			for _, p := range cat.Problems {
				fmt.Fprintln(g.io.Err, "not loaded:", p)
			}
			return nil
		}),
	}

	show := &cobra.Command{
		Use:   "show SLUG",
		Short: "Show a toolkit: description, auth schemes, tools",
		Args:  cobra.ExactArgs(1),
		RunE: g.withCatalog(func(cmd *cobra.Command, args []string, e *env, cat *session.Catalog) error {
			tk := cat.Toolkit(args[0])
			if tk == nil {
				return usageError("no toolkit %q; see `toolmux toolkits list`", args[0])
			}
			if asJSON {
				return printJSON(g.io.Out, tk)
			}
			_, status, msg := e.auth.Status(cmd.Context(), e.user, tk)
			fmt.Fprintf(g.io.Out, "%s (%s), %d tools, version %s\n%s\nBase URL: %s\nAuth: %s — %s\n", tk.Name, tk.Slug, len(tk.Tools), tk.Version, tk.Description, tk.BaseURL, status, msg)
			var schemes []string
			for _, s := range tk.AuthSchemes {
				schemes = append(schemes, s.Scheme)
			}
			fmt.Fprintf(g.io.Out, "Schemes: %s\n\n", strings.Join(schemes, ", "))
			tb := newTable(g.io.Out, "SLUG", "NAME")
			for _, t := range tk.Tools {
				tb.row(t.Slug, t.Name)
			}
			return tb.flush()
		}),
	}

	importCmd := &cobra.Command{Use: "import", Short: "Import a toolkit from an API description"}
	var slug, baseURL string
	var replace bool
	importOpenAPI := &cobra.Command{
		Use:   "openapi FILE",
		Short: "Import an OpenAPI 3.x or Swagger 2.0 document (JSON or YAML) as a toolkit",
		Long: `Import an OpenAPI 3.x or Swagger 2.0 document as a toolkit. The document is checked, compiled and copied
into the state directory (STATE/specs/SLUG.ext), and registered there: later starts use the compiled copy.
Importing again with the same --slug replaces the earlier import.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if !config.ValidSlug(slug) {
				return usageError("--slug %q: use lower-case letters, digits and '_', starting with a letter (e.g. --slug github)", slug)
			}
			e, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer e.close()
			if err := checkSlugFree(e, slug, replace); err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return usageError("read %s: %v", args[0], err)
			}
			start := time.Now()
			tk, warnings, err := openapi.Import(ctx, filepath.Base(args[0]), data, openapi.Options{Slug: slug, BaseURL: baseURL})
			if err != nil {
				return fmt.Errorf("%w\nnothing was imported; fix the document or report the construct", err)
			}
			if tk.BaseURL == "" {
				return usageError("%s declares no absolute server URL; pass --base-url https://api.example.com", args[0])
			}
			elapsed := time.Since(start)
			sum := sha256.Sum256(data)
			ext := strings.ToLower(filepath.Ext(args[0]))
			if ext != ".json" && ext != ".yaml" && ext != ".yml" {
				ext = ".json"
			}
			file := slug + ext
			dst := session.ImportedSpecPath(e.stateDir, file)
			if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
				return err
			}
			if err := os.WriteFile(dst, data, 0o600); err != nil {
				return fmt.Errorf("copy the document into the state dir: %w", err)
			}
			if err := e.db.PutImportedToolkit(ctx, store.ImportedToolkit{Slug: slug, Kind: "openapi", SpecFile: file, BaseURL: baseURL, ReplaceBuiltin: replace}); err != nil {
				return err
			}
			// Cache the compiled toolkit now, so the next start does not parse the document.
			if err := session.CacheCompiled(ctx, e.db, slug, baseURL, data, tk); err != nil {
				e.log.Warn("compiled toolkit not cached; the next start compiles it", "toolkit", slug, "err", err)
			}
			for _, w := range warnings {
				e.log.Debug("import warning", "toolkit", slug, "warning", w.String())
			}
			if asJSON {
				return printJSON(g.io.Out, map[string]any{
					"slug": slug, "tools": len(tk.Tools), "warnings": len(warnings), "base_url": tk.BaseURL,
					"sha256": hex.EncodeToString(sum[:]), "seconds": elapsed.Seconds(),
				})
			}
			fmt.Fprintf(g.io.Out, "imported %s: %d tools from %s in %s (%d warnings; --log-level debug lists them)\nbase URL: %s\nnext: toolmux tools search WORDS, or restart your MCP client\n",
				slug, len(tk.Tools), filepath.Base(args[0]), elapsed.Round(time.Millisecond), len(warnings), tk.BaseURL)
			return nil
		},
	}
	importOpenAPI.Flags().StringVar(&slug, "slug", "", "toolkit slug, e.g. github (required)")
	importOpenAPI.Flags().StringVar(&baseURL, "base-url", "", "API base URL, overriding the document's servers")
	importOpenAPI.Flags().BoolVar(&replace, "replace", false, "take the slug of a built-in toolkit, replacing it")
	_ = importOpenAPI.MarkFlagRequired("slug")
	importCmd.AddCommand(importOpenAPI)

	remove := &cobra.Command{
		Use:   "remove SLUG",
		Short: "Remove an imported toolkit (built-in ones are switched off with builtin.disable in the config)",
		Args:  cobra.ExactArgs(1),
		RunE: g.withEnv(func(cmd *cobra.Command, args []string, e *env) error {
			list, err := e.db.ImportedToolkits(cmd.Context())
			if err != nil {
				return err
			}
			for _, t := range list {
				if t.Slug == args[0] {
					if err := e.db.DeleteImportedToolkit(cmd.Context(), t.Slug); err != nil {
						return err
					}
					_ = os.Remove(session.ImportedSpecPath(e.stateDir, t.SpecFile))
					fmt.Fprintf(g.io.Out, "removed %s\n", t.Slug)
					return nil
				}
			}
			return usageError("no imported toolkit %q (toolkits declared in the config are removed there)", args[0])
		}),
	}
	cmd.AddCommand(list, show, importCmd, remove, newAddMCPCmd(g))
	return cmd
}

// checkSlugFree refuses a slug that a built-in or config toolkit already has, unless replace is set for a built-in.
func checkSlugFree(e *env, slug string, replace bool) error {
	for _, t := range e.cfg.Toolkits {
		if t.Slug == slug {
			return usageError("toolkit %q is declared in the config (%s); choose another --slug or remove it there", slug, e.cfg.File())
		}
	}
	defs, err := toolkits.Builtin()
	if err != nil {
		return err
	}
	for _, d := range defs {
		if d.Slug == slug && !replace && !slices.Contains(e.cfg.Builtin.Disable, slug) {
			return usageError("%q is the slug of a built-in toolkit; choose another slug, or pass --replace to serve this toolkit in place of the built-in one", slug)
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
