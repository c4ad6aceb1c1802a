package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestExampleLoadsAndDocumentsEveryKey(t *testing.T) {
	c, err := Load(filepath.Join("..", "config.example.toml"))
	if err != nil {
		t.Fatalf("config.example.toml must load: %v", err)
	}
	if len(c.Toolkits) != 3 || c.Toolkits[0].Slug != "petstore" || c.Toolkits[1].Type != "mcp" || c.Toolkits[1].Env["MEMORY_FILE_PATH"] == "" || c.Toolkits[2].URL == "" {
		t.Errorf("example toolkits = %+v, want the petstore, the mcp memory and the mcp remote entries", c.Toolkits)
	}
	if got := c.SpecPath(c.Toolkits[0]); got != filepath.Join("..", "specs", "petstore.yaml") {
		t.Errorf("SpecPath = %q, want it relative to the config file", got)
	}
	data, err := os.ReadFile(filepath.Join("..", "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, key := range tomlKeys(reflect.TypeOf(Config{})) {
		if !strings.Contains(text, "\n"+key+" =") && !strings.Contains(text, "."+key+"]") && !strings.Contains(text, "["+key+"]") && !strings.Contains(text, "[["+key+"]]") && !strings.Contains(text, "["+key+".") && !strings.Contains(text, "."+key+".") {
			t.Errorf("config.example.toml does not document key %q", key)
		}
	}
}

// tomlKeys lists the toml key names of a struct type, recursively.
func tomlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("toml"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		keys = append(keys, name)
		ft := f.Type
		for ft.Kind() == reflect.Slice || ft.Kind() == reflect.Map || ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			keys = append(keys, tomlKeys(ft)...)
		}
	}
	return keys
}

func TestDefault(t *testing.T) {
	c := Default()
	if c.Session != "default" || c.MetaToolPrefix != "COMPOSIO" || c.Execution.Concurrency != 8 ||
		c.Execution.OffloadThresholdChars != 20000 || c.File() != "" {
		t.Errorf("unexpected default: %+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, toml string
		want       []string // substrings of the error
	}{
		{"unknown key names key and line", "log_level = \"info\"\nsesion = \"x\"\n", []string{`"sesion"`, "line 2", "config.example.toml"}},
		{"unknown nested key", "[execution]\nconcurency = 3\n", []string{`"execution.concurency"`}},
		{"wrong type", "[execution]\nconcurrency = \"many\"\n", []string{"test.toml:2", "concurrency"}},
		{"bad prefix", "meta_tool_prefix = \"lower\"\n", []string{"meta_tool_prefix", "upper-case"}},
		{"bad log level", "log_level = \"loud\"\n", []string{"log_level", "debug, info"}},
		{"bad workbench sandbox", "[workbench]\nsandbox = \"docker\"\n", []string{"workbench.sandbox", `"bwrap"`, `"none"`}},
		{"workbench memory too small", "[workbench]\nmemory_mb = 8\n", []string{"workbench.memory_mb", "at least 64"}},
		{"enable and disable", "[filter.toolkits]\nenable=[\"a\"]\ndisable=[\"b\"]\n", []string{"filter.toolkits", "not both"}},
		{"plain secret", "[auth.github]\nscheme=\"BEARER_TOKEN\"\ntoken=\"ghp_abc\"\n", []string{"auth.github.token", "env:NAME"}},
		{"secret value not echoed", "[auth.github]\nscheme=\"BEARER_TOKEN\"\ntoken=\"ghp_abc\"\n", nil},
		{"plain secret names keyring refs", "[auth.github]\nscheme=\"BEARER_TOKEN\"\ntoken=\"ghp_abc\"\n", []string{"keyring:NAME", "toolmux secrets set NAME"}},
		{"keyring ref with a bad name", "[auth.github]\nscheme=\"BEARER_TOKEN\"\ntoken=\"keyring:my-token\"\n", []string{"auth.github.token"}},
		{"plain client secret", "[auth.github]\nscheme=\"OAUTH2\"\nclient_secret=\"ghp_abc\"\n", []string{"auth.github.client_secret", "keyring:NAME"}},
		{"missing token", "[auth.github]\nscheme=\"BEARER_TOKEN\"\n", []string{"auth.github.token is missing"}},
		{"bad scheme", "[auth.x]\nscheme=\"OAUTH9\"\n", []string{"auth.x.scheme", "BEARER_TOKEN"}},
		{"bad scope separator", "[auth.x]\nscheme=\"OAUTH2\"\nscope_separator=\";\"\n", []string{"auth.x.scope_separator", `use ","`}},
		{"bad toolkit slug", "[[toolkits]]\nslug=\"Bad Slug\"\ntype=\"openapi\"\nspec=\"a.json\"\n", []string{"toolkits[0].slug"}},
		{"toolkit twice", "[[toolkits]]\nslug=\"a\"\ntype=\"openapi\"\nspec=\"a.json\"\n[[toolkits]]\nslug=\"a\"\ntype=\"openapi\"\nspec=\"b.json\"\n", []string{"declared twice"}},
		{"toolkit without spec", "[[toolkits]]\nslug=\"a\"\ntype=\"openapi\"\n", []string{"toolkits[0].spec is missing"}},
		{"mcp toolkit without command", "[[toolkits]]\nslug=\"a\"\ntype=\"mcp\"\n", []string{"toolkits[0].command is missing"}},
		{"mcp toolkit with spec", "[[toolkits]]\nslug=\"a\"\ntype=\"mcp\"\ncommand=\"x\"\nspec=\"a.json\"\n", []string{"toolkits[0]", "spec and base_url"}},
		{"openapi toolkit with command", "[[toolkits]]\nslug=\"a\"\ntype=\"openapi\"\nspec=\"a.json\"\ncommand=\"x\"\n", []string{"toolkits[0]", `set type = "mcp"`}},
		{"unknown toolkit type", "[[toolkits]]\nslug=\"a\"\ntype=\"grpc\"\n", []string{"toolkits[0].type", `use "openapi" or "mcp"`}},
		{"concurrency range", "[execution]\nconcurrency = 0\n", []string{"execution.concurrency = 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.toml), "test.toml")
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if strings.Contains(err.Error(), "ghp_abc") {
				t.Errorf("error echoes the secret: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseOverridesDefaults(t *testing.T) {
	c, err := Parse([]byte("[execution]\nconcurrency = 3\n"), "x.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Execution.Concurrency != 3 || c.Execution.TimeoutSeconds != 60 || c.MetaToolPrefix != "COMPOSIO" {
		t.Errorf("file values must override defaults and keep the rest: %+v", c.Execution)
	}
}

func TestResolveSecret(t *testing.T) {
	t.Setenv("TOOLMUX_TEST_SECRET", "s3cret")
	if v, err := ResolveSecret("env:TOOLMUX_TEST_SECRET"); err != nil || v != "s3cret" {
		t.Errorf("ResolveSecret = %q, %v", v, err)
	}
	if _, err := ResolveSecret("env:TOOLMUX_TEST_UNSET_VAR"); err == nil || !strings.Contains(err.Error(), "TOOLMUX_TEST_UNSET_VAR is not set") {
		t.Errorf("unset variable: err = %v", err)
	}
	if _, err := ResolveSecret("plain"); err == nil {
		t.Error("a plain value must be refused")
	}
}

func TestSecretRefs(t *testing.T) {
	c, err := Parse([]byte(`
[auth.github]
scheme = "BEARER_TOKEN"
token = "keyring:GH"
[auth.jira]
scheme = "BASIC"
username = "me"
password = "env:JIRA_PASSWORD"
[auth.slack]
scheme = "OAUTH2"
client_secret = "keyring"
[[toolkits]]
slug = "remote"
type = "mcp"
url = "https://mcp.example.com/mcp"
headers = { Authorization = "keyring:REMOTE", X-Plain = "not a reference" }
[[toolkits]]
slug = "fs"
type = "mcp"
command = "mcp-server-filesystem"
env = { B_TOKEN = "env:FS_TOKEN", A_MODE = "ro" }
`), "x.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := []SecretRef{
		{"auth.github.token", "keyring:GH"},
		{"auth.jira.password", "env:JIRA_PASSWORD"},
		{"toolkits.remote.headers.Authorization", "keyring:REMOTE"},
		{"toolkits.fs.env.B_TOKEN", "env:FS_TOKEN"},
	}
	if got := SecretRefs(c); !slices.Equal(got, want) {
		t.Errorf("SecretRefs =\n%v\nwant\n%v", got, want)
	}
	if _, err := ResolveSecret("keyring:GH"); err == nil || !strings.Contains(err.Error(), "secret store") {
		t.Errorf("ResolveSecret(keyring:GH) = %v, want an error saying it needs the secret store", err)
	}
}

func TestPaths(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	t.Setenv(EnvConfig, "")
	t.Setenv(EnvStateDir, "")
	if got := Path(""); got != "" {
		t.Errorf("Path with no file = %q, want the embedded default", got)
	}
	if err := os.MkdirAll(filepath.Join(dir, "toolmux"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "toolmux", "config.toml"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, want := Path(""), filepath.Join(dir, "toolmux", "config.toml"); got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
	t.Setenv(EnvConfig, "/env/config.toml")
	if got := Path(""); got != "/env/config.toml" {
		t.Errorf("Path with $TOOLMUX_CONFIG = %q", got)
	}
	if got := Path("/flag.toml"); got != "/flag.toml" {
		t.Errorf("Path with flag = %q", got)
	}
	c := Default()
	if got, want := c.StateDirPath(""), filepath.Join(dir, "state", "toolmux"); got != want {
		t.Errorf("StateDirPath = %q, want %q", got, want)
	}
	t.Setenv(EnvStateDir, "/env/state")
	if got := c.StateDirPath(""); got != "/env/state" {
		t.Errorf("StateDirPath with env = %q", got)
	}
	if got := c.StateDirPath("/flag"); got != "/flag" {
		t.Errorf("StateDirPath with flag = %q", got)
	}
	if u, err := c.UserID("bob"); err != nil || u != "bob" {
		t.Errorf("UserID flag = %q, %v", u, err)
	}
	if u, err := c.UserID(""); err != nil || u == "" {
		t.Errorf("UserID from OS = %q, %v", u, err)
	}
}

// TestNameLimits: slugs, session names and meta tool prefixes are checked for characters and length.
func TestNameLimits(t *testing.T) {
	prefixOK := func(p string) bool {
		c := Default()
		c.MetaToolPrefix = p
		return c.Validate() == nil
	}
	for _, tc := range []struct {
		name  string
		valid func(string) bool
		in    string
		want  bool
	}{
		{"slug", ValidSlug, "github", true},
		{"slug", ValidSlug, "a" + strings.Repeat("_", 63), true},
		{"slug", ValidSlug, "a" + strings.Repeat("_", 64), false},
		{"slug", ValidSlug, "", false},
		{"slug", ValidSlug, "_a", false},
		{"slug", ValidSlug, "Github", false},
		{"slug", ValidSlug, "git-hub", false},
		{"slug", ValidSlug, "github\n", false},
		{"session", ValidSessionName, "claude", true},
		{"session", ValidSessionName, "9." + strings.Repeat("x", 126), true},
		{"session", ValidSessionName, "9." + strings.Repeat("x", 127), false},
		{"session", ValidSessionName, "", false},
		{"session", ValidSessionName, ".hidden", false},
		{"session", ValidSessionName, "a/b", false},
		{"session", ValidSessionName, "a b", false},
		{"prefix", prefixOK, "COMPOSIO", true},
		{"prefix", prefixOK, "T" + strings.Repeat("9", 31), true},
		{"prefix", prefixOK, "T" + strings.Repeat("9", 32), false},
		{"prefix", prefixOK, "", false},
		{"prefix", prefixOK, "9T", false},
		{"prefix", prefixOK, "Tool", false},
	} {
		if got := tc.valid(tc.in); got != tc.want {
			t.Errorf("%s %q (%d bytes): valid %v, want %v", tc.name, tc.in, len(tc.in), got, tc.want)
		}
	}
}

// FuzzParse: any config file text is parsed into a valid config or refused with an error naming the file, never a
// panic. (TestParseErrors checks that secrets are not echoed.)
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("../config.example.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example))
	f.Add("[auth.github]\nscheme=\"BEARER_TOKEN\"\ntoken=\"ghp_abc\"\n")
	f.Add("[[toolkits]]\nslug=\"a\"\ntype=\"mcp\"\ncommand=\"x\"\nenv={K=\"env:V\"}\n")
	f.Add("session = \"s\"\n[execution]\nconcurrency = 3\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse([]byte(text), "fuzz.toml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.toml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed, then invalid: %v", err)
		}
	})
}
