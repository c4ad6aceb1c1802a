package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testEntry = serverEntry{Command: "/opt/toolmux/bin/toolmux", Args: []string{"serve"}}

func TestMergeServerEntry(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name     string
		existing *string // nil: no file
		want     string  // the file afterwards, compared as JSON with key order checked through the text
		res      mergeResult
	}{
		{
			name: "no file",
			want: `{"mcpServers":{"toolmux":{"command":"/opt/toolmux/bin/toolmux","args":["serve"]}}}`,
			res:  mergeResult{},
		},
		{
			name:     "empty file",
			existing: ptr("  \n"),
			want:     `{"mcpServers":{"toolmux":{"command":"/opt/toolmux/bin/toolmux","args":["serve"]}}}`,
			res:      mergeResult{backup: "B"},
		},
		{
			name:     "other servers and settings kept in order",
			existing: ptr(`{"theme": "dark", "mcpServers": {"zeta": {"command": "z", "env": {"K": "v"}}, "alpha": {"command": "a", "args": ["x"]}}, "globalShortcut": "Ctrl+Space"}`),
			want:     `{"theme":"dark","mcpServers":{"zeta":{"command":"z","env":{"K":"v"}},"alpha":{"command":"a","args":["x"]},"toolmux":{"command":"/opt/toolmux/bin/toolmux","args":["serve"]}},"globalShortcut":"Ctrl+Space"}`,
			res:      mergeResult{others: 2, backup: "B"},
		},
		{
			name:     "existing entry replaced in place",
			existing: ptr(`{"mcpServers": {"toolmux": {"command": "/old/toolmux", "args": ["serve"]}, "memory": {"command": "m"}}}`),
			want:     `{"mcpServers":{"toolmux":{"command":"/opt/toolmux/bin/toolmux","args":["serve"]},"memory":{"command":"m"}}}`,
			res:      mergeResult{replaced: true, others: 1, backup: "B"},
		},
		{
			name:     "same entry: unchanged",
			existing: ptr(`{"mcpServers": {"toolmux": {"args": ["serve"], "command": "/opt/toolmux/bin/toolmux"}}}`),
			want:     `{"mcpServers": {"toolmux": {"args": ["serve"], "command": "/opt/toolmux/bin/toolmux"}}}`,
			res:      mergeResult{unchanged: true},
		},
		{
			name:     "null mcpServers",
			existing: ptr(`{"mcpServers": null}`),
			want:     `{"mcpServers":{"toolmux":{"command":"/opt/toolmux/bin/toolmux","args":["serve"]}}}`,
			res:      mergeResult{backup: "B"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sub", "claude_desktop_config.json")
			if tc.existing != nil {
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(*tc.existing), 0o640); err != nil {
					t.Fatal(err)
				}
			}
			res, err := mergeServerEntry(path, "toolmux", testEntry, now)
			if err != nil {
				t.Fatal(err)
			}
			wantBackup := ""
			if tc.res.backup != "" {
				wantBackup = path + ".bak-20260102T030405Z"
			}
			tc.res.backup = wantBackup
			if res != tc.res {
				t.Errorf("result %+v, want %+v", res, tc.res)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if compact(t, got) != compact(t, []byte(tc.want)) {
				t.Errorf("file:\n%s\nwant (compacted):\n%s", got, tc.want)
			}
			if wantBackup != "" {
				b, err := os.ReadFile(wantBackup)
				if err != nil {
					t.Fatalf("no backup: %v", err)
				}
				if string(b) != *tc.existing {
					t.Errorf("backup holds %q, want the old file %q", b, *tc.existing)
				}
				if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
					t.Errorf("file mode %v, want the old file's 0640", fi.Mode().Perm())
				}
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}

func TestMergeServerEntryRefusesBadFiles(t *testing.T) {
	for name, content := range map[string]string{
		"not JSON":               `{"mcpServers": {`,
		"array":                  `[1, 2]`,
		"comments":               "{\n  // my servers\n  \"mcpServers\": {}\n}",
		"mcpServers not object":  `{"mcpServers": ["toolmux"]}`,
		"trailing data":          `{"mcpServers": {}} {}`,
		"server value truncated": `{"mcpServers": {"a": {"command": }}}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mcp.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := mergeServerEntry(path, "toolmux", testEntry, time.Now())
			if err == nil || !strings.Contains(err.Error(), "not changed") || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v, want one naming the file and saying it was not changed", err)
			}
			if got, _ := os.ReadFile(path); string(got) != content {
				t.Errorf("the file changed to %q", got)
			}
			if m, _ := filepath.Glob(path + ".bak-*"); len(m) != 0 {
				t.Errorf("backup written for a refused file: %v", m)
			}
		})
	}
}

func TestIsGoRunBinary(t *testing.T) {
	for exe, want := range map[string]bool{
		"/tmp/go-build3391834261/b001/exe/toolmux":                        true,
		`C:\Users\me\AppData\Local\Temp\go-build123\b001\exe\toolmux.exe`: filepath.Separator == '\\',
		"/home/me/go/bin/toolmux":                                         false,
		"/usr/local/bin/toolmux":                                          false,
		"/home/me/src/go-builder/toolmux":                                 true, // conservative: any go-build* directory
	} {
		if got := isGoRunBinary(exe); got != want {
			t.Errorf("isGoRunBinary(%q) = %v, want %v", exe, got, want)
		}
	}
}

// runCLI runs the command line with the streams captured, HOME and the XDG directories in a scratch directory.
func runCLI(t *testing.T, stdin io.Reader, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("TOOLMUX_CONFIG", "")
	t.Setenv("TOOLMUX_STATE_DIR", "")
	var out, errb bytes.Buffer
	err = Run(context.Background(), args, IO{In: stdin, Out: &out, Err: &errb})
	return out.String(), errb.String(), err
}

func TestConfigClientSnippet(t *testing.T) {
	tests := []struct {
		args []string
		want serverEntry
	}{
		{[]string{"config", "client", "claude", "--command", "/opt/tm/toolmux"},
			serverEntry{Command: "/opt/tm/toolmux", Args: []string{"serve"}}},
		{[]string{"config", "client", "cursor", "--command", "/opt/tm/toolmux"},
			serverEntry{Command: "/opt/tm/toolmux", Args: []string{"serve", "--session", "cursor"}}},
		{[]string{"--user", "ann", "config", "client", "claude", "--command", "/opt/tm/toolmux", "--session", "work"},
			serverEntry{Command: "/opt/tm/toolmux", Args: []string{"serve", "--session", "work", "--user", "ann"}}},
		{[]string{"--state-dir", "/srv/tm-state", "config", "client", "claude", "--command", "/opt/tm/toolmux"},
			serverEntry{Command: "/opt/tm/toolmux", Args: []string{"serve"}, Env: map[string]string{"TOOLMUX_STATE_DIR": "/srv/tm-state"}}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, err := runCLI(t, strings.NewReader(""), tc.args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, errOut)
			}
			var got struct {
				MCPServers map[string]serverEntry `json:"mcpServers"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("stdout is not the JSON snippet: %v\n%s", err, out)
			}
			b, _ := json.Marshal(got.MCPServers["toolmux"])
			w, _ := json.Marshal(tc.want)
			if string(b) != string(w) {
				t.Errorf("entry %s, want %s", b, w)
			}
			if !strings.Contains(errOut, "restart") || !strings.Contains(errOut, "--write") {
				t.Errorf("stderr does not say where to put it and how to --write it:\n%s", errOut)
			}
		})
	}
}

func TestConfigClientWrite(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mcp.json")
	if err := os.WriteFile(file, []byte(`{"mcpServers": {"memory": {"command": "mcp-server-memory"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"config", "client", "cursor", "--command", "/opt/tm/toolmux", "--file", file, "--write"}
	out, errOut, err := runCLI(t, strings.NewReader(""), args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.Contains(out, "added") || !strings.Contains(out, "1 other server(s) kept") {
		t.Errorf("output: %s", out)
	}
	var cfg struct {
		MCPServers map[string]serverEntry `json:"mcpServers"`
	}
	data, _ := os.ReadFile(file)
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.MCPServers["memory"].Command != "mcp-server-memory" || cfg.MCPServers["toolmux"].Command != "/opt/tm/toolmux" {
		t.Errorf("merged file: %s", data)
	}
	out, _, err = runCLI(t, strings.NewReader(""), args...)
	if err != nil || !strings.Contains(out, "nothing changed") {
		t.Errorf("second --write: %v %s", err, out)
	}
}

func TestConfigClientUnknown(t *testing.T) {
	_, _, err := runCLI(t, strings.NewReader(""), "config", "client", "vscode")
	if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "claude") {
		t.Errorf("err %v (exit %d), want a usage error naming the clients", err, ExitCode(err))
	}
}

func TestRootWelcomeOnTerminal(t *testing.T) {
	old := isTerminal
	isTerminal = func(io.Reader) bool { return true }
	t.Cleanup(func() { isTerminal = old })
	out, _, err := runCLI(t, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"toolmux config client claude", "toolmux config client cursor", "toolmux connect github", `toolmux tools search "create an issue"`} {
		if !strings.Contains(out, want) {
			t.Errorf("welcome lacks %q:\n%s", want, out)
		}
	}
}

func compact(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return buf.String()
}

func ptr(s string) *string { return &s }
