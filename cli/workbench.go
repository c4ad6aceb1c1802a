package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/sandbox"
)

// workbenchStatus starts a throwaway sandbox the way a session would, and says whether the workbench tools can run
// code here and, if not, how to fix it.
func workbenchStatus(ctx context.Context, cfg config.Workbench) (bool, string) {
	dir, err := os.MkdirTemp("", "toolmux-doctor-")
	if err != nil {
		return false, fmt.Sprintf("cannot create a scratch dir to test the sandbox: %v", err)
	}
	defer os.RemoveAll(dir)
	sb := sandbox.New(sandbox.Config{Mode: sandbox.Mode(cfg.Sandbox), FilesDir: dir})
	if err := sb.Available(ctx); err != nil {
		return false, "COMPOSIO_REMOTE_WORKBENCH and BASH are unavailable: " + err.Error()
	}
	if sb.Mode() == sandbox.ModeNone {
		return true, "WARNING: runs code WITHOUT isolation (workbench.sandbox = \"none\"); install bubblewrap and set sandbox = \"bwrap\""
	}
	return true, "bubblewrap sandbox works (no network, read-only system, files at " + sandbox.FilesMount + ")"
}
