//go:build unix

package stdiojson

import (
	"os/exec"
	"syscall"
)

// signalChild sends sig to the command's process group when it leads one, else to the process.
func signalChild(cmd *exec.Cmd, sig syscall.Signal) error {
	if a := cmd.SysProcAttr; a != nil && a.Setpgid && a.Pgid == 0 {
		return syscall.Kill(-cmd.Process.Pid, sig)
	}
	return cmd.Process.Signal(sig)
}
