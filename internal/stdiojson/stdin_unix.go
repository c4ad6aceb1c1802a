//go:build unix

package stdiojson

import (
	"os"
	"syscall"
)

// pollableStdin returns stdin in the runtime's poller when it is a pipe or a socket (what an MCP client gives its
// server), so that Close can interrupt a blocked Read without a goroutine in between. Anything else (a terminal, a
// file) is left alone: O_NONBLOCK on a terminal would leak to the shell that shares it.
func pollableStdin() *os.File {
	var st syscall.Stat_t
	if err := syscall.Fstat(0, &st); err != nil {
		return os.Stdin
	}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFIFO, syscall.S_IFSOCK:
	default:
		return os.Stdin
	}
	if err := syscall.SetNonblock(0, true); err != nil {
		return os.Stdin
	}
	return os.NewFile(0, "/dev/stdin")
}
