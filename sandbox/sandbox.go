package sandbox

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Mode is how code is isolated: "bwrap" (the default) or "none" (no isolation, only by explicit configuration).
type Mode string

const (
	ModeBwrap Mode = "bwrap"
	ModeNone  Mode = "none"
)

// UnsandboxedWarning is attached to every result when Mode is "none".
const UnsandboxedWarning = "WARNING: workbench.sandbox = \"none\": this code ran without isolation, as the toolmux user, with its network and files."

// Config configures a Sandbox.
type Config struct {
	Mode Mode
	// FilesDir is the session's files directory on the host.
	FilesDir string
	Limits   Limits
	// MaxTimeout bounds each call's wall time (the default when a call asks for none).
	MaxTimeout time.Duration
	// Bwrap is the bwrap binary; empty looks it up in PATH.
	Bwrap string
}

// Sandbox runs commands for one session's files directory. It is safe for concurrent use.
type Sandbox struct {
	cfg    Config
	dropTo int

	probeOnce sync.Once
	probeErr  error
	bwrap     string
	links     []SystemLink
}

// sandboxIDBase and sandboxIDRange pick the uid and gid sandboxed code runs as when toolmux runs as root: one per
// files dir, above the usual subordinate-id ranges' start, so one session's processes never count against another
// session's RLIMIT_NPROC (a shared "nobody" would let a fork bomb in one sandbox starve every other).
const (
	sandboxIDBase  = 200000
	sandboxIDRange = 100000
)

func sandboxID(filesDir string) int {
	h := fnv.New32a()
	h.Write([]byte(filesDir))
	return sandboxIDBase + int(h.Sum32()%sandboxIDRange)
}

// New returns a sandbox; nothing is started until the first call.
func New(cfg Config) *Sandbox {
	if cfg.Mode == "" {
		cfg.Mode = ModeBwrap
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits
	}
	if cfg.MaxTimeout <= 0 {
		cfg.MaxTimeout = 180 * time.Second
	}
	s := &Sandbox{cfg: cfg}
	if os.Geteuid() == 0 && cfg.Mode == ModeBwrap {
		s.dropTo = sandboxID(cfg.FilesDir)
	}
	return s
}

// FilesDir is the host directory mounted at FilesMount.
func (s *Sandbox) FilesDir() string { return s.cfg.FilesDir }

// Mode is how code is isolated.
func (s *Sandbox) Mode() Mode { return s.cfg.Mode }

// MaxTimeout is the longest (and default) wall time of one call.
func (s *Sandbox) MaxTimeout() time.Duration { return s.cfg.MaxTimeout }

// Available reports why the sandbox cannot run code, or nil. It runs a trivial command in the sandbox once, so a
// missing bwrap, disabled user namespaces or a missing python3 are found before the model's code is.
func (s *Sandbox) Available(ctx context.Context) error {
	// The answer is cached, so one caller's cancellation must not decide it for everyone.
	s.probeOnce.Do(func() { s.probeErr = s.probe(context.WithoutCancel(ctx)) })
	return s.probeErr
}

func (s *Sandbox) probe(ctx context.Context) error {
	for _, p := range []string{"/usr/bin/prlimit", pythonPath, bashPath} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%s is missing: install it (Debian: apt-get install util-linux python3 bash)", p)
		}
	}
	if s.cfg.Mode == ModeNone {
		return nil
	}
	bw := s.cfg.Bwrap
	if bw == "" {
		var err error
		if bw, err = exec.LookPath("bwrap"); err != nil {
			return errors.New("bubblewrap (bwrap) is not installed: install it (Debian/Ubuntu: apt-get install bubblewrap; " +
				"Fedora: dnf install bubblewrap), or set workbench.sandbox = \"none\" to run code without isolation")
		}
	}
	s.bwrap = bw
	s.links = HostLinks()
	if s.dropTo != 0 {
		if err := s.share(s.cfg.FilesDir); err != nil {
			return fmt.Errorf("give the sandbox user the files dir %s: %w", s.cfg.FilesDir, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := s.command(ctx, []string{"/usr/bin/true"})
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("bubblewrap cannot start a sandbox here (%v: %s); user namespaces may be disabled "+
			"(sysctl kernel.unprivileged_userns_clone=1, or kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu), "+
			"or set workbench.sandbox = \"none\" to run code without isolation", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// HostLinks describes this host's top-level system directories: symlinks into /usr on merged-usr systems, real
// directories otherwise; entries that do not exist are left out.
func HostLinks() []SystemLink {
	var out []SystemLink
	for _, name := range []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"} {
		fi, err := os.Lstat("/" + name)
		if err != nil {
			continue
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink("/" + name)
			if err != nil {
				continue
			}
			out = append(out, SystemLink{Name: name, Target: strings.TrimPrefix(target, "/")})
		} else if fi.IsDir() {
			out = append(out, SystemLink{Name: name})
		}
	}
	return out
}

// command builds the process for argv in the sandbox (or, in mode none, directly in the files dir). The process
// leads its own process group, so kill takes everything it started.
func (s *Sandbox) command(ctx context.Context, argv []string) *exec.Cmd {
	var cmd *exec.Cmd
	if s.cfg.Mode == ModeNone {
		full := append(limitArgs(s.cfg.Limits), argv...)
		cmd = exec.CommandContext(ctx, full[0], full[1:]...)
		cmd.Dir = s.cfg.FilesDir
		cmd.Env = []string{"PATH=" + envPath, "HOME=" + s.cfg.FilesDir, "LANG=" + envLang}
	} else {
		cmd = exec.CommandContext(ctx, s.bwrap, Args(Options{
			FilesDir: s.cfg.FilesDir, Links: s.links, DropTo: s.dropTo, Limits: s.cfg.Limits, Command: argv,
		})...)
		cmd.Env = []string{}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// killGroup kills the process group of a started command: bwrap, and with it (die-with-parent, pid namespace)
// everything inside.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	return cmd.Process.Kill()
}

// Share makes a file or directory the host wrote into the files dir usable inside the sandbox. It matters only when
// toolmux runs as root (sandboxed code then runs as an unprivileged uid): the path is handed to that uid.
func (s *Sandbox) Share(path string) error {
	if s.dropTo == 0 {
		return nil
	}
	return s.share(path)
}

func (s *Sandbox) share(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		return os.Lchown(p, s.dropTo, s.dropTo)
	})
}

// callTimeout picks a call's wall time: the requested seconds, capped by the maximum; 0 means the maximum.
func (s *Sandbox) callTimeout(seconds int) time.Duration {
	d := time.Duration(seconds) * time.Second
	if d <= 0 || d > s.cfg.MaxTimeout {
		return s.cfg.MaxTimeout
	}
	return d
}
