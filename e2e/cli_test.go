package e2e

// The command line: direct execution, JSON output, exit codes, config, sessions, doctor.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Exit codes of cli/cli.go.
const (
	exitUsage    = 2
	exitConfig   = 3
	exitToolCall = 4
)

func TestCLIToolsExec(t *testing.T) {
	t.Parallel()
	api := newInventoryAPI(t)
	h := newHarness(t)
	h.writeConfig(inventoryConfig(t, api, ""))
	argsFile := filepath.Join(h.dir, "args.json")
	if err := os.WriteFile(argsFile, []byte(`{"name":"from-file","quantity":2}`), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, args, stdin, wantName string
	}{
		{"inline JSON", `{"name":"inline","quantity":1}`, "", "inline"},
		{"@file", "@" + argsFile, "", "from-file"},
		{"stdin", "-", `{"name":"from-stdin"}`, "from-stdin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.mustRun(tc.stdin, "tools", "exec", "INVENTORY_CREATE_ITEM", "--args", tc.args, "--json")
			env := decode[envelope](t, []byte(r.stdout))
			if !env.Successful || env.Error != nil {
				t.Fatalf("--json envelope = %+v", env)
			}
			if item := decode[map[string]any](t, env.Data); item["name"] != tc.wantName {
				t.Errorf("created %v, want name %q", item, tc.wantName)
			}
		})
	}
	t.Run("without --json prints the data", func(t *testing.T) {
		r := h.mustRun("", "tools", "exec", "INVENTORY_GET_ITEM", "--args", `{"item_id":"42"}`)
		if item := decode[map[string]any](t, []byte(r.stdout)); item["id"] != "42" || item["name"] != "widget" {
			t.Errorf("stdout = %v, want the item itself", item)
		}
	})
	var names []any
	for _, b := range api.createdBodies() {
		names = append(names, b["name"])
	}
	if diff := cmp.Diff([]any{"inline", "from-file", "from-stdin"}, names); diff != "" {
		t.Errorf("items the API received (-want +got):\n%s", diff)
	}
}

func TestCLIExitCodes(t *testing.T) {
	t.Parallel()
	api := newInventoryAPI(t)
	h := newHarness(t)
	h.writeConfig(inventoryConfig(t, api, ""))
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"unknown command", []string{"no-such-command"}, exitUsage, "unknown command"},
		{"unknown flag", []string{"tools", "exec", "INVENTORY_GET_ITEM", "--no-such-flag"}, exitUsage, "--no-such-flag"},
		{"missing slug", []string{"tools", "exec"}, exitUsage, "arg"},
		{"too many arguments", []string{"tools", "schema", "A", "B"}, exitUsage, "arg"},
		{"arguments not JSON", []string{"tools", "exec", "INVENTORY_GET_ITEM", "--args", "item_id=42"}, exitUsage, "JSON object"},
		{"arguments file missing", []string{"tools", "exec", "INVENTORY_GET_ITEM", "--args", "@" + filepath.Join(h.dir, "missing.json")}, exitUsage, "missing.json"},
		{"unknown tool schema", []string{"tools", "schema", "INVENTORY_GETITEM"}, exitUsage, "INVENTORY_GET_ITEM"},
		{"invalid toolkit slug", []string{"toolkits", "import", "openapi", testdata(t, "inventory.yaml"), "--slug", "Bad-Slug"}, exitUsage, "--slug"},
		{"missing required field", []string{"tools", "exec", "INVENTORY_CREATE_ITEM", "--args", `{"quantity":1}`}, exitToolCall, "name"},
		{"wrong argument type", []string{"tools", "exec", "INVENTORY_LIST_ITEMS", "--args", `{"limit":"ten"}`}, exitToolCall, "limit"},
		{"API answers 500", []string{"tools", "exec", "INVENTORY_GET_BROKEN"}, exitToolCall, "500"},
		{"API answers 404", []string{"tools", "exec", "INVENTORY_GET_ITEM", "--args", `{"item_id":"9"}`}, exitToolCall, "404"},
		{"call times out", []string{"tools", "exec", "INVENTORY_GET_DELAYED", "--args", `{"ms":5000}`}, exitToolCall, "timed out"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := h.run("", tc.args...)
			if r.code != tc.code {
				t.Errorf("toolmux %s: exit %d, want %d\n%s", strings.Join(tc.args, " "), r.code, tc.code, r)
			}
			if !strings.Contains(r.stderr, tc.inStderr) {
				t.Errorf("toolmux %s: stderr does not mention %q:\n%s", strings.Join(tc.args, " "), tc.inStderr, r.stderr)
			}
		})
	}
	t.Run("config missing", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.config = filepath.Join(h.dir, "missing.toml")
		if r := h.run("", "tools", "list"); r.code != exitConfig || !strings.Contains(r.stderr, "missing.toml") {
			t.Errorf("tools list with a missing config: want exit %d naming the file, got %s", exitConfig, r)
		}
	})
	t.Run("tool failure with --json", func(t *testing.T) {
		t.Parallel()
		r := h.run("", "tools", "exec", "INVENTORY_GET_BROKEN", "--json")
		if r.code != exitToolCall {
			t.Errorf("exit %d, want %d", r.code, exitToolCall)
		}
		env := decode[envelope](t, []byte(r.stdout))
		if env.Successful || !strings.Contains(env.errorText(), "database on fire") {
			t.Errorf("--json envelope = %+v, want a failure quoting the API", env)
		}
	})
	t.Run("unknown tool exec", func(t *testing.T) {
		t.Parallel()
		r := h.run("", "tools", "exec", "INVENTORY_GETITEM")
		if r.code == 0 || !strings.Contains(r.stderr, "INVENTORY_GET_ITEM") {
			t.Errorf("exec of an unknown slug: want a failure suggesting INVENTORY_GET_ITEM, got %s", r)
		}
	})
}

func TestCLIJSONOutputs(t *testing.T) {
	t.Parallel()
	api := newInventoryAPI(t)
	h := newHarness(t)
	h.writeConfig(inventoryConfig(t, api, ""))
	h.mustRun("", "tools", "exec", "INVENTORY_GET_ITEM", "--args", `{"item_id":"42"}`)
	for _, args := range [][]string{
		{"tools", "list"},
		{"tools", "list", "--toolkit", "inventory"},
		{"tools", "search", "create", "inventory", "item"},
		{"tools", "schema", "INVENTORY_CREATE_ITEM"},
		{"toolkits", "list"},
		{"toolkits", "show", "inventory"},
		{"sessions", "list"},
		{"logs"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := h.mustRun("", append(args, "--json")...)
			if !json.Valid([]byte(r.stdout)) {
				t.Errorf("stdout is not JSON:\n%s", r.stdout)
			}
		})
	}
	t.Run("tools list", func(t *testing.T) {
		rows := decode[[]struct {
			Slug    string `json:"slug"`
			Toolkit string `json:"toolkit"`
		}](t, []byte(h.mustRun("", "tools", "list", "--toolkit", "inventory", "--json").stdout))
		var slugs []string
		for _, r := range rows {
			slugs = append(slugs, r.Slug)
		}
		slices.Sort(slugs)
		if diff := cmp.Diff(inventorySlugs, slugs); diff != "" {
			t.Errorf("tools list --toolkit inventory (-want +got):\n%s", diff)
		}
	})
	t.Run("logs record the CLI call", func(t *testing.T) {
		logs := decode[[]map[string]any](t, []byte(h.mustRun("", "logs", "--json").stdout))
		if len(logs) != 1 || field(logs[0], "tool_slug", "ToolSlug") != "INVENTORY_GET_ITEM" {
			t.Errorf("logs = %v, want the one CLI call of INVENTORY_GET_ITEM", logs)
		}
	})
}

func TestCLIConfigInitValidate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.mustRun("", "config", "init")
	path := filepath.Join(h.home, ".config", "toolmux", "config.toml")
	if !strings.Contains(r.stdout, path) {
		t.Errorf("config init printed %q, want the path %s", r.stdout, path)
	}
	if fi, err := os.Stat(path); err != nil {
		t.Fatalf("config init wrote no %s: %v", path, err)
	} else if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("config file mode %v, want no access for others", fi.Mode().Perm())
	}
	if r := h.mustRun("", "config", "validate"); !strings.Contains(r.stdout, "valid") {
		t.Errorf("config validate after init: %s", r)
	}
	if r := h.mustRun("", "config", "path"); !strings.Contains(r.stdout, path) || !strings.Contains(r.stdout, h.stateDir) {
		t.Errorf("config path = %q, want %s and %s", r.stdout, path, h.stateDir)
	}
	if r := h.run("", "config", "init"); r.code != exitUsage || !strings.Contains(r.stderr, "--force") {
		t.Errorf("config init over an existing file: want exit %d suggesting --force, got %s", exitUsage, r)
	}
	h.mustRun("", "config", "init", "--force")

	bad := filepath.Join(h.dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("log_level = \"info\"\n\n[execution]\nconcurency = 4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := h.run("", "config", "validate", bad); r.code != exitConfig || !strings.Contains(r.stderr, "concurency") || !strings.Contains(r.stderr, "line 4") {
		t.Errorf("config validate of a misspelt key: want exit %d naming the key and its line, got %s", exitConfig, r)
	}
}

func TestCLISessions(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 60*time.Second)
	api := newInventoryAPI(t)
	h := newHarness(t)
	h.writeConfig(inventoryConfig(t, api, ""))
	s := h.serve(ctx, nil, "--session", "s1")
	s.execute(ctx, t, map[string]any{"memory": map[string][]string{"facts": {"s1 was here"}}},
		call{"INVENTORY_GET_ITEM", map[string]any{"item_id": "42"}})
	s.close(t)

	list := decode[[]map[string]any](t, []byte(h.mustRun("", "sessions", "list", "--json").stdout))
	var ids []any
	for _, x := range list {
		ids = append(ids, field(x, "id", "ID"))
	}
	if !slices.Contains(ids, any("s1")) {
		t.Fatalf("sessions list = %v, want s1", list)
	}

	show := decode[map[string]any](t, []byte(h.mustRun("", "sessions", "show", "s1", "--json").stdout))
	if mem, _ := show["memory"].(map[string]any); mem == nil || !slices.Contains(mem["facts"].([]any), any("s1 was here")) {
		t.Errorf("sessions show memory = %v, want the fact", show["memory"])
	}
	if execs, _ := show["recent_executions"].([]any); len(execs) != 1 {
		t.Errorf("sessions show recent_executions = %v, want the one call", show["recent_executions"])
	}
	if r := h.mustRun("", "sessions", "show", "s1"); !strings.Contains(r.stdout, "s1") || !strings.Contains(r.stdout, "INVENTORY_GET_ITEM") {
		t.Errorf("sessions show (table):\n%s", r.stdout)
	}
	filesDir := filepath.Join(h.stateDir, "sessions", h.user, "s1")
	if _, err := os.Stat(filesDir); err != nil {
		t.Errorf("session dir %s missing before rm: %v", filesDir, err)
	}

	h.mustRun("", "sessions", "rm", "s1")
	if r := h.run("", "sessions", "show", "s1"); r.code != exitUsage {
		t.Errorf("sessions show after rm: want exit %d, got %s", exitUsage, r)
	}
	if r := h.run("", "sessions", "rm", "s1"); r.code != exitUsage {
		t.Errorf("sessions rm twice: want exit %d, got %s", exitUsage, r)
	}
	if _, err := os.Stat(filesDir); !os.IsNotExist(err) {
		t.Errorf("session dir %s still exists after rm (%v)", filesDir, err)
	}
	if logs := decode[[]any](t, []byte(h.mustRun("", "logs", "--json", "--session", "s1").stdout)); len(logs) != 0 {
		t.Errorf("execution log of the removed session: %v, want none", logs)
	}

	// Scripts read these outputs; their keys follow the snake_case of every other --json output
	// (tools list, toolkits list, sessions show's own keys, the MCP results).
	t.Run("JSON keys are snake_case", func(t *testing.T) {
		h.serve(ctx, nil, "--session", "s2").close(t)
		list := decode[[]map[string]any](t, []byte(h.mustRun("", "sessions", "list", "--json").stdout))
		if len(list) == 0 {
			t.Fatal("no sessions listed")
		}
		for _, k := range []string{"id", "user_id", "created_at", "last_used_at"} {
			if _, ok := list[0][k]; !ok {
				t.Errorf("sessions list --json: no %q key in %v", k, keys(list[0]))
			}
		}
		h.mustRun("", "tools", "exec", "INVENTORY_GET_ITEM", "--args", `{"item_id":"42"}`)
		logs := decode[[]map[string]any](t, []byte(h.mustRun("", "logs", "--json").stdout))
		if len(logs) == 0 {
			t.Fatal("no executions logged")
		}
		for _, k := range []string{"session_id", "tool_slug", "toolkit", "status", "started_at"} {
			if _, ok := logs[0][k]; !ok {
				t.Errorf("logs --json: no %q key in %v", k, keys(logs[0]))
			}
		}
	})
}

func TestCLIDoctorFreshStateDir(t *testing.T) {
	t.Parallel()
	h := newHarness(t) // no config: the embedded default; the state dir does not exist yet
	r := h.run("", "doctor")
	if r.code != 0 {
		t.Fatalf("doctor on a fresh state dir: %s", r)
	}
	if strings.Contains(r.stdout, "FAIL") || !strings.Contains(r.stdout, "catalog") {
		t.Errorf("doctor output:\n%s", r.stdout)
	}
	fi, err := os.Stat(h.stateDir)
	if err != nil {
		t.Fatalf("doctor did not create the state dir: %v", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("state dir mode %v, want no access for others", fi.Mode().Perm())
	}
	if r := h.mustRun("", "version"); !strings.HasPrefix(r.stdout, "toolmux ") {
		t.Errorf("version printed %q", r.stdout)
	}
}

func TestCLIToolsSearchFlags(t *testing.T) {
	t.Parallel()
	api := newInventoryAPI(t)
	h := newHarness(t)
	h.writeConfig(inventoryConfig(t, api, ""))
	type hit struct {
		Slug    string `json:"slug"`
		Toolkit string `json:"toolkit"`
	}
	// Scoped to one toolkit, every hit is from it and -n bounds the list.
	hits := decode[[]hit](t, []byte(h.mustRun("", "tools", "search", "create an item", "--toolkit", "inventory", "-n", "2", "--json").stdout))
	if len(hits) == 0 || len(hits) > 2 {
		t.Fatalf("search -n 2: got %d hits, want 1 or 2: %v", len(hits), hits)
	}
	if hits[0].Slug != "INVENTORY_CREATE_ITEM" {
		t.Errorf("search \"create an item\" --toolkit inventory: first hit %s, want INVENTORY_CREATE_ITEM", hits[0].Slug)
	}
	for _, x := range hits {
		if x.Toolkit != "inventory" {
			t.Errorf("search --toolkit inventory returned %s of toolkit %s", x.Slug, x.Toolkit)
		}
	}
	// The same query twice gives the same order.
	again := decode[[]hit](t, []byte(h.mustRun("", "tools", "search", "create an item", "--toolkit", "inventory", "-n", "2", "--json").stdout))
	if !slices.Equal(hits, again) {
		t.Errorf("search is not deterministic: %v then %v", hits, again)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tools", "search", "create", "--toolkit", "nosuchkit"}, "nosuchkit"},
		{[]string{"tools", "search", "create", "-n", "0"}, "between 1 and 100"},
		{[]string{"tools", "search"}, "QUERY"},
	} {
		r := h.run("", tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: want usage error (exit 2) naming %q, got %s", tc.args, tc.want, r)
		}
	}
}
