package e2e

// One-click install: the MCP Bundle that `make bundle` packs (checked with the pinned @anthropic-ai/mcpb CLI and
// launched the way Claude Desktop launches it), the registry's server.json, and `toolmux` without a command, which
// an MCP client that forgot "args" starts.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type bundleManifest struct {
	ManifestVersion string `json:"manifest_version"`
	Name            string `json:"name"`
	Version         string `json:"version"`
	Server          struct {
		Type       string `json:"type"`
		EntryPoint string `json:"entry_point"`
		MCPConfig  struct {
			Command string            `json:"command"`
			Args    []string          `json:"args"`
			Env     map[string]string `json:"env"`
		} `json:"mcp_config"`
	} `json:"server"`
	Compatibility struct {
		Platforms []string `json:"platforms"`
	} `json:"compatibility"`
	UserConfig map[string]struct {
		Type    string `json:"type"`
		Default any    `json:"default"`
	} `json:"user_config"`
}

type registryServer struct {
	Schema      string `json:"$schema"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Version     string `json:"version"`
	Packages    []struct {
		RegistryType string `json:"registryType"`
		Identifier   string `json:"identifier"`
		Version      string `json:"version"`
		FileSHA256   string `json:"fileSha256"`
		Transport    struct {
			Type string `json:"type"`
		} `json:"transport"`
	} `json:"packages"`
}

func readJSONFile[T any](t *testing.T, path string) T {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// TestServerJSON checks the registry description: the fields the registry requires, and one version everywhere.
func TestServerJSON(t *testing.T) {
	t.Parallel()
	s := readJSONFile[registryServer](t, filepath.Join(repoRoot, "server.json"))
	m := readJSONFile[bundleManifest](t, filepath.Join(repoRoot, "bundle", "manifest.json"))
	if !strings.HasPrefix(s.Schema, "https://static.modelcontextprotocol.io/schemas/") {
		t.Errorf("$schema %q is not the registry's", s.Schema)
	}
	if !regexp.MustCompile(`^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$`).MatchString(s.Name) {
		t.Errorf("name %q is not reverse-DNS/name", s.Name)
	}
	if n := len(s.Description); n == 0 || n > 100 {
		t.Errorf("description has %d characters; the registry wants 1 to 100", n)
	}
	if s.Version != m.Version {
		t.Errorf("server.json version %s, bundle/manifest.json version %s: bump both", s.Version, m.Version)
	}
	out, err := exec.Command(toolmuxBin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	// A development build reports VERSION-dev; release builds set it with -ldflags (scripts/bundle.sh does).
	if bin := strings.TrimSuffix(strings.Fields(string(out))[1], "-dev"); bin != s.Version {
		t.Errorf("the binary's version %s, server.json's %s: bump session.Version's default with them", bin, s.Version)
	}
	if len(s.Packages) == 0 {
		t.Fatal("no packages")
	}
	for _, p := range s.Packages {
		if p.RegistryType != "mcpb" || p.Transport.Type != "stdio" || p.Version != s.Version || !strings.Contains(p.Identifier, "/v"+s.Version+"/") || !strings.HasSuffix(p.Identifier, ".mcpb") {
			t.Errorf("package %+v: want an mcpb of version %s over stdio", p, s.Version)
		}
	}
}

// TestBundle packs the bundle with scripts/bundle.sh, checks it with the mcpb CLI, and runs the packed binary with
// the manifest's mcp_config, the way Claude Desktop does.
func TestBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a release binary; skipped with -short")
	}
	t.Parallel()
	mcpb := nodeBin(t, "mcpb")
	for _, tool := range []string{"bash", "zip"} {
		if _, err := exec.LookPath(tool); err != nil {
			requireComponent(t, tool, "install it (Debian: apt-get install "+tool+")")
		}
	}
	ctx := withTimeout(t, 10*time.Minute)
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, filepath.Join(repoRoot, "scripts", "bundle.sh"), filepath.Join(dir, "dist"))
	cmd.Env = append(os.Environ(), "MCPB="+mcpb)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/bundle.sh: %v\n%s", err, stderrOf(err))
	}
	file := strings.TrimSpace(string(out))
	if !strings.HasSuffix(file, ".mcpb") {
		t.Fatalf("bundle.sh printed %q, want the .mcpb path", out)
	}

	info, err := exec.CommandContext(ctx, mcpb, "info", file).CombinedOutput()
	if err != nil || !strings.Contains(string(info), "toolmux") {
		t.Errorf("mcpb info: %v\n%s", err, info)
	}
	unpacked := filepath.Join(dir, "unpacked")
	if out, err := exec.CommandContext(ctx, mcpb, "unpack", file, unpacked).CombinedOutput(); err != nil {
		t.Fatalf("mcpb unpack: %v\n%s", err, out)
	}
	manifestPath := filepath.Join(unpacked, "manifest.json")
	if out, err := exec.CommandContext(ctx, mcpb, "validate", manifestPath).CombinedOutput(); err != nil || !strings.Contains(string(out), "passes") {
		t.Fatalf("mcpb validate: %v\n%s", err, out)
	}
	m := readJSONFile[bundleManifest](t, manifestPath)
	if m.ManifestVersion != "0.3" || m.Server.Type != "binary" || m.Server.EntryPoint != "server/toolmux" {
		t.Errorf("manifest: version %q, server %q at %q", m.ManifestVersion, m.Server.Type, m.Server.EntryPoint)
	}
	for _, k := range []string{"user_id", "session", "config_path"} {
		if _, ok := m.UserConfig[k]; !ok {
			t.Errorf("user_config lacks %s", k)
		}
	}
	if !slices.Contains(m.Compatibility.Platforms, map[string]string{"darwin": "darwin", "linux": "linux", "windows": "win32"}[goos()]) || len(m.Compatibility.Platforms) != 1 {
		t.Errorf("platforms %v, want only this one", m.Compatibility.Platforms)
	}

	// The registry description written beside it names this very file.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	s := readJSONFile[registryServer](t, filepath.Join(dir, "dist", "server.json"))
	if len(s.Packages) == 0 || s.Packages[0].FileSHA256 != hex.EncodeToString(sum[:]) || !strings.HasSuffix(s.Packages[0].Identifier, "/"+filepath.Base(file)) {
		t.Errorf("dist/server.json packages %+v, want %s with sha256 %x", s.Packages, filepath.Base(file), sum)
	}

	bin := filepath.Join(unpacked, "server", "toolmux")
	if out, err := exec.CommandContext(ctx, bin, "version").Output(); err != nil || !strings.HasPrefix(string(out), "toolmux "+m.Version+" ") {
		t.Errorf("packed binary version: %v %q, want %s", err, out, m.Version)
	}

	// Launch it as Claude Desktop does: ${__dirname} is the unpacked directory, ${user_config.X} the user's values
	// (here the defaults, the config path empty).
	h := newHarness(t)
	subst := strings.NewReplacer("${__dirname}", unpacked, "${user_config.user_id}", "", "${user_config.session}", "claude", "${user_config.config_path}", "")
	launch := exec.Command(subst.Replace(m.Server.MCPConfig.Command))
	for _, a := range m.Server.MCPConfig.Args {
		launch.Args = append(launch.Args, subst.Replace(a))
	}
	launch.Env = slices.Clone(h.env)
	for k, v := range m.Server.MCPConfig.Env {
		launch.Env = append(launch.Env, k+"="+subst.Replace(v))
	}
	stderr := &syncBuffer{}
	launch.Stderr = stderr
	names := listToolNames(ctx, t, launch, stderr)
	if !slices.Contains(names, "COMPOSIO_SEARCH_TOOLS") || !slices.Contains(names, "COMPOSIO_MULTI_EXECUTE_TOOL") {
		t.Errorf("the bundled server lists %v", names)
	}
	if _, err := os.Stat(filepath.Join(h.home, ".local", "state", "toolmux", "state.db")); err != nil {
		t.Errorf("the bundled server did not use the default state directory: %v", err)
	}
}

// TestNoCommandServesMCP: `toolmux` with stdin not a terminal is an MCP client launching it without "args".
func TestNoCommandServesMCP(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 60*time.Second)
	h := newHarness(t)
	cmd := exec.Command(toolmuxBin, "--state-dir", h.stateDir)
	cmd.Env = h.env
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	names := listToolNames(ctx, t, cmd, stderr)
	if !slices.Contains(names, "COMPOSIO_SEARCH_TOOLS") {
		t.Errorf("toolmux without a command lists %v, want the meta tools", names)
	}
	if !strings.Contains(stderr.String(), "toolmux serve") {
		t.Errorf("stderr does not say it serves as `toolmux serve`:\n%s", stderr)
	}
}

func listToolNames(ctx context.Context, t *testing.T, cmd *exec.Cmd, stderr *syncBuffer) []string {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "toolmux-e2e", Version: "1.0.0"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd, TerminateDuration: 5 * time.Second}, nil)
	if err != nil {
		t.Fatalf("connect: %v\nstderr:\n%s", err, stderr)
	}
	defer cs.Close()
	res, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatalf("tools/list: %v\nstderr:\n%s", err, stderr)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	return names
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

func goos() string {
	out, err := exec.Command("go", "env", "GOOS").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
