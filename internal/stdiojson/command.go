package stdiojson

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// defaultTerminateDuration is go-sdk's wait between the shutdown steps of a child.
const defaultTerminateDuration = 5 * time.Second

// CommandTransport starts a command and speaks to it over its stdin and stdout, like mcp.CommandTransport. Close
// shuts the child down as the MCP specification asks: close its stdin, wait up to TerminateDuration for it to exit,
// send SIGTERM, wait again, send SIGKILL. When the command runs in its own process group (SysProcAttr.Setpgid),
// the signals go to the whole group.
type CommandTransport struct {
	Command *exec.Cmd
	// TerminateDuration is the wait after closing stdin and after SIGTERM; 0 or less means 5 seconds.
	TerminateDuration time.Duration
	// MaxLineLength is as for IOTransport.
	MaxLineLength int
}

// Connect implements mcp.Transport: it starts the command.
func (t *CommandTransport) Connect(context.Context) (mcp.Connection, error) {
	stdout, err := t.Command.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stdin, err := t.Command.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := t.Command.Start(); err != nil {
		return nil, err
	}
	// stdout is a pipe in the poller, so a deadline interrupts a Read. It is not closed by Close: the child may
	// still write while it shuts down, and the command's Wait closes it.
	src, err := newSource(stdout)
	if err != nil {
		_ = t.Command.Process.Kill()
		_ = t.Command.Wait()
		return nil, err
	}
	td := t.TerminateDuration
	if td <= 0 {
		td = defaultTerminateDuration
	}
	c := newConn(src, stdin, t.MaxLineLength)
	c.closer = func() error { return stop(t.Command, stdin, td) }
	return c, nil
}

// stop closes the child's stdin and waits for it to exit, escalating to SIGTERM and then SIGKILL after td each.
// It returns the command's exit error, as go-sdk's CommandTransport does.
func stop(cmd *exec.Cmd, stdin io.Closer, td time.Duration) error {
	if err := stdin.Close(); err != nil {
		return fmt.Errorf("closing stdin: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	wait := func() (error, bool) {
		timer := time.NewTimer(td)
		defer timer.Stop()
		select {
		case err := <-exited:
			return err, true
		case <-timer.C:
			return nil, false
		}
	}
	if err, ok := wait(); ok {
		return err
	}
	// If SIGTERM cannot be sent, go straight to SIGKILL.
	if signalChild(cmd, syscall.SIGTERM) == nil {
		if err, ok := wait(); ok {
			return err
		}
	}
	if err := signalChild(cmd, syscall.SIGKILL); err != nil {
		return err
	}
	if err, ok := wait(); ok {
		return err
	}
	return fmt.Errorf("the command %s did not exit after SIGKILL", cmd.Path)
}
