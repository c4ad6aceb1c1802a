package cli

// This file holds `toolmux secrets`: named secrets kept in the secret store (the OS keychain, or the 0600 file
// fallback) for config values written keyring:NAME, such as an upstream MCP server's Authorization header, so that
// the config file never holds a secret.

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/toolmux/toolmux/auth"
	"github.com/toolmux/toolmux/config"
)

func newSecretsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Keep named secrets in the secret store for config values written keyring:NAME",
		Long: `A config value that is a secret is never written in the config file: it is a reference. "env:NAME" reads
toolmux's environment variable NAME; "keyring:NAME" reads the secret stored here under NAME, in the OS keychain
(or the 0600 file fallback, see secrets.store). References work in [auth.TOOLKIT] token, password and
client_secret, and in an mcp toolkit's headers and env values.

  printf %s "$REMOTE_MCP_TOKEN" | toolmux secrets set REMOTE_MCP_TOKEN
  # config.toml: headers = { Authorization = "keyring:REMOTE_MCP_TOKEN" }
  toolmux secrets list
  toolmux secrets remove REMOTE_MCP_TOKEN`,
	}
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON")

	set := &cobra.Command{
		Use:   "set NAME",
		Short: "Store the secret read from stdin under NAME (replacing any), for references keyring:NAME",
		Args:  cobra.ExactArgs(1),
		RunE: g.withEnv(func(cmd *cobra.Command, args []string, e *env) error {
			name := args[0]
			if !auth.ValidSecretName(name) {
				return usageError("secret name %q: use letters, digits and underscores, starting with a letter or underscore (e.g. REMOTE_MCP_TOKEN)", name)
			}
			value, err := readSecret(g.io.In)
			if err != nil {
				return err
			}
			store := e.auth.Secrets()
			if err := auth.SetNamedSecret(cmd.Context(), store, name, value); err != nil {
				return err
			}
			used := refsNaming(config.SecretRefs(e.cfg), "keyring:"+name)
			if asJSON {
				return printJSON(g.io.Out, map[string]any{"name": name, "store": store.Kind(), "used_by": used})
			}
			where := "not referenced by the config yet; write \"keyring:" + name + "\" where the secret goes"
			if len(used) > 0 {
				where = "used by " + strings.Join(used, ", ")
			}
			fmt.Fprintf(g.io.Out, "stored secret %s in the %s store; %s\n", name, store.Kind(), where)
			return nil
		}),
	}

	list := &cobra.Command{
		Use:   "list",
		Short: "List the config's secret references and whether each resolves (never the values)",
		Args:  cobra.NoArgs,
		RunE: g.withEnv(func(cmd *cobra.Command, _ []string, e *env) error {
			rows := checkSecretRefs(cmd, e)
			if asJSON {
				return printJSON(g.io.Out, rows)
			}
			if len(rows) == 0 {
				fmt.Fprintln(g.io.Out, "the config has no secret references")
				return nil
			}
			tb := newTable(g.io.Out, "REFERENCE", "USED BY", "STATUS")
			var problems []string
			for _, r := range rows {
				status := "ok"
				if r.Problem != "" {
					status = "MISSING"
					problems = append(problems, r.Problem)
				}
				tb.row(r.Ref, strings.Join(r.UsedBy, ", "), status)
			}
			if err := tb.flush(); err != nil {
				return err
			}
			for _, p := range problems {
				fmt.Fprintln(g.io.Out, "  "+p)
			}
			return nil
		}),
	}

	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Delete the stored secret NAME",
		Args:  cobra.ExactArgs(1),
		RunE: g.withEnv(func(cmd *cobra.Command, args []string, e *env) error {
			name := args[0]
			err := auth.DeleteNamedSecret(cmd.Context(), e.auth.Secrets(), name)
			if errors.Is(err, auth.ErrSecretNotFound) {
				return usageError("%v; `toolmux secrets list` shows the config's references", err)
			}
			if err != nil {
				return err
			}
			msg := fmt.Sprintf("removed secret %s", name)
			if used := refsNaming(config.SecretRefs(e.cfg), "keyring:"+name); len(used) > 0 {
				msg += "; the config still refers to it from " + strings.Join(used, ", ")
			}
			fmt.Fprintln(g.io.Out, msg)
			return nil
		}),
	}
	cmd.AddCommand(set, list, remove)
	return cmd
}

// secretRefRow is one reference of `secrets list`.
type secretRefRow struct {
	Ref     string   `json:"reference"`
	UsedBy  []string `json:"used_by"`
	Problem string   `json:"problem,omitempty"`
}

// checkSecretRefs resolves each distinct reference of the config once, keeping only whether it resolved.
func checkSecretRefs(cmd *cobra.Command, e *env) []secretRefRow {
	byRef := map[string][]string{}
	for _, r := range config.SecretRefs(e.cfg) {
		byRef[r.Ref] = append(byRef[r.Ref], r.Where)
	}
	refs := make([]string, 0, len(byRef))
	for ref := range byRef {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	rows := make([]secretRefRow, 0, len(refs))
	for _, ref := range refs {
		row := secretRefRow{Ref: ref, UsedBy: byRef[ref]}
		if _, err := auth.ResolveRef(cmd.Context(), e.auth.Secrets(), ref); err != nil {
			row.Problem = err.Error()
		}
		rows = append(rows, row)
	}
	return rows
}

// refsNaming lists where the config uses ref.
func refsNaming(refs []config.SecretRef, ref string) []string {
	var used []string
	for _, r := range refs {
		if r.Ref == ref && !slices.Contains(used, r.Where) {
			used = append(used, r.Where)
		}
	}
	return used
}
