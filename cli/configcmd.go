package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/toolmux/toolmux/config"
)

// ExampleConfig is config.example.toml, embedded by main; `config init` writes it with every setting commented out.
var ExampleConfig []byte

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Create, locate and check the config file"}
	var force bool
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Write a documented config file (every key commented out, so the defaults apply)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := g.configPath
			if path == "" {
				path = config.DefaultPath()
			}
			if _, err := os.Stat(path); err == nil && !force {
				return usageError("%s exists; pass --force to overwrite it", path)
			} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			text := commentOut(string(ExampleConfig))
			if _, err := config.Parse([]byte(text), path); err != nil {
				return fmt.Errorf("the generated config does not load (a bug): %w", err)
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return err
			}
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(g.io.Out, "wrote %s\n", path)
			return nil
		},
	}
	initCmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	path := &cobra.Command{
		Use:   "path",
		Short: "Print the config file in use (or where `config init` writes) and the state directory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := config.Path(g.configPath)
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			if p == "" {
				fmt.Fprintf(g.io.Out, "config: embedded default (create %s with `toolmux config init`)\n", config.DefaultPath())
			} else {
				fmt.Fprintf(g.io.Out, "config: %s\n", p)
			}
			fmt.Fprintf(g.io.Out, "state:  %s\n", cfg.StateDirPath(g.stateDir))
			return nil
		},
	}
	validate := &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check a config file: unknown keys, bad values, missing specs, unset secret variables",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p := config.Path(g.configPath)
			if len(args) == 1 {
				p = args[0]
			}
			cfg, err := config.Load(p)
			if err != nil {
				return &ExitCodeError{ExitConfig, err}
			}
			problems := configProblems(cfg)
			name := p
			if name == "" {
				name = "embedded default config"
			}
			if len(problems) > 0 {
				return &ExitCodeError{ExitConfig, fmt.Errorf("%s loads, but:\n  %s", name, strings.Join(problems, "\n  "))}
			}
			fmt.Fprintf(g.io.Out, "%s is valid\n", name)
			return nil
		},
	}
	cmd.AddCommand(initCmd, path, validate, newClientConfigCmd(g))
	return cmd
}

// configProblems lists what a config that loads still gets wrong: missing specs and commands, unset secret
// variables.
func configProblems(cfg *config.Config) []string {
	var problems []string
	for _, t := range cfg.Toolkits {
		if t.Type == "mcp" {
			if t.Command == "" {
				continue // a remote server (url)
			}
			if _, err := exec.LookPath(t.Command); err != nil {
				problems = append(problems, fmt.Sprintf("toolkits %q: command %s: %v", t.Slug, t.Command, err))
			}
			continue
		}
		if _, err := os.Stat(cfg.SpecPath(t)); err != nil {
			problems = append(problems, fmt.Sprintf("toolkits %q: spec %s: %v", t.Slug, cfg.SpecPath(t), err))
		}
	}
	// keyring:NAME references need the secret store: `toolmux secrets list` and doctor check those.
	for _, r := range config.SecretRefs(cfg) {
		if strings.HasPrefix(r.Ref, "env:") {
			if _, err := config.ResolveSecret(r.Ref); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", r.Where, err))
			}
		}
	}
	slices.Sort(problems)
	return problems
}

// commentOut turns every setting and table header into a comment, keeping the documentation.
func commentOut(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			lines[i] = "# " + l
		}
	}
	return strings.Join(lines, "\n")
}
