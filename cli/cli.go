// Package cli is toolmux's command line: every command builds on the same config, state and catalog as the MCP
// server. Commands print tables for people and JSON with --json; errors name the problem and the next step.
//
// It sits at the top with server: it may depend on every package, and nothing depends on it but main.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/toolmux/toolmux/auth"
	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/session"
	"github.com/toolmux/toolmux/store"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitError    = 1 // anything else: the message says what
	ExitUsage    = 2 // bad flags or arguments
	ExitConfig   = 3 // the config file is missing or invalid
	ExitToolCall = 4 // `tools exec`: the tool ran and failed (API error, invalid arguments)
)

// ExitError carries an exit code through error returns.
type ExitCodeError struct {
	Code int
	Err  error
}

func (e *ExitCodeError) Error() string { return e.Err.Error() }
func (e *ExitCodeError) Unwrap() error { return e.Err }

// IO is where commands read and write; tests replace it.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
}

// globals are the flags every command takes.
type globals struct {
	configPath string
	stateDir   string
	user       string
	logLevel   string
	io         IO
}

// Run executes the command line args (without the program name) and returns an error whose exit code ExitCode
// reports.
func Run(ctx context.Context, args []string, streams IO) error {
	g := &globals{io: streams}
	root := &cobra.Command{
		Use:           "toolmux",
		Short:         "A local tool router for AI agents: thousands of API tools behind a few MCP meta tools",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.RunE = runRoot(g)
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	root.SetArgs(args)
	pf := root.PersistentFlags()
	pf.StringVar(&g.configPath, "config", "", "config file (default $TOOLMUX_CONFIG, else ~/.config/toolmux/config.toml, else the embedded default)")
	pf.StringVar(&g.stateDir, "state-dir", "", "state directory (default $TOOLMUX_STATE_DIR, else ~/.local/state/toolmux)")
	pf.StringVar(&g.user, "user", "", "whose connected accounts and sessions (default: config user, else the OS user)")
	pf.StringVar(&g.logLevel, "log-level", "", "debug, info, warn or error (default from config); logs go to stderr")
	root.AddCommand(
		newServeCmd(g), newToolsCmd(g), newToolkitsCmd(g), newSessionsCmd(g), newLogsCmd(g),
		newConfigCmd(g), newDoctorCmd(g), newVersionCmd(g),
	)
	root.AddCommand(newConnectCmd(g), newConnectionsCmd(g), newAuthConfigsCmd(g), newSecretsCmd(g))
	root.AddCommand(newUsersCmd(g))
	markUsageErrors(root)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &ExitCodeError{ExitUsage, fmt.Errorf("%w (see `%s --help`)", err, c.CommandPath())}
	})
	err := root.ExecuteContext(ctx)
	// Cobra's own checks (unknown command, required or mutually exclusive flags) return plain errors.
	for _, prefix := range []string{"unknown command", "required flag(s)", "if any flags in the group"} {
		if err != nil && strings.HasPrefix(err.Error(), prefix) {
			return &ExitCodeError{ExitUsage, fmt.Errorf("%w (see `toolmux --help`)", err)}
		}
	}
	return err
}

// markUsageErrors makes wrong positional arguments exit with ExitUsage, naming the command's usage.
func markUsageErrors(c *cobra.Command) {
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return &ExitCodeError{ExitUsage, fmt.Errorf("%w; usage: %s", err, cmd.UseLine())}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markUsageErrors(sub)
	}
}

// ExitCode maps an error from Run to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ec *ExitCodeError
	if errors.As(err, &ec) {
		return ec.Code
	}
	return ExitError
}

func usageError(format string, args ...any) error {
	return &ExitCodeError{ExitUsage, fmt.Errorf(format, args...)}
}

// env is what most commands need: config, state, user, logger.
type env struct {
	cfg      *config.Config
	stateDir string
	user     string
	log      *slog.Logger
	db       *store.DB
	auth     *auth.Manager
	// cats are the catalogs e.catalog loaded; close stops their upstream MCP servers.
	cats []*session.Catalog
}

func (g *globals) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(config.Path(g.configPath))
	if err != nil {
		return nil, &ExitCodeError{ExitConfig, err}
	}
	return cfg, nil
}

func (g *globals) logger(level string) *slog.Logger {
	if g.logLevel != "" {
		level = g.logLevel
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(g.io.Err, &slog.HandlerOptions{Level: lv}))
}

// open loads the config and opens the state database.
func (g *globals) open(ctx context.Context) (*env, error) {
	return g.openWith(ctx, store.Open)
}

// openWith is open with the given way of opening the state database (store.OpenInBackground for a stdio server).
func (g *globals) openWith(ctx context.Context, openStore func(context.Context, string) (*store.DB, error)) (*env, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	user, err := cfg.UserID(g.user)
	if err != nil {
		return nil, err
	}
	e := &env{cfg: cfg, stateDir: cfg.StateDirPath(g.stateDir), user: user, log: g.logger(cfg.LogLevel)}
	e.db, err = openStore(ctx, filepath.Join(e.stateDir, "state.db"))
	if err != nil {
		return nil, err
	}
	e.auth = auth.NewManager(auth.ManagerOptions{DB: e.db, User: user, Config: cfg, Logger: e.log,
		Secrets: auth.NewLazySecrets(cfg.Secrets.Store, e.stateDir)})
	return e, nil
}

func (e *env) close() {
	for _, c := range e.cats {
		_ = c.Close()
	}
	if e.db != nil {
		_ = e.db.Close()
	}
}

func (e *env) catalogOptions() session.CatalogOptions {
	return session.CatalogOptions{Config: e.cfg, DB: e.db, StateDir: e.stateDir, Auth: e.auth, Secrets: e.auth.Secrets(), Logger: e.log}
}

// catalog loads the catalog synchronously, reporting toolkits that failed to load on stderr.
func (e *env) catalog(ctx context.Context) (*session.Catalog, error) {
	cat, err := session.LoadCatalog(ctx, e.catalogOptions())
	if err != nil {
		return nil, err
	}
	e.cats = append(e.cats, cat)
	for _, p := range cat.Problems {
		e.log.Warn("toolkit not loaded", "problem", p)
	}
	return cat, nil
}

// readArgsSource reads --args: inline JSON, @file, or - for stdin.
func readArgsSource(value string, stdin io.Reader) ([]byte, error) {
	switch {
	case value == "-":
		return io.ReadAll(io.LimitReader(stdin, 16<<20))
	case strings.HasPrefix(value, "@"):
		return os.ReadFile(value[1:])
	case value == "":
		return []byte("{}"), nil
	}
	return []byte(value), nil
}

// withEnv wraps a command body that needs the config and the state database, closing them after.
func (g *globals) withEnv(body func(cmd *cobra.Command, args []string, e *env) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		e, err := g.open(cmd.Context())
		if err != nil {
			return err
		}
		defer e.close()
		return body(cmd, args, e)
	}
}

// withCatalog wraps a command body that also needs the loaded catalog.
func (g *globals) withCatalog(body func(cmd *cobra.Command, args []string, e *env, cat *session.Catalog) error) func(*cobra.Command, []string) error {
	return g.withEnv(func(cmd *cobra.Command, args []string, e *env) error {
		cat, err := e.catalog(cmd.Context())
		if err != nil {
			return err
		}
		return body(cmd, args, e, cat)
	})
}
