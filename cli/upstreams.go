package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/store"
)

// newAddMCPCmd is `toolkits add-mcp`: it appends a [[toolkits]] entry of type "mcp" to the config file, leaving the
// file's text (comments, order, formatting) as it was.
func newAddMCPCmd(g *globals) *cobra.Command {
	var envs, headers []string
	var cwd, url string
	var replace bool
	cmd := &cobra.Command{
		Use:   "add-mcp SLUG [--env K=V]... [--cwd DIR] -- COMMAND [ARGS...] | add-mcp SLUG --url URL [--header K=V]...",
		Short: "Add an upstream MCP server (a stdio command or a streamable HTTP URL) to the config file as a toolkit",
		Long: "Add an upstream MCP server to the config file as a toolkit: its tools become SLUG_<TOOL_NAME> and are " +
			"searched and executed like any other. The entry is appended to the file (created when missing); the rest " +
			"of the file is kept as it is. Values of --env and --header may be references, env:NAME, read when the " +
			"server starts, so secrets stay out of the file.",
		Example: "  toolmux toolkits add-mcp fs -- npx -y @modelcontextprotocol/server-filesystem ~/notes\n" +
			"  toolmux toolkits add-mcp memory --env MEMORY_FILE_PATH=~/memory.json -- mcp-server-memory\n" +
			"  toolmux toolkits add-mcp linear --url https://mcp.linear.app/mcp --header Authorization=env:LINEAR_AUTH",
		Args: func(cmd *cobra.Command, args []string) error {
			dash := cmd.ArgsLenAtDash()
			if dash == -1 {
				dash = len(args)
			}
			if dash != 1 {
				return usageError("give one SLUG before --, then the server's command after it (or --url)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			slug, command := args[0], args[1:]
			if !config.ValidSlug(slug) {
				return usageError("slug %q: use lower-case letters, digits and '_', starting with a letter (e.g. fs)", slug)
			}
			t := config.Toolkit{Slug: slug, Type: "mcp", Cwd: cwd, URL: url, Replace: replace}
			switch {
			case url == "" && len(command) == 0:
				return usageError("give the server's command after --, e.g. `toolmux toolkits add-mcp %s -- mcp-server-memory`, or --url for a remote server", slug)
			case url != "" && len(command) > 0:
				return usageError("give a command after -- or --url, not both")
			case url != "" && (len(envs) > 0 || cwd != ""):
				return usageError("--env and --cwd belong to a command; a --url server takes --header")
			case url == "" && len(headers) > 0:
				return usageError("--header belongs to a --url server")
			}
			if len(command) > 0 {
				t.Command, t.Args = command[0], command[1:]
			}
			var err error
			if t.Env, err = keyValues("--env", envs); err != nil {
				return err
			}
			if t.Headers, err = keyValues("--header", headers); err != nil {
				return err
			}
			path := config.Path(g.configPath)
			if path == "" {
				path = config.DefaultPath()
			}
			old, err := os.ReadFile(path)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return &ExitCodeError{ExitConfig, fmt.Errorf("read config: %w", err)}
			}
			cfg := config.Default()
			if len(old) > 0 {
				if cfg, err = config.Parse(old, path); err != nil {
					return &ExitCodeError{ExitConfig, fmt.Errorf("%w\nfix the config before adding to it", err)}
				}
			}
			for _, x := range cfg.Toolkits {
				if x.Slug == slug {
					return usageError("toolkit %q is already declared in %s; choose another slug or edit that entry", slug, path)
				}
			}
			if err := checkSlugFree(&env{cfg: cfg}, slug, replace); err != nil {
				return err
			}
			db, err := store.Open(cmd.Context(), filepath.Join(cfg.StateDirPath(g.stateDir), "state.db"))
			if err != nil {
				return err
			}
			imported, err := db.ImportedToolkits(cmd.Context())
			db.Close()
			if err != nil {
				return err
			}
			for _, x := range imported {
				if x.Slug == slug {
					return usageError("%q is the slug of an imported toolkit; choose another slug or `toolmux toolkits remove %s` first", slug, slug)
				}
			}
			text := string(old)
			if text != "" && !strings.HasSuffix(text, "\n") {
				text += "\n"
			}
			if text != "" {
				text += "\n"
			}
			text += mcpEntryTOML(t)
			if _, err := config.Parse([]byte(text), path); err != nil {
				return usageError("the entry would not load, nothing was written: %v", err)
			}
			if err := writeFileAtomic(path, []byte(text)); err != nil {
				return err
			}
			target := t.Command
			if t.URL != "" {
				target = t.URL
			}
			fmt.Fprintf(g.io.Out, "added toolkit %s (%s) to %s\nnext: `toolmux toolkits show %s` starts it once and lists its tools; restart your MCP client to use them\n",
				slug, target, path, slug)
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&envs, "env", nil, "environment variable of the server, K=V (V may be env:NAME); repeatable")
	cmd.Flags().StringVar(&cwd, "cwd", "", "working directory of the server (relative to the config file's directory)")
	cmd.Flags().StringVar(&url, "url", "", "streamable HTTP endpoint of a remote server, instead of a command")
	cmd.Flags().StringArrayVar(&headers, "header", nil, "HTTP header for a --url server, K=V (V may be env:NAME); repeatable")
	cmd.Flags().BoolVar(&replace, "replace", false, "take the slug of a built-in toolkit, replacing it")
	return cmd
}

// keyValues parses repeated K=V flags.
func keyValues(flag string, kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageError("%s %q: use KEY=VALUE", flag, kv)
		}
		out[k] = v
	}
	return out, nil
}

// mcpEntryTOML renders one [[toolkits]] entry of type "mcp".
func mcpEntryTOML(t config.Toolkit) string {
	var b strings.Builder
	b.WriteString("[[toolkits]]\n")
	fmt.Fprintf(&b, "slug = %s\ntype = \"mcp\"\n", tomlString(t.Slug))
	if t.URL != "" {
		fmt.Fprintf(&b, "url = %s\n", tomlString(t.URL))
	} else {
		fmt.Fprintf(&b, "command = %s\n", tomlString(t.Command))
		quoted := make([]string, len(t.Args))
		for i, a := range t.Args {
			quoted[i] = tomlString(a)
		}
		fmt.Fprintf(&b, "args = [%s]\n", strings.Join(quoted, ", "))
	}
	for _, m := range []struct {
		key string
		kv  map[string]string
	}{{"env", t.Env}, {"headers", t.Headers}} {
		if len(m.kv) == 0 {
			continue
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(m.kv)) {
			parts = append(parts, tomlString(k)+" = "+tomlString(m.kv[k]))
		}
		fmt.Fprintf(&b, "%s = { %s }\n", m.key, strings.Join(parts, ", "))
	}
	if t.Cwd != "" {
		fmt.Fprintf(&b, "cwd = %s\n", tomlString(t.Cwd))
	}
	if t.Replace {
		b.WriteString("replace = true\n")
	}
	return b.String()
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// writeFileAtomic replaces path with data through a temporary file in the same directory, keeping an existing
// file's mode (0600 for a new one).
func writeFileAtomic(path string, data []byte) error {
	mode := os.FileMode(0o600)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := writeFileReplacing(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
