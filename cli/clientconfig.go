package cli

// This file holds `toolmux config client claude|cursor`: the MCP client entry that launches this binary, printed
// for copying or merged into the client's config file with --write (a backup is kept, other servers stay as they
// are).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/toolmux/toolmux/config"
)

// mcpClient is an MCP client whose config file holds an "mcpServers" object.
type mcpClient struct {
	name    string // the product, for messages
	session string // the session its entry serves by default ("" for the config's default session)
	howTo   string // where a person edits the file by hand
	// configPath is the client's user-level config file on goos, with home and appData ($APPDATA) given.
	configPath func(goos, home, appData string) string
}

var mcpClients = map[string]mcpClient{
	"claude": {
		name:  "Claude Desktop",
		howTo: "Claude Desktop: Settings → Developer → Edit Config",
		configPath: func(goos, home, appData string) string {
			switch goos {
			case "darwin":
				return filepath.Join(home, "Library", "Application Support", "Claude", "claude_desktop_config.json")
			case "windows":
				if appData == "" {
					appData = filepath.Join(home, "AppData", "Roaming")
				}
				return filepath.Join(appData, "Claude", "claude_desktop_config.json")
			}
			return filepath.Join(home, ".config", "Claude", "claude_desktop_config.json")
		},
	},
	"cursor": {
		name:    "Cursor",
		session: "cursor",
		howTo:   "Cursor: Settings → MCP → Add new global MCP server (or .cursor/mcp.json in a project)",
		configPath: func(_, home, _ string) string {
			return filepath.Join(home, ".cursor", "mcp.json")
		},
	},
}

// serverEntry is one mcpServers entry.
type serverEntry struct {
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Env     map[string]string `json:"env,omitempty"`
}

func newClientConfigCmd(g *globals) *cobra.Command {
	var command, name, sessionName, file string
	var write bool
	cmd := &cobra.Command{
		Use:   "client claude|cursor",
		Short: "Print (or --write) the MCP client entry that launches this toolmux binary",
		Long: `Print the mcpServers entry that makes Claude Desktop or Cursor launch this toolmux binary, with its
absolute path, and where the client's config file is. --write merges the entry into that file: other servers and
settings stay as they are, an entry of the same name is replaced, and the previous file is kept as FILE.bak-TIME.

A config file or state directory chosen with --config/--state-dir (or $TOOLMUX_CONFIG, $TOOLMUX_STATE_DIR,
$XDG_STATE_HOME) is passed on in the entry's env, because clients launch servers without your shell's environment.`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"claude", "cursor"},
		RunE: func(cmd *cobra.Command, args []string) error {
			client, ok := mcpClients[args[0]]
			if !ok {
				return usageError("unknown client %q: use claude (Claude Desktop) or cursor", args[0])
			}
			if command == "" {
				exe, err := executablePath()
				if err != nil {
					return err
				}
				command = exe
			} else if abs, err := filepath.Abs(command); err == nil {
				command = abs
			}
			if sessionName == "" {
				sessionName = client.session
			}
			entry, err := g.clientEntry(command, sessionName)
			if err != nil {
				return err
			}
			if file == "" {
				home, err := os.UserHomeDir()
				if err != nil {
					return fmt.Errorf("find the home directory for %s's config file: %w; pass --file PATH", client.name, err)
				}
				file = client.configPath(runtime.GOOS, home, os.Getenv("APPDATA"))
			}
			if !write {
				snippet, err := json.MarshalIndent(map[string]any{"mcpServers": map[string]serverEntry{name: entry}}, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintf(g.io.Out, "%s\n", snippet)
				fmt.Fprintf(g.io.Err, "Add this to %s\n(%s), then restart %s.\nOr run `%s config client %s --write` to merge it in; the old file is kept as a backup.\n",
					file, client.howTo, client.name, filepath.Base(command), args[0])
				return nil
			}
			res, err := mergeServerEntry(file, name, entry, time.Now())
			if err != nil {
				return err
			}
			switch {
			case res.unchanged:
				fmt.Fprintf(g.io.Out, "%s already has this %q entry; nothing changed\n", file, name)
			case res.backup == "":
				fmt.Fprintf(g.io.Out, "wrote %s with the %q server\n", file, name)
			default:
				verb := "added"
				if res.replaced {
					verb = "replaced"
				}
				fmt.Fprintf(g.io.Out, "%s the %q server in %s (%d other server(s) kept; backup: %s)\n", verb, name, file, res.others, res.backup)
			}
			if !res.unchanged {
				fmt.Fprintf(g.io.Out, "restart %s to load it\n", client.name)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&command, "command", "", "the toolmux binary the client launches (default: this one)")
	f.StringVar(&name, "name", "toolmux", "the server's name in mcpServers")
	f.StringVar(&sessionName, "session", "", "the session the client uses (default: the config's for claude, \"cursor\" for cursor)")
	f.StringVar(&file, "file", "", "the client config file to --write (default: the client's user config file)")
	f.BoolVar(&write, "write", false, "merge the entry into the client's config file (keeps a backup and the other servers)")
	return cmd
}

// clientEntry builds the entry for the binary at command: `serve`, the session and user when chosen, and the
// config file and state directory when they differ from what the client's bare environment would find.
func (g *globals) clientEntry(command, sessionName string) (serverEntry, error) {
	e := serverEntry{Command: command, Args: []string{"serve"}}
	if sessionName != "" {
		e.Args = append(e.Args, "--session", sessionName)
	}
	if g.user != "" {
		e.Args = append(e.Args, "--user", g.user)
	}
	home, _ := os.UserHomeDir()
	env := map[string]string{}
	if p := config.Path(g.configPath); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return e, err
		}
		if home == "" || abs != filepath.Join(home, ".config", "toolmux", "config.toml") {
			env[config.EnvConfig] = abs
		}
	}
	if g.stateDir != "" || os.Getenv(config.EnvStateDir) != "" || os.Getenv("XDG_STATE_HOME") != "" {
		cfg, err := g.loadConfig()
		if err != nil {
			return e, err
		}
		abs, err := filepath.Abs(cfg.StateDirPath(g.stateDir))
		if err != nil {
			return e, err
		}
		if home == "" || abs != filepath.Join(home, ".local", "state", "toolmux") {
			env[config.EnvStateDir] = abs
		}
	}
	if len(env) > 0 {
		e.Env = env
	}
	return e, nil
}

// executablePath is this binary's absolute path with symlinks resolved, refusing the temporary binary of `go run`,
// which is deleted when it exits.
func executablePath() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot tell where this toolmux binary is (%w); pass --command /path/to/toolmux", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	if isGoRunBinary(exe) {
		return "", fmt.Errorf("this toolmux was built by `go run` into a temporary directory (%s) that is deleted when it exits, so a client cannot launch it; "+
			"build it first: `go build -o ~/.local/bin/toolmux .` (or `go install github.com/toolmux/toolmux@latest`), then run `~/.local/bin/toolmux config client ...`", filepath.Dir(exe))
	}
	return exe, nil
}

// isGoRunBinary reports whether exe lives in a go build work directory (go-buildNNN/bNNN/exe/NAME), where `go run`
// and `go test` put the binaries they delete afterwards.
func isGoRunBinary(exe string) bool {
	for _, part := range strings.Split(filepath.ToSlash(filepath.Dir(exe)), "/") {
		if strings.HasPrefix(part, "go-build") {
			return true
		}
	}
	return false
}

type mergeResult struct {
	unchanged bool   // the file already had this exact entry
	replaced  bool   // an entry of the same name was replaced
	others    int    // other servers kept
	backup    string // where the previous file was copied ("" when there was none)
}

// mergeServerEntry sets mcpServers[name] = entry in the JSON config file at path, keeping every other key and
// server byte for byte and in order. The old file is copied to path.bak-TIME first and the new one replaces it
// atomically. A file that is not a JSON object is left alone with an error saying what is wrong.
func mergeServerEntry(path, name string, entry serverEntry, now time.Time) (mergeResult, error) {
	var res mergeResult
	newEntry, err := json.Marshal(entry)
	if err != nil {
		return res, err
	}
	old, err := os.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return res, fmt.Errorf("read %s: %w", path, err)
	}
	top := &orderedObject{}
	if len(bytes.TrimSpace(old)) > 0 {
		if err := top.parse(old); err != nil {
			return res, fmt.Errorf("%s is not a JSON object (%v); fix or move it, then run this again (it was not changed)", path, err)
		}
	}
	servers := &orderedObject{}
	if raw, ok := top.get("mcpServers"); ok && string(raw) != "null" {
		if err := servers.parse(raw); err != nil {
			return res, fmt.Errorf("%s: mcpServers is not a JSON object (%v); fix it, then run this again (the file was not changed)", path, err)
		}
	}
	if raw, ok := servers.get(name); ok {
		if equalJSON(raw, newEntry) {
			return mergeResult{unchanged: true}, nil
		}
		res.replaced = true
	}
	res.others = len(servers.keys)
	if res.replaced {
		res.others--
	}
	servers.set(name, newEntry)
	top.set("mcpServers", servers.marshal())
	var out bytes.Buffer
	if err := json.Indent(&out, top.marshal(), "", "  "); err != nil {
		return res, fmt.Errorf("format %s: %w", path, err)
	}
	out.WriteByte('\n')

	mode := fs.FileMode(0o600)
	if exists {
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm()
		}
		res.backup = fmt.Sprintf("%s.bak-%s", path, now.UTC().Format("20060102T150405Z"))
		if err := writeFileReplacing(res.backup, old, mode); err != nil {
			return res, fmt.Errorf("back up %s before changing it: %w (nothing was changed)", path, err)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return res, fmt.Errorf("create the directory of %s: %w", path, err)
	}
	if err := writeFileReplacing(path, out.Bytes(), mode); err != nil {
		return res, fmt.Errorf("write %s: %w", path, err)
	}
	return res, nil
}

// writeFileReplacing writes data to a temporary file beside path and renames it over path.
func writeFileReplacing(path string, data []byte, mode fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func equalJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// orderedObject is a JSON object whose members keep their order and their exact values.
type orderedObject struct {
	keys []string
	vals map[string]json.RawMessage
}

func (o *orderedObject) parse(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("it starts with %v, not {", tok)
	}
	o.keys, o.vals = nil, map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string) // inside an object the decoder only yields string keys
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("the value of %q: %w", key, err)
		}
		if _, dup := o.vals[key]; !dup {
			o.keys = append(o.keys, key)
		}
		o.vals[key] = raw
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("unexpected data after the object at byte %d", dec.InputOffset())
	}
	return nil
}

func (o *orderedObject) get(key string) (json.RawMessage, bool) {
	v, ok := o.vals[key]
	return v, ok
}

func (o *orderedObject) set(key string, v json.RawMessage) {
	if o.vals == nil {
		o.vals = map[string]json.RawMessage{}
	}
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = v
}

func (o *orderedObject) marshal() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(o.vals[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}
