package cli

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/toolmux/toolmux/auth"
	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/session"
	"github.com/toolmux/toolmux/tools"
)

// doctorReport prints one check per line: "ok", "WARN" (works, with a limitation) or "FAIL" (broken), and for a
// problem the fix on the next line.
type doctorReport struct {
	w      io.Writer
	failed int
	warned int
}

func (r *doctorReport) line(mark, what, detail, fix string) {
	fmt.Fprintf(r.w, "%-4s  %-20s %s\n", mark, what, detail)
	if fix != "" {
		fmt.Fprintf(r.w, "      %-20s fix: %s\n", "", fix)
	}
}

func (r *doctorReport) ok(what, detail string) { r.line("ok", what, detail, "") }

func (r *doctorReport) warn(what, detail, fix string) {
	r.warned++
	r.line("WARN", what, detail, fix)
}

func (r *doctorReport) fail(what, detail, fix string) {
	r.failed++
	r.line("FAIL", what, detail, fix)
}

// report is the plain form: ok or FAIL, the detail saying what to do.
func (r *doctorReport) report(ok bool, what, detail string) {
	if ok {
		r.ok(what, detail)
	} else {
		r.fail(what, detail, "")
	}
}

func (r *doctorReport) result() error {
	if r.failed > 0 {
		return fmt.Errorf("doctor: %d problem(s) above; each FAIL line says how to fix it", r.failed)
	}
	return nil
}

func newDoctorCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check everything toolmux needs, and say how to fix what is broken",
		Long: `Check the config, the state directory and database, the secret store (OS keychain), the workbench
sandbox (bubblewrap, user namespaces) and python3, every toolkit with its auth configuration and your connection,
and every upstream MCP server. Each problem comes with its fix. Exits 1 when something is broken (FAIL); warnings
(WARN) are limitations that do not stop toolmux from working.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			r := &doctorReport{w: g.io.Out}
			fmt.Fprintf(g.io.Out, "toolmux %s (%s, %s/%s)\n", session.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)

			p := config.Path(g.configPath)
			cfg, err := g.loadConfig()
			if err != nil {
				r.fail("config", err.Error(), "edit the file (`toolmux config validate` names the key and line), or start over with `toolmux config init --force`")
				return &ExitCodeError{ExitConfig, fmt.Errorf("doctor: the config does not load")}
			}
			where := p
			if p == "" {
				where = "embedded default (no file; `toolmux config init` writes one to change settings)"
			}
			if problems := configProblems(cfg); len(problems) > 0 {
				for _, pr := range problems {
					r.fail("config", pr, "fix it in "+cfg.File()+", then run `toolmux config validate`")
				}
			} else {
				r.ok("config", where)
			}

			e, err := g.open(ctx)
			if err != nil {
				r.fail("state", err.Error(), "check that the state directory is writable, or choose another with --state-dir or $TOOLMUX_STATE_DIR")
				return r.result()
			}
			defer e.close()
			doctorState(ctx, r, e)
			r.ok("user", e.user+" (whose accounts and sessions; --user or user in the config changes it)")
			doctorSecrets(ctx, r, e)
			doctorKeyringRefs(cmd, r, e)
			if ok, detail := workbenchStatus(ctx, e.cfg.Workbench); !ok {
				r.fail("workbench sandbox", detail, "")
			} else if e.cfg.Workbench.Sandbox == "none" {
				r.warn("workbench sandbox", detail, "")
			} else {
				r.ok("workbench sandbox", detail)
			}
			doctorPython(ctx, r)

			cat, err := e.catalog(ctx)
			if err != nil {
				r.fail("catalog", err.Error(), "")
				return r.result()
			}
			r.ok("catalog", fmt.Sprintf("%d toolkits, %d tools", len(cat.Toolkits()), cat.Len()))
			for _, p := range cat.Problems {
				r.fail("toolkit", p, "fix the toolkit's entry in the config, or remove it (`toolmux toolkits remove SLUG` for an import)")
			}
			for _, tk := range cat.Toolkits() {
				doctorToolkit(ctx, r, e, tk)
			}
			doctorUpstreams(ctx, r, e, cat)
			return r.result()
		},
	}
}

// doctorState checks the state directory's permissions and that the database answers.
func doctorState(ctx context.Context, r *doctorReport, e *env) {
	db := filepath.Join(e.stateDir, "state.db")
	if fi, err := os.Stat(e.stateDir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		r.fail("state", fmt.Sprintf("%s is open to other users (%v)", e.stateDir, fi.Mode().Perm()), "chmod 700 "+e.stateDir)
	} else if fi, err := os.Stat(db); err == nil && fi.Mode().Perm()&0o077 != 0 {
		r.fail("state", fmt.Sprintf("%s is open to other users (%v)", db, fi.Mode().Perm()), "chmod 600 "+db)
	}
	if _, err := e.db.ListSessions(ctx, e.user); err != nil {
		r.fail("state", fmt.Sprintf("%s does not answer: %v", db, err), "move the file aside (toolmux creates a new one; sessions and accounts in it are lost) or restore a backup")
		return
	}
	r.ok("state", db)
}

// doctorSecrets checks where connected accounts' secrets go.
func doctorSecrets(ctx context.Context, r *doctorReport, e *env) {
	mode := e.cfg.Secrets.Store
	if mode == "" {
		mode = auth.StoreAuto
	}
	st, err := auth.NewLazySecrets(mode, e.stateDir).Open(ctx)
	switch {
	case err != nil:
		r.fail("secret store", err.Error(), `start the desktop keyring (Linux: gnome-keyring or KeePassXC with Secret Service, in a D-Bus session), or set secrets.store = "file" in the config`)
	case st.Notice() != "":
		r.warn("secret store", "a 0600 file in the state directory: "+st.Notice(),
			`to use the OS keychain, run toolmux inside a desktop session with a Secret Service (Debian: apt-get install gnome-keyring); or set secrets.store = "file" to accept the file`)
	case st.Kind() == auth.StoreFile:
		r.ok("secret store", "a 0600 file in the state directory (secrets.store = file)")
	default:
		r.ok("secret store", "OS keychain (secrets.store = "+mode+")")
	}
}

// doctorKeyringRefs checks that every keyring:NAME reference of the config is stored (env:NAME ones are config
// problems, reported above).
func doctorKeyringRefs(cmd *cobra.Command, r *doctorReport, e *env) {
	for _, row := range checkSecretRefs(cmd, e) {
		if !strings.HasPrefix(row.Ref, "keyring:") {
			continue
		}
		what := "secret " + row.Ref
		if row.Problem != "" {
			name := strings.TrimPrefix(row.Ref, "keyring:")
			r.fail(what, row.Problem, fmt.Sprintf("printf %%s \"$VALUE\" | toolmux secrets set %s", name))
			continue
		}
		r.ok(what, "stored; used by "+strings.Join(row.UsedBy, ", "))
	}
}

// doctorPython checks the interpreter the workbench runs.
func doctorPython(ctx context.Context, r *doctorReport) {
	const python = "/usr/bin/python3"
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "--version").CombinedOutput()
	if err != nil {
		r.fail("python3", fmt.Sprintf("%s does not run (%v)", python, err), "install Python 3 (Debian: apt-get install python3); COMPOSIO_REMOTE_WORKBENCH needs it")
		return
	}
	r.ok("python3", strings.TrimSpace(string(out))+" at "+python)
}

// doctorToolkit reports a toolkit's auth configuration and the user's connection.
func doctorToolkit(ctx context.Context, r *doctorReport, e *env, tk *tools.Toolkit) {
	what := "toolkit " + tk.Slug
	var schemes []string
	hasOAuth := false
	for _, s := range tk.AuthSchemes {
		schemes = append(schemes, s.Scheme)
		hasOAuth = hasOAuth || s.Scheme == tools.SchemeOAuth2
	}
	if hasOAuth {
		if a, ok := e.cfg.Auth[tk.Slug]; ok && a.Scheme == tools.SchemeOAuth2 {
			if _, err := e.auth.OAuthConfig(ctx, tk.Slug, ""); err != nil {
				r.fail(what, "OAuth configuration: "+err.Error(), fmt.Sprintf("fix [auth.%s] in %s", tk.Slug, e.cfg.File()))
			}
		}
	}
	if placeholderHost(tk.BaseURL) {
		r.warn(what+" base URL", fmt.Sprintf("%s is a placeholder: every call to %s fails until it names your site", tk.BaseURL, tk.Slug),
			fmt.Sprintf("set [builtin.base_url] %s = %q in %s", tk.Slug, strings.Replace(tk.BaseURL, "your-domain.", "YOUR-SITE.", 1), configWhere(e)))
	}
	active, status, msg := e.auth.Status(ctx, e.user, tk)
	detail := fmt.Sprintf("%d tools, auth %s; %s: %s", len(tk.Tools), strings.Join(schemes, "/"), status, msg)
	if len(schemes) == 0 {
		detail = fmt.Sprintf("%d tools; %s: %s", len(tk.Tools), status, msg)
	}
	switch {
	case active:
		r.ok(what, detail)
	case status == auth.StatusNotConnected:
		r.warn(what, fmt.Sprintf("%d tools, auth %s; NOT_CONNECTED: calls go without credentials (public endpoints only)", len(tk.Tools), strings.Join(schemes, "/")),
			connectFix(tk)+fmt.Sprintf(", or [auth.%s] in the config", tk.Slug))
	case status == "INITIATED":
		r.warn(what, detail, connectFix(tk))
	default:
		r.fail(what, detail, connectFix(tk))
	}
}

// placeholderHost reports whether a base URL still carries a curated manifest's per-site placeholder host
// ("your-domain.atlassian.net" for Jira), which the user must replace with their own site.
func placeholderHost(baseURL string) bool {
	u, err := url.Parse(baseURL)
	return err == nil && strings.HasPrefix(u.Hostname(), "your-domain.")
}

// configWhere names the config file for a fix, or how to create one when the embedded default is in use.
func configWhere(e *env) string {
	if f := e.cfg.File(); f != "" {
		return f
	}
	return "a config file (`toolmux config init` writes one)"
}

// connectFix is how to (re)connect tk from the terminal.
func connectFix(tk *tools.Toolkit) string {
	for _, s := range tk.AuthSchemes {
		switch s.Scheme {
		case tools.SchemeAPIKey, tools.SchemeBearerToken:
			return fmt.Sprintf("printf %%s \"$TOKEN\" | toolmux connect %s --api-key-stdin", tk.Slug)
		case tools.SchemeBasic:
			return fmt.Sprintf("printf %%s \"$PASSWORD\" | toolmux connect %s --api-key-stdin --username NAME", tk.Slug)
		}
	}
	return fmt.Sprintf("toolmux connect %s", tk.Slug)
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
