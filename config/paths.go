package config

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
)

// Env variable names toolmux reads.
const (
	EnvConfig   = "TOOLMUX_CONFIG"
	EnvStateDir = "TOOLMUX_STATE_DIR"
)

// Path finds the config file: flag, then $TOOLMUX_CONFIG, then $XDG_CONFIG_HOME/toolmux/config.toml when it
// exists. It returns "" when none applies: the embedded default is used.
func Path(flag string) string {
	if flag != "" {
		return flag
	}
	if p := os.Getenv(EnvConfig); p != "" {
		return p
	}
	p := DefaultPath()
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

// DefaultPath is where `toolmux config init` writes: $XDG_CONFIG_HOME/toolmux/config.toml.
func DefaultPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "."
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "toolmux", "config.toml")
}

// StateDirPath finds the state directory: flag, then $TOOLMUX_STATE_DIR, then the config's state_dir, then
// $XDG_STATE_HOME/toolmux (~/.local/state/toolmux).
func (c *Config) StateDirPath(flag string) string {
	if flag != "" {
		return flag
	}
	if p := os.Getenv(EnvStateDir); p != "" {
		return p
	}
	if c.StateDir != "" {
		return c.StateDir
	}
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "."
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "toolmux")
}

// UserID returns the user whose accounts are in scope: flag, then the config's user, then the OS user name.
func (c *Config) UserID(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if c.User != "" {
		return c.User, nil
	}
	u, err := user.Current()
	if err == nil && u.Username != "" {
		return u.Username, nil
	}
	if name := os.Getenv("USER"); name != "" {
		return name, nil
	}
	return "", errors.Join(fmt.Errorf("cannot tell the OS user name; pass --user NAME or set user in the config"), err)
}
