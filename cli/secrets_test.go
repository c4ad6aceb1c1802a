package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretsCommand stores, lists and removes a named secret in the file secret store (the keychain store is the
// same code behind auth.SecretStore, tested against a real Secret Service in auth), and checks the secret never
// reaches the output, the config or the state database.
func TestSecretsCommand(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	config := filepath.Join(dir, "config.toml")
	const secret = "Bearer rk-live-5551212"
	text := `[secrets]
store = "file"

[builtin]
disable = ["github", "slack", "jira", "notion", "gmail", "googlecalendar", "googledrive", "linear", "hackernews"]

[[toolkits]]
slug = "remote"
type = "mcp"
url = "http://127.0.0.1:9/mcp"
headers = { Authorization = "keyring:REMOTE_AUTH", X-Team = "env:TOOLMUX_TEST_SECRETS_TEAM" }
`
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(stdin string, args ...string) (string, error) {
		t.Helper()
		out, errOut, err := runCLI(t, strings.NewReader(stdin), append([]string{"--config", config, "--state-dir", state}, args...)...)
		if strings.Contains(out+errOut, "rk-live-5551212") {
			t.Fatalf("the secret was printed by %v:\n%s%s", args, out, errOut)
		}
		return out + errOut, err
	}
	t.Setenv("TOOLMUX_TEST_SECRETS_TEAM", "platform")

	out, err := run("", "secrets", "list")
	if err != nil || !strings.Contains(out, "keyring:REMOTE_AUTH") || !strings.Contains(out, "MISSING") ||
		!strings.Contains(out, "toolmux secrets set REMOTE_AUTH") || !strings.Contains(out, "toolkits.remote.headers.Authorization") {
		t.Fatalf("list before set: %v\n%s", err, out)
	}
	if out, err := run("", "secrets", "set", "REMOTE_AUTH"); err == nil || !strings.Contains(out+err.Error(), "no secret on stdin") {
		t.Fatalf("set with empty stdin: %v\n%s", err, out)
	}
	if _, err := run(secret, "secrets", "set", "bad-name"); err == nil || !strings.Contains(err.Error(), "letters, digits and underscores") {
		t.Fatalf("set with a bad name: %v", err)
	}
	out, err = run(secret+"\n", "secrets", "set", "REMOTE_AUTH")
	if err != nil || !strings.Contains(out, "stored secret REMOTE_AUTH in the file store") || !strings.Contains(out, "toolkits.remote.headers.Authorization") {
		t.Fatalf("set: %v\n%s", err, out)
	}
	out, err = run("", "secrets", "list", "--json")
	if err != nil || strings.Contains(out, "problem") || !strings.Contains(out, `"env:TOOLMUX_TEST_SECRETS_TEAM"`) {
		t.Fatalf("list after set: %v\n%s", err, out)
	}
	for _, f := range []string{config, filepath.Join(state, "state.db")} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "rk-live-5551212") {
			t.Fatalf("%s holds the secret", filepath.Base(f))
		}
	}
	out, err = run("", "secrets", "remove", "REMOTE_AUTH")
	if err != nil || !strings.Contains(out, "removed secret REMOTE_AUTH") || !strings.Contains(out, "still refers to it") {
		t.Fatalf("remove: %v\n%s", err, out)
	}
	if _, err := run("", "secrets", "remove", "REMOTE_AUTH"); err == nil || !strings.Contains(err.Error(), "no secret REMOTE_AUTH") {
		t.Fatalf("removing twice: %v", err)
	}
}
