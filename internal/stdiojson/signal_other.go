//go:build !unix

package stdiojson

import (
	"os/exec"
	"syscall"
)

// signalChild sends sig to the process; SIGKILL kills it.
func signalChild(cmd *exec.Cmd, sig syscall.Signal) error {
	if sig == syscall.SIGKILL {
		return cmd.Process.Kill()
	}
	return cmd.Process.Signal(sig)
}
