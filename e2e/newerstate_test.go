package e2e

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// TestServeStateFromNewerVersion: a stdio server whose state database was written by a newer toolmux still answers
// the handshake (it opens its state in the background), logs the problem with its fix, and every call that needs
// the state fails with the same words instead of the process vanishing.
func TestServeStateFromNewerVersion(t *testing.T) {
	h := newHarness(t)
	h.mustRun("", "tools", "list") // creates the state database
	db, err := sql.Open("sqlite", filepath.Join(h.stateDir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	s := h.serve(ctx, nil)
	tools, err := s.cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) == 0 {
		t.Fatalf("tools/list: %v", err)
	}
	for name, args := range map[string]any{
		"COMPOSIO_SEARCH_TOOLS":       map[string]any{"queries": []map[string]any{{"use_case": "top stories on Hacker News"}}},
		"COMPOSIO_MULTI_EXECUTE_TOOL": map[string]any{"tools": []map[string]any{{"tool_slug": "HACKERNEWS_GET_TOP_STORIES", "arguments": map[string]any{}}}},
	} {
		env := s.callTool(ctx, t, name, args, nil)
		if env.Successful || !strings.Contains(env.errorText(), "was written by a newer toolmux") || !strings.Contains(env.errorText(), "--state-dir") {
			t.Errorf("%s: successful=%v error %q; want the newer-schema error with its fix", name, env.Successful, env.errorText())
		}
	}
	s.close(t)
	if !strings.Contains(s.stderr.String(), "the state database cannot be used") || !strings.Contains(s.stderr.String(), "upgrade toolmux") {
		t.Errorf("stderr does not name the problem and its fix:\n%s", s.stderr)
	}
}
