package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/toolmux/toolmux/config"
)

func TestAddMCP(t *testing.T) {
	existing := "# my settings\nlog_level = \"warn\" # keep me\n\n[[toolkits]]\nslug = \"memory\"\ntype = \"mcp\"\ncommand = \"mcp-server-memory\"\n"
	tests := []struct {
		name    string
		initial string // "" means no file
		args    []string
		want    config.Toolkit
	}{
		{
			name: "new file, stdio",
			args: []string{"fs", "--env", "TOKEN=env:FS_TOKEN", "--env", "MODE=a \"b\"", "--cwd", "work", "--", "node", "server.js", "--root", `C:\dir`},
			want: config.Toolkit{Slug: "fs", Type: "mcp", Command: "node", Args: []string{"server.js", "--root", `C:\dir`},
				Env: map[string]string{"TOKEN": "env:FS_TOKEN", "MODE": `a "b"`}, Cwd: "work"},
		},
		{
			name:    "appended, http",
			initial: existing,
			args:    []string{"remote", "--url", "https://mcp.example.com/mcp", "--header", "Authorization=env:REMOTE_AUTH"},
			want: config.Toolkit{Slug: "remote", Type: "mcp", URL: "https://mcp.example.com/mcp",
				Headers: map[string]string{"Authorization": "env:REMOTE_AUTH"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "conf", "config.toml")
			if tc.initial != "" {
				if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(tc.initial), 0o640); err != nil {
					t.Fatal(err)
				}
			}
			out, errOut, err := runCLI(t, strings.NewReader(""), append([]string{"--config", file, "toolkits", "add-mcp"}, tc.args...)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, errOut)
			}
			if !strings.Contains(out, "added toolkit "+tc.want.Slug) {
				t.Errorf("output: %s", out)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(data), tc.initial) {
				t.Errorf("the existing text was not kept:\n%s", data)
			}
			cfg, err := config.Load(file)
			if err != nil {
				t.Fatalf("the written file does not load: %v\n%s", err, data)
			}
			got := cfg.Toolkits[len(cfg.Toolkits)-1]
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(config.Toolkit{})); diff != "" {
				t.Errorf("entry (-want +got):\n%s\nfile:\n%s", diff, data)
			}
			fi, _ := os.Stat(file)
			if want := map[bool]os.FileMode{true: 0o600, false: 0o640}[tc.initial == ""]; fi.Mode().Perm() != want {
				t.Errorf("mode %v, want %v", fi.Mode().Perm(), want)
			}
		})
	}
}

func TestAddMCPRefuses(t *testing.T) {
	existing := "[[toolkits]]\nslug = \"memory\"\ntype = \"mcp\"\ncommand = \"mcp-server-memory\"\n"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"declared slug", []string{"memory", "--", "other"}, "already declared"},
		{"built-in slug", []string{"github", "--", "gh-mcp"}, "built-in"},
		{"bad slug", []string{"Bad-Slug", "--", "x"}, "slug"},
		{"no command", []string{"fs"}, "command after --"},
		{"command and url", []string{"fs", "--url", "https://x.example/mcp", "--", "x"}, "not both"},
		{"header without url", []string{"fs", "--header", "A=b", "--", "x"}, "--url"},
		{"bad env", []string{"fs", "--env", "NOVALUE", "--", "x"}, "KEY=VALUE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(file, []byte(existing), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := runCLI(t, strings.NewReader(""), append([]string{"--config", file, "toolkits", "add-mcp"}, tc.args...)...)
			if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v (exit %d), want a usage error with %q", err, ExitCode(err), tc.want)
			}
			if data, _ := os.ReadFile(file); string(data) != existing {
				t.Errorf("the file changed:\n%s", data)
			}
		})
	}
}

// FuzzTOMLString: any flag value written by add-mcp reads back unchanged.
func FuzzTOMLString(f *testing.F) {
	for _, s := range []string{"", "plain", `C:\dir`, "a \"quoted\" b", "line\nbreak\ttab", "\x00\x1f\x7f", "ünï©ødé"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // flags come from the command line as text; TOML files are UTF-8
		}
		text := "[[toolkits]]\nslug = \"x\"\ntype = \"mcp\"\ncommand = " + tomlString(s) + "\n"
		cfg, err := config.Parse([]byte(text), "fuzz.toml")
		if s == "" {
			return // an empty command is refused by validation, not by quoting
		}
		if err != nil {
			t.Fatalf("%q quoted as %s does not parse: %v", s, tomlString(s), err)
		}
		if got := cfg.Toolkits[0].Command; got != s {
			t.Fatalf("%q read back as %q", s, got)
		}
	})
}
