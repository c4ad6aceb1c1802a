// Package sandbox runs untrusted code for the workbench: one bash command per call and a persistent Python kernel,
// both inside bubblewrap with no network, read-only system directories, the session's files directory read-write
// at /mnt/files, a cleared environment and resource limits. Calls from kernel code back into the session
// (run_composio_tool, proxy_execute, …) travel the kernel's pipes and are served by a Host the caller provides.
//
// It depends on nothing else in toolmux: the session implements Host, so the sandbox never sees a secret.
package sandbox

import (
	"strconv"
)

// FilesMount is where the session's files directory appears inside the sandbox; it is also the working directory.
const FilesMount = "/mnt/files"

// Limits bound every sandboxed process (setrlimit, applied by prlimit inside the sandbox).
type Limits struct {
	// AddressSpace is RLIMIT_AS in bytes.
	AddressSpace int64
	// FileSize is RLIMIT_FSIZE in bytes: the largest file a process may write.
	FileSize int64
	// OpenFiles is RLIMIT_NOFILE.
	OpenFiles int
	// Processes is RLIMIT_NPROC: it holds only for a non-root uid, hence Options.DropTo.
	Processes int
}

// DefaultLimits are the limits when the config gives none.
var DefaultLimits = Limits{AddressSpace: 2 << 30, FileSize: 100 << 20, OpenFiles: 256, Processes: 64}

// SystemLink is a top-level directory that is a symlink into /usr on merged-usr systems (/bin → usr/bin).
type SystemLink struct {
	Name   string // "bin"
	Target string // "usr/bin"; empty when Name is a real directory, which is then bound read-only
}

// Options describe one sandboxed command. Args turns them into bwrap's argument list.
type Options struct {
	// FilesDir is the host directory bound read-write at FilesMount.
	FilesDir string
	// Links are the top-level system entries besides /usr and /etc (see HostLinks).
	Links []SystemLink
	// DropTo, when non-zero, is the uid and gid the command runs as on the host. It is used when toolmux runs as
	// root: bwrap then keeps the user namespace of the host (a root-mapped uid would ignore RLIMIT_NPROC) and
	// setpriv switches to this unprivileged uid before anything untrusted runs.
	DropTo int
	Limits Limits
	// Command is the argv to run inside, e.g. ["/usr/bin/bash", "-c", "ls"].
	Command []string
}

// Path, Home and Lang are the whole environment inside the sandbox.
const (
	envPath = "/usr/local/bin:/usr/bin:/bin"
	envHome = FilesMount
	envLang = "C.UTF-8"
)

// Args returns the argument list for bwrap (without "bwrap" itself). It is a pure function of opts so that the
// isolation it promises can be read in one golden file.
func Args(o Options) []string {
	var a []string
	if o.DropTo != 0 {
		// Root: every namespace but the user one (see Options.DropTo); setpriv needs CAP_SETUID/CAP_SETGID once,
		// and loses every capability with the switch to a non-zero uid.
		a = append(a, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
			"--die-with-parent", "--new-session", "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID")
	} else {
		a = append(a, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL")
	}
	a = append(a, "--ro-bind", "/usr", "/usr")
	for _, l := range o.Links {
		if l.Target != "" {
			a = append(a, "--symlink", l.Target, "/"+l.Name)
		} else {
			a = append(a, "--ro-bind", "/"+l.Name, "/"+l.Name)
		}
	}
	a = append(a, "--ro-bind", "/etc", "/etc",
		"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
		"--perms", "0755", "--dir", "/mnt", "--bind", o.FilesDir, FilesMount)
	if o.DropTo == 0 {
		a = append(a, "--chdir", FilesMount)
	}
	a = append(a, "--clearenv", "--setenv", "PATH", envPath, "--setenv", "HOME", envHome, "--setenv", "LANG", envLang,
		"--")
	if o.DropTo != 0 {
		id := strconv.Itoa(o.DropTo)
		a = append(a, "/usr/bin/setpriv", "--reuid="+id, "--regid="+id, "--clear-groups", "--inh-caps=-all", "--no-new-privs", "--",
			// bwrap's own chdir runs as a root without capabilities, which may not enter a directory of the uid.
			"/usr/bin/env", "--chdir="+FilesMount, "--")
	}
	a = append(a, limitArgs(o.Limits)...)
	return append(a, o.Command...)
}

// limitArgs is the prlimit prefix that applies l (soft and hard) to the command.
func limitArgs(l Limits) []string {
	a := []string{"/usr/bin/prlimit"}
	if l.AddressSpace > 0 {
		a = append(a, "--as="+strconv.FormatInt(l.AddressSpace, 10))
	}
	if l.FileSize > 0 {
		a = append(a, "--fsize="+strconv.FormatInt(l.FileSize, 10))
	}
	if l.OpenFiles > 0 {
		a = append(a, "--nofile="+strconv.Itoa(l.OpenFiles))
	}
	if l.Processes > 0 {
		a = append(a, "--nproc="+strconv.Itoa(l.Processes))
	}
	return append(a, "--")
}
