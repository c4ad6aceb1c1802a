package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDoctorReportsProblemsWithFixes(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(`
[auth.github]
scheme = "BEARER_TOKEN"
token = "env:TOOLMUX_DOCTOR_TEST_UNSET"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOOLMUX_DOCTOR_TEST_UNSET", "")
	out, errOut, err := runCLI(t, strings.NewReader(""), "--config", cfg, "--state-dir", filepath.Join(dir, "state"), "doctor")
	if ExitCode(err) != ExitError {
		t.Fatalf("exit %d (%v), want 1 for a broken setup\n%s%s", ExitCode(err), err, out, errOut)
	}
	lines := strings.Split(out, "\n")
	checks := map[string]bool{}
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		switch {
		case f[0] == "FAIL" && f[1] == "config":
			checks["config"] = strings.Contains(l, "TOOLMUX_DOCTOR_TEST_UNSET") && i+1 < len(lines) && strings.Contains(lines[i+1], "fix:")
		case f[0] == "FAIL" && f[1] == "toolkit" && f[2] == "github":
			checks["github"] = strings.Contains(l, "FAILED") && i+1 < len(lines) && strings.Contains(lines[i+1], "toolmux connect github")
		case f[0] == "ok" && f[1] == "state":
			checks["state"] = true
		case len(f) > 3 && f[0] == "WARN" && f[1] == "toolkit" && f[2] == "jira" && f[3] == "base":
			checks["jira base URL"] = strings.Contains(l, "your-domain.atlassian.net") && i+1 < len(lines) && strings.Contains(lines[i+1], "[builtin.base_url] jira")
		case (f[0] == "ok" || f[0] == "WARN") && f[1] == "toolkit" && f[2] == "hackernews":
			checks["hackernews"] = f[0] == "ok"
		}
	}
	for _, want := range []string{"config", "github", "state", "hackernews", "jira base URL"} {
		if !checks[want] {
			t.Errorf("doctor output lacks the expected %s line (with its fix):\n%s", want, out)
		}
	}
}
