package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/session"
)

func newDoctorCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check the config, the state directory, every toolkit and its credentials",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			failed := 0
			report := func(ok bool, what, detail string) {
				mark := "ok  "
				if !ok {
					mark = "FAIL"
					failed++
				}
				fmt.Fprintf(g.io.Out, "%s %-12s %s\n", mark, what, detail)
			}
			fmt.Fprintf(g.io.Out, "toolmux %s (%s, %s/%s)\n", session.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			p := config.Path(g.configPath)
			if _, err := g.loadConfig(); err != nil {
				report(false, "config", err.Error())
				return &ExitCodeError{ExitConfig, fmt.Errorf("doctor: the config does not load")}
			}
			if p == "" {
				report(true, "config", "embedded default (no file)")
			} else {
				report(true, "config", p)
			}
			e, err := g.open(ctx)
			if err != nil {
				report(false, "state", err.Error())
				return fmt.Errorf("doctor: %d problem(s)", failed)
			}
			defer e.close()
			report(true, "state", filepath.Join(e.stateDir, "state.db"))
			report(true, "user", e.user)
			report(secretStoreReport(ctx, e))
			if fi, err := os.Stat(e.stateDir); err == nil && fi.Mode().Perm()&0o077 != 0 {
				report(false, "state perms", fmt.Sprintf("%s is readable by others (%v); run chmod 700 %s", e.stateDir, fi.Mode().Perm(), e.stateDir))
			}
			cat, err := e.catalog(ctx)
			if err != nil {
				report(false, "catalog", err.Error())
				return fmt.Errorf("doctor: %d problem(s)", failed)
			}
			report(true, "catalog", fmt.Sprintf("%d toolkits, %d tools", len(cat.Toolkits()), cat.Len()))
			for _, p := range cat.Problems {
				report(false, "toolkit", p)
			}
			for _, tk := range cat.Toolkits() {
				active, status, msg := e.auth.Status(ctx, e.user, tk)
				report(active || status != "FAILED", "toolkit "+tk.Slug, fmt.Sprintf("%d tools, %s: %s", len(tk.Tools), status, msg))
			}
			ok, detail := workbenchStatus(ctx, e.cfg.Workbench)
			report(ok, "workbench", detail)
			if failed > 0 {
				return fmt.Errorf("doctor: %d problem(s) above", failed)
			}
			return nil
		},
	}
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(g.io.Out, "toolmux %s (%s)\n", session.Version, runtime.Version())
		},
	}
}
